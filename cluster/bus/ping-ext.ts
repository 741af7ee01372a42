/**
 * Ping extensions (cluster.h clusterMsgPingExt), appended after the gossip entries of a
 * PING/PONG/MEET whose mflags[0] has FLAG0_EXT_DATA:
 *
 *   +-----------+---------+-----------+--------------------------------+
 *   | length u32| type u16| unused u16| data, zero padded to 8 bytes   |
 *   +-----------+---------+-----------+--------------------------------+
 *     length counts the whole extension (header included), a multiple of 8.
 *
 * Redis 7.0 writes one, the hostname, and only when cluster-announce-hostname is set
 * (cluster.c writeHostnamePingExt); so an idle 7.0 cluster sends none.
 */
import {
  FORGOTTEN_NODE_EXT_DATA_LEN,
  NODE_NAME_LEN,
  PING_EXT,
  PING_EXT_HEADER_LEN,
  PingExtType,
  SHARD_ID_EXT_DATA_LEN,
} from './constants.js';
import { BusProtocolError } from './errors.js';
import { align8, checkUint, isAllZero, readFixedText, writeFixedText, writeU64 } from './fields.js';
import type { PingExt } from './message.js';

const LATIN1_ONLY = /^[\u0000-\u00ff]*$/;

function textExtDataLen(text: string): number {
  return align8(text.length + 1); // NUL terminated, then EIGHT_BYTE_ALIGN
}

/** Bytes this extension takes on the wire, header included. */
export function pingExtLength(ext: PingExt): number {
  switch (ext.kind) {
    case 'hostname':
      return PING_EXT_HEADER_LEN + textExtDataLen(ext.hostname);
    case 'human-nodename':
      return PING_EXT_HEADER_LEN + textExtDataLen(ext.nodename);
    case 'forgotten-node':
      return PING_EXT_HEADER_LEN + FORGOTTEN_NODE_EXT_DATA_LEN;
    case 'shard-id':
      return PING_EXT_HEADER_LEN + SHARD_ID_EXT_DATA_LEN;
    case 'raw':
      return PING_EXT_HEADER_LEN + ext.data.length;
  }
}

function writeText(buf: Buffer, off: number, text: string, what: string): void {
  if (text.includes('\0') || !LATIN1_ONLY.test(text)) {
    throw new BusProtocolError('BAD_FIELD', `${what}: must be Latin-1 without NUL`);
  }
  buf.write(text, off, 'latin1'); // the NUL and the padding are already zero
}

/** Writes `ext` at `off` of a zero-filled buffer; returns the bytes written. */
export function writePingExt(buf: Buffer, off: number, ext: PingExt): number {
  const len = pingExtLength(ext);
  let type: number;
  let unused = 0;
  const data = off + PING_EXT.data;
  switch (ext.kind) {
    case 'hostname':
      type = PingExtType.HOSTNAME;
      writeText(buf, data, ext.hostname, 'hostname extension');
      break;
    case 'human-nodename':
      type = PingExtType.HUMAN_NODENAME;
      writeText(buf, data, ext.nodename, 'human-nodename extension');
      break;
    case 'forgotten-node':
      type = PingExtType.FORGOTTEN_NODE;
      writeFixedText(buf, data, NODE_NAME_LEN, ext.name, 'forgotten-node extension name');
      writeU64(buf, data + NODE_NAME_LEN, ext.ttl, 'forgotten-node extension ttl');
      break;
    case 'shard-id':
      type = PingExtType.SHARDID;
      writeFixedText(buf, data, NODE_NAME_LEN, ext.shardId, 'shard-id extension');
      break;
    case 'raw':
      type = ext.type;
      unused = ext.unused ?? 0;
      if (ext.data.length % 8 !== 0) {
        throw new BusProtocolError('BAD_FIELD', `raw extension data is ${ext.data.length} bytes, not 8-aligned`);
      }
      buf.set(ext.data, data);
      break;
  }
  checkUint(type, 16, 'extension type');
  checkUint(unused, 16, 'extension unused field');
  checkUint(len, 32, 'extension length');
  buf.writeUInt32BE(len, off + PING_EXT.length);
  buf.writeUInt16BE(type, off + PING_EXT.type);
  buf.writeUInt16BE(unused, off + PING_EXT.unused);
  return len;
}

/** A text extension, if its bytes are exactly what Redis writes for that text. */
function readText(data: Buffer): string | undefined {
  const nul = data.indexOf(0);
  if (nul < 0 || data.length !== align8(nul + 1) || !isAllZero(data, nul, data.length)) return undefined;
  return data.toString('latin1', 0, nul);
}

function decodeOne(type: number, unused: number, data: Buffer): PingExt {
  if (unused === 0) {
    if (type === PingExtType.HOSTNAME) {
      const hostname = readText(data);
      if (hostname !== undefined) return { kind: 'hostname', hostname };
    } else if (type === PingExtType.HUMAN_NODENAME) {
      const nodename = readText(data);
      if (nodename !== undefined) return { kind: 'human-nodename', nodename };
    } else if (type === PingExtType.FORGOTTEN_NODE && data.length === FORGOTTEN_NODE_EXT_DATA_LEN) {
      return {
        kind: 'forgotten-node',
        name: readFixedText(data, 0, NODE_NAME_LEN),
        ttl: data.readBigUInt64BE(NODE_NAME_LEN),
      };
    } else if (type === PingExtType.SHARDID && data.length === SHARD_ID_EXT_DATA_LEN) {
      return { kind: 'shard-id', shardId: readFixedText(data, 0, NODE_NAME_LEN) };
    }
  }
  return unused === 0 ? { kind: 'raw', type, data } : { kind: 'raw', type, unused, data };
}

/**
 * Reads `count` extensions starting at `off`, none may pass `end` (the frame's totlen).
 * Checks as cluster.c clusterProcessPacket does (length a multiple of 8, not beyond the
 * frame), and also refuses a length below 8, which 7.0 would accept and then loop on.
 * Returns the extensions and the offset after the last one.
 */
export function readPingExts(frame: Buffer, off: number, count: number, end: number, msgType: number): { exts: PingExt[]; end: number } {
  const exts: PingExt[] = [];
  for (let i = 0; i < count; i++) {
    if (off + PING_EXT_HEADER_LEN > end) {
      throw new BusProtocolError('BAD_EXTENSION', `extension ${i} of ${count} starts beyond the frame (${off} of ${end})`, msgType);
    }
    const len = frame.readUInt32BE(off + PING_EXT.length);
    if (len % 8 !== 0 || len < PING_EXT_HEADER_LEN) {
      throw new BusProtocolError('BAD_EXTENSION', `extension ${i} has length ${len}, not a multiple of 8 of at least 8`, msgType);
    }
    if (len > end - off) {
      throw new BusProtocolError('BAD_EXTENSION', `extension ${i} of ${len} bytes exceeds the frame (${end - off} left)`, msgType);
    }
    const type = frame.readUInt16BE(off + PING_EXT.type);
    const unused = frame.readUInt16BE(off + PING_EXT.unused);
    const data = Buffer.from(frame.subarray(off + PING_EXT_HEADER_LEN, off + len));
    exts.push(decodeOne(type, unused, data));
    off += len;
  }
  return { exts, end: off };
}
