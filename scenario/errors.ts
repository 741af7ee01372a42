/**
 * Scenario errors: a stable code and a message that says what is wrong and where
 * (`scenarios/quick.yaml:7:11 runs[2].kind: unknown run kind "lp-pul"; one of ...`).
 */
export type ScenarioErrorCode =
  /** The scenario name or file does not exist. */
  | 'NOT_FOUND'
  /** The file is not valid YAML. */
  | 'BAD_YAML'
  /** Valid YAML, but a field is missing, unknown or out of range. */
  | 'BAD_SCENARIO'
  /** The controller refused or failed an event. */
  | 'EVENT_FAILED'
  /** A bounded wait ran out (fill, event, store). */
  | 'TIMEOUT'
  /** Something the runner needs is not there (live patching in this build, the store). */
  | 'UNAVAILABLE';

export class ScenarioError extends Error {
  constructor(readonly code: ScenarioErrorCode, message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}
