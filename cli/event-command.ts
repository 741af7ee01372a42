import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { readTokenFile, ENV_TOKEN } from '../controller/auth.js';
import { readControllerFile } from '../controller/start.js';
import type { EventView } from '../controller/event-log.js';
import { nonNegativeInt, positiveInt } from './options.js';

/**
 * `kvnetlab event <kind>`: POST /events to the controller, then follow GET /events/:id
 * until it ends (unless --no-wait). The URL and token come from the run directory
 * (controller.json, controller.token) unless given. Exit 0 ok, 1 failed or refused.
 */
interface EventFlags {
  dir: string;
  url?: string;
  token?: string;
  node?: string;
  group?: string;
  force?: boolean;
  takeover?: boolean;
  pause?: number;
  method?: string;
  patch?: string;
  from?: string;
  to?: string;
  slots?: string;
  protocol?: string;
  batchKeys?: number;
  wait: boolean;
  timeout: number;
  json?: boolean;
}

interface ApiBody {
  event?: EventView;
  error?: { code: string; message: string };
}

async function api(url: string, method: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: ApiBody }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as ApiBody };
}

function describe(e: EventView, indent = ''): string {
  const ms = e.endMs ? `${e.endMs - e.startMs} ms` : 'running';
  const err = e.error ? ` ${e.error.code}: ${e.error.message}` : '';
  return [`${indent}${e.name} ${e.state} ${ms}${err}`, ...e.phases.map((p) => describe(p, indent + '  '))].join('\n');
}

export const eventCommand = new Command('event')
  .description('run a maintenance event through the controller: live-patch, cp-partial, cp-full, failover, snapshot, kill, restart, migrate')
  .argument('<kind>', 'cp-partial | cp-full | failover | snapshot | kill | restart | live-patch | migrate')
  .option('--node <id>', 'node id, id prefix or client port (failover, snapshot, kill, restart; live-patch: where PATCH LOAD goes, default the first node)')
  .option('--group <id>', 'cp-partial/cp-full: only the group of this master (default: every group)')
  .addOption(new Option('--force', 'failover: CLUSTER FAILOVER FORCE').conflicts('takeover'))
  .option('--takeover', 'failover: CLUSTER FAILOVER TAKEOVER')
  .addOption(new Option('--method <method>', 'live-patch: how the patch spreads').choices(['pull', 'push']))
  .option('--patch <file>', 'live-patch: a signed bundle (kvnetlab patch sign | synth)')
  .option('--pause <ms>', 'cp-*: pause between groups (default: the controller\'s)', nonNegativeInt)
  .option('--from <id>', 'migrate: the source master (id, id prefix or port)')
  .option('--to <id>', 'migrate: the destination master')
  .option('--slots <A-B>', 'migrate: the slot range to move')
  .option('--protocol <p>', 'migrate: redis | source | rocksteady | fulva | proxy (migration/README.md)', 'redis')
  .option('--batch-keys <n>', 'migrate: keys per batch (MIGRATE ... KEYS)', positiveInt)
  .option('--dir <path>', 'run directory (controller.json, controller.token)', 'run/cluster')
  .option('--url <url>', 'controller URL (default: from <dir>/controller.json)')
  .option('--token <token>', `bearer token (default: env ${ENV_TOKEN}, then <dir>/controller.token)`)
  .option('--no-wait', 'return once the event is accepted')
  .option('--timeout <ms>', 'give up following the event after this long', positiveInt, 600_000)
  .option('--json', 'print the final event as JSON')
  .action(async (kind: string, o: EventFlags) => {
    const url = o.url ?? readControllerFile(o.dir)?.url;
    if (!url) throw new Error(`no controller URL: none in ${o.dir}/controller.json (start \`kvnetlab controller --dir ${o.dir}\`) and no --url`);
    const token = o.token ?? process.env[ENV_TOKEN] ?? readTokenFile(o.dir);
    const migrate = kind === 'migrate' ? { from: o.from, to: o.to, slots: o.slots, protocol: o.protocol, batchKeys: o.batchKeys } : {};
    const body = { kind, node: o.node, group: o.group, force: o.force, takeover: o.takeover, pauseMs: o.pause, method: o.method, patch: o.patch ? resolve(o.patch) : undefined, ...migrate };
    const posted = await api(`${url}/events`, 'POST', token, body);
    if (posted.status !== 202) {
      const e = posted.json.error ?? { code: String(posted.status), message: JSON.stringify(posted.json) };
      process.stderr.write(`kvnetlab event: ${e.code} (HTTP ${posted.status}): ${e.message}\n`);
      process.exit(1);
    }
    let ev = posted.json.event!;
    process.stderr.write(`event ${ev.id} ${ev.kind} accepted\n`);
    const deadline = Date.now() + o.timeout;
    while (o.wait && (ev.state === 'accepted' || ev.state === 'running')) {
      if (Date.now() > deadline) throw new Error(`event ${ev.id} still running after ${o.timeout} ms (it goes on in the controller)`);
      await new Promise((r) => setTimeout(r, 250));
      const got = await api(`${url}/events/${ev.id}`, 'GET', undefined);
      if (!got.json.event) throw new Error(`GET /events/${ev.id}: HTTP ${got.status} ${JSON.stringify(got.json)}`);
      ev = got.json.event;
    }
    process.stdout.write(o.json ? JSON.stringify(ev, null, 2) + '\n' : describe(ev) + '\n');
    if (ev.state === 'failed') process.exit(1);
  });
