#!/bin/bash
# 02 close-wait-leak: client tcp_fin_timeout 5; the server accepts and never closes;
# 50 serial connect->close from the client. Snapshots of both namespaces at 1 s and
# 7 s after the burst starts, and the exact lifetime of the orphaned FIN_WAIT_2
# sockets (polled every 50 ms).
# Usage: bash 02-close-wait-leak.sh
source "$(dirname "$0")/lib.sh"
hdr "02 close-wait-leak"
tw_up
csys net.ipv4.tcp_fin_timeout=5
bg "$S" python3 "$OBS/tw.py" serve 9001 never --seconds 15
wait_port "$S" 9001
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
cap "$C" "$CDEV" "$T/pcap"
bg "$C" python3 "$OBS/tw.py" watch fin-wait-2 --interval 0.05 --seconds 12 --out "$T/fw2"; W=$!
sleep 0.3
t0=$(date +%s.%N)
cx python3 "$OBS/tw.py" burst $SADDR 9001 --count 50 --out "$T/burst"
states() { echo "  client: $(cx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"
           echo "  server: $(sx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"; }
sleep "$(python3 -c "print(max(0, $t0 + 1 - $(date +%s.%N)))")"
echo "at 1 s:"; states
echo "  client timers (3 of them):"; cx ss -Htano state fin-wait-2 | head -3 | sed 's/^/    /'
echo "  server CLOSE-WAIT timers (1):"; sx ss -Htano state close-wait | head -1 | sed 's/^/    /'
sleep "$(python3 -c "print(max(0, $t0 + 7 - $(date +%s.%N)))")"
echo "at 7 s:"; states
wait $W || true
cap_stop
echo "packets of the first connection (client side; time relative to its SYN):"
show "$T/pcap" "port $(awk 'NR==1{print $3}' "$T/burst")" | sed 's/^/  /'
echo "delay from the client's FIN to the server's ACK of it (all 50 connections):"
show "$T/pcap" | python3 -c '
import re, sys
fin, d = {}, []
for l in sys.stdin:
    t = float(l.split()[0])
    m = re.search(r"198\.18\.0\.1\.(\d+) > .*Flags \[F", l)
    if m: fin[m.group(1)] = t; continue
    m = re.search(r"> 198\.18\.0\.1\.(\d+): Flags \[\.\]", l)
    if m and m.group(1) in fin: d.append((t - fin.pop(m.group(1))) * 1000)
d.sort(); print(f"  n={len(d)} min={d[0]:.2f} ms median={d[len(d)//2]:.2f} ms max={d[-1]:.2f} ms")'
echo "orphaned FIN_WAIT_2 lifetime (last seen minus close(), poll 50 ms):"
python3 "$OBS/tw.py" lifetimes "$T/burst" "$T/fw2"
snap "$C" >"$T/c1"; snap "$S" >"$T/s1"
echo "client nstat delta:"; delta "$T/c0" "$T/c1"
echo "server nstat delta:"; delta "$T/s0" "$T/s1"
