import { CaptureError } from './errors.js';
import { type CapLoader, loadCap, openFailure } from './load-cap.js';

/**
 * A libpcap capture on one interface with a BPF filter, through `cap`. cap reads with
 * pcap_dispatch in immediate mode from a libuv poll on the pcap fd, copying each packet
 * into the one buffer given to open() and emitting 'packet' synchronously; the buffer
 * is reused for the next packet, so the handler must be done with it when it returns.
 * cap sets the snaplen to 65535 (decode.ts explains what that cuts on loopback).
 */
export interface PacketDevice {
  readonly linkType: string;
  close(): void;
}

export interface OpenDeviceOptions {
  iface: string;
  filter: string;
  /** libpcap's ring buffer in bytes (pcap_set_buffer_size): what absorbs bursts. */
  bufferBytes: number;
  onPacket(buf: Buffer, caplen: number): void;
  load?: CapLoader;
}

const SNAPLEN = 65535;

export function openDevice(o: OpenDeviceOptions): PacketDevice {
  const { Cap } = loadCap(o.load);
  const cap = new Cap();
  const buffer = Buffer.alloc(SNAPLEN);
  let linkType: string;
  try {
    linkType = cap.open(o.iface, o.filter, o.bufferBytes, buffer);
  } catch (e) {
    throw openFailure(o.iface, e);
  }
  if (linkType !== 'ETHERNET') {
    cap.close();
    throw new CaptureError('CAPTURE_LINK_TYPE', `${o.iface} has link type ${linkType}; capture decodes Ethernet framing only (DLT_EN10MB: loopback and Ethernet interfaces on Linux, not "any")`);
  }
  cap.on('packet', (nbytes: number) => o.onPacket(buffer, nbytes));
  return { linkType, close: () => cap.close() };
}
