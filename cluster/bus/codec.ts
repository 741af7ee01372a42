/**
 * Encoder and decoder of whole cluster bus frames (Redis 7.0 clusterMsg), byte exact.
 *
 * decodeBusMessage checks what Redis checks before it trusts a frame (cluster.c
 * clusterReadHandler: signature, totlen >= CLUSTERMSG_MIN_LEN; clusterProcessPacket: ver,
 * and totlen equal to the length the type's own fields imply), and a little more where
 * 7.0 would read out of bounds. Expected lengths per layout:
 *
 *   ping     2256 + 104 * count (+ every extension's length, if FLAG0_EXT_DATA)
 *   fail     2256 + 40
 *   publish  2256 + 8 + channel_len + message_len
 *   empty    2256                       (AUTH_REQUEST, AUTH_ACK, MFSTART)
 *   update   2256 + 8 + 40 + 2048 = 4352
 *   module   2256 + 13 + len
 *   unknown  anything >= 2256            ("we assume it's well formed")
 *
 * Guarantee: encodeBusMessage(decodeBusMessage(f)) equals f byte for byte for every frame
 * a Redis 7.0 node emits. Bytes Redis never reads are not kept: text after a NUL
 * terminator in myip / gossip ip, and count / extensions of non-gossip types.
 */
import {
  BUS_HEADER_LEN,
  BUS_PROTO_VER,
  BUS_SIGNATURE,
  FAIL_DATA_LEN,
  FRAME_PREFIX_LEN,
  GOSSIP,
  GOSSIP_ENTRY_LEN,
  HDR,
  HEADER_RESERVED_LEN,
  IP_FIELD_LEN,
  MFlag0,
  MODULE_DATA_FIXED_LEN,
  NODE_NAME_LEN,
  PUBLISH_DATA_FIXED_LEN,
  SLOT_BITMAP_LEN,
  UPDATE_DATA_LEN,
  busTypeLayout,
  busTypeName,
} from './constants.js';
import { BusProtocolError } from './errors.js';
import {
  checkUint,
  isAllZero,
  readFixedText,
  readPaddedText,
  writeFixedText,
  writePaddedText,
  writeU64,
} from './fields.js';
import { LAYOUT_KIND, type BusBody, type BusHeader, type BusMessage, type GossipEntry } from './message.js';
import { pingExtLength, readPingExts, writePingExt } from './ping-ext.js';

const SIGNATURE = Buffer.from(BUS_SIGNATURE, 'latin1');
const NULL_NAME = '\0'.repeat(NODE_NAME_LEN);

// ---------------------------------------------------------------------------- encode

function bodyLength(body: BusBody): number {
  switch (body.kind) {
    case 'ping':
      return body.gossip.length * GOSSIP_ENTRY_LEN + body.exts.reduce((n, e) => n + pingExtLength(e), 0);
    case 'fail':
      return FAIL_DATA_LEN;
    case 'publish':
      return PUBLISH_DATA_FIXED_LEN + body.channel.length + body.message.length;
    case 'empty':
      return 0;
    case 'update':
      return UPDATE_DATA_LEN;
    case 'module':
      return MODULE_DATA_FIXED_LEN + body.payload.length;
    case 'raw':
      return body.data.length;
  }
}

function writeHeader(buf: Buffer, h: BusHeader, totlen: number, count: number, extensions: number, mflags0: number): void {
  checkUint(h.type, 16, 'type');
  checkUint(h.port, 16, 'port');
  checkUint(h.pport, 16, 'pport');
  checkUint(h.cport, 16, 'cport');
  checkUint(h.flags, 16, 'flags');
  checkUint(h.state, 8, 'state');
  checkUint(count, 16, 'count');
  checkUint(extensions, 16, 'extensions');
  if (h.mflags.length !== 3) throw new BusProtocolError('BAD_FIELD', `mflags: expected 3 bytes, got ${h.mflags.length}`);
  h.mflags.forEach((m, i) => checkUint(m, 8, `mflags[${i}]`));
  if (h.myslots.length !== SLOT_BITMAP_LEN) {
    throw new BusProtocolError('BAD_FIELD', `myslots: expected ${SLOT_BITMAP_LEN} bytes, got ${h.myslots.length}`);
  }
  SIGNATURE.copy(buf, HDR.sig);
  buf.writeUInt32BE(totlen, HDR.totlen);
  buf.writeUInt16BE(BUS_PROTO_VER, HDR.ver);
  buf.writeUInt16BE(h.port, HDR.port);
  buf.writeUInt16BE(h.type, HDR.type);
  buf.writeUInt16BE(count, HDR.count);
  writeU64(buf, HDR.currentEpoch, h.currentEpoch, 'currentEpoch');
  writeU64(buf, HDR.configEpoch, h.configEpoch, 'configEpoch');
  writeU64(buf, HDR.offset, h.offset, 'offset');
  writeFixedText(buf, HDR.sender, NODE_NAME_LEN, h.sender, 'sender');
  buf.set(h.myslots, HDR.myslots);
  if (h.slaveof !== null) writeFixedText(buf, HDR.slaveof, NODE_NAME_LEN, h.slaveof, 'slaveof');
  writePaddedText(buf, HDR.myip, IP_FIELD_LEN, h.myip, 'myip');
  buf.writeUInt16BE(extensions, HDR.extensions);
  if (h.reserved !== undefined) {
    if (h.reserved.length !== HEADER_RESERVED_LEN) {
      throw new BusProtocolError('BAD_FIELD', `reserved: expected ${HEADER_RESERVED_LEN} bytes`);
    }
    buf.set(h.reserved, HDR.notused1);
  }
  buf.writeUInt16BE(h.pport, HDR.pport);
  buf.writeUInt16BE(h.cport, HDR.cport);
  buf.writeUInt16BE(h.flags, HDR.flags);
  buf[HDR.state] = h.state;
  buf[HDR.mflags] = mflags0;
  buf[HDR.mflags + 1] = h.mflags[1];
  buf[HDR.mflags + 2] = h.mflags[2];
}

