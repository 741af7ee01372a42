import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../cluster/resp/reply.js';
import { parseSlotTokens } from '../cluster/node/migrate-out.js';
import { MigrationError } from './errors.js';
import { GroupTable } from './group-state.js';
import type { NodeLink } from './node-link.js';
import type { MigrationContext } from './protocol.js';
import { formatSlotTokens } from '../cluster/store/slot-tokens.js';
import { sourceProtocol } from './source-protocol.js';

/**
 * The coordinator of `source` against fake nodes that record every call (the nodes'
 * side is cluster/node/migrate-out.test.ts and the system tests): the order of its
 * steps, and what an abort does before and after the destination claimed slots.
 */
function fakeLink(id: string, port: number, calls: string[], fail?: (cmd: string) => MigrationError | undefined): NodeLink {
  return {
    ep: { id, host: '127.0.0.1', port },
    async call(args): Promise<Reply> {
      const cmd = args.map(String).join(' ');
      calls.push(`${id}: ${cmd}`);
      const e = fail?.(cmd);
      if (e) throw e;
      if (cmd.startsWith('KVNETLAB.MIGRATE-OUT GROUP')) return { t: 'int', v: 3 };
      if (cmd.startsWith('KVNETLAB.MIGRATE-OUT STATUS')) return { t: 'bulk', v: Buffer.from('state:paused\r\nforwarded:7\r\nsent:40\r\n') };
      if (cmd.startsWith('CLUSTER GETKEYSINSLOT')) return { t: 'array', v: [] };
      return { t: 'status', v: 'OK' };
    },
    close() {},
  };
}

function context(fail?: (cmd: string) => MigrationError | undefined) {
  const calls: string[] = [];
  const phases: string[] = [];
  const ctx: MigrationContext = {
    source: fakeLink('src', 7001, calls, fail),
    dest: fakeLink('dst', 7002, calls, fail),
    others: [fakeLink('oth', 7003, calls, fail)],
    groups: new GroupTable([10, 11, 12]),
    batchKeys: 50,
    timeoutMs: 1000,
    tally: { keys: 0, forwarded: 0, batches: 0 },
    afterGroup: async () => undefined,
    phase: async (name, fn) => { phases.push(name); return fn({}); },
    log: () => undefined,
  };
  return { ctx, calls, phases };
}

/** Runs the protocol, which must fail, then its abort; `calls` then holds the abort's calls only. */
async function failThenAbort(ctx: MigrationContext, calls: string[]): Promise<void> {
  const e = await sourceProtocol.run(ctx).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(MigrationError);
  calls.length = 0;
  await sourceProtocol.abort(ctx, e);
}

