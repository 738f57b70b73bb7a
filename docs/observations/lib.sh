# lib.sh: shared helpers for the twlab observation scripts (source it, don't run it).
#
# Creates a pair of network namespaces joined by one veth pair:
#   twobs-c$ID  198.18.0.1/24  dev c$ID   (the client)
#   twobs-s$ID  198.18.0.2/24  dev s$ID   (the server)
# Nothing touches the host (root) namespace's sysctls; all sysctls are per netns.
# A trap deletes the namespaces (and any background job started with bg) on exit.
set -euo pipefail

OBS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID=${ID:-$$}
C=twobs-c$ID
S=twobs-s$ID
CDEV=c$ID
SDEV=s$ID
CADDR=198.18.0.1
SADDR=198.18.0.2
BG_PIDS=()

tw_down() {
  local p
  for p in "${BG_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
}

tw_up() {
  trap tw_down EXIT
  trap 'exit 130' INT TERM
  ip netns add "$C"
  ip netns add "$S"
  ip link add "$CDEV" netns "$C" type veth peer name "$SDEV" netns "$S"
  ip -n "$C" addr add $CADDR/24 dev "$CDEV"
  ip -n "$S" addr add $SADDR/24 dev "$SDEV"
  ip -n "$C" link set lo up
  ip -n "$S" link set lo up
  ip -n "$C" link set "$CDEV" up
  ip -n "$S" link set "$SDEV" up
  # Wait (bounded) until the link answers, so the first SYN is not lost to ARP/DAD.
  local i
  for i in $(seq 1 50); do
    ip netns exec "$C" ping -c1 -W1 -q $SADDR >/dev/null 2>&1 && break
    sleep 0.1
  done
}

cx() { ip netns exec "$C" "$@"; }   # run in the client namespace
sx() { ip netns exec "$S" "$@"; }   # run in the server namespace
csys() { cx sysctl -qw "$@"; }      # set a per-netns sysctl in the client namespace
ssys() { sx sysctl -qw "$@"; }      # ... in the server namespace

# bg NS CMD...: start CMD in namespace NS in the background; killed by the trap.
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" & BG_PIDS+=($!); }

# Counter snapshot of a namespace (absolute values; a fresh netns starts at 0).
snap() { ip netns exec "$1" nstat -asz; }
# delta FILE_BEFORE FILE_AFTER: non-zero differences, "Name delta".
delta() { python3 "$OBS/tw.py" nstat-delta "$1" "$2"; }

count_state() { # count_state NS STATE  (ss state name, e.g. time-wait)
  ip netns exec "$1" ss -Htan state "$2" | wc -l
}

wait_port() { # wait (bounded) until something listens on NS:PORT
  local i
  for i in $(seq 1 50); do
    ip netns exec "$1" ss -Htln "sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  echo "listener on port $2 did not appear" >&2; return 1
}

hdr() { echo "== $* ($(uname -r), $(date -u +%FT%TZ))"; }

# cap NS DEV FILE: start tcpdump (raw pcap) in NS on DEV; cap_stop stops all captures.
CAP_PIDS=(); CAP_ERRS=()
cap() { CAP_ERRS+=("$3.err")
         ip netns exec "$1" tcpdump -nn -B 16384 -i "$2" -w "$3" -U --immediate-mode tcp 2>"$3.err" & CAP_PIDS+=($!); BG_PIDS+=($!); sleep 0.5; }
cap_stop() { local p; sleep 0.2; for p in "${CAP_PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; CAP_PIDS=()
             for p in "${CAP_ERRS[@]:-}"; do grep -h "dropped by kernel" "$p" 2>/dev/null | grep -v "^0 " | sed 's/^/  tcpdump: /' || true; done; CAP_ERRS=(); }
# show FILE [FILTER]: print a capture, absolute seq numbers, relative times.
show() { tcpdump -nn -S -tt -r "$1" ${2:+"$2"} 2>/dev/null |
         awk 'NR==1{t0=$1} {printf "%10.6f %s\n", $1-t0, substr($0, index($0,$2))}'; }
