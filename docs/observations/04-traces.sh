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
#  h  bind() onto a port held by a TIME_WAIT: the four SO_REUSEADDR combinations
#  i  data arriving after close(): the server sends 100 bytes when it sees the EOF
#  j  SO_LINGER 5 s with the FIN acked; SO_LINGER 1 s with the FIN dropped (nftables)
#  k  close() in SYN_SENT (the server namespace drops SYNs)
#  l  segments injected into an ESTABLISHED connection: RST at rcv_nxt+100, SYN,
#     data with an old TSval (PAWS), then RST exactly at rcv_nxt
if [ $# -eq 0 ]; then set -- a b c d e f g h i j k l; fi
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
fin, synacks = None, []
for l in sys.stdin:
    if "198.18.0.2.9000 >" in l and "Flags [F" in l and fin is None:
        fin = int(re.search(r"seq (\d+)", l).group(1))
    if "Flags [S.]" in l:
        synacks.append(int(re.search(r"seq (\d+)", l).group(1)))
if fin is not None:
    print(f"server FIN seq {fin}: old snd_nxt {fin + 1}")
    if len(synacks) > 1:
        print(f"second SYN-ACK ISN {synacks[1]}: ISN - old snd_nxt = {(synacks[1] - fin - 1) % 2**32}")
    else:
        print("no SYN-ACK answered the second SYN")'
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
  read -r at at_us < <(python3 -c 'import time; print(time.monotonic() + 1.5, int((time.time() + 1.5) * 1e6))')
  bg "$S" python3 "$OBS/pair.py" simclose server 9000 --at "$at"
  wait_port "$S" 9000
  start
  bg "$C" python3 "$OBS/pair.py" simclose client $SADDR 9000 --at "$at"
  # state pollers inside each namespace: "ms since T, state" for 200 ms after T
  poll='while :; do n=${EPOCHREALTIME/./}; [ $((n - $1)) -gt 200000 ] && break
        echo "$(( (n - $1) / 1000 )) $(ss -Htan "( sport = :9000 or dport = :9000 )" | grep -v LISTEN | awk "{print \$1}" | xargs)"; done'
  sleep "$(python3 -c "print(max(0, $at - __import__('time').monotonic()))")"
  cx bash -c "$poll" _ "$at_us" >"$T/pc" & p1=$!
  sx bash -c "$poll" _ "$at_us" >"$T/ps" & p2=$!
  wait $p1 $p2
  echo "client state by ms after T (first sample of each state):"; awk '!seen[$2]++' "$T/pc" | sed 's/^/  /'
  echo "server state by ms after T:"; awk '!seen[$2]++' "$T/ps" | sed 's/^/  /'
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
h)
  hdr "04h bind() onto a port held by the client's TIME_WAIT"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 10; wait_port "$S" 9000
  cx python3 "$OBS/pair.py" bindtw $SADDR 9000
  echo "client TIME-WAIT: $(count_state "$C" time-wait)" ;;
i)
  hdr "04i data arriving after close() (the server sends 100 bytes when it sees the EOF)"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --eof-send 100 --close-delay 1 --seconds 10; wait_port "$S" 9000
  start
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 >/dev/null
  sleep 0.5; cap_stop; show "$T/pcap"
  echo "states:"; states
  deltas ;;
j)
  hdr "04j SO_LINGER > 0"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --close-delay 3 --seconds 20; wait_port "$S" 9000
  start
  echo "linger 5 s, FIN acked:"; cx python3 "$OBS/pair.py" lingerclose $SADDR 9000 --linger 5
  sleep 0.2
  sx nft add table inet twobs
  sx nft add chain inet twobs in '{ type filter hook input priority 0; }'
  sx nft add rule inet twobs in tcp dport 9000 tcp flags \& fin == fin drop
  echo "linger 1 s, the server namespace drops every FIN:"; cx python3 "$OBS/pair.py" lingerclose $SADDR 9000 --linger 1
  echo "client states right after: $(cx ss -Htano "( dport = :9000 )" | awk '{print $1, $NF}' | xargs)"
  sleep 1.5; cap_stop; show "$T/pcap"
  deltas ;;
k)
  hdr "04k close() in SYN_SENT"
  sx nft add table inet twobs
  sx nft add chain inet twobs in '{ type filter hook input priority 0; }'
  sx nft add rule inet twobs in tcp dport 9000 drop
  start
  cx python3 "$OBS/pair.py" synsentclose $SADDR 9000
  sleep 1.5; cap_stop; show "$T/pcap"
  echo "client states: $(cx ss -Htan | wc -l) sockets"
  deltas ;;
l)
  hdr "04l segments injected into an ESTABLISHED connection (client side)"
  bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 20; wait_port "$S" 9000
  start
  bg "$C" python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --hold 5 --out "$T/b"
  sleep 0.5
  P=$(cx ss -Htan "( dport = :9000 )" | awk '{split($4, a, ":"); print a[2]}')
  read -r R A V < <(show "$T/pcap" "src port 9000 and dst port $P" | tail -1 |
    sed -E 's/.*seq ([0-9]+), ack ([0-9]+).*TS val ([0-9]+).*/\1 \2 \3/')
  R=$((R + 1))   # the server sent only its SYN-ACK: client rcv_nxt = ISN + 1
  U=$(show "$T/pcap" "src port $P" | tail -1 | sed -E 's/.*TS val ([0-9]+).*/\1/')
  inj() { local what=$1; shift; snap "$C" >"$T/i0"; local n0=$(show "$T/pcap" "port $P" | wc -l)
          sx python3 "$OBS/inject.py" $SADDR 9000 $CADDR $P "$@"; sleep 0.3; snap "$C" >"$T/i1"
          echo "-- $what: inject $*"; show "$T/pcap" "port $P" | tail -n +$((n0 + 1)) | sed 's/^/     /'
          echo "   client: $(cx ss -Htan "( dport = :9000 )" | awk '{print $1}' | xargs)  nstat: $(delta "$T/i0" "$T/i1" | grep -vE "^ *Ip" | xargs)"; }
  echo "client port $P, rcv_nxt $R, snd_nxt $A"
  inj "RST at rcv_nxt+100" --seq $((R + 100)) --flags R
  inj "SYN" --seq $((R + 5000)) --flags S --tsval $((V + 1000)) --tsecr $U
  inj "bare ACK with a TSval 100000 older than the last (PAWS)" --seq $R --ack $A --flags A --tsval $((V - 100000)) --tsecr $U
  inj "RST exactly at rcv_nxt" --seq $R --flags R
  sleep 0.3; cap_stop
  deltas ;;
*) echo "unknown case $CASE" >&2; exit 2 ;;
esac
