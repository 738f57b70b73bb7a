#!/bin/bash
# 05 tcp_tw_reuse with a 500-port range (40000-40499), client closes first, veth (not
# loopback). Usage: bash 05-tw-reuse.sh [VARIANT]...   (no argument: all variants)
#   r1-burst  reuse=1, timestamps on: a serial burst of 700 connects
#   r1-400    reuse=1: 400 connects/s for 3 s
#   r1-1000   reuse=1: 1000 connects/s for 3 s
#   r2-burst  reuse=2 (loopback only) over veth: burst of 700
#   r2-400    reuse=2 over veth: 400/s for 3 s
#   r1-nots-400  reuse=1, client tcp_timestamps=0: 400/s for 3 s
#   r1-fw2   reuse=1, the server never closes (client sockets stay in the FIN_WAIT_2
#            substate): 500 connects, wait 1.5 s, 100 more
#   r1-trace reuse=1 with a 2-port range (40000 40001): 2 connects, wait 1.2 s, 1 more
#            (it must reuse a TIME_WAIT); packet trace of the reused 4-tuple
if [ $# -eq 0 ]; then set -- r1-burst r1-400 r1-1000 r2-burst r2-400 r1-nots-400 r1-fw2 r1-trace; fi
if [ $# -gt 1 ]; then
  rc=0; for v in "$@"; do bash "$0" "$v" || rc=1; done; exit $rc
fi
V=$1
source "$(dirname "$0")/lib.sh"
hdr "05 tw_reuse variant $V"
tw_up
T=$(mktemp -d); trap 'rm -rf "$T"; tw_down' EXIT
case $V in
  r1-*) reuse=1 ;; r2-*) reuse=2 ;; *) echo "unknown $V" >&2; exit 2 ;;
esac
csys net.ipv4.ip_local_port_range="$([ "$V" = r1-trace ] && echo "40000 40001" || echo "40000 40499")" net.ipv4.tcp_tw_reuse=$reuse
case $V in *nots*) csys net.ipv4.tcp_timestamps=0 ;; esac
echo "client sysctls: $(cx sysctl -n net.ipv4.tcp_tw_reuse net.ipv4.tcp_tw_reuse_delay net.ipv4.tcp_timestamps | xargs) (reuse, reuse_delay ms, timestamps)"
bg "$S" python3 "$OBS/tw.py" serve 9000 $([ "$V" = r1-fw2 ] && echo never || echo after-peer) --seconds 20
wait_port "$S" 9000
snap "$C" >"$T/c0"; snap "$S" >"$T/s0"
case $V in
  *-burst) cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 700 ;;
  *-400)   cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1200 --rate 400 ;;
  *-1000)  cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 3000 --rate 1000 ;;
  *-fw2)   cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 500; sleep 1.5
           echo "FIN-WAIT-2 now: $(count_state "$C" fin-wait-2)"
           cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 100 ;;
  *-trace) cap "$C" "$CDEV" "$T/pcap"
           cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 2 --out "$T/b1"; sleep 1.2
           cx python3 "$OBS/tw.py" burst $SADDR 9000 --count 1 --out "$T/b2"
           sleep 0.3; cap_stop
           show "$T/pcap" "port $(awk '{print $3}' "$T/b2")" | sed 's/^/  /' ;;
esac
sleep 0.3
snap "$C" >"$T/c1"; snap "$S" >"$T/s1"
echo "client TIME-WAIT now: $(count_state "$C" time-wait)"
echo "client nstat delta:"; delta "$T/c0" "$T/c1" | grep -E "Tcp(Ext)?(TW|Active|OutRsts|AttemptFails|PAWS)" || true
echo "server TcpOutRsts (each one can kill a client TIME_WAIT, see 01): $(delta "$T/s0" "$T/s1" | awk '$1 == "TcpOutRsts" {v = $2} END {print v + 0}')"
