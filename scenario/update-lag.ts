/**
 * Update lag of a live patch (the live patching contract, the paper's definition):
 * last node applied - first node registered, from the event's `apply` phases (one per
 * node, detail {registered_ms?, received_ms, applied_ms}; a node that did not register
 * the patch itself counts from when it received it). Without timed phases, the event
 * detail's `lag_ms`.
 */

export interface ApplyPhase {
  detail: { registered_ms?: number; received_ms?: number; applied_ms?: number };
}

export function updateLagMs(detail: Record<string, unknown>, phases: readonly ApplyPhase[]): number | undefined {
  const registered = phases.map((p) => p.detail.registered_ms || p.detail.received_ms).filter((t): t is number => typeof t === 'number' && t > 0);
  const applied = phases.map((p) => p.detail.applied_ms).filter((t): t is number => typeof t === 'number' && t > 0);
  if (registered.length > 0 && applied.length > 0) return Math.max(...applied) - Math.min(...registered);
  return typeof detail.lag_ms === 'number' ? detail.lag_ms : undefined;
}

/** [min, Q1, median, Q3, max] (linear interpolation between order statistics), as ECharts' boxplot takes it. */
export function fiveNumbers(values: readonly number[]): [number, number, number, number, number] | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = p * (v.length - 1);
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return v[lo]! + (v[hi]! - v[lo]!) * (i - lo);
  };
  return [v[0]!, q(0.25), q(0.5), q(0.75), v[v.length - 1]!];
}

export function median(values: readonly number[]): number | undefined {
  return fiveNumbers(values)?.[2];
}
