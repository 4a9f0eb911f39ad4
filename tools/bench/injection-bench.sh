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

start_cpu_tsv

LOAD_SHOW="messages elapsed"
for rep in $(seq "$REPEAT"); do
  measured "smtp-$rep" load_run "smtp-$rep"
  measured "http-$rep" http_run "$rep"
done
echo "injection-bench: server CPU per message, medians: $(cpu_medians smtp http)"
echo "injection-bench: accepted in all: $("$RINGPOST" queue stats --config "$BENCH_DIR/rp/ringpost.toml" | tr '\n' ' ')"
stop_pid "$RP_PID"
