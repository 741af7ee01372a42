/**
 * The rows every instrument hands to the telemetry store, one interface per table.
 * This file is the contract between the writers (proxy, capture, loadgen, controller)
 * and the store (telemetry/schema.ts holds the ClickHouse DDL and documents every
 * column). Keep the two in step: a field here is a column there.
 */

/** Which conversation a byte belongs to (DESIGN.md "Measurement definitions"). */
export type Channel = 'client' | 'replication' | 'bus' | 'migration';

/** Relative to `node`: `sent` = bytes the node wrote, `received` = bytes it read. */
export type Direction = 'sent' | 'received';

/** Which instrument measured a traffic row. */
export type TrafficSource = 'proxy' | 'capture';

/** Bytes of one (node, peer, channel, direction, message type) in one 100 ms bucket. */
export interface TrafficRow {
  run_id: string;
  /** Start of the 100 ms bucket, ms since the epoch, a multiple of 100. */
  ts_ms: number;
  source: TrafficSource;
  /** Node name (40-hex cluster node id) or, before the id is known, host:port. */
  node: string;
  /** The other end: a node name for bus/replication, the client's host:port otherwise. */
  peer: string;
  channel: Channel;
  direction: Direction;
  /** Bus message type name (PING, PONG, ..., `unknown`); '' for non-bus channels. */
  msg_type: string;
  /** Application payload bytes (for capture: TCP payload bytes). */
  bytes: number;
  /** Bus frames / packets counted in the bucket; 0 when the channel has no framing. */
  messages: number;
  /** Capture only: bytes on the wire including headers; 0 from the proxy. */
  wire_bytes: number;
  /** Capture only: retransmitted segments; 0 from the proxy. */
  retransmits: number;
}

/** A maintenance event or one of its phases (parent_id links a phase to its event). */
export interface EventRow {
  run_id: string;
  event_id: string;
  parent_id: string;
  kind: string;
  /** Node name the event or phase is about; '' for the whole cluster. */
  node: string;
  start_ms: number;
  /** 0 while the event is still running. */
  end_ms: number;
  status: 'running' | 'ok' | 'failed';
  /** JSON object with the event's parameters and outcome. */
  detail: string;
}

/** What the load generator saw for one operation type in one 100 ms bucket. */
export interface OpsRow {
  run_id: string;
  ts_ms: number;
  op: string;
  ops: number;
  errors: number;
  redirects: number;
  hits: number;
  misses: number;
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
}

/** One measurement run: a scenario, a manual session under `up`, a benchmark. */
export interface RunRow {
  run_id: string;
  started_ms: number;
  /** JSON: topology, flags, versions. */
  detail: string;
  label: string;
}

export interface RowsByTable {
  runs: RunRow;
  traffic: TrafficRow;
  events: EventRow;
  ops: OpsRow;
}
export type TableName = keyof RowsByTable;

/**
 * Where writers put rows. `write` never blocks and never throws: a sink that cannot
 * deliver keeps rows in a bounded buffer and counts what it had to drop (`dropped`).
 */
export interface RowSink {
  write<T extends TableName>(table: T, rows: RowsByTable[T][]): void;
  /** Resolves once everything written so far is stored (or counted as dropped). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Rows that could not be kept, per table: reported, never silent. */
  dropped(): Record<TableName, number>;
}
