import { describe, expect, it } from 'vitest';
import { routeCommand } from './routing.js';
import { ClusterState } from '../topology/state.js';
import { newClusterNode } from '../topology/cluster-node.js';
import { F } from '../topology/node-flags.js';
import type { ClientState, CommandSpec } from '../commands/types.js';
import { OK } from '../resp/reply.js';

const get: CommandSpec = { name: 'get', arity: 2, flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1, execute: () => OK };
const set: CommandSpec = { name: 'set', arity: -3, flags: ['write'], firstKey: 1, lastKey: 1, step: 1, execute: () => OK };
const mget: CommandSpec = { name: 'mget', arity: -2, flags: ['readonly'], firstKey: 1, lastKey: -1, step: 1, execute: () => OK };
const ping: CommandSpec = { name: 'ping', arity: -1, flags: [], firstKey: 0, lastKey: 0, step: 0, execute: () => OK };

const client = (over: Partial<ClientState> = {}): ClientState => ({
  id: 1, name: '', resp: 2, asking: false, readonly: false, addr: '', laddr: '', createdAt: 0, lastCommand: '', closeAfterReply: false, ...over,
});
const args = (...a: string[]) => a.map((x) => Buffer.from(x));

// "foo" hashes to slot 12182, "bar" to 5061 (CLUSTER KEYSLOT in Redis).
function twoNodes() {
  const state = new ClusterState();
  const other = newClusterNode({ name: 'b'.repeat(40), ip: '127.0.0.1', port: 7001, cport: 17001 });
  state.add(other);
  for (let s = 0; s < 8192; s++) state.assignSlot(s, state.myself);
  for (let s = 8192; s < 16384; s++) state.assignSlot(s, other);
  state.updateHealth();
  return { state, other };
}

describe('routing (getNodeByQuery)', () => {
  it('routing: serves keys of its own slots and commands without keys', () => {
    const { state } = twoNodes();
    expect(routeCommand(state, get, args('get', 'bar'), client(), () => true)).toBeNull();
    expect(routeCommand(state, ping, args('ping'), client(), () => true)).toBeNull();
  });

  it('routing: answers MOVED with the owner announced address', () => {
    const { state } = twoNodes();
    expect(routeCommand(state, get, args('get', 'foo'), client(), () => true)).toEqual({ t: 'error', v: 'MOVED 12182 127.0.0.1:7001' });
  });

  it('routing: refuses keys of different slots with CROSSSLOT, accepts hash tags', () => {
    const { state } = twoNodes();
    expect(routeCommand(state, mget, args('mget', 'bar', 'foo'), client(), () => true)).toEqual({
      t: 'error',
      v: "CROSSSLOT Keys in request don't hash to the same slot",
    });
    expect(routeCommand(state, mget, args('mget', '{bar}1', '{bar}2'), client(), () => true)).toBeNull();
  });

  it('routing: a migrating slot answers ASK for missing keys and serves existing ones', () => {
    const { state, other } = twoNodes();
    state.migrating.set(5061, other.name);
    expect(routeCommand(state, get, args('get', 'bar'), client(), () => false)).toEqual({ t: 'error', v: 'ASK 5061 127.0.0.1:7001' });
    expect(routeCommand(state, get, args('get', 'bar'), client(), () => true)).toBeNull();
  });

  it('routing: an importing slot serves only ASKING clients, TRYAGAIN for multi-key with missing keys', () => {
    const { state, other } = twoNodes();
    state.importing.set(12182, other.name);
    expect(routeCommand(state, get, args('get', 'foo'), client(), () => true)).toEqual({ t: 'error', v: 'MOVED 12182 127.0.0.1:7001' });
    expect(routeCommand(state, get, args('get', 'foo'), client({ asking: true }), () => true)).toBeNull();
    expect(routeCommand(state, mget, args('mget', '{foo}a', '{foo}b'), client({ asking: true }), () => false)).toEqual({
      t: 'error',
      v: 'TRYAGAIN Multiple keys request during rehashing of slot',
    });
  });

  it('routing: unassigned slot and a failed cluster answer CLUSTERDOWN', () => {
    const { state } = twoNodes();
    state.unassignSlot(5061);
    expect(routeCommand(state, get, args('get', 'bar'), client(), () => true)).toEqual({ t: 'error', v: 'CLUSTERDOWN Hash slot not served' });
    state.updateHealth();
    expect(routeCommand(state, set, args('set', '{bar}x', 'v'), client(), () => true)).toEqual({ t: 'error', v: 'CLUSTERDOWN Hash slot not served' });
    expect(routeCommand(state, get, args('get', 'baz'), client(), () => true)).toEqual({ t: 'error', v: 'CLUSTERDOWN The cluster is down' });
  });

  it('routing: a READONLY client reads from a replica of the owner; writes are still MOVED', () => {
    const { state, other } = twoNodes();
    for (let s = 0; s < 8192; s++) state.unassignSlot(s);
    for (let s = 0; s < 8192; s++) state.assignSlot(s, other);
    state.myself.flags = F.MYSELF | F.SLAVE;
    state.myself.slaveof = other.name;
    state.updateHealth();
    expect(routeCommand(state, get, args('get', 'foo'), client({ readonly: true }), () => true)).toBeNull();
    expect(routeCommand(state, set, args('set', 'foo', 'v'), client({ readonly: true }), () => true)).toEqual({ t: 'error', v: 'MOVED 12182 127.0.0.1:7001' });
  });
});
