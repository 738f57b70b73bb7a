#!/bin/bash
# 03 TIME_WAIT real duration: 300 client-first connections paced at 50/s (6 s, so the
# sockets land in many timer-wheel buckets); poll `ss state time-wait` every 100 ms
# until they are all gone (at most 80 s). Also samples the ss timer column.
# Usage: bash 03-timewait-duration.sh        (takes about 70 s)
source "$(dirname "$0")/lib.sh"
hdr "03 TIME_WAIT duration"
tw_up
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 15
wait_port "$S" 9000
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
snap "$C" >"$T/c0"
bg "$C" python3 "$OBS/tw.py" watch time-wait --interval 0.1 --seconds 80 --out "$T/tw"; W=$!
sleep 0.3
cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 300 --rate 50 --out "$T/burst"
echo "ss timer column right after the burst (first 2 and last 2 sockets):"
cx ss -Htano state time-wait | sed -n '1,2p;$p' | sed 's/^/  /'
sleep 30
echo "ss timer column 30 s later (first 2):"
cx ss -Htano state time-wait | sed -n '1,2p' | sed 's/^/  /'
snap "$C" >"$T/c1"
wait $W || true
snap "$C" >"$T/c2"
echo "TIME_WAIT lifetime (poll 100 ms):"
python3 "$OBS/tw.py" lifetimes "$T/burst" "$T/tw"
echo "client nstat delta during the burst (+30 s):"; delta "$T/c0" "$T/c1" | grep -E "Tcp(Ext)?(TW|Active|OutRsts)"
echo "client nstat delta after expiry (vs +30 s):"; delta "$T/c1" "$T/c2" | grep -E "Tcp" || echo "  (none)"
