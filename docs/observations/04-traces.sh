#!/bin/bash
# 04 packet traces of teardown cases. Usage: bash 04-traces.sh [a|b|c|d|e|f|g]...
# (no argument: all cases, each in its own pair of namespaces)
#  a  normal close, client first
#  b  server closes first; client reconnects from the same port while the server's
#     TIME_WAIT exists and the server still listens (ISN of the SYN-ACK)
#  c  as b, but the listener is closed before the reconnect
#  d  SO_LINGER {1,0} close: RST, counters; then 700 of them, TIME_WAIT counts
#  e  close() with unread data in the receive queue
#  f  simultaneous close (no sch_netem in this kernel: an HTB class at 10 kbit on both
#     veth ends delays the FINs ~60 ms so that they cross)
#  g  bind()-fixed port onto the client's own TIME_WAIT with tcp_tw_reuse=0,
#     timestamps on, then off
if [ $# -eq 0 ]; then set -- a b c d e f g; fi
if [ $# -gt 1 ]; then
  rc=0; for c in "$@"; do bash "$0" "$c" || rc=1; done; exit $rc
fi
CASE=$1
source "$(dirname "$0")/lib.sh"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
states() { echo "  client: $(cx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"
           echo "  server: $(sx ss -Htan | awk '{print $1}' | sort | uniq -c | xargs)"; }
tcpc() { grep -E "Tcp|TW" || true; }
deltas() { snap "$C" >"$T/c1"; snap "$S" >"$T/s1"
           echo "client nstat delta:"; delta "$T/c0" "$T/c1" | tcpc
           echo "server nstat delta:"; delta "$T/s0" "$T/s1" | tcpc; }
start() { snap "$C" >"$T/c0"; snap "$S" >"$T/s0"; cap "$C" "$CDEV" "$T/pcap"; }

case $CASE in
a)
  hdr "04a normal close, client first"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 10; wait_port "$S" 9000
  start
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --send 10 >/dev/null
  sleep 0.3; cap_stop; show "$T/pcap"
  echo "states 0.3 s later:"; states; cx ss -Htano state time-wait | sed 's/^/  /'
  deltas ;;
b|c)
  if [ $CASE = b ]; then
    hdr "04b server closes first, client reconnects from the same port, listener still there"
    bg "$S" python3 "$OBS/tw.py" serve 9000 first --seconds 10
  else
    hdr "04c server closes first and closes its listener, client reconnects from the same port"
    bg "$S" python3 "$OBS/tw.py" serve 9000 first-once --seconds 10
  fi
  wait_port "$S" 9000
  start
  cx python3 "$OBS/pair.py" reconnect $SADDR 9000 --pause 0.2
  sleep 0.3; cap_stop; show "$T/pcap"
  show "$T/pcap" | python3 -c '
import re, sys
fin = synack = None
for l in sys.stdin:
    if "198.18.0.2.9000 >" in l and "Flags [F" in l and fin is None:
        fin = int(re.search(r"seq (\d+)", l).group(1))
    if "Flags [S.]" in l:
        synack = int(re.search(r"seq (\d+)", l).group(1))
if fin is not None:
    print(f"server FIN seq {fin}: old snd_nxt {fin + 1}")
    print(f"last SYN-ACK ISN {synack}: ISN - old snd_nxt = {(synack - fin - 1) % 2**32}")'
  echo "states 0.3 s later:"; states
  deltas ;;
d)
  hdr "04d SO_LINGER {1,0} close"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 20; wait_port "$S" 9000
  start
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --linger0 >/dev/null
  sleep 0.3; cap_stop; show "$T/pcap"
  echo "states:"; states
  deltas
  echo "now 700 linger-0 closes:"
  snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 700 --linger0
  sleep 0.5; echo "states:"; states
  deltas
  echo "and 1 linger-0 close with 10 bytes sent first (acked):"
  snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --linger0 --send 10 --hold 0.05 >/dev/null
  sleep 0.3; deltas ;;
e)
  hdr "04e close() with unread data (the server sends 100 bytes the client never reads)"
  bg "$S" python3 "$OBS/tw.py" serve 9000 greet --seconds 10; wait_port "$S" 9000
  start
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --hold 0.1 >/dev/null
  sleep 0.3; cap_stop; show "$T/pcap"
  echo "states:"; states
  deltas ;;
f)
  hdr "04f simultaneous close (HTB 10 kbit on both veth ends instead of netem)"
  cx tc qdisc add dev "$CDEV" root netem delay 50ms 2>&1 | sed 's/^/  netem: /' || true
  for ns in "$C" "$S"; do
    dev=$([ "$ns" = "$C" ] && echo "$CDEV" || echo "$SDEV")
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 1
    ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:1 htb rate 10kbit burst 100b cburst 100b
  done
  at=$(python3 -c 'import time; print(time.monotonic() + 1.5)')
  bg "$S" python3 "$OBS/pair.py" simclose server 9000 --at "$at"
  wait_port "$S" 9000
  start
  bg "$C" python3 "$OBS/pair.py" simclose client $SADDR 9000 --at "$at"
  python3 -c "import time; time.sleep(max(0, $at - time.monotonic() + 0.005))"
  for i in $(seq 1 30); do   # 30 x 20 ms after the close
    echo "  +$((i*20-10)) ms  client: $(cx ss -Htan state all "( sport = :9000 or dport = :9000 )" | awk '{print $1}' | xargs)  server: $(sx ss -Htan "( sport = :9000 or dport = :9000 )" | awk '{print $1}' | xargs)"
    sleep 0.02
  done | uniq -f 2
  sleep 0.3; cap_stop; show "$T/pcap"
  cx ss -Htano state time-wait | sed 's/^/  client /'; sx ss -Htano state time-wait | sed 's/^/  server /'
  deltas ;;
g)
  hdr "04g bind() with SO_REUSEADDR onto the client's own TIME_WAIT, tcp_tw_reuse=0"
  csys net.ipv4.tcp_tw_reuse=0
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 10; wait_port "$S" 9000
  start
  echo "timestamps on:"; cx python3 "$OBS/pair.py" rebind $SADDR 9000 --pause 0.2
  csys net.ipv4.tcp_timestamps=0
  echo "client tcp_timestamps=0:"; cx python3 "$OBS/pair.py" rebind $SADDR 9000 --pause 0.2
  sleep 0.3; cap_stop; show "$T/pcap"
  deltas ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
