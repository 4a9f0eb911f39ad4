#!/usr/bin/env bash
# milter-bench.sh: accepted msgs/s through rspamd as a milter, ringpost beside
# Postfix (issue 15 item 4), in one run. One rspamd (Debian package; its proxy
# worker in milter mode, self-scanning, RSPAMD_WORKERS processes, started by
# tests/integration/milter_peer.py with a generated configuration) serves both:
#   ringpost          no milter (for scale)
#   ringpost+rspamd   [milters.rspamd] address = the rspamd port
#   postfix+rspamd    a private Postfix (tools/bench/lib.sh start_postfix) with
#                     smtpd_milters = inet:127.0.0.1:PORT, milter_protocol = 6
# ringpost-load sends N messages of 4096 bytes to user@sink.test (kept queued:
# ringpost's delivery asks a dead DNS port, Postfix relays to a dead port) over
# S persistent sessions, one command per round trip; the rounds go through the
# configurations R times in turn. Prints msg/s per run, then the medians.
#
# usage: milter-bench.sh [--messages N] [--sessions S] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build) RSPAMD_WORKERS (2)
# Every run is bounded: N messages and --timeout seconds; rspamd's start
# (several minutes on a busy machine the first time: it compiles its
# Hyperscan databases, cached in $TMPDIR/ringpost-rspamd-hs-cache) is not timed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=5000; SESSIONS=50; REPEAT=3; TIMEOUT=300
bench_options milter-bench "$@"

command -v rspamd >/dev/null || { echo "milter-bench: rspamd missing (tools/install-deps.sh)" >&2; exit 1; }
start_ringpost_bench
find_postfix_tools
echo "milter-bench: $RINGPOST N=$N sessions=$SESSIONS repeat=$REPEAT, $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg), $(rspamd --version 2>/dev/null | head -1)"

MILTER_PORT=$(free_port)
python3 "$REPO/tests/integration/milter_peer.py" rspamd "$MILTER_PORT" "${RSPAMD_WORKERS:-2}" \
  > "$BENCH_DIR/rspamd.out" 2>&1 &
RSPAMD_PID=$!
STARTED_PIDS+=("$RSPAMD_PID")
for _ in $(seq 6000); do
  grep -q "^rspamd: milter on" "$BENCH_DIR/rspamd.out" && break
  kill -0 "$RSPAMD_PID" 2>/dev/null || { cat "$BENCH_DIR/rspamd.out" >&2; exit 1; }
  sleep 0.1
done
grep "^rspamd: milter on" "$BENCH_DIR/rspamd.out" || { echo "milter-bench: rspamd did not start" >&2; exit 1; }

RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
# record VARIANT ROUND OUTPUT: one run's rate into $RESULTS, and a line.
record() {
  local sent rate failed
  sent=$(echo "$3" | grep -o 'messages: ok [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
  failed=$(echo "$3" | grep -o 'failed [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
  rate=$(echo "$3" | grep -o '[0-9.]* msg/s' | head -1 | cut -d' ' -f1 || echo 0)
  printf '%s\t%s\t%s\n' "$1" "$2" "${rate:-0}" >> "$RESULTS"
  echo "milter-bench: $1 round $2: ${sent:-0} accepted, ${failed:-0} failed, ${rate:-0} msg/s"
}

run=0
for rep in $(seq "$REPEAT"); do
  for variant in ringpost ringpost+rspamd postfix+rspamd; do
    run=$((run + 1))
    PORT=$(free_port)
    case "$variant" in
      ringpost|ringpost+rspamd)
        extra=$(printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n')
        if [ "$variant" = ringpost+rspamd ]; then
          extra+=$(printf '\n[milters.rspamd]\naddress = "127.0.0.1:%s"\n' "$MILTER_PORT")
        fi
        RP_EXTRA_CONFIG="$extra" start_ringpost "$BENCH_DIR/rp-$run" "$PORT"
        out=$(LOAD_SHOW="messages elapsed" load_run "$variant-$rep")
        stop_pid "$RP_PID";;
      postfix+rspamd)
        mkdir -p "$BENCH_DIR/pf-$run"
        PF_EXTRA_MAIN=$(printf '%s\n' "smtpd_milters = inet:127.0.0.1:$MILTER_PORT" "milter_protocol = 6" \
                          "milter_default_action = tempfail") \
          start_postfix "$BENCH_DIR/pf-$run" "$PORT" "$(free_port)"
        out=$(LOAD_SHOW="messages elapsed" load_run "$variant-$rep")
        stop_postfix_master "$PF_PID";;
    esac
    record "$variant" "$rep" "$out"
  done
done

echo "milter-bench: medians over $REPEAT rounds (accepted msg/s; ratio to postfix+rspamd)"
base=$(median_of "$RESULTS" postfix+rspamd 3)
for variant in ringpost ringpost+rspamd postfix+rspamd; do
  rate=$(median_of "$RESULTS" "$variant" 3)
  ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
  printf 'milter-bench: %-16s %8s msg/s %s\n' "$variant" "$rate" "$ratio"
done
