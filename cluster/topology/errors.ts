/** Errors of the cluster topology: a bad nodes.conf, a bad CLUSTER argument. */
export class ClusterConfigError extends Error {
  constructor(
    readonly code: 'NODES_CONF_CORRUPT' | 'NODES_CONF_NO_MYSELF',
    message: string,
  ) {
    super(message);
    this.name = 'ClusterConfigError';
  }
}

/** A state machine asked for a change its table does not allow: a bug, never input. */
export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}
