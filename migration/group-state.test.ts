import { describe, expect, it } from 'vitest';
import { GroupTable } from './group-state.js';
import { MigrationError } from './errors.js';
import { parseSlotRange, slotsOf } from './slots.js';

describe('migration group state', () => {
  it('moves a group not-migrated -> ongoing -> migrated and logs each change', () => {
    const lines: string[] = [];
    const t = new GroupTable([5, 6], (l) => lines.push(l));
    t.set(5, 'ongoing');
    t.set(5, 'migrated');
    expect(t.counts()).toEqual({ 'not-migrated': 1, ongoing: 0, migrated: 1 });
    expect(lines).toEqual(['group 5: not-migrated -> ongoing', 'group 5: ongoing -> migrated']);
  });

  it('refuses illegal changes: skipping ongoing, leaving migrated, slots outside the move', () => {
    const t = new GroupTable([5]);
    expect(() => t.set(5, 'migrated')).toThrow(MigrationError);
    t.set(5, 'ongoing');
    t.set(5, 'not-migrated'); // abort
    t.set(5, 'ongoing');
    t.set(5, 'migrated');
    expect(() => t.set(5, 'ongoing')).toThrow(/illegal transition migrated -> ongoing/);
    expect(() => t.set(7, 'ongoing')).toThrow(/not part of this migration/);
  });

  it('parses slot ranges and refuses bad ones', () => {
    expect(slotsOf(parseSlotRange('3-5'))).toEqual([3, 4, 5]);
    expect(parseSlotRange('7')).toEqual({ first: 7, last: 7 });
    for (const bad of ['5-3', '0-16384', 'a-b', '']) expect(() => parseSlotRange(bad)).toThrow(MigrationError);
  });
});
