import { Command, InvalidArgumentError, Option } from 'commander';
import { LoadgenError } from '../loadgen/errors.js';
import { type LoadgenConfig, newRunId, runLoadgen } from '../loadgen/main.js';
import { byteSize, count, fraction, oneOf, positiveNumber, seeds } from '../loadgen/options.js';
import { type PresetName, DISTRIBUTIONS, PRESETS, parseDistribution, preset } from '../loadgen/presets.js';
import { formatText } from '../loadgen/summary.js';
import { JsonLinesSink } from '../telemetry/local-sinks.js';
import { openSink, storeAvailable } from '../telemetry/open-sink.js';
import type { RowSink } from '../telemetry/rows.js';
import { TeeSink } from '../telemetry/tee-sink.js';
import { addStoreOptions, storeTarget } from './store-options.js';

/**
 * `kvnetlab loadgen`: YCSB A-F, memtier set/get and cache-aside against a cluster (or one
 * plain redis-server). Preset first, then every flag given overrides its parameter.
 * Usage errors (bad flag values, unknown flags) exit with code 2 and name the flag and
 * what it allows; nothing connects before the flags are valid.
 */
const wrap = <T>(parse: (v: string) => T) => (v: string) => {
  try {
    return parse(v);
  } catch (e) {
    // Commander prints "error: option '--x <v>' argument 'v' is invalid. <this message>".
    throw new InvalidArgumentError(e instanceof LoadgenError && e.allowed ? `Allowed: ${e.allowed}.` : (e as Error).message);
  }
};

/**
 * Where the ops rows go: the telemetry store when one is there (a ClickHouse URL, a
 * collector URL, or a collector owning the store dir, as `kvnetlab up` starts), and the
 * `--out` file when given; both when both. `--no-store` keeps rows out of the store.
 */
function opsSink(o: { store: boolean; out?: string; storeDir?: string; collectorUrl?: string; clickhouseUrl?: string }): { sink: RowSink | undefined; where: string[] } {
  const sinks: RowSink[] = [];
  const where: string[] = [];
  const target = storeTarget(o);
  if (o.store && storeAvailable(target)) {
    const store = openSink(target);
    sinks.push(store);
    where.push(store.location);
  }
  if (o.out) {
    sinks.push(new JsonLinesSink(o.out));
    where.push(o.out);
  }
  return { sink: sinks.length === 0 ? undefined : sinks.length === 1 ? sinks[0] : new TeeSink(sinks), where };
}

