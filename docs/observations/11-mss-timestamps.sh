#!/bin/bash
# 11 The payload of a full data segment with and without TCP timestamps: the client writes
# 20 000 bytes at once to a server that reads them; the capture on the client's veth shows
# the data lengths. veth offloads (GSO/TSO) may hand tcpdump several segments as one
# frame, so the lengths are multiples of the segment size (e.g. 7240 = 5 x 1448).
# Usage: bash 11-mss-timestamps.sh
source "$(dirname "$0")/lib.sh"
hdr "11 segment payload with tcp_timestamps 1 and 0"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 30; wait_port "$S" 9000
for ts in 1 0; do
  csys net.ipv4.tcp_timestamps=$ts
  cap "$C" "$CDEV" "$T/pcap$ts"
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --send 20000 >/dev/null
  sleep 0.3; cap_stop
  echo "tcp_timestamps=$ts: client data lengths (count length): $(show "$T/pcap$ts" | grep " IP $CADDR\." | grep -o 'length [0-9]*' | awk '$2>0 {print $2}' | sort -n | uniq -c | xargs)"
done
