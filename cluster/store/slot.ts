/**
 * Key -> hash slot, exactly as Redis' keyHashSlot (cluster.c):
 *
 *   s = index of the first '{'            none        -> CRC16(whole key)
 *   e = index of the first '}' after s    none        -> CRC16(whole key)
 *                                         e == s + 1  -> CRC16(whole key)   ("{}" is no tag)
 *   otherwise                                         -> CRC16(key[s+1 .. e-1])
 *   slot = CRC16 & 0x3FFF
 *
 * Why not cluster-key-slot: it agrees for Buffers and for ordinary tags, but after an
 * empty "{}" it keeps reading and takes the next "...}" as the tag, so `foo{}{bar}` hashes
 * "{bar" there while Redis hashes the whole key (slot.test.ts pins both). Its string
 * input is also UTF-8 encoded, while our keys are latin1 strings (one char per byte).
 */

/** CRC16-CCITT (XMODEM): poly 0x1021, init 0, no reflection; "123456789" -> 0x31C3. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

export const SLOT_COUNT = 16384;

/** CRC16 of the chars [from, to) of a latin1 string (each char code is one byte). */
export function crc16(key: string, from = 0, to = key.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff];
  }
  return crc;
}

/** Slot of a key held as a latin1 string. */
export function keyHashSlot(key: string): number {
  const s = key.indexOf('{');
  if (s >= 0) {
    const e = key.indexOf('}', s + 1);
    if (e > s + 1) return crc16(key, s + 1, e) & 0x3fff;
  }
  return crc16(key) & 0x3fff;
}

/** Slot of a key as the dispatcher receives it. */
export function bufferHashSlot(key: Buffer): number {
  return keyHashSlot(key.toString('latin1'));
}
