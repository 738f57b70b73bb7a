// Socket errors by their errno names, as the socket API returns them.
export type Errno =
  | 'EADDRNOTAVAIL' // connect(): no local port free for this destination
  | 'EADDRINUSE' // bind(): port taken
  | 'ECONNREFUSED' // RST in answer to our SYN
  | 'ETIMEDOUT' // retransmissions gave up
  | 'ECONNRESET' // RST on a synchronized connection
  | 'EPIPE' // RST in CLOSE_WAIT, or send after shutdown
  | 'EINVAL'
  | 'EISCONN'
  | 'EALREADY'
  | 'ENOTCONN'
  | 'EAGAIN'
  | 'EINPROGRESS';

/** The errors a client workload reports per connection attempt (result JSON v1 `errors`). */
export const CONNECT_ERRORS = ['EADDRNOTAVAIL', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET'] as const;
