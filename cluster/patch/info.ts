import type { PatchManager } from './manager.js';
import type { PatchRecord } from './record.js';

/**
 * INFO patches. With --no-patch-support only `patch_support:0` and the code version.
 *
 *   patch_support:1
 *   patch_version:3            highest version applied (the advert's version)
 *   patch_bitmap:00000007      the advert's bitmap, hex
 *   patches_applied:3
 *   patch_last_refusal:        the code of the last refusal (PatchErrorCode), or empty
 *   patch_<type>_{sent,received}[_bytes]  PATCH / PATCH_REQUEST frames and their bytes
 *   patch_v<N>:id=…,state=…,via=…,registered_ms=…,received_ms=…,applied_ms=…,refusal=…
 */
export function patchInfo(m: PatchManager | undefined, codeVersion: string): string[] {
  if (!m) return ['patch_support:0', `patch_code_version:${codeVersion}`];
  const ad = m.advert();
  const c = m.counters;
  return [
    'patch_support:1',
    `patch_code_version:${codeVersion}`,
    `patch_version:${ad.version}`,
    `patch_bitmap:${ad.bitmap.toString(16).padStart(8, '0')}`,
    `patches_applied:${m.appliedCount}`,
    `patch_last_refusal:${m.lastRefusal}`,
    `patch_msgs_sent:${c.patchSent}`,
    `patch_bytes_sent:${c.patchBytesSent}`,
    `patch_msgs_received:${c.patchReceived}`,
    `patch_bytes_received:${c.patchBytesReceived}`,
    `patch_request_msgs_sent:${c.requestSent}`,
    `patch_request_bytes_sent:${c.requestBytesSent}`,
    `patch_request_msgs_received:${c.requestReceived}`,
    `patch_request_bytes_received:${c.requestBytesReceived}`,
    ...m.list().map(recordLine),
  ];
}

function recordLine(r: PatchRecord): string {
  return (
    `patch_v${r.version}:id=${r.id},state=${r.state},via=${r.via},bytes=${r.bytes},registered_ms=${r.registeredMs},` +
    `received_ms=${r.receivedMs},applied_ms=${r.appliedMs},refusal=${r.refusal?.code ?? ''}`
  );
}
