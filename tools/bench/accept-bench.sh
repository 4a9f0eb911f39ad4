#!/usr/bin/env bash
# accept-bench.sh: inbound acceptance rate of ringpost beside Postfix and
# smtp-sink, in ONE run, with the same load tools and the same parameters.
#
# Servers (each started by this script on loopback, stopped by PID at the end):
#   ringpost  build/ringpost serve, data_dir on disk under ${BENCH_TMP:-/var/tmp},
#             local domain localhost (user bench@localhost), relay_networks 127.0.0.0/8.
#             Recipient user@sink.test is remote: each message stays in ringpost's spool
#             (its [delivery] DNS server is a loopback port where nothing answers).
#   postfix   a private instance configured like /work/shared/peers/postfix-bench.sh;
#             its relay target 127.0.0.1:$PF_RELAY_PORT has no listener, so mail is
#             queued (deferred) and stays on disk, as smtpbench.py --no-sink measures.
#   sink      smtp-sink -c -u nobody -m M 127.0.0.1:PORT 4096 (stores nothing: the ceiling).
# Tools (same N, sessions, size, sender, recipient, EHLO name):
#   smtp-source         smtp-source [-d] -s S -m N -l SIZE -f .. -t .. -M bench.local
#   ringpost-load       ringpost-load --no-pipelining (one command per round trip, like smtp-source)
#   ringpost-load-pipe  ringpost-load --pipelining (RFC 2920)
# Plan "100:d,1000:d": sessions:mode, d = persistent sessions (smtp-source -d /
# ringpost-load --per-connection 0), c = one message per connection (-k 1).
#
# usage: accept-bench.sh [--messages N] [--plan 100:d,1000:d] [--repeat R]
#          [--servers "ringpost postfix sink"] [--tools "smtp-source ringpost-load ringpost-load-pipe"]
#          [--size BYTES] [--timeout SECONDS] [--out FILE.tsv]
#   env: RP_PORT (2525) PF_PORT (2535) SINK_PORT (2545) PF_RELAY_PORT (2546)
#        BENCH_TMP (/var/tmp) BUILD (repo/build) PEERS (/work/shared/peers)
# Every run is bounded: N messages and --timeout seconds per run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

RP_PORT=${RP_PORT:-2525}; PF_PORT=${PF_PORT:-2535}; SINK_PORT=${SINK_PORT:-2545}; PF_RELAY_PORT=${PF_RELAY_PORT:-2546}
N=10000; PLAN="100:d,1000:d"; REPEAT=1; SIZE=4096; TIMEOUT=300
SERVERS="ringpost postfix sink"; TOOLS="smtp-source ringpost-load ringpost-load-pipe"
OUT=""
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --plan) PLAN=$2; shift 2;; --repeat) REPEAT=$2; shift 2;;
  --servers) SERVERS=$2; shift 2;; --tools) TOOLS=$2; shift 2;; --size) SIZE=$2; shift 2;;
  --timeout) TIMEOUT=$2; shift 2;; --out) OUT=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "accept-bench: unknown argument $1" >&2; exit 2;; esac; done

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

case " $SERVERS " in *" ringpost "*) find_ringpost;; esac
case " $TOOLS " in *ringpost-load*) find_load;; esac
find_postfix_tools
raise_nofile
make_bench_dir
RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
MAX_SESSIONS=$(echo "$PLAN" | tr ',' '\n' | cut -d: -f1 | sort -n | tail -1)

