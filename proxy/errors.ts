/** Typed proxy errors with stable codes (STYLE.md 4). */
export type ProxyErrorCode = 'BAD_OPTION' | 'LISTEN_FAILED' | 'UPSTREAM_FAILED';

export class ProxyError extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}
