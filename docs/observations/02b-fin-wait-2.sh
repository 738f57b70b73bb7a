#!/bin/bash
# 02b FIN_WAIT_2 timer variants. Usage: bash 02b-fin-wait-2.sh [long|peerfin|half]...
#   long     tcp_fin_timeout=70 (> 60 s), server never closes: when does the orphan die?
#   peerfin  tcp_fin_timeout=5, server closes 2 s after the client's FIN: the FIN_WAIT_2
#            becomes TIME_WAIT; its lifetime is watched to the end (~62 s)
#   half     tcp_fin_timeout=5, client shutdown(SHUT_WR) without close(), held 8 s
#   short    tcp_fin_timeout=3 (<= 4 s): which counter, TcpExtTW or TcpExtTWKilled?
if [ $# -eq 0 ]; then set -- long peerfin half short; fi
if [ $# -gt 1 ]; then
  rc=0; for c in "$@"; do bash "$0" "$c" || rc=1; done; exit $rc
fi
CASE=$1
source "$(dirname "$0")/lib.sh"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
# st T: wait until T s after mark, then print the client's states and timers
mark() { t0=${EPOCHREALTIME/./}; }
st() { sleep "$(awk -v t0="$t0" -v t="$1" -v now="${EPOCHREALTIME/./}" 'BEGIN { d = t - (now - t0) / 1e6; printf "%.3f", (d > 0 ? d : 0) }')"
       echo "  +$1 s client: $(cx ss -Htano "( dport = :9000 )" | awk '{print $1, $NF}' | sort | uniq -c | xargs)"; }
case $CASE in
long)
  hdr "02b-long tcp_fin_timeout=70, server never closes, 3 connections"
  csys net.ipv4.tcp_fin_timeout=70
  bg "$S" python3 "$OBS/tw.py" serve 9000 never --seconds 40; wait_port "$S" 9000
  bg "$C" python3 "$OBS/tw.py" watch fin-wait-2 --interval 0.1 --seconds 35 --out "$T/w"; W=$!
  sleep 0.3
  mark; cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 3 --out "$T/b" >/dev/null
  for t in 1 9 11 19; do st $t; done
  wait $W || true
  python3 "$OBS/tw.py" lifetimes "$T/b" "$T/w" ;;
peerfin)
  hdr "02b-peerfin tcp_fin_timeout=5, server closes 2 s after the client's FIN"
  csys net.ipv4.tcp_fin_timeout=5
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --close-delay 2 --seconds 10; wait_port "$S" 9000
  bg "$C" python3 "$OBS/tw.py" watch time-wait --interval 0.1 --seconds 70 --out "$T/w"; W=$!
  sleep 0.3
  mark; cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 3 --out "$T/b" >/dev/null
  st 1; st 2.5; st 6.5
  wait $W || true
  echo "TIME_WAIT lifetime (first seen = when the peer's FIN arrived at ~2 s):"
  python3 "$OBS/tw.py" lifetimes "$T/b" "$T/w" ;;
half)
  hdr "02b-half tcp_fin_timeout=5, shutdown(SHUT_WR) without close(), server never closes"
  csys net.ipv4.tcp_fin_timeout=5
  bg "$S" python3 "$OBS/tw.py" serve 9000 never --seconds 15; wait_port "$S" 9000
  mark; bg "$C" python3 "$OBS/pair.py" halfclose $SADDR 9000 --hold 8
  st 1; st 7
  echo "  (the client process closes its socket at 8 s)"; st 9 ;;
short)
  hdr "02b-short tcp_fin_timeout=3, server never closes, 5 connections"
  csys net.ipv4.tcp_fin_timeout=3
  bg "$S" python3 "$OBS/tw.py" serve 9000 never --seconds 10; wait_port "$S" 9000
  snap "$C" >"$T/c0"
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 5 >/dev/null
  sleep 0.5; snap "$C" >"$T/c1"
  echo "  at 0.5 s: $(count_state "$C" fin-wait-2) FIN-WAIT-2; nstat: $(delta "$T/c0" "$T/c1" | grep -E "TW" | xargs)"
  sleep 4; snap "$C" >"$T/c2"
  echo "  at 4.5 s: $(count_state "$C" fin-wait-2) FIN-WAIT-2; nstat since 0.5 s: $(delta "$T/c1" "$T/c2" | grep -E "TW" | xargs)" ;;
*) echo "unknown case" >&2; exit 2 ;;
esac