echo "accept-bench: N=$N size=$SIZE plan=$PLAN repeat=$REPEAT servers=[$SERVERS] tools=[$TOOLS]"
echo "accept-bench: temp dir $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR")), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# run_one SERVER PORT ROOT_PID TOOL SESSIONS MODE REP: one bounded load run, one line in $RESULTS.
run_one() {
  local server=$1 port=$2 root=$3 tool=$4 sessions=$5 mode=$6 rep=$7
  local cmd=() persist=0 k=1
  [ "$mode" = d ] && { persist=1; k=0; }
  case "$tool" in
    smtp-source)
      cmd=("$SMTP_SOURCE"); [ $persist = 1 ] && cmd+=(-d)
      cmd+=(-s "$sessions" -m "$N" -l "$SIZE" -f bench@src.test -t user@sink.test -M bench.local "127.0.0.1:$port");;
    ringpost-load|ringpost-load-pipe)
      cmd=("$LOAD" --server "127.0.0.1:$port" --sessions "$sessions" --messages "$N" --size "$SIZE"
           --from bench@src.test --to user@sink.test --helo bench.local --per-connection "$k"
           --timeout "$TIMEOUT" --json)
      if [ "$tool" = ringpost-load ]; then cmd+=(--no-pipelining); else cmd+=(--pipelining); fi;;
    *) echo "accept-bench: unknown tool $tool" >&2; return 1;;
  esac
  local out="$BENCH_DIR/run.out" err="$BENCH_DIR/run.err" tfile="$BENCH_DIR/time.txt" rssf="$BENCH_DIR/rss.txt"
  : > "$rssf"
  start_rss_sampler "$root" "$rssf"
  local c0 c1 m0 m1 t0 t1 rc=0
  c0=$(cpu_ticks "$root"); m0=$(machine_ticks)
  t0=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S" -o "$tfile" timeout -k 5 "$TIMEOUT" "${cmd[@]}" >"$out" 2>"$err" || rc=$?
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$root"); m1=$(machine_ticks)
  rss_kib "$root" >> "$rssf"
  stop_rss_sampler
  local ok="$N" errs=""
  if [ "${tool#ringpost-load}" != "$tool" ]; then
    ok=$( (grep -o '"ok":[0-9]*' "$out" || true) | tail -1 | cut -d: -f2); ok=${ok:-0}
  elif [ "$rc" != 0 ]; then
    ok=0   # smtp-source reports no count; a failed run counts as nothing accepted
  fi
  errs=$( (grep -v '^ringpost-load' "$err" || true) | (grep -vE '^(messages|connections|elapsed|latency|cpu|failures|unexpected)' || true) | head -2 | tr '\t\n' '  ' | cut -c1-160)
  local peak; peak=$(sort -n "$rssf" | tail -1)
  local tool_cpu; tool_cpu=$(awk 'END { if (NF >= 3) print $2 + $3; else print "nan" }' "$tfile" 2>/dev/null || echo nan)
  read -r mt0 mi0 <<<"$m0"; read -r mt1 mi1 <<<"$m1"
  local busy; busy=$(awk -v a="$mt0" -v b="$mi0" -v c="$mt1" -v d="$mi1" 'BEGIN { dt = c - a; printf "%.0f", (dt > 0 ? 100 * (dt - (d - b)) / dt : 0) }')
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  local srv_cpu; srv_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
  local rate; rate=$(awk -v ok="$ok" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? ok / w : 0) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$server" "$tool" "$sessions" "$mode" "$N" "$rep" "$wall" "$ok" "$rate" "$tool_cpu" "$srv_cpu" \
    "${peak:-0}" "$busy" "$rc" "${cmd[*]}" >> "$RESULTS"
  printf '  %-9s %-18s s=%-5s %s n=%s run %s: %6.1f msg/s (ok %s in %ss) rc=%s server cpu %ss peak rss %s KiB, tool cpu %ss, machine busy %s%%%s\n' \
    "$server" "$tool" "$sessions" "$mode" "$N" "$rep" "$rate" "$ok" "$wall" "$rc" "$srv_cpu" "${peak:-0}" "$tool_cpu" "$busy" \
    "${errs:+ [stderr: $errs]}"
}

# run_server SERVER PORT ROOT_PID: the whole plan x tools x repeats against one server.
run_server() {
  local server=$1 port=$2 root=$3 item sessions mode tool rep
  for item in ${PLAN//,/ }; do
    sessions=${item%%:*}; mode=${item#*:}; [ "$mode" = "$item" ] && mode=d
    for rep in $(seq "$REPEAT"); do
      for tool in $TOOLS; do   # tools interleaved, so drift hits all of them alike
        run_one "$server" "$port" "$root" "$tool" "$sessions" "$mode" "$rep"
        sleep 2
      done
    done
  done
}

for server in $SERVERS; do
  case "$server" in
    ringpost)
      mkdir -p "$BENCH_DIR/ringpost"
      start_ringpost "$BENCH_DIR/ringpost" "$RP_PORT" 20000
      echo "ringpost: pid $RP_PID on 127.0.0.1:$RP_PORT, data_dir $BENCH_DIR/ringpost/data"
      TREE=0 run_server ringpost "$RP_PORT" "$RP_PID"
      echo "ringpost: spool after the runs: $(du -sh "$BENCH_DIR/ringpost/data" | cut -f1)"
      stop_pid "$RP_PID";;
    postfix)
      mkdir -p "$BENCH_DIR/postfix"
      start_postfix "$BENCH_DIR/postfix" "$PF_PORT" "$PF_RELAY_PORT"
      echo "postfix: master pid $PF_PID on 127.0.0.1:$PF_PORT, version $(postconf -c "$PF_CONF" -h mail_version)"
      TREE=1 run_server postfix "$PF_PORT" "$PF_PID"
      echo "postfix: queue files after the runs: $(find "$BENCH_DIR/postfix/spool/incoming" "$BENCH_DIR/postfix/spool/active" "$BENCH_DIR/postfix/spool/deferred" -type f 2>/dev/null | wc -l)"
      stop_postfix_master "$PF_PID";;
    sink)
      U=(); [ "$(id -u)" = 0 ] && U=(-u nobody)
      "$SMTP_SINK" -c "${U[@]}" -m $((2 * MAX_SESSIONS > 256 ? 2 * MAX_SESSIONS : 256)) "127.0.0.1:$SINK_PORT" 4096 \
        > "$BENCH_DIR/sink.out" 2>&1 &
      SINK_PID=$!; STARTED_PIDS+=("$SINK_PID")
      wait_smtp "$SINK_PORT" 15
      echo "smtp-sink: pid $SINK_PID on 127.0.0.1:$SINK_PORT"
      TREE=0 run_server smtp-sink "$SINK_PORT" "$SINK_PID"
      stop_pid "$SINK_PID";;
    *) echo "accept-bench: unknown server $server" >&2; exit 2;;
  esac