function writeGossip(buf: Buffer, off: number, g: GossipEntry, i: number): void {
  const what = `gossip[${i}]`;
  checkUint(g.pingSent, 32, `${what}.pingSent`);
  checkUint(g.pongReceived, 32, `${what}.pongReceived`);
  checkUint(g.port, 16, `${what}.port`);
  checkUint(g.cport, 16, `${what}.cport`);
  checkUint(g.flags, 16, `${what}.flags`);
  checkUint(g.pport, 16, `${what}.pport`);
  checkUint(g.notused ?? 0, 16, `${what}.notused`);
  writeFixedText(buf, off + GOSSIP.nodename, NODE_NAME_LEN, g.nodename, `${what}.nodename`);
  buf.writeUInt32BE(g.pingSent, off + GOSSIP.pingSent);
  buf.writeUInt32BE(g.pongReceived, off + GOSSIP.pongReceived);
  writePaddedText(buf, off + GOSSIP.ip, IP_FIELD_LEN, g.ip, `${what}.ip`);
  buf.writeUInt16BE(g.port, off + GOSSIP.port);
  buf.writeUInt16BE(g.cport, off + GOSSIP.cport);
  buf.writeUInt16BE(g.flags, off + GOSSIP.flags);
  buf.writeUInt16BE(g.pport, off + GOSSIP.pport);
  buf.writeUInt16BE(g.notused ?? 0, off + GOSSIP.notused1);
}

function checkKind(h: BusHeader, body: BusBody): void {
  if (body.kind === 'raw') return; // escape hatch: any code, bytes as given
  const layout = busTypeLayout(h.type);
  if (layout === undefined || LAYOUT_KIND[layout] !== body.kind) {
    throw new BusProtocolError(
      'TYPE_MISMATCH',
      `a ${body.kind} body cannot travel as type ${h.type} (${busTypeName(h.type)})`,
      h.type,
    );
  }
}

/**
 * One frame for `m`. totlen, count, extensions and FLAG0_EXT_DATA are computed here; a
 * field that does not fit its wire width throws BusProtocolError('BAD_FIELD').
 */
export function encodeBusMessage(m: BusMessage): Buffer {
  const { header: h, body } = m;
  checkKind(h, body);
  const totlen = BUS_HEADER_LEN + bodyLength(body);
  checkUint(totlen, 32, 'totlen');
  const buf = Buffer.alloc(totlen);
  let count = 0;
  let extensions = 0;
  let mflags0 = h.mflags[0];
  if (body.kind === 'ping') {
    count = body.gossip.length;
    extensions = body.exts.length;
    if (extensions > 0) mflags0 |= MFlag0.EXT_DATA;
  } else if (body.kind === 'raw') {
    count = body.count;
    extensions = body.extensions;
  }
  writeHeader(buf, h, totlen, count, extensions, mflags0);

  let off = HDR.data;
  switch (body.kind) {
    case 'ping':
      body.gossip.forEach((g, i) => writeGossip(buf, off + i * GOSSIP_ENTRY_LEN, g, i));
      off += count * GOSSIP_ENTRY_LEN;
      for (const ext of body.exts) off += writePingExt(buf, off, ext);
      break;
    case 'fail':
      writeFixedText(buf, off, NODE_NAME_LEN, body.nodename, 'fail nodename');
      break;
    case 'publish':
      buf.writeUInt32BE(body.channel.length, off);
      buf.writeUInt32BE(body.message.length, off + 4);
      body.channel.copy(buf, off + PUBLISH_DATA_FIXED_LEN);
      body.message.copy(buf, off + PUBLISH_DATA_FIXED_LEN + body.channel.length);
      break;
    case 'empty':
      break;
    case 'update':
      writeU64(buf, off, body.configEpoch, 'update configEpoch');
      writeFixedText(buf, off + 8, NODE_NAME_LEN, body.nodename, 'update nodename');
      if (body.slots.length !== SLOT_BITMAP_LEN) {
        throw new BusProtocolError('BAD_FIELD', `update slots: expected ${SLOT_BITMAP_LEN} bytes`);
      }
      buf.set(body.slots, off + 8 + NODE_NAME_LEN);
      break;
    case 'module':
      writeU64(buf, off, body.moduleId, 'module id');
      buf.writeUInt32BE(body.payload.length, off + 8);
      checkUint(body.moduleType, 8, 'module type');
      buf[off + 12] = body.moduleType;
      body.payload.copy(buf, off + MODULE_DATA_FIXED_LEN);
      break;
    case 'raw':
      body.data.copy(buf, off);
      break;
  }
  return buf;
}

