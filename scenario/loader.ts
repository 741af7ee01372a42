import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Document, LineCounter, isMap, isNode, parseDocument } from 'yaml';
import { ScenarioError } from './errors.js';
import { PROTOCOLS } from '../migration/protocol.js';
import { parseSlotRange } from '../migration/slots.js';
import {
  EVENT_KINDS, RUN_KINDS, type LoadSpec, type MigrationSpec, type RunKind, type RunSpec, type Scenario, type ScenarioEventKind, type Topology, isPreset,
} from './schema.js';

/** scenarios/ of the package, found from this file whether it runs from dist/ or source. */
export function scenariosDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new ScenarioError('NOT_FOUND', 'cannot find the kvnetlab package root (scenarios/)');
    dir = up;
  }
  return join(dir, 'scenarios');
}

/** `quick` -> scenarios/quick.yaml; anything with a slash or .yaml is a path. */
export function scenarioPath(nameOrFile: string): string {
  if (nameOrFile.includes('/') || /\.ya?ml$/.test(nameOrFile)) return resolve(nameOrFile);
  return join(scenariosDir(), `${nameOrFile}.yaml`);
}

export function loadScenario(nameOrFile: string): Scenario {
  const path = scenarioPath(nameOrFile);
  if (!existsSync(path)) throw new ScenarioError('NOT_FOUND', `no scenario ${nameOrFile} (${path} does not exist)`);
  const shown = relative(process.cwd(), path) || path;
  return parseScenario(readFileSync(path, 'utf8'), shown.startsWith('..') ? path : shown);
}

type Path = Array<string | number>;

