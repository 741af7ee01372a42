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
