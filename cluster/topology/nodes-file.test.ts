import { describe, expect, it } from 'vitest';
import { parseNodesConf, serializeNodesConf } from './nodes-file.js';
import { ClusterConfigError } from './errors.js';
import { F } from './node-flags.js';

// Written by redis-server 7.0.15 for a 3P-1R cluster (captured on this machine).
const REDIS_NODES_CONF = `2c7ba9226a1fbe3dbb1d833d22a1cbb588cef396 127.0.0.1:32005@42005 slave 0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0 1795279997291 1795279995000 2 connected
b0c8222c4d2629c0fd1f6ccd6dcf94cd34bb1a22 127.0.0.1:32004@42004 slave f5672a7058d5171ba6c4d9f61a1d06fd7913f974 0 1795279995000 1 connected
f5672a7058d5171ba6c4d9f61a1d06fd7913f974 127.0.0.1:32001@42001 myself,master - 0 1795279994000 1 connected 0-5460
0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0 127.0.0.1:32002@42002 master - 0 1795279996000 2 connected 5461-10922
210ffa2ab34a46ab14b93b45a96edb1f7afce89c 127.0.0.1:32006@42006 slave f6df3d06373e5890b8814f9d07df115b5cc11757 0 1795279996000 3 connected
f6df3d06373e5890b8814f9d07df115b5cc11757 127.0.0.1:32003@42003 master - 0 1795279996272 3 connected 10923-16383
vars currentEpoch 6 lastVoteEpoch 0
`;

describe('nodes.conf', () => {
  it('nodes.conf: loads a file written by redis-server 7.0 with identity, roles, epochs and slots', () => {
    const state = parseNodesConf(REDIS_NODES_CONF);
    expect(state.myself.name).toBe('f5672a7058d5171ba6c4d9f61a1d06fd7913f974');
    expect(state.myself.flags & F.MYSELF).toBeTruthy();
    expect(state.nodes.size).toBe(6);
    expect(state.currentEpoch).toBe(6n);
    expect(state.slotRanges(state.myself)).toEqual([[0, 5460]]);
    const replica = state.lookup('2c7ba9226a1fbe3dbb1d833d22a1cbb588cef396')!;
    expect(replica.slaveof).toBe('0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0');
    expect(replica.flags & F.SLAVE).toBeTruthy();
    expect(state.assignedSlots()).toBe(16384);
  });

  it('nodes.conf: serialize then parse gives the same nodes, slots and open migrations', () => {
    const state = parseNodesConf(REDIS_NODES_CONF);
    state.migrating.set(100, '0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0');
    state.importing.set(6000, 'f6df3d06373e5890b8814f9d07df115b5cc11757');
    const text = serializeNodesConf(state);
    expect(text).toContain('[100->-0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0]');
    expect(text).toContain('[6000-<-f6df3d06373e5890b8814f9d07df115b5cc11757]');
    const again = parseNodesConf(text);
    expect(serializeNodesConf(again)).toBe(text);
    expect(again.migrating.get(100)).toBe('0de79cf304b7aeadf2e1eb10ce7ea22033c30cb0');
  });

  it('nodes.conf: a file without a myself line is refused with a typed error', () => {
    const text = REDIS_NODES_CONF.replace('myself,master', 'master');
    expect(() => parseNodesConf(text)).toThrow(ClusterConfigError);
  });

  it('nodes.conf: a truncated line is refused, naming the line', () => {
    expect(() => parseNodesConf('f5672a7058d5171ba6c4d9f61a1d06fd7913f974 127.0.0.1:1@2 myself\n')).toThrow(/:1: expected at least 8 fields/);
  });
});
