// PAWS: Protection Against Wrapped Sequences (RFC 7323 section 5; include/net/tcp.h
// tcp_paws_check / tcp_paws_reject).


/** include/net/tcp.h TCP_PAWS_MSL: an RST is exempt from PAWS once ts_recent is this old (s). */
const TCP_PAWS_MSL_S = 60;

/**
 * tcp_paws_check: the segment's TSval is acceptable against ts_recent, allowing `window`
 * ticks of lag; a ts_recent older than `trustS` seconds (profile: 2147 s on 6.7+, 24 days
 * before), or zero, is not trusted.
 */
export function pawsCheck(tsRecent: number, tsRecentStamp: number, tsVal: number, window: number, seconds: number, trustS: number): boolean {
  if (((tsRecent - tsVal) | 0) <= window) return true;
  if (seconds - tsRecentStamp >= trustS) return true;
  if (tsRecent === 0) return true;
  return false;
}

/** tcp_paws_reject: strict check (window 0); an RST passes once ts_recent is older than TCP_PAWS_MSL. */
export function pawsReject(tsRecent: number, tsRecentStamp: number, tsVal: number, rst: boolean, seconds: number, trustS: number): boolean {
  if (pawsCheck(tsRecent, tsRecentStamp, tsVal, 0, seconds, trustS)) return false;
  if (rst && seconds - tsRecentStamp >= TCP_PAWS_MSL_S) return false;
  return true;
}
