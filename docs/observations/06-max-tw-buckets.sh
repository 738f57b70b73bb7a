#!/bin/bash
# 06 tcp_max_tw_buckets = 10 in the client netns; 50 serial client-first connections
# (the server reads to EOF, then closes). Counts TIME_WAIT and the overflow counter,
# and captures what happens on the wire to a connection that could not get a bucket.
# Usage: bash 06-max-tw-buckets.sh [now|late]...   (no argument: both)
#   now   the server closes as soon as it reads the EOF (its FIN usually carries the ACK)
#   late  the server closes 0.2 s after the EOF (ACK first, FIN 0.2 s later), so the
#         client's sockets need a bucket already for the FIN_WAIT_2 substate
if [ $# -eq 0 ]; then set -- now late; fi
if [ $# -gt 1 ]; then
  rc=0; for c in "$@"; do bash "$0" "$c" || rc=1; done; exit $rc
fi
DELAY=$([ "$1" = late ] && echo 0.2 || echo 0)
source "$(dirname "$0")/lib.sh"
hdr "06 tcp_max_tw_buckets=10, server closes $DELAY s after the EOF"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
csys net.ipv4.tcp_max_tw_buckets=10
echo "server (default) tcp_max_tw_buckets: $(sx sysctl -n net.ipv4.tcp_max_tw_buckets)"
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --close-delay $DELAY --seconds 20; wait_port "$S" 9000
snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
cap "$C" "$CDEV" "$T/pcap"
cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 50 --out "$T/burst"
sleep 0.7; cap_stop
snap "$C" >"$T/c1"; snap "$S" >"$T/s1"
echo "client states: $(cx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"
echo "server states: $(sx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"
echo "client nstat delta:"; delta "$T/c0" "$T/c1" | grep -E "Tcp" || true
echo "server nstat delta:"; delta "$T/s0" "$T/s1" | grep -E "Tcp" || true
echo "packet pattern per connection (c = client, s = server), count:"
show "$T/pcap" | python3 -c '
import re, sys, collections
pk = collections.defaultdict(list)
for l in sys.stdin:
    m = re.search(r"198\.18\.0\.1\.(\d+) > .*Flags \[(.*?)\]", l)
    if m: pk[m.group(1)].append("c" + m.group(2)); continue
    m = re.search(r"> 198\.18\.0\.1\.(\d+): Flags \[(.*?)\]", l)
    if m: pk[m.group(1)].append("s" + m.group(2))
for k, v in collections.Counter(" ".join(v) for v in pk.values()).most_common():
    print(f"  {v:3d}  {k}")'
port=$(awk 'NR==20{print $3}' "$T/burst")
echo "trace of the 20th connection (port $port):"; show "$T/pcap" "port $port" | sed 's/^/  /'
