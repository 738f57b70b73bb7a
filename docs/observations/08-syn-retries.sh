#!/bin/bash
# 08 SYN retransmission schedule: the server namespace drops every incoming SYN
# (nftables). When do the SYNs go out, when does connect() fail, with which errno?
# Usage: bash 08-syn-retries.sh [SYN_RETRIES|default [LINEAR_TIMEOUTS|default]]
#   e.g. "3" (~20 s), "3 0" (~15 s), "default" (~131 s)
source "$(dirname "$0")/lib.sh"
R=${1:-3}; L=${2:-default}
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
[ "$R" != default ] && csys net.ipv4.tcp_syn_retries=$R
[ "$L" != default ] && csys net.ipv4.tcp_syn_linear_timeouts=$L
hdr "08 SYN retransmissions into a black hole, client tcp_syn_retries=$(cx sysctl -n net.ipv4.tcp_syn_retries) tcp_syn_linear_timeouts=$(cx sysctl -n net.ipv4.tcp_syn_linear_timeouts)"
sx nft add table inet twobs
sx nft add chain inet twobs in '{ type filter hook input priority 0; }'
sx nft add rule inet twobs in tcp dport 9000 drop
cap "$C" "$CDEV" "$T/pcap"
snap "$C" >"$T/c0"
cx python3 -c '
import errno, socket, time
s = socket.socket(); t = time.monotonic()
try:
    s.connect(("198.18.0.2", 9000)); print("connected?!")
except OSError as e:
    print(f"connect() failed after {time.monotonic() - t:.3f} s: {errno.errorcode[e.errno]}")'
cap_stop; show "$T/pcap" | awk '{printf "  SYN at %8.3f s (gap %6.3f)\n", $1, $1 - p; p = $1}'
snap "$C" >"$T/c1"; echo "client nstat delta: $(delta "$T/c0" "$T/c1" | grep Tcp | xargs)"
