#!/bin/bash
# 07 cost of connect() as the default ephemeral range (32768-60999, 28232 ports) fills
# with TIME_WAIT towards one destination (tcp_tw_reuse=0 in the client netns).
# 28400 serial client-first connect->close; prints the mean time per attempt in
# windows of 2000 attempts. Usage: bash 07-port-scan-cost.sh   (about 1-2 minutes)
source "$(dirname "$0")/lib.sh"
hdr "07 connect() cost while the default range fills"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
csys net.ipv4.tcp_tw_reuse=0
echo "client range: $(cx sysctl -n net.ipv4.ip_local_port_range | xargs)"
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 300; wait_port "$S" 9000
cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 28400 --out "$T/b" | cut -c1-200
echo "client TIME-WAIT: $(count_state "$C" time-wait)"
python3 - "$T/b" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
t = [float(r[1]) for r in rows]
ok = [r[2] != "0" for r in rows]
print("attempts        ok   mean us/attempt")
for a in list(range(0, 28000, 2000)) + [28000]:
    b = min(a + (2000 if a < 28000 else 400), len(t))
    if b - a < 2: break
    d = (t[b - 1] - t[a]) / (b - 1 - a) * 1e6
    print(f"{a:5d}-{b - 1:5d} {sum(ok[a:b]):5d} {d:10.1f}")
print("around the knee, windows of 100:")
for a in range(13600, 14600, 100):
    b = a + 100
    print(f"{a:5d}-{b - 1:5d} {sum(ok[a:b]):5d} {(t[b - 1] - t[a]) / 99 * 1e6:10.1f}")
PY
