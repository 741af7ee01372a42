import type { CommandSpec } from './types.js';

/**
 * The command table: name -> spec. Built once from the command family files; a live
 * patch swaps entries of it between two event-loop tasks (never mid-command).
 */
export class CommandRegistry {
  private readonly table = new Map<string, CommandSpec>();

  constructor(families: ReadonlyArray<ReadonlyArray<CommandSpec>> = []) {
    for (const family of families) for (const spec of family) this.register(spec);
  }

  register(spec: CommandSpec): void {
    this.table.set(spec.name.toLowerCase(), spec);
  }

  /** `name` may be in any case, as clients send it. */
  lookup(name: string): CommandSpec | undefined {
    return this.table.get(name.toLowerCase());
  }

  all(): CommandSpec[] {
    return [...this.table.values()];
  }
}

/** Redis' arity rule (server.c processCommand): exact when positive, minimum when negative. */
export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity > 0 ? argc === spec.arity : argc >= -spec.arity;
}
