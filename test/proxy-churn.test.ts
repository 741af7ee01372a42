import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, waitFor } from '../cluster/launcher/admin.js';
import { isAlive, kvnetlabCli, spawnDetached, stopProcess } from '../cluster/launcher/processes.js';

/*
 * 10,000 short client connections through a `kvnetlab proxy` process in front of a
 * redis-server: afterwards the proxy holds no extra file descriptor and no growing
 * memory. Ports: redis 22462, proxy 22461, its /metrics 22463.
 */
const REDIS = 22462;
const PROXY = 22461;
const METRICS = 22463;

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${METRICS}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels));
  return Number(line?.split(' ').at(-1));
}

/** `count` connections, `parallel` at a time: connect, PING, read +PONG, close. */
async function churn(count: number, parallel: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ port: PROXY, host: '127.0.0.1' });
        s.setTimeout(5000, () => reject(new Error('timeout')));
        s.on('error', reject);
        s.once('data', () => s.end());
        s.on('close', () => resolve());
        s.write('PING\r\n');
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe('proxy under connection churn', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-churn-'));
  let redisPid = 0;
  let proxyPid = 0;
  beforeAll(async () => {
    redisPid = spawnDetached('redis-server', ['--port', String(REDIS), '--save', '', '--appendonly', 'no', '--proc-title-template', '{title} --port {port}'], dir, join(dir, 'redis.log'));
    proxyPid = spawnDetached(
      process.execPath,
      // A small old space: a proxy that kept anything per connection would run out of
      // heap over these 30,000 connections and die, which the test sees; RSS alone is a
      // noisy witness on a busy machine (V8 and malloc keep freed pages).
      ['--max-old-space-size=48', kvnetlabCli(), 'proxy', '--listen-port', String(PROXY), '--no-bus', '--node-port', String(REDIS),
        // Rows to a file: the memory sink keeps every row by design (one client row per
        // connection), which is retention, not a leak.
        '--sink', 'jsonl', '--out', join(dir, 'traffic.jsonl'), '--metrics-port', String(METRICS)],
      dir,
      join(dir, 'proxy.log'),
    );
    await waitFor('redis through the proxy', 20_000, async () => (await callText('127.0.0.1', PROXY, ['PING'])) === 'PONG');
  }, 30_000);
  afterAll(async () => {
    await stopProcess(proxyPid, `--listen-port ${PROXY}`);
    await stopProcess(redisPid, `--port ${REDIS}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('proxy: 30,000 short client connections leave no file descriptors or memory behind, in a 48 MB heap', async () => {
    // Warm-up with the same load: V8 grows its heap to a working size once; a leak
    // would keep growing with every further connection.
    await churn(10_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    const fd0 = fds(proxyPid);
    const rss0 = rssKiB(proxyPid);
    const t0 = Date.now();
    await churn(20_000, 50);
    const seconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    const fd1 = fds(proxyPid);
    const rss1 = rssKiB(proxyPid);
    const open = await metric('kvnetlab_proxy_connections', 'listener="client"');
    const accepted = await metric('kvnetlab_proxy_connections_accepted_total', 'listener="client"');
    console.log(`churn: 20,000 connections in ${seconds.toFixed(1)} s; proxy fds ${fd0} -> ${fd1}, RSS ${rss0} -> ${rss1} KiB, open ${open}, accepted ${accepted}`);
    expect(fd1).toBeLessThanOrEqual(fd0);
    expect(open).toBe(0);
    expect(accepted).toBeGreaterThanOrEqual(30_000);
    expect(isAlive(proxyPid, `--listen-port ${PROXY}`)).toBe(true);
    // 20,000 connections: even 1 KiB kept per connection would be 20 MiB more.
    expect(rss1 - rss0).toBeLessThan(32 * 1024);
  }, 120_000);
});
