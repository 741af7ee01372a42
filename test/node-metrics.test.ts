import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../cluster/launcher/admin.js';
import { startBareNodes, type BareNodes } from './support/bare-nodes.js';

// Ports of this file: 21951 (node, bus 31951), 21952 (its /metrics).
const PORT = 21951;
const METRICS = 21952;

/** The value of one series from a Prometheus text page. */
function sample(page: string, name: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('node /metrics', () => {
  let nodes: BareNodes;
  beforeAll(async () => {
    nodes = await startBareNodes([PORT], ['--metrics-port', String(METRICS), '--dbfilename', '']);
  }, 30_000);
  afterAll(async () => nodes?.stop());

  it('node: /metrics follows INFO: commands, client bytes, slots-less cluster state', async () => {
    const scrape = async () => (await fetch(`http://127.0.0.1:${METRICS}/metrics`)).text();
    const before = await scrape();
    for (let i = 0; i < 25; i++) await call('127.0.0.1', PORT, ['CLUSTER', 'KEYSLOT', `k${i}`]);
    const after = await scrape();
    // Each `call` is one connection and one command (plus nothing else).
    expect(sample(after, 'kvnetlab_node_commands_total') - sample(before, 'kvnetlab_node_commands_total')).toBe(25);
    expect(sample(after, 'kvnetlab_node_connections_received_total') - sample(before, 'kvnetlab_node_connections_received_total')).toBe(25);
    expect(sample(after, 'kvnetlab_node_net_input_bytes_total')).toBeGreaterThan(sample(before, 'kvnetlab_node_net_input_bytes_total'));
    // A lone node without slots is not ok, and knows only itself.
    expect(sample(after, 'kvnetlab_node_cluster_state_ok')).toBe(0);
    expect(sample(after, 'kvnetlab_node_cluster_known_nodes')).toBe(1);
    expect(after).toMatch(/kvnetlab_node_commands_total\{node="[0-9a-f]{40}",process="node"\}/);
  });
});
