/**
 * Synthetic patches for the network experiment (the paper applied 10 per run): a
 * module that replaces nothing, padded in a comment so the whole bundle is exactly
 * `size` bytes. What travels is what a real patch of that size would cost.
 */
import type { KeyObject } from 'node:crypto';
import { BUNDLE_OVERHEAD, manifestBytes } from './bundle.js';
import { signBundle } from './sign.js';

export interface SyntheticPatchOptions {
  /** Total bundle bytes (at least minSyntheticSize()). */
  size: number;
  version: number;
  /** The node code version it targets. */
  target: string;
  privateKey: KeyObject;
  id?: string;
}

const head = (version: number) => `// kvnetlab synthetic patch v${version}: replaces nothing\nexport default () => ({ commands: [] });\n/*`;
const TAIL = '*/\n';

export function minSyntheticSize(o: Omit<SyntheticPatchOptions, 'size' | 'privateKey'>): number {
  const m = manifestBytes({ id: o.id ?? `synthetic-v${o.version}`, version: o.version, target: o.target });
  return BUNDLE_OVERHEAD + m.length + head(o.version).length + TAIL.length;
}

export function makeSyntheticPatch(o: SyntheticPatchOptions): Buffer {
  const min = minSyntheticSize(o);
  if (!Number.isInteger(o.size) || o.size < min) throw new Error(`a synthetic patch v${o.version} needs at least ${min} bytes`);
  const module = head(o.version) + 'x'.repeat(o.size - min) + TAIL;
  return signBundle({ id: o.id ?? `synthetic-v${o.version}`, version: o.version, target: o.target }, module, o.privateKey);
}
