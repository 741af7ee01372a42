import { Cluster, Command, Redis } from 'ioredis';

/**
 * Clients for the load generator. Everything goes through ioredis so MOVED/ASK, TRYAGAIN,
 * CLUSTERDOWN and failovers are handled the way applications see them, and counted:
 *
 *   Cluster.sendCommand(cmd) replaces cmd.reject with its redirect handler (cluster/index.js,
 *   "command.reject = function (err) { _this.handleError(err, ttl, {moved, ask, ...}) }").
 *   Every error reply of every attempt passes through that function before ioredis decides
 *   to follow it or to fail the command. CountingCluster wraps it once more, so each
 *   attempt's error is classified against the operation that issued it (its OpTally),
 *   then handed on unchanged: nothing is swallowed or retried by us.
 */
export interface OpTally {
  moved: number;
  ask: number;
  /** TRYAGAIN, CLUSTERDOWN and closed connections that ioredis retried (or then gave up on). */
  retries: number;
}

export type Arg = string | Buffer | number;

export interface KvClient {
  /** Sends one command; the reply is raw (Buffers, arrays of Buffers, numbers, null). */
  call(name: string, args: Arg[], tally: OpTally): Promise<unknown>;
  /** Sum of INFO memory used_memory over the masters (one server when standalone). */
  usedMemory(): Promise<number>;
  close(): Promise<void>;
}

export interface Seed {
  host: string;
  port: number;
}

const tallies = new WeakMap<Command, OpTally>();
const wrapped = new WeakSet<Command>();

export function classify(err: Error, tally: OpTally): void {
  const word = err.message.split(' ', 1)[0];
  if (word === 'MOVED') tally.moved++;
  else if (word === 'ASK') tally.ask++;
  else if (word === 'TRYAGAIN' || word === 'CLUSTERDOWN' || err.message === 'Connection is closed.') tally.retries++;
}

class CountingCluster extends Cluster {
  override sendCommand(command: Command, stream?: never, node?: unknown): unknown {
    const result = super.sendCommand(command, stream, node);
    const tally = tallies.get(command);
    if (tally && !wrapped.has(command)) {
      wrapped.add(command);
      const inner = command.reject;
      command.reject = (err: Error) => {
        classify(err, tally);
        inner.call(command, err);
      };
    }
    return result;
  }
}

function parseUsedMemory(info: string): number {
  const m = /^used_memory:(\d+)/m.exec(info);
  return m ? Number(m[1]) : 0;
}

export async function connectCluster(seeds: Seed[]): Promise<KvClient> {
  const cluster = new CountingCluster(seeds, {
    enableOfflineQueue: true,
    // The defaults (retryDelayOnFailover/ClusterDown/TryAgain = 100 ms, 16 redirections)
    // are what applications run with; kept so the measured cost is the one they see.
    redisOptions: { enableAutoPipelining: false, maxRetriesPerRequest: null },
  });
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('error', (e: Error) => reject(e));
  });
  cluster.on('error', () => undefined); // connection errors surface as failed operations
  return {
    call(name, args, tally) {
      const cmd = new Command(name, args, { replyEncoding: null });
      tallies.set(cmd, tally);
      cluster.sendCommand(cmd);
      return cmd.promise;
    },
    async usedMemory() {
      let sum = 0;
      for (const node of cluster.nodes('master')) sum += parseUsedMemory(await node.info('memory'));
      return sum;
    },
    async close() {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

export async function connectStandalone(seed: Seed): Promise<KvClient> {
  const redis = new Redis({ host: seed.host, port: seed.port, lazyConnect: true, maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  await redis.connect();
  return {
    call(name, args) {
      const cmd = new Command(name, args, { replyEncoding: null });
      redis.sendCommand(cmd);
      return cmd.promise;
    },
    async usedMemory() {
      return parseUsedMemory(await redis.info('memory'));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** One seed that answers `cluster_enabled:0` means a plain server: the bench's redis-server. */
export async function isStandalone(seed: Seed): Promise<boolean> {
  const probe = new Redis({ host: seed.host, port: seed.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return /^cluster_enabled:0/m.test(await probe.info('cluster'));
  } finally {
    probe.disconnect();
  }
}
