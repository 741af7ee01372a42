/**
 * A node's live patching: holds the patches, runs verify -> load -> apply for each, and
 * talks to peers over the bus.
 *
 *   PATCH LOAD b PUSH ──> broadcast PATCH(b) to patch peers ──> verify, load, apply
 *   PATCH LOAD b PULL ──> verify, load, apply ──> version+bitmap in every PING/PONG/MEET
 *   peer's advert lacks nothing ─┐
 *   peer holds versions we lack ─┴> PATCH_REQUEST(versions) to it (again after 5 s)
 *   PATCH_REQUEST from a peer ──> PATCH(b) for each version we hold
 *
 * Only peers that sent our ping extension get PATCH / PATCH_REQUEST frames, and peers
 * seen without it (a redis-server) stop getting the extension: Redis 7.0 logs a warning
 * for every unknown extension and unknown message type (cluster.c).
 */
import { KvBusType } from '../bus/constants.js';
import type { PingExt } from '../bus/message.js';
import { advertOf, advertVersions, decodePatch, decodePatchRequest, encodePatch, encodePatchRequest, findPatchAdvert, patchExt } from '../bus/patch-messages.js';
import { type ApplyTarget, applyAtQuiescentPoint } from './apply.js';
import { decodeBundle } from './bundle.js';
import { PatchError, type PatchErrorCode } from './errors.js';
import type { TrustedKey } from './keys.js';
import { type LoadTarget, loadPatch } from './load.js';
import { type PatchRecord, newRecord, transition } from './record.js';
import { verifyBundle } from './verify.js';

/** The paper's re-request period for an unanswered pull. */
export const REREQUEST_MS = 5000;

export interface PatchBus {
  /** Linked peers (node names) that advertised patch support. */
  patchPeers(): string[];
  /** One frame of `type` with `data` after the header to `peer`; its length, 0 without a link. */
  send(peer: string, type: number, data: Buffer): number;
}

export interface PatchManagerDeps {
  trust: readonly TrustedKey[];
  codeVersion: string;
  target: LoadTarget & ApplyTarget;
  bus: PatchBus;
  log(line: string): void;
  now(): number;
}

export type LoadMethod = 'push' | 'pull';

export interface PatchCounters {
  patchSent: number;
  patchBytesSent: number;
  patchReceived: number;
  patchBytesReceived: number;
  requestSent: number;
  requestBytesSent: number;
  requestReceived: number;
  requestBytesReceived: number;
}

/** Refusals of one copy's bytes: another peer's copy of the same version may be good. */
const COPY_REFUSALS: ReadonlySet<PatchErrorCode> = new Set(['BAD_SIGNATURE', 'BAD_BUNDLE']);

export class PatchManager {
  private readonly records = new Map<number, PatchRecord>();
  private readonly bundles = new Map<number, Buffer>();
  private readonly inFlight = new Set<number>();
  /** The tail of the load/apply chain (inOrder). */
  private applying: Promise<unknown> = Promise.resolve();
  private readonly requestedAt = new Map<number, number>();
  /** Per version, the peers whose copy was refused here (never asked for it again). */
  private readonly refusedFrom = new Map<number, Set<string>>();
  private readonly peerSupport = new Map<string, boolean>();
  lastRefusal = '';
  readonly counters: PatchCounters = {
    patchSent: 0, patchBytesSent: 0, patchReceived: 0, patchBytesReceived: 0,
    requestSent: 0, requestBytesSent: 0, requestReceived: 0, requestBytesReceived: 0,
  };

  constructor(private readonly d: PatchManagerDeps) {}

  // ---- the advert -----------------------------------------------------------------

  held(): number[] {
    return [...this.bundles.keys()];
  }

  advert(): { version: number; bitmap: number } {
    return advertOf(this.held());
  }

  /** The extension for a ping to `peer` (undefined name: not identified yet). */
  pingExts(peer: string | undefined): PingExt[] {
    if (peer !== undefined && this.peerSupport.get(peer) === false) return [];
    return [patchExt(this.advert())];
  }

