#!/bin/bash
# 06b tcp_max_tw_buckets = VALUE in the client netns, for each VALUE given (default: -1 0 5
# -2147483648); 20 serial client-first connections each time (the server reads to EOF, then
# closes). Prints the TIME_WAIT sockets left and the TcpExtTCPTimeWaitOverflow delta: which
# values refuse TIME_WAIT, which cap it, and which mean "no limit".
# Usage: bash 06b-max-tw-buckets-values.sh [VALUE...]
if [ $# -eq 0 ]; then set -- -1 0 5 -2147483648; fi
source "$(dirname "$0")/lib.sh"
hdr "06b tcp_max_tw_buckets values: $*"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 60; wait_port "$S" 9000
for v in "$@"; do
  csys net.ipv4.tcp_max_tw_buckets="$v"
  cx ss -K state time-wait >/dev/null 2>&1 || true
  snap "$C" >"$T/c0"
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 20 >/dev/null
  sleep 0.3
  snap "$C" >"$T/c1"
  ovf=$(delta "$T/c0" "$T/c1" | awk '/TcpExtTCPTimeWaitOverflow/ {print $2}')
  echo "tcp_max_tw_buckets=$(cx sysctl -n net.ipv4.tcp_max_tw_buckets): TIME_WAIT $(count_state "$C" time-wait), TcpExtTCPTimeWaitOverflow ${ovf:-0}"
done
