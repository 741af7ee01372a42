/** Typed loadgen errors with stable codes (STYLE.md 4). BAD_FLAG exits with code 2. */
export type LoadgenErrorCode = 'BAD_FLAG' | 'CONNECT_FAILED' | 'LOAD_FAILED';

export class LoadgenError extends Error {
  constructor(readonly code: LoadgenErrorCode, message: string, readonly allowed = '') {
    super(message);
    this.name = 'LoadgenError';
  }
}

export function badFlag(flag: string, value: unknown, allowed: string): LoadgenError {
  return new LoadgenError('BAD_FLAG', `option '${flag}': '${String(value)}' is not allowed; allowed: ${allowed}`, allowed);
}