  supports(peer: string): boolean {
    return this.peerSupport.get(peer) === true;
  }

  /** A PING/PONG/MEET from a known sender: learn its support, pull what it has that we lack. */
  onPing(peer: string, exts: readonly PingExt[]): void {
    const ad = findPatchAdvert(exts);
    this.peerSupport.set(peer, ad !== undefined);
    if (!ad || ad.version === 0) return;
    const now = this.d.now();
    // Oldest first: the peer answers in this order and the PATCH frames arrive in it over
    // the one link, so a node that lags several versions applies them as their origin did.
    const want = advertVersions(ad).sort((a, b) => a - b).filter((v) => {
      if (this.bundles.has(v) || this.inFlight.has(v)) return false;
      const r = this.records.get(v);
      // A refused version is asked again only if the refusal was about the copy (its bytes
      // were damaged or tampered with) and only from a peer whose copy was not refused:
      // bounded by the number of peers, and a genuinely bad patch is never looped on.
      if (r?.state === 'refused' && (!COPY_REFUSALS.has(r.refusal!.code) || this.refusedFrom.get(v)?.has(peer))) return false;
      const at = this.requestedAt.get(v);
      return at === undefined || now - at >= REREQUEST_MS;
    });
    if (want.length === 0) return;
    const data = encodePatchRequest(want);
    const bytes = this.d.bus.send(peer, KvBusType.PATCH_REQUEST, data);
    if (bytes === 0) return;
    for (const v of want) this.requestedAt.set(v, now);
    this.counters.requestSent++;
    this.counters.requestBytesSent += bytes;
    this.d.log(`patch: requested v${want.join(',v')} from ${peer.slice(0, 12)}`);
  }

  /** PATCH_REQUEST or PATCH from a peer (BusEngine.onOtherMessage). */
  onMessage(peer: string, type: number, data: Buffer, frameLen: number): void {
    if (type === KvBusType.PATCH_REQUEST) {
      this.counters.requestReceived++;
      this.counters.requestBytesReceived += frameLen;
      for (const v of decodePatchRequest(data)) {
        const b = this.bundles.get(v);
        if (b) this.sendPatch(peer, v, b);
      }
    } else if (type === KvBusType.PATCH) {
      this.counters.patchReceived++;
      this.counters.patchBytesReceived += frameLen;
      const { version, bundle } = decodePatch(data);
      void this.accept(bundle, 'bus', peer, version);
    }
  }

  private sendPatch(peer: string, version: number, bundle: Buffer): void {
    const bytes = this.d.bus.send(peer, KvBusType.PATCH, encodePatch(version, bundle));
    if (bytes === 0) return;
    this.counters.patchSent++;
    this.counters.patchBytesSent += bytes;
  }

  // ---- registering and applying ---------------------------------------------------

  /** PATCH LOAD: this node got the bundle first. Push broadcasts it before applying here. */
  async register(bundle: Buffer, method: LoadMethod): Promise<PatchRecord> {
    if (method === 'push') {
      let version: number | undefined;
      try {
        version = decodeBundle(bundle).manifest.version;
      } catch {
        // not even a bundle: nothing to send, accept() records the refusal
      }
      if (version !== undefined) for (const peer of this.d.bus.patchPeers()) this.sendPatch(peer, version, bundle);
    }
    return this.accept(bundle, method, '');
  }

