import { describe, expect, it } from 'vitest';
import { IllegalTransition, isFinal, transition } from './event-state.js';

describe('event state machine', () => {
  it('event state: accepted -> running -> ok is legal and logged line by line', () => {
    const lines: string[] = [];
    let s = transition('accepted', 'running', 'event e1 kill', (l) => lines.push(l));
    s = transition(s, 'ok', 'event e1 kill', (l) => lines.push(l));
    expect(s).toBe('ok');
    expect(lines).toEqual(['event e1 kill: accepted -> running', 'event e1 kill: running -> ok']);
  });

  it('event state: a final state never changes again, and nothing skips back to accepted', () => {
    for (const [from, to] of [['ok', 'running'], ['failed', 'ok'], ['ok', 'failed'], ['running', 'accepted'], ['accepted', 'ok']] as const) {
      expect(() => transition(from, to, 'e', () => {})).toThrow(IllegalTransition);
    }
    expect(isFinal('ok') && isFinal('failed') && !isFinal('running') && !isFinal('accepted')).toBe(true);
  });
});
