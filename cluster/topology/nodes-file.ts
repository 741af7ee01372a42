import { existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { F, flagsFromString } from './node-flags.js';
import { newClusterNode } from './cluster-node.js';
import { ClusterState } from './state.js';
import { type LinkView, nodeLine } from './describe.js';
import { ClusterConfigError } from './errors.js';

/**
 * nodes.conf in Redis' own format (cluster.c clusterSaveConfig / clusterLoadConfig):
 * one CLUSTER NODES line per node, then `vars currentEpoch N lastVoteEpoch M`.
 * It is what lets a restarted node rejoin with its identity, epochs and slots, and
 * it stays readable by people who know Redis.
 */

const NO_LINKS: LinkView = { connected: () => false };

export function serializeNodesConf(state: ClusterState): string {
  let out = '';
  for (const node of state.nodes.values()) out += nodeLine(state, node, NO_LINKS) + '\n';
  out += `vars currentEpoch ${state.currentEpoch} lastVoteEpoch ${state.lastVoteEpoch}\n`;
  return out;
}

/** Write-then-rename with fsync, so a crash leaves the old file or the new one. */
export function saveNodesConf(path: string, state: ClusterState): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeNodesConf(state));
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  state.dirty = false;
}

/** Parses nodes.conf; returns undefined when the file does not exist (a fresh node). */
export function loadNodesConf(path: string): ClusterState | undefined {
  if (!existsSync(path)) return undefined;
  return parseNodesConf(readFileSync(path, 'utf8'), path);
}

export function parseNodesConf(text: string, where = 'nodes.conf'): ClusterState {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const bad = (n: number, why: string) =>
    new ClusterConfigError('NODES_CONF_CORRUPT', `${where}:${n + 1}: ${why}`);
  let state: ClusterState | undefined;
  const pending: Array<{ name: string; slaveof: string | null; slots: string[] }> = [];
  const nodes = new Map<string, ReturnType<typeof newClusterNode>>();
  let vars: string[] | undefined;

  lines.forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'vars') {
      vars = f;
      return;
    }
    if (f.length < 8) throw bad(i, `expected at least 8 fields, got ${f.length}`);
    const [name, addr, flagText, master, pingSent, pong, epoch] = f;
    if (!/^[0-9a-f]{40}$/.test(name)) throw bad(i, `bad node name '${name}'`);
    const m = /^(.*):(\d+)@(\d+)(?:,.*)?$/.exec(addr);
    if (!m) throw bad(i, `bad address '${addr}'`);
    const flags = flagsFromString(flagText);
    const node = newClusterNode({
      name,
      ip: m[1],
      port: Number(m[2]),
      cport: Number(m[3]),
      // A node loaded from disk has not been heard from yet: PFAIL/FAIL are kept,
      // HANDSHAKE nodes are dropped like Redis does on load.
      flags: flags & ~F.MYSELF,
      configEpoch: BigInt(epoch),
      pingSent: 0,
      pongReceived: 0,
    });
    void pingSent;
    void pong;
    if (flags & F.HANDSHAKE) return;
    nodes.set(name, node);
    if (flags & F.MYSELF) {
      node.flags |= F.MYSELF;
      state = new ClusterState(node);
    }
    pending.push({ name, slaveof: master === '-' ? null : master, slots: f.slice(8) });
  });
  if (!state) throw new ClusterConfigError('NODES_CONF_NO_MYSELF', `${where}: no line is flagged myself`);
  for (const node of nodes.values()) if (node !== state.myself) state.add(node);

  for (const { name, slaveof, slots } of pending) {
    const node = nodes.get(name)!;
    node.slaveof = slaveof;
    for (const spec of slots) {
      const open = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(spec);
      if (open) {
        const slot = Number(open[1]);
        if (open[2] === '>') state.migrating.set(slot, open[3]);
        else state.importing.set(slot, open[3]);
        continue;
      }
      const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
      if (!range) throw bad(0, `bad slot spec '${spec}' for ${name}`);
      const a = Number(range[1]);
      const b = range[2] === undefined ? a : Number(range[2]);
      if (a > b || b >= 16384) throw bad(0, `slot range out of bounds '${spec}'`);
      for (let s = a; s <= b; s++) state.assignSlot(s, node);
    }
  }
  if (vars) {
    for (let j = 1; j + 1 < vars.length; j += 2) {
      if (vars[j] === 'currentEpoch') state.currentEpoch = BigInt(vars[j + 1]);
      if (vars[j] === 'lastVoteEpoch') state.lastVoteEpoch = BigInt(vars[j + 1]);
    }
  }
  state.dirty = false;
  return state;
}