  /** Verify, load, apply; a refusal is recorded, logged, and the node keeps its code. */
  private async accept(bundle: Buffer, via: PatchRecord['via'], from: string, frameVersion?: number): Promise<PatchRecord> {
    const now = this.d.now();
    let version = 0;
    let id = '';
    try {
      const m = decodeBundle(bundle).manifest;
      version = m.version;
      id = m.id;
      // A PATCH frame names the version it carries (the requester asked for it by that
      // number): a frame whose bundle says otherwise is refused before anything is kept,
      // so a wrong frame can neither fill another version's slot nor answer a request.
      if (frameVersion !== undefined && frameVersion !== version) {
        throw new PatchError('BAD_BUNDLE', `PATCH frame of version ${frameVersion} carries a bundle of version ${version}`);
      }
    } catch (e) {
      return this.refuseUndecodable(e as PatchError, via, from, bundle.length, now);
    }
    const known = this.records.get(version);
    if (known?.state === 'applied') {
      // A push and a pull crossing deliver the same bytes twice: the first copy won.
      if (this.bundles.get(version)?.equals(bundle)) return known;
      // Other bytes under an applied version: check them anyway (a tampered copy is
      // reported as such), never replace what runs; the applied record stays as it is.
      const detached = Object.assign(newRecord(version), { id, via, from, bytes: bundle.length, state: 'received' as const });
      try {
        verifyBundle(bundle, this.d.trust, this.d.codeVersion);
        return this.refuse(detached, new PatchError('VERSION_CONFLICT', `version ${version} is already applied as ${known.id}`));
      } catch (e) {
        return this.refuse(detached, e as PatchError);
      }
    }
    if (this.inFlight.has(version)) return known!;
    const r = known ?? newRecord(version);
    this.records.set(version, r);
    this.inFlight.add(version);
    try {
      transition(r, via === 'bus' ? 'received' : 'registered', this.d.log);
      Object.assign(r, { id, via, from, bytes: bundle.length, refusal: undefined });
      if (via === 'bus') r.receivedMs = now;
      else r.registeredMs = now;
      const b = verifyBundle(bundle, this.d.trust, this.d.codeVersion);
      const applied = await this.inOrder(async () => {
        const changes = await loadPatch(b.module, b.manifest, this.d.codeVersion, this.d.target);
        return applyAtQuiescentPoint(this.d.target, changes, () => this.d.now());
      });
      r.replaced = [...applied.commands, ...applied.stages];
      r.appliedMs = applied.atMs;
      this.bundles.set(version, bundle);
      transition(r, 'applied', this.d.log);
      this.d.log(`patch v${version} (${id}) applied: ${r.replaced.join(', ') || 'no entries replaced'}`);
      return r;
    } catch (e) {
      return this.refuse(r, e instanceof PatchError ? e : new PatchError('LOAD_FAILED', String(e)));
    } finally {
      this.inFlight.delete(version);
    }
  }

  /**
   * Loads and applications run one at a time, in the order the bundles arrived: two
   * patches of the same command applied concurrently could finish newest first and leave
   * the older code answering.
   */
  private inOrder<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.applying.then(fn, fn);
    this.applying = run.catch(() => undefined);
    return run;
  }

  private refuse(r: PatchRecord, e: PatchError): PatchRecord {
    if (r.state !== 'refused') transition(r, 'refused', this.d.log);
    if (r.via === 'bus') {
      const peers = this.refusedFrom.get(r.version) ?? new Set<string>();
      this.refusedFrom.set(r.version, peers.add(r.from));
    }
    r.refusal = { code: e.code, message: e.detail };
    this.lastRefusal = e.code;
    this.d.log(`patch v${r.version} refused: ${e.message}`);
    return r;
  }

  /** Bytes that are not a bundle have no version: kept as version 0. */
  private refuseUndecodable(e: PatchError, via: PatchRecord['via'], from: string, bytes: number, now: number): PatchRecord {
    const r = newRecord(0);
    Object.assign(r, { via, from, bytes, state: 'refused', refusal: { code: e.code ?? 'BAD_BUNDLE', message: e.detail ?? e.message } });
    if (via === 'bus') r.receivedMs = now;
    else r.registeredMs = now;
    this.records.set(0, r);
    this.lastRefusal = r.refusal!.code;
    this.d.log(`patch refused: ${e.message}`);
    return r;
  }

  list(): PatchRecord[] {
    return [...this.records.values()].sort((a, b) => a.version - b.version);
  }

  get(version: number): PatchRecord | undefined {
    return this.records.get(version);
  }

  get appliedCount(): number {
    return this.bundles.size;
  }
}
