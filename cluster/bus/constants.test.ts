import { describe, expect, it } from 'vitest';
import {
  BUS_HEADER_LEN,
  BUS_TYPES,
  BusType,
  GOSSIP,
  GOSSIP_ENTRY_LEN,
  HDR,
  UNFRAMED_TYPE,
  busTypeLayout,
  busTypeName,
} from './constants.js';

describe('bus constants', () => {
  it('bus: header offsets match the cluster.h static_asserts and end at 2256', () => {
    expect(HDR.myslots).toBe(80);
    expect(HDR.slaveof).toBe(2128);
    expect(HDR.myip).toBe(2168);
    expect(HDR.extensions).toBe(2214);
    expect(HDR.mflags).toBe(2253);
    expect(HDR.data).toBe(BUS_HEADER_LEN);
    expect(HDR.mflags + 3).toBe(BUS_HEADER_LEN);
  });

  it('bus: gossip entry fields fill exactly 104 bytes', () => {
    expect(GOSSIP.notused1 + 2).toBe(GOSSIP_ENTRY_LEN);
    expect(GOSSIP.ip + 46).toBe(GOSSIP.port);
  });

  it('bus: the type table agrees with BusType and names types like CLUSTER INFO', () => {
    expect(BUS_TYPES.map((t) => t.code)).toEqual(Object.values(BusType));
    expect(busTypeName(BusType.FAILOVER_AUTH_REQUEST)).toBe('auth-req');
    expect(busTypeName(BusType.PUBLISHSHARD)).toBe('publishshard');
    expect(busTypeName(42)).toBe('type-42');
    expect(busTypeName(12)).toBe('patch');
    expect(busTypeName(UNFRAMED_TYPE)).toBe('unframed');
    expect(busTypeLayout(BusType.MEET)).toBe('ping');
    expect(busTypeLayout(11)).toBeUndefined();
  });
});
