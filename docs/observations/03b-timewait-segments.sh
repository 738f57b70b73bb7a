#!/bin/bash
# 03b What a client TIME_WAIT does with segments from the peer. For each variant: one
# client-first connection, wait 5 s, then the server namespace sends one hand-made
# segment (raw socket) to the client's TIME_WAIT; we read the TIME_WAIT timer (ss -o)
# before and 0.3 s after, and the client's replies. The server's kernel would answer
# those replies with a RST (it has no socket any more), which would kill the
# TIME_WAIT, so an nftables rule in the server namespace drops them after the capture.
# Usage: bash 03b-timewait-segments.sh [ack fin rst rst1337 oow paws]   (~40 s)
#   ack      bare ACK, seq = rcv_nxt, newer TSval
#   fin      retransmitted FIN (seq = the FIN's seq), newer TSval
#   rst      RST, seq = rcv_nxt, no options (tcp_rfc1337=0)
#   rst1337  the same with client tcp_rfc1337=1
#   oow      ACK with seq = rcv_nxt + 1000000 (out of window), newer TSval
#   paws     bare ACK, seq = rcv_nxt, TSval 100000 older than the peer's last (PAWS)
#   oow3     three out-of-window ACKs ~50 ms apart (the reply rate limit)
if [ $# -eq 0 ]; then set -- ack fin rst rst1337 oow paws oow3; fi
source "$(dirname "$0")/lib.sh"
hdr "03b segments arriving at a TIME_WAIT"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
sx nft add table inet twobs
sx nft add chain inet twobs in '{ type filter hook input priority 0; }'
bg "$S" python3 "$OBS/tw.py" serve 9000 after-peer --seconds 120; wait_port "$S" 9000
cap "$S" "$SDEV" "$T/pcap"
timer() { cx ss -Htano state time-wait "( sport = :$1 )" | grep -o 'timer:([^)]*)' || echo "(no TIME_WAIT)"; }
for v in "$@"; do
  csys net.ipv4.tcp_rfc1337=$([ "$v" = rst1337 ] && echo 1 || echo 0)
  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --out "$T/b" >/dev/null
  P=$(awk '{print $3}' "$T/b")
  sx nft add rule inet twobs in ip saddr $CADDR tcp sport $P drop
  sleep 0.5
  read -r F A V < <(show "$T/pcap" "src port 9000 and dst port $P" | tail -1 |
    sed -E 's/.*seq ([0-9]+), ack ([0-9]+).*TS val ([0-9]+).*/\1 \2 \3/')
  U=$(show "$T/pcap" "src port $P" | tail -1 | sed -E 's/.*TS val ([0-9]+).*/\1/')
  sleep 4.5
  snap "$C" >"$T/c0"
  before=$(timer $P)
  n0=$(show "$T/pcap" "port $P" | wc -l)
  case $v in
    ack)     args="--seq $((F + 1)) --ack $A --flags A --tsval $((V + 5000)) --tsecr $U" ;;
    fin)     args="--seq $F --ack $A --flags FA --tsval $((V + 5000)) --tsecr $U" ;;
    rst|rst1337) args="--seq $((F + 1)) --flags R" ;;
    oow|oow3) args="--seq $((F + 1 + 1000000)) --ack $A --flags A --tsval $((V + 5000)) --tsecr $U" ;;
    paws)    args="--seq $((F + 1)) --ack $A --flags A --tsval $((V - 100000)) --tsecr $U" ;;
  esac
  sx python3 "$OBS/inject.py" $SADDR 9000 $CADDR $P $args
  if [ $v = oow3 ]; then for i in 1 2; do sx python3 "$OBS/inject.py" $SADDR 9000 $CADDR $P $args; done; fi
  sleep 0.3
  snap "$C" >"$T/c1"
  echo "-- $v (port $P; peer FIN seq $F, TW rcv_nxt $((F + 1)), TW snd_nxt $A): inject $args"
  echo "   timer before: $before   0.3 s after: $(timer $P)"
  echo "   packets from the injection on:"
  show "$T/pcap" "port $P" | tail -n +$((n0 + 1)) | sed 's/^/     /'
  echo "   client nstat delta: $(delta "$T/c0" "$T/c1" | grep -vE "^ *Ip" | xargs)"
done
cap_stop
