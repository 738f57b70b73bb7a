// SocketTable: rows in, records out, and what it keeps as rows arrive (counts by family and
// state, the rows of the rare states) agrees with the rows themselves.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_STATES, type TcpState } from '../tcp/state.js';
import { SocketTable, stateIndexOfCode, type SocketRecord } from './socket.js';

const record = (state: TcpState, localPort: number, extra: Partial<SocketRecord> = {}): SocketRecord => ({
  family: 4,
  state,
  localAddress: '198.18.0.1',
  localPort,
  remoteAddress: '198.18.0.2',
  remotePort: 80,
  inode: 0,
  ...extra,
});

describe('SocketTable', () => {
  // More rows than the first capacity, so the columns grow on the way.
  const records = Array.from({ length: 3000 }, (_, i): SocketRecord => {
    const state = TCP_STATES[i % TCP_STATES.length] as TcpState;
    return record(state, 1024 + i, { family: i % 3 === 0 ? 6 : 4, ...(i % 7 === 0 ? { remoteAddress: '::1' } : {}), inode: i, ...(i === 5 ? { owners: [{ pid: 42, command: 'x' }] } : {}) });
  });
  const table = SocketTable.of(records);

  it('gives back every row as the record it was given; each address text stored once', () => {
    assert.equal(table.length, records.length);
    assert.deepEqual(table.records(), records);
    assert.deepEqual([...table.addresses].sort(), ['198.18.0.1', '198.18.0.2', '::1']);
  });

  it('counts by family and state, and the rows in LISTEN, CLOSE, CLOSE_WAIT and FIN_WAIT_2, as the rows say', () => {
    TCP_STATES.forEach((state, k) => {
      assert.equal(table.ipv4[k], records.filter((r) => r.family === 4 && r.state === state).length, `${state} IPv4`);
      assert.equal(table.ipv6[k], records.filter((r) => r.family === 6 && r.state === state).length, `${state} IPv6`);
    });
    for (const state of ['LISTEN', 'CLOSE', 'CLOSE_WAIT', 'FIN_WAIT_2'] as const) {
      assert.deepEqual(table.rowsIn(state), records.flatMap((r, i) => (r.state === state ? [i] : [])), state);
    }
  });

  it("the kernel's state numbers: 1 ESTABLISHED ... 11 CLOSING, 12 (request socket) SYN_RECV, others unknown", () => {
    assert.equal(TCP_STATES[stateIndexOfCode(1)], 'ESTABLISHED');
    assert.equal(TCP_STATES[stateIndexOfCode(6)], 'TIME_WAIT');
    assert.equal(TCP_STATES[stateIndexOfCode(11)], 'CLOSING');
    assert.equal(TCP_STATES[stateIndexOfCode(12)], 'SYN_RECV');
    for (const code of [0, 13, 255]) assert.equal(stateIndexOfCode(code), -1);
  });
});
