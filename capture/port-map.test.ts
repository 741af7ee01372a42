import { describe, expect, it } from 'vitest';
import type { LocalClusterState } from '../cluster/launcher/state-file.js';
import { bpfFilter, portMapFromList, portMapFromState } from './port-map.js';

const state = {
  kind: 'kvnetlab', startedAt: '', host: '127.0.0.1', proxies: [],
  nodes: [
    { id: 'a'.repeat(40), role: 'master', port: 30001, busPort: 40001, nodePort: 30003, nodeBusPort: 40003, pid: 1, dir: '', cmdlineMark: '' },
    { id: '', role: 'replica', port: 30002, busPort: 40002, nodePort: 30004, nodeBusPort: 40004, pid: 2, dir: '', cmdlineMark: '' },
  ],
} as LocalClusterState;

describe('capture port map', () => {
  it('capture: the public leg maps the announced client and bus ports to the node id, or its address before the id is known', () => {
    const m = portMapFromState(state);
    expect([...m.entries()]).toEqual([
      [30001, { node: 'a'.repeat(40), kind: 'client' }],
      [40001, { node: 'a'.repeat(40), kind: 'bus' }],
      [30002, { node: '127.0.0.1:30002', kind: 'client' }],
      [40002, { node: '127.0.0.1:30002', kind: 'bus' }],
    ]);
    expect(bpfFilter(m)).toBe('tcp and (port 30001 or port 30002 or port 40001 or port 40002)');
  });

  it('capture: the node leg maps the ports the nodes themselves listen on', () => {
    expect([...portMapFromState(state, 'node').keys()]).toEqual([30003, 40003, 30004, 40004]);
  });

  it('capture: in a port list, P+10000 next to P is the bus port of the same node', () => {
    const m = portMapFromList('30001, 40001,30002', '10.0.0.1');
    expect(m.get(40001)).toEqual({ node: '10.0.0.1:30001', kind: 'bus' });
    expect(m.get(30002)).toEqual({ node: '10.0.0.1:30002', kind: 'client' });
    expect(() => portMapFromList('30001,x', 'h')).toThrow(/comma-separated list of ports/);
  });
});
