/**
 * Controller errors: a stable code, its HTTP status, and a message for people.
 * Every route answers an error as `{ error: { code, message } }` with that status
 * (undici's UND_ERR_* / fastify's FST_ERR_* style: the code never changes once shipped).
 */
export const ERROR_STATUS = {
  /** Parameters missing or malformed (fastify schema validation, unknown kind). */
  BAD_PARAMS: 400,
  /** A state-changing request without the bearer token, or with a wrong one. */
  UNAUTHORIZED: 401,
  /** No node with that id, id prefix or port in the cluster state file. */
  UNKNOWN_NODE: 404,
  /** No event with that id. */
  UNKNOWN_EVENT: 404,
  /** No route. */
  NOT_FOUND: 404,
  /** An event is already running on that master-replica group. */
  CONFLICT: 409,
  /** The request asks for something this node cannot do now (e.g. failover of a master). */
  BAD_STATE: 409,
  /** No cluster state file in the run directory (`kvnetlab up` not run). */
  NO_CLUSTER: 503,
  /** Part of the issue handled elsewhere (live-patch): answered, never silently accepted. */
  NOT_IMPLEMENTED: 501,
  /** A node did not answer over RESP. */
  NODE_UNREACHABLE: 502,
  /** A bounded wait ran out (a node never synced, a failover never happened). */
  TIMEOUT: 504,
  /** Anything else (a bug): the message says what. */
  INTERNAL: 500,
} as const;

export type ControllerErrorCode = keyof typeof ERROR_STATUS;

export class ControllerError extends Error {
  readonly status: number;
  constructor(readonly code: ControllerErrorCode, message: string) {
    super(message);
    this.name = 'ControllerError';
    this.status = ERROR_STATUS[code];
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
