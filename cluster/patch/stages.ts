/**
 * Registered stages a patch may replace besides commands (STYLE.md 7): named slots
 * holding a function the node calls through `get(name)` every time, so a swap takes
 * effect on the next call and nothing holds the old one.
 */
export class StageTable {
  private readonly stages = new Map<string, unknown>();

  register(name: string, impl: unknown): void {
    this.stages.set(name, impl);
  }

  has(name: string): boolean {
    return this.stages.has(name);
  }

  get<T = unknown>(name: string): T | undefined {
    return this.stages.get(name) as T | undefined;
  }

  names(): string[] {
    return [...this.stages.keys()];
  }
}
