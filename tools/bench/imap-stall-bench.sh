#!/usr/bin/env bash
# imap-stall-bench.sh: SMTP accept latency with and without expensive IMAP
# sessions on the same server (issue 11 item 4).
#
# One ringpost (build/ringpost serve on loopback, a ring per CPU, data under
# ${BENCH_TMP:-/var/tmp}); user bench@localhost gets 40 mailboxes with
# 1,000-byte names and a 1 MiB message (imap_heavy.py setup). Then, twice,
# ringpost-load sends N messages over S persistent sessions and reports the
# latency end-of-data -> 250 (p50/p99/max): once alone, once while
# --imap-sessions IMAP sessions loop over LIST "(*a)*15000 b", LIST with
# 1,000 wildcards over the long names and SEARCH BODY with a 4,000-byte
# needle (imap_heavy.py run). An unaffected server shows the same p99.
#
# --pool-nice "10 0" repeats the whole run for each pool_nice value (the
# priority of the threads that match large messages off the ring), one
# fresh server each, so the settings are compared in one run.
#
# The IMAP clients run at nice 19: on a real server they are other
# machines, and here their own CPU use would otherwise be measured as the
# server's latency (the load tool, which measures, keeps normal priority).
# So run it on an otherwise idle machine: beside a compiler the clients
# barely run. The "imap-heavy:" counts after each round (commands
# answered) show how much IMAP work there really was.
#
# usage: imap-stall-bench.sh [--messages N] [--sessions S] [--imap-sessions K] [--timeout SECONDS]
#                            [--pool-nice "N ..."]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build)
# Every run is bounded: N messages and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=2000; SESSIONS=10; IMAP_SESSIONS=4; TIMEOUT=300; NICES=10
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --sessions) SESSIONS=$2; shift 2;;
  --imap-sessions) IMAP_SESSIONS=$2; shift 2;; --timeout) TIMEOUT=$2; shift 2;;
  --pool-nice) NICES=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "imap-stall-bench: unknown argument $1" >&2; exit 2;; esac; done

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT
find_ringpost
find_load
make_bench_dir
echo "imap-stall-bench: N=$N sessions=$SESSIONS imap-sessions=$IMAP_SESSIONS pool_nice=[$NICES], $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# load LABEL: one bounded ringpost-load run; prints its counts and latency.
load() { LOAD_SHOW="messages latency" load_run "$1" | sed 's/^/imap-stall-bench: /'; }

# one_server ROUND NICE: a fresh server with pool_nice = NICE, loaded alone
# and then beside the IMAP sessions (at nice 19, see above).
one_server() {
  local round=$1 nice=$2
  echo "imap-stall-bench: --- round $round: pool_nice = $nice"
  RP_TOP_CONFIG="pool_nice = $nice"
  export RP_TOP_CONFIG
  start_ringpost_imap "$BENCH_DIR/rp-$round-nice$nice"
  python3 "$HERE/imap_heavy.py" setup "$IMAP_PORT" "$PORT" bench@localhost bench-password
  load_alone_and_beside load "$IMAP_SESSIONS-imap-heavy" nice -n 19 python3 "$HERE/imap_heavy.py" run \
    "$IMAP_PORT" bench@localhost bench-password "$IMAP_SESSIONS" "$TIMEOUT"
  stop_pid "$RP_PID"
}

round=0
for nice in $NICES; do round=$((round + 1)); one_server "$round" "$nice"; done
