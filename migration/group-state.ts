import { MigrationError } from './errors.js';

/**
 * Per-group migration state (NetMigrate's three sets; a group is one hash slot here):
 *
 *   not-migrated ──start──> ongoing ──done──> migrated
 *        ^                     │
 *        └──────abort──────────┘   (the source keeps or takes back the group)
 *
 * Every change goes through `transition`, which checks legality and logs `a -> b`
 * (STYLE.md 3). Readers (the proxy router, a Fulva client) only ask `stateOf`.
 */
export type GroupState = 'not-migrated' | 'ongoing' | 'migrated';

const LEGAL: Record<GroupState, readonly GroupState[]> = {
  'not-migrated': ['ongoing'],
  ongoing: ['migrated', 'not-migrated'],
  migrated: [],
};

export function transition(from: GroupState, to: GroupState, what: string, log: (line: string) => void): GroupState {
  if (!LEGAL[from].includes(to)) throw new MigrationError('ILLEGAL_TRANSITION', `${what}: illegal transition ${from} -> ${to}`);
  log(`${what}: ${from} -> ${to}`);
  return to;
}

/** The groups of one migration; slots outside it are `undefined` (not part of the move). */
export class GroupTable {
  private readonly states = new Map<number, GroupState>();
  private readonly listeners: Array<(slot: number, to: GroupState) => void> = [];

  constructor(slots: number[], private readonly log: (line: string) => void = () => undefined) {
    for (const s of slots) this.states.set(s, 'not-migrated');
  }

  stateOf(slot: number): GroupState | undefined {
    return this.states.get(slot);
  }

  set(slot: number, to: GroupState): void {
    const from = this.states.get(slot);
    if (from === undefined) throw new MigrationError('ILLEGAL_TRANSITION', `slot ${slot} is not part of this migration`);
    this.states.set(slot, transition(from, to, `group ${slot}`, this.log));
    for (const l of this.listeners) l(slot, to);
  }

  /** Called after every change (a router keeps its copy in step). */
  onChange(fn: (slot: number, to: GroupState) => void): void {
    this.listeners.push(fn);
  }

  slots(state?: GroupState): number[] {
    return [...this.states].filter(([, s]) => state === undefined || s === state).map(([slot]) => slot);
  }

  counts(): Record<GroupState, number> {
    const out: Record<GroupState, number> = { 'not-migrated': 0, ongoing: 0, migrated: 0 };
    for (const s of this.states.values()) out[s]++;
    return out;
  }
}