// ---------------------------------------------------------------------------- decode

function mismatch(type: number, totlen: number, explen: number): BusProtocolError {
  return new BusProtocolError(
    'LENGTH_MISMATCH',
    `${busTypeName(type)} frame of length ${totlen} but its fields imply ${explen}`,
    type,
  );
}

/** totlen must equal what the type's fields imply (cluster.c: `totlen != explen`). */
function expectLength(type: number, totlen: number, explen: number): void {
  if (totlen !== explen) throw mismatch(type, totlen, explen);
}

function readHeader(f: Buffer, type: number): BusHeader {
  const slaveof = readFixedText(f, HDR.slaveof, NODE_NAME_LEN);
  const h: BusHeader = {
    type,
    port: f.readUInt16BE(HDR.port),
    pport: f.readUInt16BE(HDR.pport),
    cport: f.readUInt16BE(HDR.cport),
    currentEpoch: f.readBigUInt64BE(HDR.currentEpoch),
    configEpoch: f.readBigUInt64BE(HDR.configEpoch),
    offset: f.readBigUInt64BE(HDR.offset),
    sender: readFixedText(f, HDR.sender, NODE_NAME_LEN),
    myslots: new Uint8Array(f.subarray(HDR.myslots, HDR.myslots + SLOT_BITMAP_LEN)),
    // CLUSTER_NODE_NULL_NAME: Redis writes 40 zero bytes when the sender has no master.
    slaveof: slaveof === NULL_NAME ? null : slaveof,
    myip: readPaddedText(f, HDR.myip, IP_FIELD_LEN),
    flags: f.readUInt16BE(HDR.flags),
    state: f[HDR.state],
    mflags: [f[HDR.mflags], f[HDR.mflags + 1], f[HDR.mflags + 2]],
  };
  if (!isAllZero(f, HDR.notused1, HDR.notused1 + HEADER_RESERVED_LEN)) {
    h.reserved = new Uint8Array(f.subarray(HDR.notused1, HDR.notused1 + HEADER_RESERVED_LEN));
  }
  return h;
}

function readGossip(f: Buffer, off: number): GossipEntry {
  const g: GossipEntry = {
    nodename: readFixedText(f, off + GOSSIP.nodename, NODE_NAME_LEN),
    pingSent: f.readUInt32BE(off + GOSSIP.pingSent),
    pongReceived: f.readUInt32BE(off + GOSSIP.pongReceived),
    ip: readPaddedText(f, off + GOSSIP.ip, IP_FIELD_LEN),
    port: f.readUInt16BE(off + GOSSIP.port),
    cport: f.readUInt16BE(off + GOSSIP.cport),
    flags: f.readUInt16BE(off + GOSSIP.flags),
    pport: f.readUInt16BE(off + GOSSIP.pport),
  };
  const notused = f.readUInt16BE(off + GOSSIP.notused1);
  if (notused !== 0) g.notused = notused;
  return g;
}

