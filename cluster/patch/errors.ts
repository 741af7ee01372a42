/**
 * Why a node refuses a live patch (STYLE.md 4). The code is what INFO patches
 * (`patch_last_refusal`), PATCH LIST, the node log and the controller's event show; the
 * node keeps running its current code whatever the code.
 */
export type PatchErrorCode =
  /** The bytes are not a bundle: bad magic, format version, lengths or manifest JSON. */
  | 'BAD_BUNDLE'
  /** Signed by a key this node was not told to trust (--patch-trust). */
  | 'UNTRUSTED_KEY'
  /** The ed25519 signature does not verify over header + manifest + module (tampered). */
  | 'BAD_SIGNATURE'
  /** The manifest targets another node version than this node's --code-version. */
  | 'WRONG_TARGET'
  /** The module threw while it was loaded (evaluation or its factory). */
  | 'LOAD_FAILED'
  /** The module loaded but what it exports cannot be applied (no factory, unknown stage). */
  | 'BAD_MODULE'
  /** A different bundle with the same version is already held. */
  | 'VERSION_CONFLICT'
  /** The node runs with --no-patch-support. */
  | 'NO_SUPPORT';

export class PatchError extends Error {
  constructor(
    readonly code: PatchErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'PatchError';
  }
}
