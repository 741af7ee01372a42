import { resolve } from 'node:path';
import { readState } from '../cluster/launcher/state-file.js';
import { CaptureError } from './errors.js';
import { type Leg, type PortMap, portMapFromList, portMapFromState } from './port-map.js';

/**
 * Where the port map comes from: `auto` reads <dir>/cluster.json; while a node's id is
 * not in it yet (up writes the ids after the nodes answer), the map is read again at
 * most every `reloadMs`, so rows get the node ids the proxies use as soon as they exist.
 */
export interface PortsSource {
  ports: () => PortMap;
  /** Whether every node of the map is named by its id yet (rows wait a little for it). */
  complete: () => boolean;
  runId?: string;
  describe: string;
}

export function portsSource(spec: string, dir: string, leg: Leg, host: string, reloadMs = 200): PortsSource {
  if (spec !== 'auto') {
    const fixed = portMapFromList(spec, host);
    return { ports: () => fixed, complete: () => true, describe: `ports ${spec}` };
  }
  const file = resolve(dir, 'cluster.json');
  const load = () => {
    const state = readState(resolve(dir));
    if (!state) throw new CaptureError('CAPTURE_NO_PORTS', `--ports auto: no cluster state at ${file} (start one with \`kvnetlab up --dir ${dir}\`, or give --ports)`);
    return state;
  };
  const first = load();
  let map = portMapFromState(first, leg);
  let complete = first.nodes.every((n) => n.id !== '');
  let loadedAt = Date.now();
  return {
    runId: first.runId,
    describe: `the ${leg} ports of ${file}`,
    complete: () => complete,
    ports: () => {
      if (!complete && Date.now() - loadedAt >= reloadMs) {
        loadedAt = Date.now();
        try {
          const s = load();
          map = portMapFromState(s, leg);
          complete = s.nodes.every((n) => n.id !== '');
        } catch {
          // mid-write: keep the last map
        }
      }
      return map;
    },
  };
}
