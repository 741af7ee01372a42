import { InvalidArgumentError } from 'commander';

/** Commander parsers that refuse bad flags with a clear message (exit code 1, nothing started). */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError(`'${value}' is not a TCP port (1-65535)`);
  return n;
}

/** A listening port where 0 means "any free port" (the chosen one is written to a file). */
export function portOrZero(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`'${value}' is not a TCP port (0-65535; 0 = any free port)`);
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive integer`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a non-negative integer`);
  return n;
}
