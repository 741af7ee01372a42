import { describe, expect, it } from 'vitest';
import { ClusterState } from './state.js';
import { F } from './node-flags.js';
import { newClusterNode, randomNodeName } from './cluster-node.js';
import { pickGossip } from './gossip.js';
import { seeded } from '../../test/support/seeded-random.js';

function cluster(n: number): ClusterState {
  const state = new ClusterState();
  for (let i = 1; i < n; i++) state.add(newClusterNode({ name: randomNodeName(), ip: '127.0.0.1', port: 7000 + i, cport: 17000 + i }));
  return state;
}

describe('gossip section', () => {
  it('gossip: a 6-node cluster carries 3 entries (sometimes fewer, like Redis), never ourselves, no duplicates', () => {
    const state = cluster(6);
    const random = seeded(20261121);
    let three = 0;
    for (let round = 0; round < 1000; round++) {
      const picked = pickGossip(state, () => true, random);
      // Redis gives up after 3 x wanted random picks: real 6-node PINGs of 2464 bytes
      // (2 entries) are in the fixtures captured from redis-server 7.0; 1 entry is rarer still.
      expect(picked.length).toBeGreaterThanOrEqual(1);
      expect(picked.length).toBeLessThanOrEqual(3);
      if (picked.length === 3) three++;
      expect(picked).not.toContain(state.myself);
      expect(new Set(picked).size).toBe(picked.length);
    }
    expect(three).toBeGreaterThan(900);
  });

  it('gossip: a 30-node cluster carries max(3, N/10) = 3, a 50-node cluster 5', () => {
    expect(pickGossip(cluster(30), () => true).length).toBe(3);
    expect(pickGossip(cluster(50), () => true).length).toBe(5);
  });

  it('gossip: every PFAIL node is added on top of the random picks', () => {
    const state = cluster(6);
    const suspects = [...state.nodes.values()].filter((n) => n !== state.myself).slice(0, 2);
    for (const s of suspects) s.flags |= F.PFAIL;
    const picked = pickGossip(state, () => true);
    for (const s of suspects) expect(picked).toContain(s);
    // Random picks (at most 3 x wanted tries) skip PFAIL nodes; those come on top.
    expect(picked.length).toBeLessThanOrEqual(5);
  });

  it('gossip: a 2-node cluster carries no entry (N - 2 = 0)', () => {
    expect(pickGossip(cluster(2), () => true).length).toBe(0);
  });
});
