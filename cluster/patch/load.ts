/**
 * Loading a verified module from its bytes: a `data:` URL import, so no file is written
 * and nothing but the signed bytes runs. The module's default export is a factory
 *
 *   export default function (api) { return { commands: [...], stages: {...} } }
 *
 * called once with a PatchApi (the current command specs and stages to wrap, Redis
 * reply builders). A module that throws while it evaluates, or whose factory throws,
 * is refused (LOAD_FAILED); one whose exports cannot be applied is BAD_MODULE.
 */
import type { CommandSpec } from '../commands/types.js';
import { array, bulk, err, int, status } from '../resp/reply.js';
import type { PatchManifest } from './bundle.js';
import { PatchError } from './errors.js';

export interface PatchApi {
  /** The command spec a patch may wrap (undefined if none has that name). */
  command(name: string): CommandSpec | undefined;
  /** The current implementation of a registered stage. */
  stage(name: string): unknown;
  reply: { bulk: typeof bulk; status: typeof status; err: typeof err; int: typeof int; array: typeof array };
  manifest: PatchManifest;
  codeVersion: string;
}

/** What a loaded patch changes; applied by apply.ts. */
export interface PatchChanges {
  commands: CommandSpec[];
  stages: Record<string, unknown>;
}

export interface LoadTarget {
  lookup(name: string): CommandSpec | undefined;
  stage(name: string): unknown;
  hasStage(name: string): boolean;
}

export const REPLY_HELPERS = { bulk, status, err, int, array };

export async function loadPatch(module: Buffer, manifest: PatchManifest, codeVersion: string, target: LoadTarget): Promise<PatchChanges> {
  let ns: Record<string, unknown>;
  try {
    ns = (await import(`data:text/javascript;base64,${module.toString('base64')}`)) as Record<string, unknown>;
  } catch (e) {
    throw new PatchError('LOAD_FAILED', `patch ${manifest.id} v${manifest.version} threw while loading: ${(e as Error)?.message ?? String(e)}`);
  }
  const factory = ns.default;
  if (typeof factory !== 'function') throw new PatchError('BAD_MODULE', `patch ${manifest.id}: the default export is not a function`);
  const api: PatchApi = { command: (n) => target.lookup(n), stage: (n) => target.stage(n), reply: REPLY_HELPERS, manifest, codeVersion };
  let out: unknown;
  try {
    out = await (factory as (api: PatchApi) => unknown)(api);
  } catch (e) {
    throw new PatchError('LOAD_FAILED', `patch ${manifest.id} v${manifest.version}: its factory threw: ${(e as Error)?.message ?? String(e)}`);
  }
  return checkChanges(out, manifest, target);
}

function checkChanges(out: unknown, manifest: PatchManifest, target: LoadTarget): PatchChanges {
  const o = (out ?? {}) as { commands?: unknown; stages?: unknown };
  const commands = o.commands ?? [];
  const stages = o.stages ?? {};
  if (!Array.isArray(commands)) throw new PatchError('BAD_MODULE', `patch ${manifest.id}: commands is not an array`);
  for (const c of commands as CommandSpec[]) {
    if (typeof c?.name !== 'string' || typeof c.execute !== 'function' || !Number.isInteger(c.arity) || !Array.isArray(c.flags)) {
      throw new PatchError('BAD_MODULE', `patch ${manifest.id}: a command needs name, arity, flags and execute`);
    }
  }
  if (typeof stages !== 'object' || stages === null) throw new PatchError('BAD_MODULE', `patch ${manifest.id}: stages is not an object`);
  for (const name of Object.keys(stages)) {
    if (!target.hasStage(name)) throw new PatchError('BAD_MODULE', `patch ${manifest.id}: no stage named ${name} is registered`);
  }
  return { commands: commands as CommandSpec[], stages: stages as Record<string, unknown> };
}