done

[ -n "$OUT" ] && cp "$RESULTS" "$OUT"

# Table: medians over the repeats; ratios against Postfix and smtp-sink with the same tool, sessions, mode.
awk -F'\t' '
  { key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    cnt[key]++; rate[key, cnt[key]] = $9; if ($12 + 0 > rss[key] + 0) rss[key] = $12 + 0
    scpu[key] += $11; tcpu[key] += $10; okn[key] += $8; nn[key] += $5; rcbad[key] += ($14 != 0)
    srv[key] = $1; tool[key] = $2; ses[key] = $3; mode[key] = $4; N[key] = $5 }
  function median(key,   m, i, j, t, a) {
    m = cnt[key]; for (i = 1; i <= m; i++) a[i] = rate[key, i] + 0
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  function minmax(key,   m, i, lo, hi) {
    m = cnt[key]; lo = hi = rate[key, 1] + 0
    for (i = 2; i <= m; i++) { if (rate[key, i] + 0 < lo) lo = rate[key, i] + 0; if (rate[key, i] + 0 > hi) hi = rate[key, i] + 0 }
    return m > 1 ? sprintf(" (%.0f-%.0f)", lo, hi) : "" }
  function ratio(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "n/a" }
  END {
    for (i = 1; i <= n; i++) med[order[i]] = median(order[i])
    printf "\n| server | tool | sessions | mode | N | msg/s | vs Postfix | vs smtp-sink | server peak RSS MiB | server CPU s (us/msg) | tool CPU s (us/msg) | ok/N (all runs) |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
      k = order[i]
      pk = "postfix" SUBSEP tool[k] SUBSEP ses[k] SUBSEP mode[k]
      sk = "smtp-sink" SUBSEP tool[k] SUBSEP ses[k] SUBSEP mode[k]
      ok = okn[k]; c = cnt[k]
      printf "| %s | %s | %s | %s | %s | %.0f%s | %s | %s | %.1f | %.2f (%.0f) | %.2f (%.0f) | %d/%d%s |\n",
        srv[k], tool[k], ses[k], (mode[k] == "d" ? "persistent" : "1 msg/conn"), N[k], med[k], minmax(k),
        ((pk in med) ? ratio(med[k], med[pk]) : "n/a"), ((sk in med) ? ratio(med[k], med[sk]) : "n/a"),
        rss[k] / 1024, scpu[k] / c, (ok > 0 ? scpu[k] * 1e6 / ok : 0), tcpu[k] / c, (ok > 0 ? tcpu[k] * 1e6 / ok : 0),
        ok, nn[k], (rcbad[k] ? " (rc!=0)" : "")
    }
  }' "$RESULTS"
echo
echo "msg/s = messages accepted / wall time of the load tool (median of $REPEAT). Peak RSS: VmRSS sampled every 0.5 s"
echo "(Postfix: sum over the master's process tree, which overcounts shared pages). CPU: user+sys of the server"
echo "(Postfix: whole tree incl. reaped daemons) and of the load tool, per run, and per accepted message."
echo "Exact commands (one per run):"
cut -f1,2,15 "$RESULTS" | awk -F'\t' '!seen[$0]++ { printf "  [%s/%s] %s\n", $1, $2, $3 }'
