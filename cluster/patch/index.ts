/** Live patching (README.md): bundle format, keys, verify, load, apply, the node's manager. */
export * from './bundle.js';
export * from './errors.js';
export * from './keys.js';
export { signBundle } from './sign.js';
export { verifyBundle } from './verify.js';
export { loadPatch, type PatchApi, type PatchChanges } from './load.js';
export { applyAtQuiescentPoint, applyNow } from './apply.js';
export { StageTable } from './stages.js';
export { PatchManager, REREQUEST_MS, type LoadMethod } from './manager.js';
export type { PatchRecord, PatchState } from './record.js';
export { makeSyntheticPatch, minSyntheticSize } from './synth.js';
