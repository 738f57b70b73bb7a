// The request socket (struct request_sock, state TCP_NEW_SYN_RECV): what a listener keeps for
// a connection between the SYN and the handshake's final ACK. It sits in the established
// hash, so it holds its 4-tuple, and retransmits its SYN-ACK on its own timer
// (inet_connection_sock.c reqsk_timer_handler).

import { Timer, type Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import type { TcpSocket } from './socket.js';

export interface RequestOwner {
  requestTimer(req: RequestSock): void;
}

export class RequestSock implements Due {
  /** The SYN-ACK retransmission timer (rsk_timer). */
  readonly timer = new Timer(this, 0);
  /** SYN-ACK retransmissions so far (req->num_retrans). */
  retrans = 0;
  /** The final ACK came but the accept queue was full (tcp_abort_on_overflow = 0). */
  acked = false;
  lastOowAck: Micros = -Infinity;
  /** When the first SYN-ACK went out (tcp_rsk(req)->snt_synack), for the child's RTT; -1 before. */
  sntSynack: Micros = -1;
  /** SACK-permitted negotiated (both SYNs offered it). */
  sackOk = false;
  /** Window scaling negotiated; the peer's shift (applied to its windows) and ours. */
  wscaleOk = false;
  sndWscale = 0;
  rcvWscale = 0;

  constructor(
    private readonly owner: RequestOwner,
    readonly listener: TcpSocket,
    readonly lport: number,
    raddr: Ipv4,
    readonly rport: number,
    /** rcv_isn: the peer's ISN; snt_isn: ours. */
    irs: number,
    iss: number,
    readonly tsOk: boolean,
    readonly tsRecent: number,
    readonly tsRecentStamp: number,
    readonly tsOffset: number,
    readonly mss: number,
    readonly sndWnd: number,
    readonly incarnation: number,
    readonly peerIncarnation: number,
  ) {
    this.raddr32 = raddr | 0;
    this.irs32 = irs | 0;
    this.iss32 = iss | 0;
  }

  // Unsigned 32-bit values kept as int32 and read back unsigned, as in TcpSocket: V8 would
  // box each in a heap number of its own.
  private readonly raddr32: number;
  private readonly irs32: number;
  private readonly iss32: number;
  get raddr(): Ipv4 {
    return this.raddr32 >>> 0;
  }
  get irs(): number {
    return this.irs32 >>> 0;
  }
  get iss(): number {
    return this.iss32 >>> 0;
  }

  fire(_now: Micros): void {
    this.owner.requestTimer(this);
  }
}
