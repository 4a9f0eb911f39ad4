#!/usr/bin/env bash
# metrics-bench.sh: what scraping the metrics costs the accept path.
#
# One ringpost (build/ringpost serve on loopback, data under
# ${BENCH_TMP:-/var/tmp}, remote mail kept queued: DNS to a dead port).
# ringpost-load sends N messages of 4 KiB over S persistent sessions, one
# command per round trip, R times in turn: alone, then while a scraper runs
# `ringpost metrics` (the whole exposition over the admin socket, as GET
# /metrics will) every 100 ms. Prints msg/s of each run and the scrapes
# done, and the server's CPU per accepted message of each run (lib.sh's
# measured) with their medians; compare the pairs of one run.
#
# usage: metrics-bench.sh [--messages N] [--sessions S] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build)
# Every run is bounded: N messages and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=5000; SESSIONS=50; REPEAT=3; TIMEOUT=300
bench_options metrics-bench "$@"

start_ringpost_bench
PORT=$(free_port)
start_ringpost "$BENCH_DIR/rp" "$PORT"
CONFIG="$BENCH_DIR/rp/ringpost.toml"
echo "metrics-bench: N=$N sessions=$SESSIONS repeat=$REPEAT, ringpost pid $RP_PID on 127.0.0.1:$PORT," \
     "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# scraper: `ringpost metrics` every 100 ms until $STOP_FILE appears (bounded
# by the measurement's timeout); prints how many scrapes it did and the
# size of the last one.
scraper() {
  local n=0 bytes=0 deadline=$((SECONDS + TIMEOUT + 60))
  while [ ! -e "$STOP_FILE" ] && [ $SECONDS -lt $deadline ]; do
    bytes=$("$RINGPOST" metrics --config "$CONFIG" | wc -c)
    n=$((n + 1))
    sleep 0.1
  done
  echo "scraper: $n scrapes, $bytes bytes each"
}

# measured_load LABEL: load_run, with the server's CPU per message (lib.sh's
# measured: what a scrape costs the server shows here without the
# scraper's own process starts, which compete for the same cores).
measured_load() { measured "$1" load_run "$1"; }

LOAD_SHOW="messages elapsed"
start_cpu_tsv
for rep in $(seq "$REPEAT"); do
  load_alone_and_beside measured_load "scraper-$rep" scraper
done
echo "metrics-bench: server CPU per message, medians: $(cpu_medians alone with)"
echo "metrics-bench: a scrape now:"
"$RINGPOST" metrics --config "$CONFIG" | grep -E '^ringpost_(messages_accepted_total|store_commit_batch_size_count|smtp_commands_total\{verb="data"\})'
stop_pid "$RP_PID"
