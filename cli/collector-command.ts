import { portOrZero } from './options.js';
import { Command } from 'commander';
import { startCollector } from '../telemetry/collector.js';
import { DEFAULT_COLLECTOR_PORT, DEFAULT_STORE_DIR } from '../telemetry/open-sink.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

export const collectorCommand = new Command('collector')
  .description('own the chDB data directory and take rows (POST /rows/:table) and SQL (POST /query) over HTTP')
  .option('--dir <path>', 'chDB data directory (one collector per directory)', DEFAULT_STORE_DIR)
  .option('--host <ip>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'HTTP port; 0 = any free port (the URL is written to <dir>/owner.json)', portOrZero, DEFAULT_COLLECTOR_PORT)
  .action(async (o: { dir: string; host: string; port: number }) => {
    const collector = await startCollector({ dir: o.dir, host: o.host, port: o.port, log });
    process.stdout.write(`collector ${collector.url} dir ${o.dir} pid ${process.pid}\n`);
    const shutdown = async (signal: string) => {
      log(`received ${signal}, closing chDB`);
      await collector.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
