import type { FastifyPluginAsync } from 'fastify';
import { callText, fields } from '../../cluster/launcher/admin.js';
import { isAlive } from '../../cluster/launcher/processes.js';
import { type NodesLine, liveView, readCluster } from '../cluster.js';

/**
 * GET /cluster: the launcher's state file joined with CLUSTER NODES of the first node
 * that answers, plus each node's own cluster_state. Read-only: no token.
 */
export interface ClusterPluginOptions {
  runDir: string;
}

export const clusterPlugin: FastifyPluginAsync<ClusterPluginOptions> = async (app, o) => {
  app.get('/cluster', async () => {
    const file = readCluster(o.runDir);
    const view = await liveView(file);
    const line = (id: string): NodesLine | undefined => view?.lines.find((l) => l.id === id);
    const nodes = await Promise.all(file.nodes.map(async (n) => {
      const l = line(n.id);
      let state = 'unreachable';
      try {
        state = fields(await callText(file.host, n.port, ['CLUSTER', 'INFO'])).cluster_state ?? 'unknown';
      } catch {
        // down: say so
      }
      return {
        id: n.id, port: n.port, busPort: n.busPort, pid: n.pid, running: isAlive(n.pid, n.cmdlineMark),
        role: l?.role ?? 'unknown', master: l?.masterId ?? '', flags: l?.flags.filter((f) => f !== 'myself') ?? [],
        slots: l?.slots ?? [], cluster_state: state,
      };
    }));
    return { kind: file.kind, host: file.host, seen_from: view?.from.port ?? null, nodes };
  });
};