/** Parses and validates scenario YAML; every error names the file, line:column and field. */
export function parseScenario(text: string, source = '<scenario>'): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    throw new ScenarioError('BAD_YAML', `${source}:${at.line}:${at.col}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const v = new Validator(doc, lines, source);
  const root = doc.toJS() as unknown;
  if (!isMap(doc.contents) || typeof root !== 'object' || root === null) throw v.fail([], 'the file must be a mapping (name:, topologies:, runs:, ...)');
  const o = root as Record<string, unknown>;
  v.known(o, [], ['name', 'description', 'topologies', 'memory_mib', 'warmup_s', 'schedule', 'tail_s', 'cp_pause_s', 'patch_bytes', 'node_timeout_ms', 'load', 'migration', 'runs']);
  const schedule = v.map(o.schedule ?? {}, ['schedule']);
  v.known(schedule, ['schedule'], ['first_s', 'every_s', 'count']);
  const runs = v.list(o.runs, ['runs'], 1).map((r, i) => v.run(r, ['runs', i]));
  const topologies = v.list(o.topologies, ['topologies'], 1).map((t, i) => v.topology(t, ['topologies', i]));
  const memoryMiB = v.list(o.memory_mib ?? [0], ['memory_mib'], 1).map((m, i) => v.num(m, ['memory_mib', i], 0, 65536));
  const migration = v.migration(o.migration ?? {}, ['migration']);
  const migrating = runs.findIndex((r) => r.kind === 'migration');
  if (migrating >= 0) {
    // The table counts its own keys as the data moved: other data in the range would be extra.
    if (memoryMiB.some((m) => m > 0)) throw v.fail(['memory_mib'], 'a migration run moves its own keys only: memory_mib must be [0]');
    const single = topologies.findIndex((t) => t.primaries < 2);
    if (single >= 0) throw v.fail(['topologies', single], 'a migration run needs at least 2 primaries');
  }
  return {
    name: v.str(o.name, ['name']),
    description: o.description === undefined ? '' : v.str(o.description, ['description']),
    topologies,
    memoryMiB,
    warmupS: v.num(o.warmup_s ?? 10, ['warmup_s'], 0, 3600),
    schedule: {
      firstS: v.num(schedule.first_s ?? 15, ['schedule', 'first_s'], 0, 3600),
      everyS: v.num(schedule.every_s ?? 50, ['schedule', 'every_s'], 0.1, 3600),
      count: v.int(schedule.count ?? 10, ['schedule', 'count'], 1, 1000),
    },
    tailS: v.num(o.tail_s ?? 10, ['tail_s'], 0, 3600),
    cpPauseS: v.num(o.cp_pause_s ?? 20, ['cp_pause_s'], 0, 3600),
    patchBytes: v.int(o.patch_bytes ?? 4096, ['patch_bytes'], 1, 64 * 1024 * 1024),
    nodeTimeoutMs: v.int(o.node_timeout_ms ?? 15000, ['node_timeout_ms'], 100, 600_000),
    load: o.load === undefined || o.load === null ? null : v.load(o.load, ['load']),
    migration,
    runs,
    source,
  };
}

class Validator {
  constructor(private readonly doc: Document, private readonly lines: LineCounter, private readonly source: string) {}

  /** An error at the node of `path` (or its nearest existing parent). */
  fail(path: Path, what: string, keyPos?: number): ScenarioError {
    let at = '';
    if (keyPos !== undefined) {
      const pos = this.lines.linePos(keyPos);
      at = `:${pos.line}:${pos.col}`;
    }
    for (let p = path; at === ''; p = p.slice(0, -1)) {
      const node = p.length === 0 ? this.doc.contents : this.doc.getIn(p, true);
      if (isNode(node) && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        at = `:${pos.line}:${pos.col}`;
        break;
      }
      if (p.length === 0) break;
    }
    const field = path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
    return new ScenarioError('BAD_SCENARIO', `${this.source}${at}${field ? ` ${field}` : ''}: ${what}`);
  }

  known(o: Record<string, unknown>, path: Path, allowed: string[]): void {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      // Point at the key itself, not its value.
      const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
      const key = isMap(parent) ? parent.items.find((i) => isNode(i.key) && (i.key as { value?: unknown }).value === k)?.key : undefined;
      throw this.fail([...path, k], `unknown field "${k}"; allowed: ${allowed.join(', ')}`, isNode(key) ? key.range?.[0] : undefined);
    }
  }

  map(v: unknown, path: Path): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.fail(path, `must be a mapping, got ${show(v)}`);
    return v as Record<string, unknown>;
  }

  list(v: unknown, path: Path, min: number): unknown[] {
    if (v === undefined) throw this.fail(path, 'is missing');
    if (!Array.isArray(v)) throw this.fail(path, `must be a list, got ${show(v)}`);
    if (v.length < min) throw this.fail(path, `needs at least ${min} entr${min === 1 ? 'y' : 'ies'}`);
    return v;
  }

  str(v: unknown, path: Path): string {
    if (v === undefined) throw this.fail(path, 'is missing');
    if (typeof v !== 'string' || v === '') throw this.fail(path, `must be a non-empty string, got ${show(v)}`);
    return v;
  }

  num(v: unknown, path: Path, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw this.fail(path, `must be a number from ${min} to ${max}, got ${show(v)}`);
    return v;
  }

  int(v: unknown, path: Path, min: number, max: number): number {
    const n = this.num(v, path, min, max);
    if (!Number.isInteger(n)) throw this.fail(path, `must be a whole number, got ${n}`);
    return n;
  }

  oneOf<T extends string>(v: unknown, path: Path, allowed: readonly T[], what: string): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw this.fail(path, `unknown ${what} ${show(v)}; one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** `3-1` = 3 primaries with 1 replica each (the paper's P-R). */
  topology(v: unknown, path: Path): Topology {
    const m = typeof v === 'string' ? /^(\d+)-(\d+)$/.exec(v.trim()) : null;
    if (!m) throw this.fail(path, `bad topology ${show(v)}; write primaries-replicas, e.g. 3-1`);
    const primaries = Number(m[1]);
    const replicas = Number(m[2]);
    if (primaries < 1 || primaries > 64 || replicas > 8) throw this.fail(path, `bad topology ${show(v)}: primaries 1..64, replicas 0..8`);
    return { primaries, replicas, label: `${primaries}-${replicas}` };
  }

  load(v: unknown, path: Path): LoadSpec {
    const o = this.map(v, path);
    this.known(o, path, ['preset', 'target', 'connections', 'records']);
    const preset = this.str(o.preset ?? 'ycsb-b', [...path, 'preset']);
    if (!isPreset(preset)) throw this.fail([...path, 'preset'], `unknown loadgen preset "${preset}"`);
    return {
      preset,
      target: this.num(o.target ?? 200, [...path, 'target'], 0, 1e7),
      connections: this.int(o.connections ?? 2, [...path, 'connections'], 1, 256),
      records: this.int(o.records ?? 1000, [...path, 'records'], 1, 1e8),
    };
  }

  /** The `migration:` block; every field has the default of `kvnetlab migration-table`. */
  migration(v: unknown, path: Path): MigrationSpec {
    const o = this.map(v, path);
    this.known(o, path, ['protocols', 'write_ratios', 'slots', 'keys', 'value_bytes', 'clients', 'before_s', 'group_pause_ms']);
    const slotsText = o.slots ?? '0-99';
    let slots;
    try {
      slots = parseSlotRange(String(slotsText));
    } catch (e) {
      throw this.fail([...path, 'slots'], (e as Error).message);
    }
    return {
      protocols: this.list(o.protocols ?? [...PROTOCOLS], [...path, 'protocols'], 1).map((p, i) => this.oneOf(p, [...path, 'protocols', i], PROTOCOLS, 'protocol')),
      writeRatios: this.list(o.write_ratios ?? [0, 5, 10, 20, 30], [...path, 'write_ratios'], 1).map((w, i) => this.num(w, [...path, 'write_ratios', i], 0, 100)),
      slots,
      keys: this.int(o.keys ?? 1000, [...path, 'keys'], 1, 1_000_000),
      valueBytes: this.int(o.value_bytes ?? 1000, [...path, 'value_bytes'], 1, 16 * 1024 * 1024),
      clients: this.int(o.clients ?? 4, [...path, 'clients'], 1, 256),
      beforeS: this.num(o.before_s ?? 1.5, [...path, 'before_s'], 0.3, 3600),
      groupPauseMs: this.int(o.group_pause_ms ?? 10, [...path, 'group_pause_ms'], 0, 60_000),
    };
  }

  run(v: unknown, path: Path): RunSpec {
    const o = typeof v === 'string' ? { kind: v } : this.map(v, path);
    this.known(o, path, ['kind', 'events', 'label']);
    const kind: RunKind = this.oneOf(o.kind, [...path, 'kind'], RUN_KINDS, 'run kind');
    let events: ScenarioEventKind[] = [];
    if (kind === 'sequence') {
      events = this.list(o.events, [...path, 'events'], 1).map((e, i) => this.oneOf(e, [...path, 'events', i], EVENT_KINDS, 'event kind'));
    } else if (o.events !== undefined) {
      throw this.fail([...path, 'events'], `only a run of kind "sequence" lists events (this one is "${kind}")`);
    }
    return { kind, events, label: o.label === undefined ? kind : this.str(o.label, [...path, 'label']) };
  }
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