export const loadgenCommand = new Command('loadgen')
  .description('drive the cluster with YCSB, memtier-style or cache-aside load; per-100 ms ops rows and a YCSB-like summary')
  .addOption(new Option('--preset <name>', `workload preset: ${PRESETS.join(', ')}`).default('ycsb-a').argParser(wrap(oneOf('--preset', PRESETS))))
  .addOption(new Option('--phase <phase>', 'load, run or both').default('both').argParser(wrap(oneOf('--phase', ['load', 'run', 'both'] as const))))
  .option('--cluster <seeds>', 'seed addresses host:port[,host:port...]', wrap(seeds('--cluster')), [{ host: '127.0.0.1', port: 7001 }])
  .option('--standalone', 'the seed is one plain redis-server (default: detected with INFO cluster)')
  .option('--records <n>', 'record count (recordcount)', wrap(count('--records', 1)))
  .option('--memory <size>', 'load until the masters use this much memory (e.g. 256MiB) instead of a record count', wrap(byteSize('--memory')))
  .option('--operations <n>', 'operations in the run phase (operationcount); 0 = until --duration', wrap(count('--operations')))
  .option('--duration <s>', 'run phase length in seconds; 0 = until --operations', wrap(positiveNumber('--duration', true)))
  .option('--field-count <n>', 'fields per YCSB record', wrap(count('--field-count', 1)))
  .option('--field-length <bytes>', 'bytes per YCSB field', wrap(count('--field-length', 1)))
  .option('--value-size <bytes>', 'bytes per string value (memtier, cache-aside)', wrap(count('--value-size', 1)))
  .option('--distribution <name>', `request distribution: ${DISTRIBUTIONS.join(', ')}`, wrap(parseDistribution))
  .option('--read <p>', 'read proportion (GET for string presets)', wrap(fraction('--read')))
  .option('--update <p>', 'update proportion (SET for string presets)', wrap(fraction('--update')))
  .option('--insert <p>', 'insert proportion', wrap(fraction('--insert')))
  .option('--scan <p>', 'scan proportion', wrap(fraction('--scan')))
  .option('--rmw <p>', 'read-modify-write proportion', wrap(fraction('--rmw')))
  .option('--max-scan-length <n>', 'scan length is uniform in 1..n', wrap(count('--max-scan-length', 1)))
  .option('--hotset-fraction <p>', 'hotspot: fraction of keys that are hot', wrap(fraction('--hotset-fraction')))
  .option('--hot-opn-fraction <p>', 'hotspot: fraction of operations on hot keys', wrap(fraction('--hot-opn-fraction')))
  .option('--miss-delay <ms>', 'cache-aside: wait between a miss and its SET (0 allowed)', wrap(positiveNumber('--miss-delay', true)))
  .option('--connections <n>', 'connections (workers, one operation in flight each)', wrap(count('--connections', 1)), 8)
  .option('--target <ops>', 'open loop at this many ops/s (latency from the intended start); 0 = closed loop', wrap(positiveNumber('--target', true)), 0)
  .option('--seed <n>', 'random seed: same seed, same sequence', wrap(count('--seed')), 1)
  .addOption(new Option('--format <fmt>', 'summary format: text or json').default('text').argParser(wrap(oneOf('--format', ['text', 'json'] as const))))
  .option('--json', 'same as --format json')
  .option('--out <file>', 'append the ops rows (per 100 ms, per op type) as JSON lines to this file')
  .option('--run-id <id>', 'run id of the rows (default: generated)')
  .option('--quiet', 'no progress line on stderr')
  .option('--verify', 'remember every acknowledged write and read it back at the end: report lost and stale writes')
  .option('--no-store', 'do not send the ops rows to the telemetry store even when one is running')
  .exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    // Usage errors are exit code 2 (like getopt tools); commander's default is 1.
    process.exit(2);
  })
  .action(async (o) => {
    const spec = preset(o.preset as PresetName);
    if (o.records !== undefined) spec.recordCount = o.records;
    if (o.operations !== undefined) spec.operationCount = o.operations;
    if (o.duration !== undefined) spec.durationS = o.duration;
    if (o.operations !== undefined && o.duration === undefined && o.operations > 0) spec.durationS = 0;
    if (o.duration !== undefined && o.operations === undefined && o.duration > 0) spec.operationCount = 0;
    if (o.fieldCount !== undefined) spec.fieldCount = o.fieldCount;
    if (o.fieldLength !== undefined) spec.fieldLength = o.fieldLength;
    if (o.valueSize !== undefined) spec.valueSize = o.valueSize;
    if (o.distribution !== undefined) spec.distribution = o.distribution;
    for (const k of ['read', 'update', 'insert', 'scan', 'rmw'] as const) if (o[k] !== undefined) spec.proportions[k] = o[k];
    if (o.maxScanLength !== undefined) spec.maxScanLength = o.maxScanLength;
    if (o.hotsetFraction !== undefined) spec.hotsetFraction = o.hotsetFraction;
    if (o.hotOpnFraction !== undefined) spec.hotOpnFraction = o.hotOpnFraction;
    if (o.missDelay !== undefined) spec.missDelayMs = o.missDelay;
    const tty = process.stderr.isTTY;
    // First Ctrl-C: finish the operations in flight and print the summary; second: exit now.
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\nkvnetlab loadgen: stopping (Ctrl-C again to abort)\n');
    };
    process.on('SIGINT', onSigint);
    const config: LoadgenConfig = {
      spec,
      phase: o.phase,
      seeds: o.cluster,
      standalone: o.standalone ? true : undefined,
      connections: o.connections,
      target: o.target,
      seed: o.seed,
      memoryBytes: o.memory ?? 0,
      runId: o.runId ?? newRunId(),
      out: null,
      sink: undefined as RowSink | undefined,
      stopped: () => interrupted,
      verify: Boolean(o.verify),
      progress: (line, done) => {
        if (o.quiet) return;
        process.stderr.write(tty ? `\r${line}${done ? '\n' : ''}` : `${line}\n`);
      },
    };
    const { sink, where } = opsSink(o);
    config.sink = sink;
    if (!o.quiet) process.stderr.write(`kvnetlab loadgen: run ${config.runId}, ops rows to ${where.length ? where.join(' and ') : 'nowhere (no store running, no --out)'}\n`);
    try {
      const summary = await runLoadgen(config).finally(async () => {
        if (!sink) return;
        await sink.close();
        const lost = Object.entries(sink.dropped()).filter(([, n]) => n > 0);
        if (lost.length) process.stderr.write(`kvnetlab loadgen: rows the store could not keep: ${lost.map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
      });
      process.stdout.write(o.json || o.format === 'json' ? JSON.stringify(summary, null, 2) + '\n' : formatText(summary));
    } catch (e) {
      if (e instanceof LoadgenError && e.code === 'BAD_FLAG') {
        process.stderr.write(`kvnetlab loadgen: error: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });

addStoreOptions(loadgenCommand);