describe('source protocol coordinator', () => {
  it('source: open, copy group by group, then the pause: PAUSE, the destination claims every slot, one HANDOVER, END, then the other masters', async () => {
    const { ctx, calls, phases } = context();
    await sourceProtocol.run(ctx);
    expect(phases).toEqual(['open', 'copy', 'pause']);
    expect(calls).toEqual([
      'dst: KVNETLAB.SETSLOTS IMPORTING src 10-12',
      'src: KVNETLAB.MIGRATE-OUT START 127.0.0.1 7002 TIMEOUT 1000 BATCH 50 SLOTS 10-12',
      'src: KVNETLAB.MIGRATE-OUT GROUP 10', 'src: KVNETLAB.MIGRATE-OUT GROUP 11', 'src: KVNETLAB.MIGRATE-OUT GROUP 12',
      'src: KVNETLAB.MIGRATE-OUT PAUSE 10000',
      'dst: KVNETLAB.SETSLOTS NODE dst 10-12',
      'src: KVNETLAB.MIGRATE-OUT HANDOVER dst 10-12',
      'src: KVNETLAB.MIGRATE-OUT STATUS', 'src: KVNETLAB.MIGRATE-OUT END',
      'oth: KVNETLAB.SETSLOTS NODE dst 10-12',
    ]);
    expect(ctx.tally).toEqual({ keys: 9, forwarded: 7, batches: 3 });
    expect(ctx.groups.counts()).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 3 });
  });

  it('source abort, destination dead during the copy: ABORT at the source, every group back to not-migrated, the dead destination tried once', async () => {
    let dead = false;
    const { ctx, calls } = context((cmd) => {
      if (cmd === 'KVNETLAB.MIGRATE-OUT GROUP 11') dead = true;
      return dead && !cmd.startsWith('KVNETLAB') ? new MigrationError('NODE_UNREACHABLE', 'gone') : dead && cmd.includes('GROUP') ? new MigrationError('STEP_FAILED', 'link failed') : undefined;
    });
    await failThenAbort(ctx, calls);
    // The dead destination does not answer CLUSTER NODES: nothing is cleaned there.
    expect(calls).toEqual(['dst: CLUSTER NODES', 'src: KVNETLAB.MIGRATE-OUT ABORT']);
    expect(ctx.groups.counts()).toEqual({ 'not-migrated': 3, ongoing: 0, migrated: 0 });
  });

  it('source abort after the destination claimed the slots in the pause: they are handed over all the same (the destination has every acknowledged write)', async () => {
    let handovers = 0;
    const { ctx, calls } = context((cmd) => (cmd.startsWith('KVNETLAB.MIGRATE-OUT HANDOVER') && handovers++ === 0 ? new MigrationError('STEP_FAILED', 'refused') : undefined));
    await failThenAbort(ctx, calls);
    expect(calls).toEqual(['dst: CLUSTER NODES', 'src: KVNETLAB.MIGRATE-OUT HANDOVER dst 10-12', 'oth: KVNETLAB.SETSLOTS NODE dst 10-12', 'src: KVNETLAB.MIGRATE-OUT ABORT']);
    expect(ctx.groups.counts()).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 3 });
  });

  it('source abort after a claim whose reply was lost: the destination serves the slots, so they are handed over, and none of its keys is dropped', async () => {
    const { ctx, calls } = context((cmd) => (cmd.startsWith('KVNETLAB.SETSLOTS NODE') ? new MigrationError('NODE_UNREACHABLE', 'reply timed out') : undefined));
    const dest = ctx.dest;
    ctx.dest = {
      ...dest,
      async call(args) {
        // The claim went through before its reply was lost: the destination serves 10-12.
        if (args.join(' ') === 'CLUSTER NODES') {
          calls.push('dst: CLUSTER NODES');
          return { t: 'bulk', v: Buffer.from('dst 127.0.0.1:7002@17002 myself,master - 0 0 2 connected 10-12 5000\n') };
        }
        return dest.call(args);
      },
    };
    await failThenAbort(ctx, calls);
    expect(calls).toEqual(['dst: CLUSTER NODES', 'src: KVNETLAB.MIGRATE-OUT HANDOVER dst 10-12', 'oth: KVNETLAB.SETSLOTS NODE dst 10-12', 'src: KVNETLAB.MIGRATE-OUT ABORT']);
    expect(ctx.groups.counts()).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 3 });
  });

  it('source abort when the destination refused the claim: every group back to the source, the destination forgets IMPORTING', async () => {
    const { ctx, calls } = context((cmd) => (cmd.startsWith('KVNETLAB.SETSLOTS NODE') ? new MigrationError('STEP_FAILED', 'refused') : undefined));
    await failThenAbort(ctx, calls);
    expect(calls.slice(0, 2)).toEqual(['dst: CLUSTER NODES', 'src: KVNETLAB.MIGRATE-OUT ABORT']);
    expect(calls.filter((c) => c.startsWith('dst: CLUSTER SETSLOT'))).toEqual(['dst: CLUSTER SETSLOT 10 STABLE', 'dst: CLUSTER SETSLOT 11 STABLE', 'dst: CLUSTER SETSLOT 12 STABLE']);
    expect(ctx.groups.counts()).toEqual({ 'not-migrated': 3, ongoing: 0, migrated: 0 });
  });

  it('source: START/HANDOVER slot tokens read back as the slots they were made of', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 16383 }), { minLength: 1, maxLength: 300 }), (slots) => {
      expect(parseSlotTokens(formatSlotTokens(slots))).toEqual([...slots].sort((a, b) => a - b));
    }));
  });
});
