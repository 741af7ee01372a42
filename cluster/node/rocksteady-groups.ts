import { keyHashSlot } from '../store/slot.js';

/**
 * The destination's view of a Rocksteady migration: per group (hash slot) `not pulled`
 * or `pulled`, and per key of a group not pulled yet whether it is *resolved*: its
 * value here is the truth, because it was pulled (or found gone at the source), or a
 * client wrote or deleted it here since ownership moved. Pure bookkeeping; the rules:
 *
 *   command on keys of a pulled group, or all keys resolved    -> serve
 *   blind write (SET k v, any TTL, no NX/XX/GET/KEEPTTL)        -> serve; the keys become resolved
 *   anything else (a read, INCR, DEL, SET NX ...)               -> priority pull + -TRYAGAIN
 *   a pulled entry of a resolved key                            -> dropped (never overwrites)
 *
 * DEL is not blind: its reply counts the keys that existed, so it needs the source's answer.
 */
export type Decision = { serve: true } | { serve: false; pull: string[] };

export class IncomingGroups {
  /** slot -> resolved keys, for every slot of the move not pulled yet. */
  private readonly pending = new Map<number, Set<string>>();

  constructor(slots: Iterable<number>) {
    for (const s of slots) this.pending.set(s, new Set());
  }

  /** True while the slot is part of the move and not pulled yet. */
  notPulled(slot: number): boolean {
    return this.pending.has(slot);
  }

  get slotsLeft(): number {
    return this.pending.size;
  }

  slots(): number[] {
    return [...this.pending.keys()];
  }

  resolved(key: string): boolean {
    const set = this.pending.get(keyHashSlot(key));
    return set === undefined || set.has(key);
  }

  /** What to do with a command on `keys` (one slot, routing checked CROSSSLOT before). */
  decide(name: string, args: Buffer[], keys: string[]): Decision {
    const missing = keys.filter((k) => !this.resolved(k));
    if (missing.length === 0 || isBlindWrite(name, args)) return { serve: true };
    return { serve: false, pull: [...new Set(missing)] };
  }

  /** A write ran here on `keys`: whatever the source holds for them is stale now. */
  wrote(keys: string[]): void {
    for (const k of keys) this.pending.get(keyHashSlot(k))?.add(k);
  }

  /**
   * A pulled entry arrived: true when it must be installed (its group is not pulled and
   * the key is not resolved); either way the key is resolved afterwards.
   */
  accept(key: string): boolean {
    const set = this.pending.get(keyHashSlot(key));
    if (!set || set.has(key)) return false;
    set.add(key);
    return true;
  }

  /** The background pull finished the slot: every key of it is here (or was gone). */
  markPulled(slot: number): void {
    this.pending.delete(slot);
  }
}

/** SET key value [EX s|PX ms|EXAT t|PXAT t]: replaces the whole value and answers OK whatever was there. */
export function isBlindWrite(name: string, args: Buffer[]): boolean {
  if (name !== 'set') return false;
  for (let i = 3; i < args.length; i++) {
    const o = args[i].toString('latin1').toLowerCase();
    if (o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') i++;
    else return false;
  }
  return true;
}
