import { badFlag } from './errors.js';

/**
 * Workload parameters and the named presets. YCSB's workloads/workload{a..f} files with
 * CoreWorkload's defaults (10 fields x 100 B, readallfields=true, writeallfields=false,
 * 1000 records / 1000 operations); memtier_benchmark's defaults for set/get
 * (4096 B values here as in the paper, uniform random keys `memtier-<n>`); and the
 * cache-aside workload of the kernel-update study.
 */
export const DISTRIBUTIONS = ['zipfian', 'scrambled-zipfian', 'latest', 'uniform', 'hotspot', 'pareto'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export const PRESETS = ['ycsb-a', 'ycsb-b', 'ycsb-c', 'ycsb-d', 'ycsb-e', 'ycsb-f', 'memtier-set', 'memtier-get', 'cache-aside'] as const;
export type PresetName = (typeof PRESETS)[number];

/** How a record is stored: YCSB hash of fields, memtier/cache-aside plain string. */
export type RecordKind = 'hash' | 'string';

export interface Proportions {
  read: number;
  update: number;
  insert: number;
  scan: number;
  rmw: number;
}

export interface WorkloadSpec {
  preset: PresetName;
  kind: RecordKind;
  /** Key prefix: YCSB `user` + fnv64(n); memtier `memtier-` + n; cache-aside padded keys. */
  keyPrefix: string;
  /** Pad keys to this many bytes (cache-aside: 100 B keys); 0 = no padding. */
  keySize: number;
  recordCount: number;
  /** Operations in the run phase; 0 = bounded by duration only. */
  operationCount: number;
  /** Run phase length in seconds; 0 = bounded by operation count only. */
  durationS: number;
  fieldCount: number;
  fieldLength: number;
  /** String records: value size. */
  valueSize: number;
  proportions: Proportions;
  distribution: Distribution;
  hotsetFraction: number;
  hotOpnFraction: number;
  maxScanLength: number;
  /** cache-aside: ms between a miss and the SET that fills it. */
  missDelayMs: number;
}

const ycsb = (preset: PresetName, p: Partial<Proportions>, distribution: Distribution = 'scrambled-zipfian'): WorkloadSpec => ({
  preset,
  kind: 'hash',
  keyPrefix: 'user',
  keySize: 0,
  recordCount: 1000,
  operationCount: 1000,
  durationS: 0,
  fieldCount: 10,
  fieldLength: 100,
  valueSize: 0,
  proportions: { read: 0, update: 0, insert: 0, scan: 0, rmw: 0, ...p },
  distribution,
  hotsetFraction: 0.2,
  hotOpnFraction: 0.8,
  maxScanLength: preset === 'ycsb-e' ? 100 : 1000,
  missDelayMs: 0,
});

const memtier = (preset: PresetName, p: Partial<Proportions>): WorkloadSpec => ({
  ...ycsb(preset, p, 'uniform'),
  kind: 'string',
  keyPrefix: 'memtier-',
  recordCount: 10_000,
  operationCount: 100_000,
  fieldCount: 0,
  fieldLength: 0,
  valueSize: 4096,
});

/**
 * YCSB's `requestdistribution=zipfian` is CoreWorkload's ScrambledZipfianGenerator, so the
 * presets say `scrambled-zipfian`; `--distribution zipfian` is the unscrambled generator.
 */
export function preset(name: PresetName): WorkloadSpec {
  switch (name) {
    case 'ycsb-a': return ycsb(name, { read: 0.5, update: 0.5 });
    case 'ycsb-b': return ycsb(name, { read: 0.95, update: 0.05 });
    case 'ycsb-c': return ycsb(name, { read: 1 });
    case 'ycsb-d': return ycsb(name, { read: 0.95, insert: 0.05 }, 'latest');
    case 'ycsb-e': return ycsb(name, { scan: 0.95, insert: 0.05 });
    case 'ycsb-f': return ycsb(name, { read: 0.5, rmw: 0.5 });
    case 'memtier-set': return memtier(name, { update: 1 });
    case 'memtier-get': return memtier(name, { read: 1 });
    case 'cache-aside':
      return {
        ...memtier(name, { read: 1 }),
        keyPrefix: 'cache:',
        keySize: 100,
        recordCount: 200_000,
        operationCount: 0,
        durationS: 10,
        valueSize: 400,
        distribution: 'pareto',
        missDelayMs: 12,
      };
  }
}

export function parsePreset(value: string): PresetName {
  if (!(PRESETS as readonly string[]).includes(value)) throw badFlag('--preset', value, PRESETS.join(', '));
  return value as PresetName;
}

export function parseDistribution(value: string): Distribution {
  if (!(DISTRIBUTIONS as readonly string[]).includes(value)) throw badFlag('--distribution', value, DISTRIBUTIONS.join(', '));
  return value as Distribution;
}

/** Cross-flag checks that a single option parser cannot make. */
export function checkSpec(s: WorkloadSpec): void {
  const p = s.proportions;
  const sum = p.read + p.update + p.insert + p.scan + p.rmw;
  if (!(sum > 0)) throw badFlag('--read/--update/--insert/--scan/--rmw', sum, 'proportions whose sum is > 0');
  if (s.kind === 'string' && (p.insert > 0 || p.scan > 0 || p.rmw > 0)) {
    throw badFlag('--insert/--scan/--rmw', `${p.insert}/${p.scan}/${p.rmw}`, `0 for ${s.preset} (string values support read and update only)`);
  }
  if (s.operationCount === 0 && s.durationS === 0) throw badFlag('--operations/--duration', 0, 'at least one of them > 0');
  if (s.distribution === 'latest' && s.recordCount < 2) throw badFlag('--records', s.recordCount, '>= 2 with --distribution latest');
  if (s.hotsetFraction <= 0 || s.hotsetFraction >= 1) throw badFlag('--hotset-fraction', s.hotsetFraction, 'a number in (0, 1)');
  if (s.hotOpnFraction < 0 || s.hotOpnFraction > 1) throw badFlag('--hot-opn-fraction', s.hotOpnFraction, 'a number in [0, 1]');
}