function readPingBody(f: Buffer, type: number, totlen: number): BusBody {
  const count = f.readUInt16BE(HDR.count);
  const extensions = f.readUInt16BE(HDR.extensions);
  const gossipEnd = BUS_HEADER_LEN + count * GOSSIP_ENTRY_LEN;
  if (gossipEnd > totlen) throw mismatch(type, totlen, gossipEnd);
  const gossip: GossipEntry[] = [];
  for (let off = BUS_HEADER_LEN; off < gossipEnd; off += GOSSIP_ENTRY_LEN) gossip.push(readGossip(f, off));

  if (!(f[HDR.mflags] & MFlag0.EXT_DATA)) {
    // 7.0 validates extensions only under FLAG0_EXT_DATA but then reads `extensions` of
    // them regardless (clusterProcessPingExtensions), past the frame: refuse that here.
    if (extensions !== 0) {
      throw new BusProtocolError('BAD_EXTENSION', `${extensions} extensions announced without FLAG0_EXT_DATA`, type);
    }
    expectLength(type, totlen, gossipEnd);
    return { kind: 'ping', gossip, exts: [] };
  }
  const { exts, end } = readPingExts(f, gossipEnd, extensions, totlen, type);
  expectLength(type, totlen, end);
  return { kind: 'ping', gossip, exts };
}

function readBody(f: Buffer, type: number, totlen: number): BusBody {
  const d = HDR.data;
  switch (busTypeLayout(type)) {
    case 'ping':
      return readPingBody(f, type, totlen);
    case 'fail':
      expectLength(type, totlen, d + FAIL_DATA_LEN);
      return { kind: 'fail', nodename: readFixedText(f, d, NODE_NAME_LEN) };
    case 'publish': {
      if (totlen < d + PUBLISH_DATA_FIXED_LEN) throw mismatch(type, totlen, d + PUBLISH_DATA_FIXED_LEN);
      // Plain numbers: 7.0 sums these in a uint32_t, which can wrap; we never wrap.
      const channelLen = f.readUInt32BE(d);
      const messageLen = f.readUInt32BE(d + 4);
      expectLength(type, totlen, d + PUBLISH_DATA_FIXED_LEN + channelLen + messageLen);
      const c = d + PUBLISH_DATA_FIXED_LEN;
      return {
        kind: 'publish',
        channel: Buffer.from(f.subarray(c, c + channelLen)),
        message: Buffer.from(f.subarray(c + channelLen, totlen)),
      };
    }
    case 'empty':
      expectLength(type, totlen, d);
      return { kind: 'empty' };
    case 'update':
      expectLength(type, totlen, d + UPDATE_DATA_LEN);
      return {
        kind: 'update',
        configEpoch: f.readBigUInt64BE(d),
        nodename: readFixedText(f, d + 8, NODE_NAME_LEN),
        slots: new Uint8Array(f.subarray(d + 8 + NODE_NAME_LEN, d + UPDATE_DATA_LEN)),
      };
    case 'module': {
      if (totlen < d + MODULE_DATA_FIXED_LEN) throw mismatch(type, totlen, d + MODULE_DATA_FIXED_LEN);
      const len = f.readUInt32BE(d + 8);
      expectLength(type, totlen, d + MODULE_DATA_FIXED_LEN + len);
      return {
        kind: 'module',
        moduleId: f.readBigUInt64BE(d),
        moduleType: f[d + 12],
        payload: Buffer.from(f.subarray(d + MODULE_DATA_FIXED_LEN, totlen)),
      };
    }
    case undefined:
      return {
        kind: 'raw',
        count: f.readUInt16BE(HDR.count),
        extensions: f.readUInt16BE(HDR.extensions),
        data: Buffer.from(f.subarray(d, totlen)),
      };
  }
}

/**
 * Decodes exactly one frame (as a BusFramer delivers it). Throws BusProtocolError, and
 * nothing else, for any malformed input. The message owns its bytes (no views of `frame`).
 */
export function decodeBusMessage(frame: Buffer): BusMessage {
  if (frame.length < FRAME_PREFIX_LEN) {
    throw new BusProtocolError('BAD_LENGTH', `frame of ${frame.length} bytes has no signature and length`);
  }
  if (!SIGNATURE.equals(frame.subarray(HDR.sig, HDR.sig + 4))) {
    throw new BusProtocolError('BAD_SIGNATURE', `bad signature ${JSON.stringify(frame.toString('latin1', 0, 4))}`);
  }
  const totlen = frame.readUInt32BE(HDR.totlen);
  if (totlen < BUS_HEADER_LEN) {
    throw new BusProtocolError('BAD_LENGTH', `totlen ${totlen} is below the ${BUS_HEADER_LEN}-byte header`);
  }
  if (totlen !== frame.length) {
    throw new BusProtocolError('LENGTH_MISMATCH', `totlen ${totlen} but ${frame.length} bytes given`);
  }
  const type = frame.readUInt16BE(HDR.type);
  const ver = frame.readUInt16BE(HDR.ver);
  if (ver !== BUS_PROTO_VER) {
    throw new BusProtocolError('BAD_VERSION', `protocol version ${ver}, expected ${BUS_PROTO_VER}`, type);
  }
  const body = readBody(frame, type, totlen);
  return { header: readHeader(frame, type), body };
}
