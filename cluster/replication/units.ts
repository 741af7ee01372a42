import { ReplicationError } from './errors.js';

/**
 * Redis' memory units (config.c memtoull): a bare number is bytes; k/kb, m/mb, g/gb
 * with `k` = 1000 and `kb` = 1024, case-insensitive. `1mb` is Redis' default
 * repl-backlog-size.
 */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

export function parseMemory(text: string): number {
  const m = /^(\d+)([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ReplicationError('BAD_SIZE', `argument must be a memory value: ${JSON.stringify(text)}`);
  return Number(m[1]) * unit;
}
