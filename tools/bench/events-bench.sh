#!/usr/bin/env bash
# events-bench.sh: what the delivery event log costs the accept path
# (issue 14 item 4, docs/EVENTS.md). One run, three configurations of the
# same ringpost binary, each on a fresh data directory under
# ${BENCH_TMP:-/var/tmp}: events off (no sink: no event is made); on, with
# a file sink (every "received" event appended to the log in the accept's
# batch, read back and written to the file, synced); on, with a webhook
# whose endpoint is down (connection refused, retried with backoff: the
# backlog grows in the log). ringpost-load sends N messages of 4096 bytes
# to user@sink.test, which stays queued (delivery asks a dead loopback DNS
# port), over S persistent sessions, pipelining off; the rounds go through
# the configurations R times in turn. Prints msg/s and server CPU µs per
# message per run, then the medians.
#
# usage: events-bench.sh [--messages N] [--sessions S] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build; a directory with ringpost and ringpost-load)
# Every run is bounded: N messages and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; REPEAT=3; TIMEOUT=300
bench_options events-bench "$@"

start_ringpost_bench
echo "events-bench: $RINGPOST N=$N sessions=$SESSIONS repeat=$REPEAT, $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

VARIANTS="off file webhook-down"
RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
run=0
for rep in $(seq "$REPEAT"); do
  for variant in $VARIANTS; do
    run=$((run + 1))
    PORT=$(free_port)
    extra=$(printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n')
    case "$variant" in
      file) extra+=$(printf '\n[events]\nfile = "%s"\n' "$BENCH_DIR/rp-$run/events.jsonl");;
      webhook-down) extra+=$(printf '\n[events.webhooks.down]\nurl = "http://127.0.0.1:%s/"\n' "$(free_port)");;
    esac
    RP_EXTRA_CONFIG="$extra" start_ringpost "$BENCH_DIR/rp-$run" "$PORT"
    c0=$(cpu_ticks "$RP_PID")
    out=$(LOAD_SHOW="messages elapsed" load_run "$variant-$rep")
    c1=$(cpu_ticks "$RP_PID")
    stop_pid "$RP_PID"
    sent=$(echo "$out" | grep -o 'messages: ok [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
    rate=$(echo "$out" | grep -o '[0-9.]* msg/s' | head -1 | cut -d' ' -f1 || echo 0)
    cpu_us=$(awk -v a="$c0" -v b="$c1" -v n="${sent:-0}" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-" }')
    lines=$( [ -f "$BENCH_DIR/rp-$run/events.jsonl" ] && wc -l < "$BENCH_DIR/rp-$run/events.jsonl" || echo -)
    printf '%s\t%s\t%s\t%s\n' "$variant" "$rep" "${rate:-0}" "$cpu_us" >> "$RESULTS"
    echo "events-bench: $variant round $rep: ${sent:-0} messages, ${rate:-0} msg/s," \
         "server CPU ${cpu_us} µs/msg, file lines $lines"
  done
done

echo "events-bench: medians over $REPEAT rounds (msg/s, server CPU µs/msg, msg/s vs off)"
base=$(median_of "$RESULTS" off 3)
for variant in $VARIANTS; do
  rate=$(median_of "$RESULTS" "$variant" 3)
  cpu=$(median_of "$RESULTS" "$variant" 4)
  ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
  printf 'events-bench: %-12s %8s msg/s %6s µs/msg %s\n' "$variant" "$rate" "$cpu" "$ratio"
done
