#!/usr/bin/env bash
# injection-bench.sh: messages accepted per second over the HTTP injection
# API (POST /api/v1/messages) beside SMTP, on one ringpost, in one run.
#
# One ringpost (build/ringpost serve on loopback, data under
# ${BENCH_TMP:-/var/tmp}, remote mail kept queued: DNS to a dead port), SMTP
# and HTTP listeners. Each round, in turn:
#   smtp: ringpost-load sends N messages of 4 KiB to user@sink.test over S
#         persistent sessions, one command per round trip;
#   http: wrk (Debian wrk) POSTs the same 4 KiB message as raw content, one
#         message per request, over S keep-alive connections for D seconds.
# Every accepted message is durable before its 250 / 200 (the same group
# commit). Prints msg/s of each; compare the pairs of one run. Also the
# server's CPU per accepted message of each run (utime+stime of the server
# from /proc before and after, once its CPU has settled, over the growth of
# ringpost_messages_accepted_total): steadier than msg/s when other work
# shares the cores.
#
# usage: injection-bench.sh [--messages N] [--sessions S] [--seconds D] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build)
#        PERF_OUT=FILE: `perf record -g` the server through each run, into
#        FILE.smtp-N and FILE.http-N (perf's own CPU is counted in neither).
#        PERF_ARGS: perf record's options instead of "-g -F 499" (e.g.
#        "--call-graph dwarf -F 199" for stacks through code without frame pointers).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; SECONDS_HTTP=10; REPEAT=3; TIMEOUT=300
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --sessions) SESSIONS=$2; shift 2;; --seconds) SECONDS_HTTP=$2; shift 2;;
  --repeat) REPEAT=$2; shift 2;; --timeout) TIMEOUT=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "injection-bench: unknown argument $1" >&2; exit 2;; esac; done
command -v wrk >/dev/null || { echo "injection-bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }

start_ringpost_bench
PORT=$(free_port); HTTP_PORT=$(free_port)
RP_EXTRA_CONFIG=$(printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n[http]\nlisten = ["127.0.0.1:%s"]\n' "$HTTP_PORT")
export RP_EXTRA_CONFIG
start_ringpost "$BENCH_DIR/rp" "$PORT"
echo "injection-bench: N=$N sessions=$SESSIONS http=${SECONDS_HTTP}s repeat=$REPEAT, ringpost pid $RP_PID," \
     "SMTP 127.0.0.1:$PORT, HTTP 127.0.0.1:$HTTP_PORT, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The request: 4 KiB of raw content (as ringpost-load's message), one recipient.
cat > "$BENCH_DIR/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"envelope_sender": "bench@src.test", "recipients": ["user@sink.test"], ' ..
           '"content": "From: bench@src.test\\nTo: user@sink.test\\nSubject: bench\\n\\n' ..
           string.rep(string.rep("x", 76) .. "\\n", 52) .. '"}'
EOF

http_run() {
  local out="$BENCH_DIR/wrk-$1.out" rps non2xx
  timeout -k 5 $((SECONDS_HTTP + 60)) wrk -t 2 -c "$SESSIONS" -d "${SECONDS_HTTP}s" --timeout 30s \
    -s "$BENCH_DIR/post.lua" "http://127.0.0.1:$HTTP_PORT/api/v1/messages" >"$out" 2>&1 || true
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  echo "[http-$1] ${rps:-?} msg/s ($(grep -E 'requests in' "$out" | sed 's/^ *//'); non-2xx: ${non2xx:-0})"
}

# accepted_total: ringpost_messages_accepted_total now (SMTP and HTTP alike).
accepted_total() {
  "$RINGPOST" metrics --config "$BENCH_DIR/rp/ringpost.toml" |
    awk '/^ringpost_messages_accepted_total[ {]/ { s += $NF } END { printf "%d\n", s }'
}

# settle: until the server's CPU rises by at most a tick in 0.3 s (the last
# group commits and first delivery attempts of a run belong to it), 10 s at most.
settle() {
  local a b
  for _ in $(seq 33); do
    a=$(cpu_ticks "$RP_PID"); sleep 0.3; b=$(cpu_ticks "$RP_PID")
    [ $((b - a)) -le 1 ] && return 0
  done
}

# measured LABEL CMD...: CMD, then "[LABEL] server CPU: T µs/msg (ticks, messages)".
measured() {
  local label=$1 m0 t0 m1 t1; shift
  settle; m0=$(accepted_total); t0=$(cpu_ticks "$RP_PID")
  local perf_pid=""
  if [ -n "${PERF_OUT:-}" ]; then
    perf record -q ${PERF_ARGS:--g -F 499} -o "$PERF_OUT.$label" -p "$RP_PID" >/dev/null 2>&1 &
    perf_pid=$!
    STARTED_PIDS+=("$perf_pid")
  fi
  "$@"
  settle; t1=$(cpu_ticks "$RP_PID"); m1=$(accepted_total)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    stop_pid "$perf_pid"
  fi
  awk -v l="$label" -v t=$((t1 - t0)) -v m=$((m1 - m0)) -v hz="$CLK_TCK" 'BEGIN {
    us = (m > 0) ? sprintf("%.0f", t * 1e6 / hz / m) : "?"
    printf "[%s] server CPU: %s us/msg (%.2f s for %d messages)\n", l, us, t / hz, m
    if (m > 0) { split(l, v, "-"); printf "%s\t%s\n", v[1], us >> ENVIRON["CPU_TSV"] } }'
}
CPU_TSV="$BENCH_DIR/cpu.tsv"; export CPU_TSV; : > "$CPU_TSV"

LOAD_SHOW="messages elapsed"
for rep in $(seq "$REPEAT"); do
  measured "smtp-$rep" load_run "smtp-$rep"
  measured "http-$rep" http_run "$rep"
done
smtp_cpu=$(median_of "$CPU_TSV" smtp 2); http_cpu=$(median_of "$CPU_TSV" http 2)
echo "injection-bench: server CPU per message, medians: SMTP ${smtp_cpu:-?} us, HTTP ${http_cpu:-?} us," \
     "HTTP/SMTP $(awk -v h="${http_cpu:-0}" -v s="${smtp_cpu:-0}" 'BEGIN { r = (s > 0) ? sprintf("%.2f", h / s) : "?"; print r }')"
echo "injection-bench: accepted in all: $("$RINGPOST" queue stats --config "$BENCH_DIR/rp/ringpost.toml" | tr '\n' ' ')"
stop_pid "$RP_PID"
