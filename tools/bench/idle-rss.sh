#!/usr/bin/env bash
# idle-rss.sh: memory per idle SMTP session of ringpost. Starts ringpost on
# loopback (temp config with max_connections_per_ip >= the session count),
# samples its VmRSS before, opens N idle sessions with
#   ringpost-load --idle N --hold SECONDS   (greeting + EHLO, then nothing)
# samples VmRSS every 0.5 s during the hold, and again after the sessions are
# closed. Prints before / peak during / after, and (peak - before) / established
# as KiB per idle session. Optionally the same for smtp-sink (--with-sink).
#
# usage: idle-rss.sh [--sessions N] [--hold SECONDS] [--threads T] [--with-sink]
#   env: RP_PORT (2525) SINK_PORT (2545) BENCH_TMP (/var/tmp) BUILD (repo/build)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

RP_PORT=${RP_PORT:-2525}; SINK_PORT=${SINK_PORT:-2545}
SESSIONS=10000; HOLD=10; THREADS=1; WITH_SINK=0
while [ $# -gt 0 ]; do case "$1" in
  --sessions|-n) SESSIONS=$2; shift 2;; --hold) HOLD=$2; shift 2;; --threads) THREADS=$2; shift 2;;
  --with-sink) WITH_SINK=1; shift;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "idle-rss: unknown argument $1" >&2; exit 2;; esac; done

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

find_ringpost
find_load
raise_nofile
need=$((SESSIONS + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "idle-rss: open files limit $(ulimit -n) < $need (hard limit $(ulimit -Hn)); raise it first" >&2
  exit 1
fi
make_bench_dir

# measure NAME PORT PID: the idle run against one server.
measure() {
  local name=$1 port=$2 pid=$3
  sleep 1
  local before; before=$(rss_kib "$pid")
  local rssf="$BENCH_DIR/$name.rss" out="$BENCH_DIR/$name.load.json" err="$BENCH_DIR/$name.load.err"
  local cmd=("$LOAD" --server "127.0.0.1:$port" --idle "$SESSIONS" --hold "$HOLD" --threads "$THREADS"
             --timeout 120 --json)
  timeout -k 5 $((HOLD + 180)) "${cmd[@]}" >"$out" 2>"$err" &
  local lpid=$!; STARTED_PIDS+=("$lpid")
  # wait for the hold to begin (the tool says so on stderr), then sample during the hold
  for _ in $(seq 1500); do grep -q 'holding' "$err" 2>/dev/null && break; kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
  : > "$rssf"
  while kill -0 "$lpid" 2>/dev/null; do
    grep -q '"established"' "$out" 2>/dev/null && break
    rss_kib "$pid" >> "$rssf"
    sleep 0.5
  done
  wait "$lpid" 2>/dev/null || true
  local keep=() p; for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$lpid" ] || keep+=("$p"); done; STARTED_PIDS=("${keep[@]}")
  sleep 2
  local after; after=$(rss_kib "$pid")
  local peak; peak=$(sort -n "$rssf" | tail -1)
  local est; est=$( (grep -o '"established":[0-9]*' "$out" || true) | cut -d: -f2)
  local setup; setup=$( (grep -o '"setup_s":[0-9.]*' "$out" || true) | cut -d: -f2)
  echo "[$name] $( (grep -v '^{' "$err" || true) | tail -3 | tr '\n' ' ')"
  printf '[%s] %s\n' "$name" "$(cat "$out")"
  awk -v n="$name" -v b="$before" -v p="${peak:-0}" -v a="$after" -v e="${est:-0}" -v s="${setup:-?}" -v h="$HOLD" 'BEGIN {
    printf "| %s | %d | %s | %.1f | %.1f | %.1f | %.2f |\n", n, e, s, b / 1024, p / 1024, a / 1024, (e > 0 ? (p - b) / e : 0) }' >> "$BENCH_DIR/table"
  echo "[$name] command: ${cmd[*]}"
}

: > "$BENCH_DIR/table"
mkdir -p "$BENCH_DIR/ringpost"
start_ringpost "$BENCH_DIR/ringpost" "$RP_PORT" $((SESSIONS > 10000 ? SESSIONS : 10000))
echo "ringpost: pid $RP_PID on 127.0.0.1:$RP_PORT (max_connections_per_ip $((SESSIONS > 10000 ? SESSIONS : 10000))), threads $(ls /proc/$RP_PID/task | wc -l)"
measure ringpost "$RP_PORT" "$RP_PID"
grep -iE 'error|warn' "$BENCH_DIR/ringpost/ringpost.log" | sort | uniq -c | sort -rn | head -5 || true
stop_pid "$RP_PID"

if [ "$WITH_SINK" = 1 ]; then
  find_postfix_tools
  U=(); [ "$(id -u)" = 0 ] && U=(-u nobody)
  "$SMTP_SINK" "${U[@]}" -m $((SESSIONS + 100)) "127.0.0.1:$SINK_PORT" 4096 > "$BENCH_DIR/sink.out" 2>&1 &
  SINK_PID=$!; STARTED_PIDS+=("$SINK_PID")
  wait_smtp "$SINK_PORT" 15
  measure smtp-sink "$SINK_PORT" "$SINK_PID"
  stop_pid "$SINK_PID"
fi

echo
echo "| server | idle sessions established | setup s | RSS before MiB | peak RSS during hold MiB | RSS after close MiB | KiB per idle session |"
echo "|---|---|---|---|---|---|---|"
cat "$BENCH_DIR/table"
echo "(VmRSS of the server process, sampled every 0.5 s during a ${HOLD} s hold; per session = (peak - before) / established)"
