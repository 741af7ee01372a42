import type { Duplex } from 'node:stream';
import type { Link } from '../link.js';
import { PROXY_COMMAND, type Session } from '../session.js';
import { CommandBounds } from './command-bounds.js';
import { ControlConnection, type RouteControl } from './control.js';
import type { Dest, ProxyMigration } from './proxy-migration.js';
import { RoutedConnection } from './routed-connection.js';

/**
 * The stage in front of one client-port session (STYLE.md 7: a swappable stage):
 *
 *   gate ──first command──┬─ KVNETLAB.PROXY ─> control (route/control.ts), no node connection at all
 *                         ├─ migration open ─> node connection + routed (route/routed-connection.ts)
 *                         └─ otherwise ──────> node connection + raw relay (link.ts), as before
 *   raw relay ──OPEN──> routed at the next command boundary ──CLOSE, idle──> raw relay
 *
 * The node connection is opened and linked at once, as before; the gate holds only the
 * client's first command until it is complete (a control connection's node connection
 * stays idle). In the raw relay a CommandBounds
 * follows command ends, so an OPEN can take the connection over between two commands.
 */
export interface SwitchEnv {
  hub: RouteControl;
  openUp(): Duplex;
  /** Links down and the new upstream with this switch as the taps; returns the link. */
  linkUp(up: Duplex): Link;
  connectDest(dest: Dest): Duplex;
  log(line: string): void;
}

export class ClientSwitch {
  route?: RoutedConnection;
  private gate: Buffer[] | undefined = [];
  private control?: ControlConnection;
  private bounds = new CommandBounds();
  private readonly up: Duplex;
  private pending?: { mig: ProxyMigration; started(ready: Promise<void>): void };
  /** A stream command (PSYNC, SUBSCRIBE) went through: never routed again. */
  private noRoute = false;

  constructor(readonly s: Session, private readonly down: Duplex, private readonly env: SwitchEnv) {
    this.up = env.openUp();
    // Before the link's own 'end' listener: a client that half-closes inside its first
    // command still gets those bytes to the node before the FIN.
    down.once('end', () => {
      if (this.gate) this.release();
    });
    s.link = env.linkUp(this.up);
  }

  /** Link tap: a chunk from the client; false when this stage sent it on itself. */
  fromDown(chunk: Buffer): boolean {
    if (this.gate) {
      this.s.sniff(chunk);
      this.gate.push(chunk);
      this.bounds.scan(chunk);
      if (this.s.firstCommand !== undefined) this.release();
      return false;
    }
    if (this.control) {
      this.s.countDown(chunk);
      this.control.write(chunk);
      return false;
    }
    if (this.route) {
      this.route.fromClient(chunk);
      return false;
    }
    const p = this.pending;
    if (!p) {
      if (!this.bounds.lost) this.bounds.scan(chunk);
    } else {
      const off = this.bounds.scan(chunk, true);
      if (off >= 0) {
        // The rest of the command in progress goes raw, then the connection is routed.
        this.pending = undefined;
        const raw = chunk.subarray(0, off);
        this.s.fromDown(raw);
        this.up.write(raw);
        const rest = chunk.subarray(off);
        if (p.mig.closed) {
          p.started(Promise.resolve());
          this.s.fromDown(rest);
          this.up.write(rest);
          return false;
        }
        this.startRoute(p.mig, true);
        p.started(this.route!.ready);
        if (rest.length) this.route!.fromClient(rest);
        return false;
      }
      if (this.bounds.lost) {
        this.pending = undefined;
        p.started(Promise.resolve());
      }
    }
    this.s.fromDown(chunk);
    return true;
  }

  /** Link tap: a chunk from the node. */
  fromUp(chunk: Buffer): boolean {
    this.s.fromUp(chunk);
    if (!this.route) return true;
    this.route.fromNode(chunk);
    return false;
  }

  /**
   * OPEN: route this connection from its next command boundary. Returns when the replies
   * to everything relayed raw before are through (undefined: not a client connection).
   */
  startRouting(mig: ProxyMigration): Promise<void> | undefined {
    if (this.gate || this.control || this.route || this.noRoute || this.s.closed || !this.routable() || this.bounds.lost) return undefined;
    if (this.bounds.atBoundary) {
      this.startRoute(mig, true);
      return this.route!.ready;
    }
    return new Promise((resolve) => {
      this.pending = { mig, started: (ready) => void ready.then(resolve) };
    });
  }

  /** The link closed. */
  closed(): void {
    this.route?.close();
    this.control?.closed();
    this.pending?.started(Promise.resolve());
    this.pending = undefined;
  }

  private routable(): boolean {
    return this.s.state === 'client' || this.s.state === 'undecided';
  }

  private release(): void {
    const held = Buffer.concat(this.gate!);
    this.gate = undefined;
    if (this.s.firstCommand === PROXY_COMMAND) return this.becomeControl(held);
    const mig = this.env.hub.current();
    if (mig && this.routable()) {
      this.startRoute(mig, false);
      this.route!.fromClient(held);
    } else {
      this.s.countDown(held);
      this.up.write(held);
    }
  }

  /** The node's connection stays linked and idle (closing it would close the client's too, link.ts). */
  private becomeControl(held: Buffer): void {
    this.control = new ControlConnection(this.env.hub, (b) => {
      this.s.fromUp(b);
      if (!this.down.destroyed) this.down.write(b);
    }, () => this.down.destroy());
    this.s.countDown(held);
    this.control.write(held);
  }

  private startRoute(mig: ProxyMigration, takenOver: boolean): void {
    this.route = new RoutedConnection(mig, {
      toClient: (b) => {
        if (!this.down.destroyed) this.down.write(b);
      },
      toNode: (b) => {
        this.s.countDown(b);
        this.up.write(b);
      },
      observe: (args) => this.s.observe(args),
      isClient: () => this.routable(),
      connectDest: (d) => this.env.connectDest(d),
      reverted: (forever) => {
        this.route = undefined;
        this.bounds = new CommandBounds();
        if (forever) this.noRoute = true;
      },
      fail: () => this.down.destroy(),
      log: this.env.log,
    }, takenOver);
  }
}
