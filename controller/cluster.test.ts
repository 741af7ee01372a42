import { describe, expect, it } from 'vitest';
import { keyHashSlot } from '../cluster/store/slot.js';
import { type ClusterFile, findNode, groupOf, groups, parseClusterNodes } from './cluster.js';
import { ControllerError } from './errors.js';
import { probeKey } from './node-roles.js';

// CLUSTER NODES as redis-server 7.0 printed it for a 3P-1R cluster after one failover.
const NODES = [
  'a3f9af8cbd0022f0cacf85635c56bc540bf048f9 127.0.0.1:22701@32701 myself,slave 6c47fe2e5acdb224a0820328ce96e696af840059 0 1795292198767 8 connected',
  '92ee3344d39d0b1c82541c8f886723af8a0665b0 127.0.0.1:22702@32702 master - 0 1795292199000 2 connected 5461-10922',
  '9995b8974907c92f99e14a10c8c3bb19f3419ecb 127.0.0.1:22703@32703 master - 0 1795292199000 3 connected 10923-16383',
  '6c47fe2e5acdb224a0820328ce96e696af840059 127.0.0.1:22704@32704 master - 0 1795292199172 8 connected 0-5460',
  '001b4ae31a33ca3d60f1347fbf475b0f0a49f388 127.0.0.1:22705@32705 slave 92ee3344d39d0b1c82541c8f886723af8a0665b0 0 1795292199000 2 connected',
  '949cdd6ecaf319457bfa9681d7161efee9359b04 127.0.0.1:22706@32706 slave,fail 9995b8974907c92f99e14a10c8c3bb19f3419ecb 0 1795292199000 3 disconnected',
  '',
].join('\n');

const lines = parseClusterNodes(NODES);
const file: ClusterFile = {
  kind: 'redis', host: '127.0.0.1',
  nodes: lines.map((l, i) => ({ id: l.id, port: 22701 + i, busPort: 32701 + i, pid: 1, dir: '/x', cmdlineMark: `--port ${22701 + i}` })),
};

describe('controller cluster view', () => {
  it('cluster: parses CLUSTER NODES roles, masters, flags and slots', () => {
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ role: 'replica', masterId: lines[3]!.id, flags: ['myself', 'slave'], slots: [] });
    expect(lines[3]).toMatchObject({ role: 'master', masterId: '', slots: ['0-5460'] });
    expect(lines[5]!.linkState).toBe('disconnected');
  });

  it('cluster: groups are named by master id; a replica belongs to its master, a failed replica still counts', () => {
    const g = groups(lines);
    expect([...g.keys()].sort()).toEqual([lines[1]!.id, lines[2]!.id, lines[3]!.id].sort());
    expect(g.get(lines[3]!.id)).toEqual([lines[0]!.id]);
    expect(g.get(lines[2]!.id)).toEqual([lines[5]!.id]);
    expect(groupOf(lines, lines[0]!.id)).toBe(lines[3]!.id);
    expect(groupOf(lines, lines[1]!.id)).toBe(lines[1]!.id);
    expect(groupOf(undefined, 'abc')).toBe('abc');
  });

  it('cluster: a node is found by port, full id or unique prefix; unknown is UNKNOWN_NODE, ambiguous BAD_PARAMS', () => {
    expect(findNode(file, '22704').id).toBe(lines[3]!.id);
    expect(findNode(file, lines[4]!.id).port).toBe(22705);
    expect(findNode(file, '949c').port).toBe(22706);
    const code = (ref: string) => {
      try {
        findNode(file, ref);
        return 'found';
      } catch (e) {
        return (e as ControllerError).code;
      }
    };
    expect(code('22799')).toBe('UNKNOWN_NODE');
    expect(code('9')).toBe('UNKNOWN_NODE');
    expect(code('99')).toBe('UNKNOWN_NODE');
    const twins: ClusterFile = { ...file, nodes: [...file.nodes, { ...file.nodes[0]!, id: 'a3f9ffff', port: 1 }] };
    expect(() => findNode(twins, 'a3f9')).toThrow(/ambiguous/);
  });

  it('cluster: the probe key lands in a slot the master serves (ranges, single slots, migrating entries skipped)', () => {
    for (const ranges of [['0-5460'], ['5461-10922'], ['10923-16383'], ['[93->-abc]', '7000'], ['100-100', '16383']]) {
      const slot = keyHashSlot(probeKey(ranges));
      const ok = ranges.filter((r) => !r.startsWith('[')).some((r) => {
        const [a, b] = r.split('-').map(Number);
        return slot >= a! && slot <= (b ?? a!);
      });
      expect(ok, `${ranges} -> ${slot}`).toBe(true);
    }
    expect(() => probeKey([])).toThrow(ControllerError);
  });
});
