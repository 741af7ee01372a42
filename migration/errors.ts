/** Migration errors with stable codes (STYLE.md 4); the controller maps them to HTTP statuses. */
export type MigrationErrorCode =
  | 'BAD_RANGE' // --slots is not A-B inside 0..16383
  | 'BAD_PROTOCOL' // not one of PROTOCOLS
  | 'NOT_OWNER' // --from does not own every slot of the range
  | 'SAME_NODE' // --from and --to are one node
  | 'NODE_UNREACHABLE' // a node did not answer
  | 'STEP_FAILED' // a node refused a step (SETSLOT, MIGRATE, ...)
  | 'ILLEGAL_TRANSITION' // a group state change the state machine forbids (a bug)
  | 'UNSUPPORTED_COMMAND'; // a routed client was asked for a command the router cannot route

export class MigrationError extends Error {
  constructor(readonly code: MigrationErrorCode, message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}
