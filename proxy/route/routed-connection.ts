import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { encodeCommand } from '../../cluster/resp/encode.js';
import { RequestDecoder } from '../../cluster/resp/request-decoder.js';
import { commandSlot } from './key-slot.js';
import type { Dest, ProxyMigration } from './proxy-migration.js';
import { ReplyScanner, isNilReply } from './reply-scanner.js';

/**
 * One client connection of the proxy in front of a migration's source, while the
 * migration is open: each command is parsed and routed by its key's group (NetMigrate's
 * switch, DESIGN.md "Migration protocols"):
 *
 *   not-migrated, no key, not a client's   -> the node, as the raw relay would
 *   ongoing   SET k v (no options)          -> the destination (ASKING first)
 *             GET k                        -> the node and the destination; the destination's reply wins unless nil
 *             anything else                -> held until the group is migrated, then the destination;
 *                                             later commands of the connection wait behind it (its order is kept)
 *   migrated                               -> the destination (ASKING until it owns the slot)
 *
 *   client ──cmds──> decoder ──route──┬──> node (upstream)      ──replies──> nodeQ ──┐
 *                                     └──> dest (its proxy)     ──replies──> destQ ──┴─> clientQ (command order) ──> client
 *
 * Replies go back in command order (clientQ), whichever side answers first. A connection
 * taken over mid-life first sends `ECHO <random token>` to the node: replies before that
 * token's echo belong to commands relayed raw before the switch and pass through as they
 * are; the echo itself is dropped. Only whole-value writes go to the destination while a
 * group is ongoing: the copy never overwrites (RESTORE without REPLACE), so a partial
 * update (APPEND, HSET, SET NX) there would make the copy skip the key.
 *
 * PSYNC/SYNC, (P|S)SUBSCRIBE and MONITOR turn the connection back into a raw relay (their
 * replies are streams, not one reply per command); MULTI ... EXEC goes to the node whole.
 */
export interface RoutedHooks {
  toClient(b: Buffer): void;
  /** Writes to the node (upstream) and counts the bytes there. */
  toNode(b: Buffer): void;
  /** The session's channel classification sees every command (HELLO, CLIENT SETNAME, REPLCONF). */
  observe(args: Buffer[]): void;
  /** A client's connection (not a replica's, not the migration's own): only those are routed. */
  isClient(): boolean;
  connectDest(dest: Dest): Duplex;
  /** Idle after the migration closed (or a stream command): the session relays raw again. */
  reverted(forever: boolean): void;
  /** The client sent bytes that are not RESP: the error was written, close the connection. */
  fail(): void;
  log(line: string): void;
}

type Route = 'node' | 'dest' | 'both' | 'hold';
interface Entry {
  kind: 'node' | 'dest' | 'both' | 'marker';
  node?: Buffer;
  dest?: Buffer;
  settle?: () => void;
}

const STREAMING = new Set(['PSYNC', 'SYNC', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'MONITOR']);
const ASKING = encodeCommand(['ASKING']);
const EMPTY = Buffer.alloc(0);

export interface RouteCounters {
  toNode: number;
  toDest: number;
  /** Reads sent to both (the destination's leg is the protocol's extra client traffic). */
  both: number;
  held: number;
}

