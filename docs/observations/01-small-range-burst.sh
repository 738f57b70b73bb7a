#!/bin/bash
# 01 small-range-burst: 100-port range, tcp_tw_reuse 0, 150 serial connect->close
# (client closes first; the server reads to EOF, then closes).
# Usage: [RFC1337=1] bash 01-small-range-burst.sh ["LOW HIGH"]   (default "50000 50099")
source "$(dirname "$0")/lib.sh"
RANGE=${1:-50000 50099}
RFC1337=${RFC1337:-0}
hdr "01 small-range-burst, range $RANGE, client tcp_rfc1337=$RFC1337"
tw_up
csys net.ipv4.ip_local_port_range="$RANGE" net.ipv4.tcp_tw_reuse=0 net.ipv4.tcp_rfc1337=$RFC1337
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 20
wait_port "$S" 9000
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 150 --out "$T/ports"
sleep 0.5
snap "$C" >"$T/c1"; snap "$S" >"$T/s1"
echo "client states after 0.5 s:"; cx ss -Htan | awk '{print $1}' | sort | uniq -c
echo "server states after 0.5 s:"; sx ss -Htan | awk '{print $1}' | sort | uniq -c
echo "client time-wait: $(count_state "$C" time-wait)"
echo "port order (attempt:port), first 60:"
awk '$3!=0{printf "%s:%s ", $1, $3} NR==60{exit}' "$T/ports"; echo
echo "first failing attempt: $(awk '$3==0{print $1; exit}' "$T/ports")"
python3 - "$T/ports" <<'EOF'
import sys
ps=[int(l.split()[2]) for l in open(sys.argv[1]) if l.split()[2]!="0"]
first_odd=next((i for i,p in enumerate(ps) if p%2), None)
print(f"first odd port at attempt index {first_odd}; even ports before it: {sum(1 for p in ps[:first_odd] if p%2==0)}")
from collections import Counter
dup=[p for p,n in Counter(ps).items() if n>1]
print(f"ports used twice: {dup}")
EOF
echo "client nstat delta:"; delta "$T/c0" "$T/c1"
echo "server nstat delta:"; delta "$T/s0" "$T/s1"
