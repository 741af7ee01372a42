import { RequestDecoder } from '../../cluster/resp/request-decoder.js';
import { parseSlotTokens } from '../../cluster/store/slot-tokens.js';
import type { GroupState } from '../../migration/group-state.js';
import type { Dest, ProxyMigration } from './proxy-migration.js';

/**
 * The proxy's control plane, in band on its client port: a connection whose first
 * command is KVNETLAB.PROXY talks to the proxy, never to the node (route/client-switch.ts),
 * and its bytes are channel `migration` (session.ts). The migration coordinator
 * (migration/proxy-protocol.ts) drives it:
 *
 *   KVNETLAB.PROXY MIGRATION OPEN <dest-host> <dest-port> <A-B>   +OK once every client connection is routed
 *   KVNETLAB.PROXY MIGRATION GROUP <slot> ongoing                 +OK once the commands of <slot> already sent to the node are answered
 *   KVNETLAB.PROXY MIGRATION GROUP <slot> migrated                +OK once the reads of <slot> already sent to the node are answered
 *   KVNETLAB.PROXY MIGRATION GROUP <slot> <state> <slot> <state> ... the same for several groups, in order, one reply
 *   KVNETLAB.PROXY MIGRATION HANDEDOVER <slot|a-b> ...            +OK; the destination owns them: no ASKING from now on
 *   KVNETLAB.PROXY MIGRATION CLOSE                                +OK; connections go back to the raw relay as they fall idle
 *   KVNETLAB.PROXY MIGRATION STATUS                               bulk JSON: dest, group counts, routed connections
 *
 * Commands run one at a time, replies in order. A control connection that closes with
 * its migration still open closes it (a coordinator that died must not leave the proxy
 * routing).
 */
export interface RouteControl {
  open(dest: Dest, slots: number[]): Promise<ProxyMigration>;
  current(): ProxyMigration | undefined;
  close(): void;
  status(): Record<string, unknown>;
}

export class ControlConnection {
  private readonly decoder: RequestDecoder;
  private chain: Promise<void> = Promise.resolve();
  /** The migration this connection opened (from the moment OPEN is accepted, before it answers). */
  private mine?: ProxyMigration;

  constructor(private readonly hub: RouteControl, private readonly reply: (b: Buffer) => void, private readonly fail: () => void) {
    this.decoder = new RequestDecoder({
      onCommand: (args) => {
        const words = args.map((a) => a.toString('latin1'));
        this.chain = this.chain.then(() => this.run(words)).then((r) => this.reply(Buffer.from(r)));
      },
      onError: (e) => {
        this.reply(Buffer.from(`-${e.redisMessage}\r\n`));
        this.fail();
      },
    });
  }

  write(chunk: Buffer): void {
    this.decoder.write(chunk);
  }

  closed(): void {
    this.mine?.close();
  }

  private async run(words: string[]): Promise<string> {
    try {
      return await this.command(words);
    } catch (e) {
      return `-ERR ${(e instanceof Error ? e.message : String(e)).replace(/[\r\n]/g, ' ')}\r\n`;
    }
  }

  private async command([name, area, verb, ...rest]: string[]): Promise<string> {
    if (name?.toUpperCase() !== 'KVNETLAB.PROXY' || area?.toUpperCase() !== 'MIGRATION') throw new Error('this connection talks to the proxy: KVNETLAB.PROXY MIGRATION OPEN|GROUP|HANDEDOVER|CLOSE|STATUS');
    const mig = this.hub.current();
    switch (verb?.toUpperCase()) {
      case 'OPEN': {
        const [host, port, range] = rest;
        const m = /^(\d+)-(\d+)$/.exec(range ?? '');
        if (!host || !Number.isInteger(Number(port)) || !m || Number(m[1]) > Number(m[2]) || Number(m[2]) > 16383) throw new Error('OPEN <dest-host> <dest-port> <A-B>');
        const slots = Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
        const before = this.hub.current();
        const opening = this.hub.open({ host, port: Number(port) }, slots);
        // open() registers the migration before it waits for the connections: a coordinator
        // that gives up (closes) while OPEN waits must still close it.
        if (this.hub.current() !== before) this.mine = this.hub.current();
        await opening;
        return '+OK\r\n';
      }
      case 'GROUP': {
        // One or more `<slot> <state>` pairs, applied in order (the coordinator sends
        // "s migrated s+1 ongoing" in one command: one round trip a group).
        if (rest.length === 0 || rest.length % 2 !== 0) throw new Error('GROUP <slot> ongoing|migrated [<slot> ongoing|migrated ...]');
        for (let i = 0; i < rest.length; i += 2) {
          const slot = this.slotOf(mig, rest[i]);
          const to = rest[i + 1] as GroupState;
          if (to !== 'ongoing' && to !== 'migrated') throw new Error('GROUP <slot> ongoing|migrated');
          mig!.set(slot, to);
          // ongoing: writes of the slot already at the node land before the copy reads it;
          // migrated: reads at the node are answered before the coordinator deletes its copies.
          await mig!.drain(slot, to === 'migrated');
        }
        return '+OK\r\n';
      }
      case 'HANDEDOVER': {
        // Slots or `A-B` runs: the coordinator hands groups over in batches.
        const slots = parseSlotTokens(rest.map(String));
        if (!slots || slots.length === 0) throw new Error('HANDEDOVER <slot|a-b> ...');
        for (const slot of slots) this.slotOf(mig, String(slot));
        for (const slot of slots) mig!.handOver(slot);
        return '+OK\r\n';
      }
      case 'CLOSE':
        if (mig && !mig.closed) this.hub.close();
        return '+OK\r\n';
      case 'STATUS': {
        const text = JSON.stringify(this.hub.status());
        return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
      }
      default:
        throw new Error(`unknown verb "${verb ?? ''}": OPEN|GROUP|HANDEDOVER|CLOSE|STATUS`);
    }
  }

  private slotOf(mig: ProxyMigration | undefined, text: string | undefined): number {
    if (!mig || mig.closed) throw new Error('no migration is open');
    const slot = Number(text);
    if (!Number.isInteger(slot) || mig.groups.stateOf(slot) === undefined) throw new Error(`slot ${text ?? ''} is not part of the open migration`);
    return slot;
  }
}
