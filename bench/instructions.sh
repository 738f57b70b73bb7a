#!/bin/sh
# Instructions the simulator spends per event, counted by valgrind's callgrind: unlike wall
# or CPU time on a shared VM (±15 %), a run's count varies by about 1 %. The per-event
# figure, a difference of two runs, moves by up to ±3 % between invocations for one build
# (seen 4 717 and 4 909): judge smaller changes on whole runs, e.g. both builds' totals for
# `node --single-threaded dist/bench/run-once.js article-lb 90` under callgrind (~18.0 G). V8 runs single-threaded (no concurrent compiler or GC threads, whose
# timing would change the count). The scenario runs for two durations and the difference
# is divided by the difference in events, which leaves out start-up and most compilation.
#
#   sh bench/instructions.sh [SCENARIO] [SHORT_S] [LONG_S]     (after npm run build)
#
# Add --perf-basic-prof to NODE_FLAGS and keep the callgrind output (CALLGRIND_OUT) to see
# which functions the instructions go to (match JIT addresses with /tmp/perf-PID.map).
set -eu
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
cd "$(dirname "$0")/.."
name=${1:-article-lb}
short=${2:-3}
long=${3:-20}
count() {
  valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="${CALLGRIND_OUT:-/dev/null}" \
    node --single-threaded ${NODE_FLAGS:-} dist/bench/run-once.js "$name" "$1" 2>&1 |
    awk '/^events/ { e = $2 } /I +refs:/ { gsub(",", "", $4); i = $4 } END { print e, i }'
}
set -- $(count "$short") $(count "$long")
[ $# -eq 4 ] || { echo "instructions.sh: a run failed (try: node dist/bench/run-once.js $name $short)" >&2; exit 1; }
awk -v e1="$1" -v i1="$2" -v e2="$3" -v i2="$4" -v name="$name" -v s="$short" -v l="$long" 'BEGIN {
  printf "%s: %d events in %s s, %d in %s s; %.0f instructions per event\n", name, e1, s, e2, l, (i2 - i1) / (e2 - e1) }'
