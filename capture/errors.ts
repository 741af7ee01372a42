/**
 * Capture errors with stable codes (STYLE.md 4). The message says what is missing and
 * how to get it: capture is the one part of kvnetlab that depends on the machine
 * (libpcap, the compiled `cap` addon, the right to open a packet socket).
 */
export type CaptureErrorCode =
  | 'CAPTURE_NO_ADDON' // the optional `cap` package is not installed or not built
  | 'CAPTURE_OPEN_FAILED' // libpcap refused the device (no permission, no such device)
  | 'CAPTURE_LINK_TYPE' // not Ethernet framing (only DLT_EN10MB is decoded)
  | 'CAPTURE_NO_PORTS'; // nothing to filter on

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}
