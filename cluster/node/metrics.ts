import { Counter, Gauge, type Registry } from 'prom-client';
import { fields } from '../launcher/admin.js';

/**
 * A node's Prometheus metrics (telemetry/METRICS.md). They are read at scrape time from
 * the same INFO fields Redis users already know, so /metrics and INFO never disagree and
 * the command path pays nothing for them.
 */
export interface InfoSource {
  /** INFO text for the given sections (KvNode.info). */
  info(sections: string[]): string;
  /** CLUSTER INFO text (cluster_state, cluster_known_nodes, cluster_current_epoch). */
  clusterInfo(): string;
  /** The node's id, the only label besides `process` (low cardinality). */
  name(): string;
}

/** INFO field -> metric. Counters are Redis' monotonic totals; gauges are levels. */
const COUNTERS: Array<[metric: string, field: string, help: string]> = [
  ['kvnetlab_node_commands_total', 'total_commands_processed', 'commands executed (INFO stats total_commands_processed)'],
  ['kvnetlab_node_connections_received_total', 'total_connections_received', 'client connections accepted'],
  ['kvnetlab_node_net_input_bytes_total', 'total_net_input_bytes', 'bytes read from clients and replication links (not the bus)'],
  ['kvnetlab_node_net_output_bytes_total', 'total_net_output_bytes', 'bytes written to clients and replication links (not the bus)'],
  ['kvnetlab_node_sync_full_total', 'sync_full', 'full resyncs served to replicas'],
  ['kvnetlab_node_sync_partial_ok_total', 'sync_partial_ok', 'partial resyncs accepted'],
  ['kvnetlab_node_sync_partial_err_total', 'sync_partial_err', 'partial resyncs refused (a full one followed)'],
];
const GAUGES: Array<[metric: string, field: string, help: string]> = [
  ['kvnetlab_node_connected_clients', 'connected_clients', 'client connections open now'],
  ['kvnetlab_node_connected_replicas', 'connected_slaves', 'replicas attached to this node'],
  ['kvnetlab_node_repl_offset_bytes', 'master_repl_offset', 'replication offset (master_repl_offset)'],
  ['kvnetlab_node_used_memory_bytes', 'used_memory', 'estimated bytes held by the keyspace'],
  ['kvnetlab_node_cluster_known_nodes', 'cluster_known_nodes', 'nodes in the cluster table'],
  ['kvnetlab_node_cluster_current_epoch', 'cluster_current_epoch', 'currentEpoch'],
];

export function registerNodeMetrics(registry: Registry, node: InfoSource): void {
  // One INFO render per scrape (the collect() calls of one scrape fall within 5 ms).
  let cache: { at: number; fields: Record<string, string> } | undefined;
  const text = (name: string): string | undefined => {
    const now = Date.now();
    if (!cache || now - cache.at > 5) cache = { at: now, fields: { ...fields(node.info(['stats', 'clients', 'replication', 'memory'])), ...fields(node.clusterInfo()) } };
    return cache.fields[name];
  };
  const field = (name: string): number => {
    const v = Number(text(name));
    return Number.isFinite(v) ? v : 0;
  };
  for (const [name, f, help] of COUNTERS) {
    new Counter({
      name, help, labelNames: ['node'], registers: [registry],
      collect() {
        this.reset();
        this.inc({ node: node.name() }, field(f));
      },
    });
  }
  for (const [name, f, help] of GAUGES) {
    new Gauge({ name, help, labelNames: ['node'], registers: [registry], collect() { this.reset(); this.set({ node: node.name() }, field(f)); } });
  }
  new Gauge({
    name: 'kvnetlab_node_cluster_state_ok', help: '1 when cluster_state:ok', labelNames: ['node'], registers: [registry],
    collect() { this.reset(); this.set({ node: node.name() }, text('cluster_state') === 'ok' ? 1 : 0); },
  });
}