export class RoutedConnection {
  readonly counters: RouteCounters = { toNode: 0, toDest: 0, both: 0, held: 0 };
  /** Resolves once every reply to commands relayed before the switch has passed (the token's echo is in). */
  readonly ready: Promise<void>;
  private readonly decoder: RequestDecoder;
  private readonly nodeReplies: ReplyScanner;
  private readonly clientQ: Entry[] = [];
  private readonly nodeQ: Entry[] = [];
  /** null: the reply to an ASKING, dropped. */
  private destQ: Array<Entry | null> = [];
  private dest?: Duplex;
  private readonly held: Buffer[][] = [];
  private marker?: { entry: Entry; echo: Buffer; tail: Buffer; resolve(): void };
  private inMulti = false;
  private passthrough = false;
  private flushing = false;
  private finished = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly mig: ProxyMigration, private readonly h: RoutedHooks, takenOver: boolean) {
    this.decoder = new RequestDecoder({
      onCommand: (args) => this.command(args),
      onError: (e) => {
        h.toClient(Buffer.from(`-${e.redisMessage}\r\n`));
        h.fail();
      },
    });
    this.nodeReplies = new ReplyScanner({ onReply: (r) => this.nodeReply(r), onError: () => h.fail() });
    this.unsubscribe = mig.subscribe(() => this.pump());
    if (!takenOver) {
      this.ready = Promise.resolve();
      return;
    }
    const token = `kvnetlab-route-${randomBytes(12).toString('hex')}`;
    const entry: Entry = { kind: 'marker' };
    this.clientQ.push(entry);
    this.ready = new Promise((resolve) => {
      this.marker = { entry, echo: Buffer.from(`$${token.length}\r\n${token}\r\n`), tail: EMPTY, resolve };
    });
    h.toNode(encodeCommand(['ECHO', token]));
  }

  /** Bytes from the client. */
  fromClient(chunk: Buffer): void {
    this.decoder.write(chunk);
    this.pump();
  }

  /** Bytes from the node. */
  fromNode(chunk: Buffer): void {
    if (this.passthrough) return this.h.toClient(chunk);
    const m = this.marker;
    if (!m) {
      this.nodeReplies.write(chunk);
      return this.pump();
    }
    const buf = m.tail.length ? Buffer.concat([m.tail, chunk]) : chunk;
    const at = buf.indexOf(m.echo);
    if (at < 0) {
      // Keep what could be the start of the echo; the rest answers raw commands.
      const keep = Math.min(buf.length, m.echo.length - 1);
      if (buf.length > keep) this.h.toClient(buf.subarray(0, buf.length - keep));
      m.tail = Buffer.from(buf.subarray(buf.length - keep));
      return;
    }
    if (at > 0) this.h.toClient(buf.subarray(0, at));
    this.marker = undefined;
    m.entry.node = EMPTY;
    m.resolve();
    const rest = buf.subarray(at + m.echo.length);
    if (rest.length) this.nodeReplies.write(rest);
    this.pump();
  }

  /** The session closed: nothing is waited for on its behalf any more. */
  close(): void {
    this.finished = true;
    this.unsubscribe();
    for (const e of this.nodeQ) e.settle?.();
    this.marker?.resolve();
    this.dest?.destroy();
  }

  private command(args: Buffer[]): void {
    this.h.observe(args);
    if (this.held.length > 0 || !this.dispatch(args)) {
      this.held.push(args.map((a) => Buffer.from(a)));
      this.counters.held++;
    }
  }

  /** Sends one command where it belongs; false if it has to wait (held). */
  private dispatch(args: Buffer[]): boolean {
    const name = args[0]!.toString('latin1').toUpperCase();
    if (this.passthrough) {
      this.h.toNode(encodeCommand(args));
      return true;
    }
    if (STREAMING.has(name)) {
      if (this.clientQ.length > 0) return false;
      this.passthrough = true;
      this.h.toNode(encodeCommand(args));
      return true;
    }
    const slot = commandSlot(args);
    const route = this.routeOf(name, args, slot);
    if (route === 'hold') return false;
    const entry: Entry = { kind: route };
    this.clientQ.push(entry);
    if (route !== 'dest') {
      // Commands of a moving group sent to the node: the coordinator's GROUP steps wait for them.
      if (slot !== undefined && this.mig.stateOf(slot) !== undefined) entry.settle = this.mig.track(slot, route === 'both');
      this.nodeQ.push(entry);
      this.h.toNode(encodeCommand(args));
      this.counters.toNode++;
    }
    if (route !== 'node') {
      this.toDest(entry, args, slot!);
      if (route === 'both') this.counters.both++;
      else this.counters.toDest++;
    }
    return true;
  }

  private routeOf(name: string, args: Buffer[], slot: number | undefined): Route {
    if (name === 'MULTI') this.inMulti = true;
    if (this.inMulti) {
      if (name === 'EXEC' || name === 'DISCARD') this.inMulti = false;
      return 'node';
    }
    if (slot === undefined || !this.h.isClient()) return 'node';
    const state = this.mig.stateOf(slot);
    if (state === undefined || state === 'not-migrated') return 'node';
    if (state === 'migrated') return 'dest';
    if (name === 'GET') return 'both';
    if (name === 'SET' && wholeValueSet(args)) return 'dest';
    return 'hold';
  }

  private toDest(entry: Entry, args: Buffer[], slot: number): void {
    const socket = this.destSocket();
    if (!socket) {
      entry.dest = this.unreachable('not connected');
      return;
    }
    const cmd = encodeCommand(args);
    if (this.mig.handedOver.has(slot)) {
      this.destQ.push(entry);
      socket.write(cmd);
    } else {
      this.destQ.push(null, entry);
      socket.write(Buffer.concat([ASKING, cmd]));
    }
  }

  private destSocket(): Duplex | undefined {
    if (this.dest && !this.dest.destroyed) return this.dest;
    if (this.finished) return undefined;
    const socket = this.h.connectDest(this.mig.dest);
    const scanner = new ReplyScanner({
      onReply: (r) => {
        const e = this.destQ.shift();
        if (!e) return; // an ASKING's +OK
        e.dest = r;
        this.pump();
      },
      onError: (err) => this.destFailed(socket, err.message),
    });
    socket.on('data', (c: Buffer) => scanner.write(c));
    socket.on('error', (err: Error) => this.destFailed(socket, err.message));
    socket.on('close', () => this.destFailed(socket, 'connection closed'));
    this.dest = socket;
    return socket;
  }

  /** The destination is gone: every command waiting for it gets an error reply. */
  private destFailed(socket: Duplex, why: string): void {
    socket.destroy();
    if (this.dest !== socket) return;
    this.dest = undefined;
    const waiting = this.destQ;
    this.destQ = [];
    if (waiting.some((e) => e)) this.h.log(`route: destination ${this.mig.dest.host}:${this.mig.dest.port} failed (${why}): ${waiting.filter((e) => e).length} command(s) answered with an error`);
    for (const e of waiting) if (e) e.dest = this.unreachable(why);
    this.pump();
  }

  private unreachable(why: string): Buffer {
    return Buffer.from(`-ERR kvnetlab proxy: migration destination ${this.mig.dest.host}:${this.mig.dest.port} unreachable (${why.replace(/[\r\n]/g, ' ')})\r\n`);
  }

  private nodeReply(r: Buffer): void {
    const e = this.nodeQ.shift();
    if (!e) return this.h.toClient(r); // out of band (a RESP3 push): as the raw relay would
    e.node = r;
    e.settle?.();
  }

  /** Replies in command order, then held commands whose group moved on, then maybe back to raw. */
  private pump(): void {
    if (this.flushing || this.finished) return;
    this.flushing = true;
    try {
      for (;;) {
        while (this.clientQ.length > 0 && complete(this.clientQ[0]!)) {
          const out = replyOf(this.clientQ.shift()!);
          if (out.length) this.h.toClient(out);
        }
        if (this.held.length === 0 || !this.dispatch(this.held[0]!)) break;
        this.held.shift();
      }
    } finally {
      this.flushing = false;
    }
    const idle = this.clientQ.length === 0 && this.held.length === 0 && this.decoder.bufferedBytes() === 0;
    if (idle && (this.mig.closed || this.passthrough)) {
      this.close();
      this.h.reverted(this.passthrough);
    }
  }
}

function complete(e: Entry): boolean {
  switch (e.kind) {
    case 'marker':
    case 'node':
      return e.node !== undefined;
    case 'dest':
      return e.dest !== undefined;
    case 'both':
      return e.node !== undefined && e.dest !== undefined;
  }
}

function replyOf(e: Entry): Buffer {
  if (e.kind === 'both') return isNilReply(e.dest!) ? e.node! : e.dest!;
  return (e.kind === 'dest' ? e.dest : e.node)!;
}

/**
 * SET key value without options: replaces the whole value whatever was there and stays.
 * A TTL is held like any other command until the group is migrated: a key that expired
 * at the destination before the copy reached it would be restored from the source's
 * older value (the copy never overwrites a key that exists, and an expired one does not).
 */
function wholeValueSet(args: Buffer[]): boolean {
  return args.length === 3;
}
