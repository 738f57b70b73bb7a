#!/bin/bash
# 09 handshake RTT: the RTO each end starts with, after a plain handshake, a lost SYN or a
# lost SYN-ACK, with timestamps on and off. Reads `ss -ti` on both ends 1.5 s after the
# handshake completes. ss (iproute2 6.1) prints no rto when it is 3 s (TCP_TIMEOUT_INIT
# of old), and no rtt when there is no sample.
# Usage: bash 09-handshake-rtt.sh [none|drop-syn|drop-synack] [TIMESTAMPS 1|0]
#        (no arguments: all six cases)
source "$(dirname "$0")/lib.sh"

one() {
  local mode=$1 ts=$2 dropper
  hdr "09 handshake RTT: $mode, tcp_timestamps=$ts"
  tw_up
  csys net.ipv4.tcp_timestamps=$ts
  ssys net.ipv4.tcp_timestamps=$ts
  case $mode in
    drop-syn) dropper=$C
      cx nft add table inet twobs
      cx nft add chain inet twobs out '{ type filter hook output priority 0; }'
      cx nft add rule inet twobs out tcp dport 9000 'tcp flags & (syn|ack) == syn' counter drop ;;
    drop-synack) dropper=$S
      sx nft add table inet twobs
      sx nft add chain inet twobs out '{ type filter hook output priority 0; }'
      sx nft add rule inet twobs out tcp sport 9000 'tcp flags & (syn|ack) == syn|ack' counter drop ;;
  esac
  bg "$S" python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$SADDR', 9000)); s.listen(8); c, _ = s.accept(); time.sleep(6)"
  wait_port "$S" 9000
  bg "$C" python3 -c "
import socket, time
s = socket.socket(); s.connect(('$SADDR', 9000)); time.sleep(5)"
  if [ "$mode" != none ]; then
    # Drop only the first one: the retransmission (at ~1 s) gets through.
    sleep 0.5
    echo "dropped: $(ip netns exec "$dropper" nft list ruleset | grep -o 'counter packets [0-9]*')"
    ip netns exec "$dropper" nft delete table inet twobs
  fi
  sleep 2
  echo "client: $(cx ss -Htin state established | grep -o 'rto:[0-9.]*\|rtt:[0-9./]*\|retrans:[0-9/]*' | tr '\n' ' ')"
  echo "server: $(sx ss -Htin state established | grep -o 'rto:[0-9.]*\|rtt:[0-9./]*\|retrans:[0-9/]*' | tr '\n' ' ')"
  tw_down
}

if [ $# -gt 0 ]; then
  one "$1" "${2:-1}"
else
  for mode in none drop-syn drop-synack; do for ts in 1 0; do ID=$$$ts one $mode $ts; done; done
fi
