import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../telemetry/clickhouse-store.js';
import { StoreError } from '../telemetry/errors.js';
import { openSink } from '../telemetry/open-sink.js';
import { queryRows } from '../telemetry/store.js';
import { runCli } from './support/run-cli.js';
import { sumOf, trafficRows } from './support/telemetry-rows.js';

/**
 * The HTTP transport against a real ClickHouse server: Debian's clickhouse-server 18.16,
 * started here with a temporary config and data directory on 127.0.0.1.
 */
const SERVER = '/usr/sbin/clickhouse-server';
const HTTP_PORT = 22540; // this helper's range: 22501-22599
const TCP_PORT = 22541;
const URL_ = `http://127.0.0.1:${HTTP_PORT}`;

function writeConfig(dir: string): string {
  writeFileSync(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?><yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>`,
  );
  const config = join(dir, 'config.xml');
  writeFileSync(
    config,
    `<?xml version="1.0"?><yandex>
<logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
<http_port>${HTTP_PORT}</http_port><tcp_port>${TCP_PORT}</tcp_port><listen_host>127.0.0.1</listen_host>
<path>${dir}/data/</path><tmp_path>${dir}/tmp/</tmp_path><user_files_path>${dir}/user_files/</user_files_path>
<format_schema_path>${dir}/format_schemas/</format_schema_path>
<users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
<mark_cache_size>268435456</mark_cache_size><max_concurrent_queries>20</max_concurrent_queries></yandex>`,
  );
  return config;
}

async function waitReady(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${URL_}/ping`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`clickhouse-server did not answer on ${URL_} in ${timeoutMs} ms`);
}

describe.skipIf(!existsSync(SERVER))("ClickHouse server (Debian's 18.16) over HTTP", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-ch-'));
  const config = writeConfig(dir);
  let server: ChildProcess | undefined;
  const start = async () => {
    server = spawn(SERVER, [`--config-file=${config}`], { cwd: dir, stdio: 'ignore' });
    await waitReady();
  };
  const stop = async () => {
    const s = server;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM');
    const timer = setTimeout(() => s.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  beforeAll(start);
  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const createTraffic = async (store: ClickHouseStore) => {
    // 18.16 cannot run the kvnetlab schema (see below): same column names, older types.
    await store.query(`CREATE TABLE IF NOT EXISTS traffic (run_id String, ts_ms UInt64, source String, node String, peer String,
      channel String, direction String, msg_type String, bytes UInt64, messages UInt64, wire_bytes UInt64, retransmits UInt64)
      ENGINE = MergeTree ORDER BY (run_id, ts_ms)`);
  };

  const storedSums = async (runId: string) => {
    const store = await ClickHouseStore.open({ url: URL_, createSchema: false });
    try {
      const [r] = await queryRows<{ n: string; b: string }>(store, `SELECT count() AS n, sum(bytes) AS b FROM traffic WHERE run_id = '${runId}'`);
      return { n: Number(r!.n), b: Number(r!.b) };
    } finally {
      await store.close();
    }
  };

  it('clickhouse server: @clickhouse/client talks to 18.16 (version, DDL, gzip bodies both ways) and sends no dedup token there', async () => {
    const logs: string[] = [];
    const store = await ClickHouseStore.open({ url: URL_, createSchema: false, log: (l) => logs.push(l) });
    try {
      expect(store.version).toMatch(/^18\.16\./);
      expect(logs.join('\n')).toContain('has no insert_deduplication_token (needs >= 22.2): retries are at-least-once');
      await createTraffic(store);
      expect(await store.query("SELECT name FROM system.tables WHERE name = 'traffic'", 'TabSeparated')).toBe('traffic\n');
    } finally {
      await store.close();
    }
  });

  it('clickhouse server: openSink with a server URL stores traffic rows with exact sums', async () => {
    const sink = openSink({ clickhouseUrl: URL_, createSchema: false, batchRows: 1_000, log: () => {} });
    const rows = trafficRows('run-ch', 5_500, 21);
    sink.write('traffic', rows);
    await sink.close();
    expect(sink.dropped().traffic).toBe(0);
    expect(await storedSums('run-ch')).toEqual({ n: rows.length, b: sumOf(rows, (x) => x.bytes) });
  });

  it('sql: queries the ClickHouse server given by --clickhouse-url and prints a table', async () => {
    const r = await runCli(['sql', '--clickhouse-url', URL_, "SELECT count() AS n FROM traffic WHERE run_id = 'run-ch'"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('   n\n----\n5500\n(1 row)\n');
  });

  it('clickhouse server: rows written while the server is down are buffered and delivered after it restarts', async () => {
    await stop();
    const logs: string[] = [];
    const sink = openSink({ clickhouseUrl: URL_, createSchema: false, batchRows: 1_000, log: (l) => logs.push(l) });
    const rows = trafficRows('run-ch-down', 3_000, 22);
    sink.write('traffic', rows);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sink.buffered().traffic).toBe(3_000);
    await start();
    await sink.close();
    expect(sink.dropped().traffic).toBe(0);
    expect(logs.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
    expect(await storedSums('run-ch-down')).toEqual({ n: rows.length, b: sumOf(rows, (x) => x.bytes) });
  });

  it('clickhouse server: what 18.16 refuses: the insert_deduplication_token setting and the kvnetlab schema (DateTime64)', async () => {
    const client = createClient({ url: URL_, log: { level: ClickHouseLogLevel.OFF } });
    try {
      const err = (await client
        .insert({ table: 'traffic', values: [{ run_id: 'x' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'x' } })
        .then(() => undefined, (e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain('Unknown setting insert_deduplication_token');
    } finally {
      await client.close();
    }
    const schemaErr = (await ClickHouseStore.open({ url: URL_, createSchema: true }).catch((e: unknown) => e)) as StoreError;
    expect(schemaErr).toBeInstanceOf(StoreError);
    expect(schemaErr.code).toBe('STORE_REJECTED');
    expect(schemaErr.message).toContain('Unknown data type family: DateTime64');
  });
});
