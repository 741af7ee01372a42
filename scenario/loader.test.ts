import { describe, expect, it } from 'vitest';
import { ScenarioError } from './errors.js';
import { loadScenario, parseScenario } from './loader.js';
import { expandMatrix } from './matrix.js';

function refusal(text: string): ScenarioError {
  try {
    parseScenario(text, 'scenarios/x.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('accepted');
}

const ok = `name: t
topologies: [3-1]
runs:
  - kind: lp-pull
`;

describe('scenario loader', () => {
  it('loader: bad YAML is refused with file, line and column', () => {
    const e = refusal('name: t\ntopologies: [3-1\nruns: []\n');
    expect(e.code).toBe('BAD_YAML');
    expect(e.message).toMatch(/^scenarios\/x\.yaml:\d+:\d+: not valid YAML: /);
  });

  it('loader: an unknown run kind names the field, its line and the allowed kinds', () => {
    const e = refusal('name: t\ntopologies: [3-1]\nruns:\n  - kind: baseline\n  - kind: lp-pul\n');
    expect(e.code).toBe('BAD_SCENARIO');
    expect(e.message).toBe(
      'scenarios/x.yaml:5:11 runs[1].kind: unknown run kind "lp-pul"; one of baseline, no-patch, lp-pull, lp-push, cp-partial, cp-full, failover, sequence, migration',
    );
  });

  it('loader: a bad topology says how to write one, at its position in the list', () => {
    const e = refusal('name: t\ntopologies: [3-1, 9x1]\nruns: [baseline]\n');
    expect(e.message).toBe('scenarios/x.yaml:2:19 topologies[1]: bad topology "9x1"; write primaries-replicas, e.g. 3-1');
    expect(refusal('name: t\ntopologies: [0-1]\nruns: [baseline]\n').message).toMatch(/topologies\[0\]: bad topology "0-1": primaries 1\.\.64/);
  });

  it('loader: unknown fields, missing fields, wrong types and bad event kinds are refused where they are', () => {
    expect(refusal(`${ok}warmup: 3\n`).message).toMatch(/^scenarios\/x\.yaml:5:1 warmup: unknown field "warmup"; allowed: name, /);
    expect(refusal('topologies: [3-1]\nruns: [baseline]\n').message).toMatch(/^scenarios\/x\.yaml:1:1 name: is missing$/);
    expect(refusal(`${ok}warmup_s: soon\n`).message).toBe('scenarios/x.yaml:5:11 warmup_s: must be a number from 0 to 3600, got "soon"');
    expect(refusal(`${ok}schedule: { count: 2.5 }\n`).message).toMatch(/schedule\.count: must be a whole number, got 2\.5/);
    expect(refusal('name: t\ntopologies: [3-1]\nruns:\n  - kind: sequence\n    events: [lp-pull, reboot]\n').message)
      .toBe('scenarios/x.yaml:5:23 runs[0].events[1]: unknown event kind "reboot"; one of lp-pull, lp-push, cp-partial, cp-full, failover');
    expect(refusal('name: t\ntopologies: [3-1]\nruns:\n  - kind: lp-push\n    events: [lp-pull]\n').message).toMatch(/runs\[0\]\.events: only a run of kind "sequence" lists events/);
    expect(refusal(`${ok}load: { preset: ycsb-z }\n`).message).toMatch(/load\.preset: unknown loadgen preset "ycsb-z"/);
    expect(refusal('- 1\n').message).toMatch(/the file must be a mapping/);
  });

  it('loader: a missing scenario is NOT_FOUND with the path it looked at', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/no scenario no-such-scenario \(.*scenarios\/no-such-scenario\.yaml does not exist\)/);
  });

  it('loader: the shipped network-overhead scenario is the paper matrix: 3 topologies x 3 memory states x 6 runs, 10 patches each', () => {
    const s = loadScenario('network-overhead');
    expect(s.topologies.map((t) => t.label)).toEqual(['3-1', '9-1', '15-1']);
    expect(s.memoryMiB).toEqual([0, 64, 256]);
    expect(s.runs.map((r) => r.kind)).toEqual(['baseline', 'no-patch', 'lp-pull', 'lp-push', 'cp-partial', 'cp-full']);
    expect(s.warmupS).toBe(10);
    expect(s.load).toBeNull();
    const subs = expandMatrix(s, 'r');
    expect(subs).toHaveLength(54);
    expect(subs[2]).toMatchObject({ runId: 'r/2', label: '3-1 0MiB lp-pull' });
    expect(subs[2]!.events).toHaveLength(10);
    expect(subs[4]!.events).toEqual(['cp-partial']);
    expect(subs[0]!.events).toEqual([]);
    expect(expandMatrix(s, 'r', /^9-1 64MiB lp/).map((r) => r.label)).toEqual(['9-1 64MiB lp-pull', '9-1 64MiB lp-push']);
  });

  it('loader: the shipped quick scenario is one 3-1 run with an LP pull, an LP push, a CP partial and a failover under YCSB-B', () => {
    const s = loadScenario('quick');
    const subs = expandMatrix(s, 'q');
    expect(subs).toHaveLength(1);
    expect(subs[0]!.events).toEqual(['lp-pull', 'lp-push', 'cp-partial', 'failover']);
    expect(s.load).toMatchObject({ preset: 'ycsb-b' });
  });

  it('loader: the shipped migration scenario is NetMigrate\'s comparison: five protocols x write ratios 0, 5, 10, 20, 30 % on one 3-0 cluster', () => {
    const s = loadScenario('migration');
    expect(s.migration).toEqual({
      protocols: ['redis', 'source', 'rocksteady', 'fulva', 'proxy'], writeRatios: [0, 5, 10, 20, 30], slots: { first: 0, last: 99 },
      keys: 1000, valueBytes: 1000, clients: 4, beforeS: 1.5, groupPauseMs: 10,
    });
    const subs = expandMatrix(s, 'm');
    expect(subs.map((r) => [r.label, r.run.kind, r.events])).toEqual([['3-0 0MiB migration', 'migration', []]]);
  });

  it('loader: a migration block with an unknown protocol, a bad slot range or an unknown field, memory or one primary beside a migration run are refused where they are', () => {
    const run = 'name: t\ntopologies: [3-0]\nruns: [migration]\n';
    expect(refusal(`${run}migration: { protocols: [redis, netmigrate] }\n`).message)
      .toBe('scenarios/x.yaml:4:33 migration.protocols[1]: unknown protocol "netmigrate"; one of redis, source, rocksteady, fulva, proxy');
    expect(refusal(`${run}migration: { slots: 99-0 }\n`).message).toMatch(/^scenarios\/x\.yaml:4:21 migration\.slots: slots "99-0": need 0 <= A <= B/);
    expect(refusal(`${run}migration: { ratio: 5 }\n`).message).toMatch(/migration\.ratio: unknown field "ratio"; allowed: protocols, write_ratios, /);
    expect(refusal(`${run}memory_mib: [0, 64]\n`).message).toMatch(/memory_mib: a migration run moves its own keys only/);
    expect(refusal('name: t\ntopologies: [3-0, 1-1]\nruns: [migration]\n').message).toBe('scenarios/x.yaml:2:19 topologies[1]: a migration run needs at least 2 primaries');
  });
});
