/**
 * Counters INFO reports under Redis' field names (server.c genRedisInfoString).
 * The byte counters are what the proxy later cross-checks against.
 */
export class NodeStats {
  readonly startedAt = Date.now();
  totalConnectionsReceived = 0;
  totalCommandsProcessed = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  rejectedCalls = 0;
  unexpectedErrorReplies = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  /** Per error prefix (ERR, WRONGTYPE, MOVED...): INFO errorstats. */
  readonly errors = new Map<string, number>();
  /** Per command: calls, total µs (INFO commandstats). */
  readonly commands = new Map<string, { calls: number; usec: number; failed: number }>();

  countError(line: string): void {
    const prefix = line.split(' ', 1)[0];
    this.errors.set(prefix, (this.errors.get(prefix) ?? 0) + 1);
  }

  countCommand(name: string, usec: number, failed: boolean): void {
    let row = this.commands.get(name);
    if (!row) this.commands.set(name, (row = { calls: 0, usec: 0, failed: 0 }));
    row.calls++;
    row.usec += usec;
    if (failed) row.failed++;
    this.totalCommandsProcessed++;
  }

  reset(): void {
    this.totalConnectionsReceived = 0;
    this.totalCommandsProcessed = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.rejectedCalls = 0;
    this.keyspaceHits = 0;
    this.keyspaceMisses = 0;
    this.errors.clear();
    this.commands.clear();
  }
}
