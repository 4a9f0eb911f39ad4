#!/usr/bin/env bash
# relay-bench.sh: end-to-end relay throughput of ringpost beside Postfix, in ONE
# run, with the same load tool and the same counting sink.
#
# end-to-end msg/s = N / (time from the load's start until the sink has counted
# N messages): the relay has accepted each message (250 after DATA) and then
# delivered it over SMTP to smtp-sink. Messages of --size (4096) bytes, 1 recipient each,
# SESSIONS (100) inbound sessions, persistent (-d) and one message per connection.
#
# Started by this script on loopback (stopped by PID at the end, temp dir under
# ${BENCH_TMP:-/var/tmp} removed):
#   sink      smtp-sink -c -m 1024 [-u nobody] 127.0.0.1:$SINK_PORT 4096 (Debian's
#             postfix package), ONE instance counting for all servers and runs.
#   ringpost  build/ringpost serve on a free loopback port, data_dir in the temp dir,
#             relay.local_domains = ["localhost"], relay_networks 127.0.0.0/8, and
#               [delivery]  dns_servers = ["127.0.0.1:9"]
#               [delivery.routes] "sink.test" = "127.0.0.1:2626", "d1.sink.test" = ..., ...
#   postfix   a private instance configured like /work/shared/peers/postfix-bench.sh
#             (lib.sh start_postfix): relay_domains = sink.test, d1.sink.test, ...,
#             each routed by an inline transport map to smtp:[127.0.0.1]:$SINK_PORT.
# Shapes: one  = every recipient user@sink.test
#         many = recipients spread evenly over d1.sink.test ... dD.sink.test (D = --domains)
# Tools (both Postfix's smtp-source: one command per round trip, waits for every reply):
#   smtp-source        one process, smtp-source [-d] -s SESSIONS (shape "one" only:
#                      smtp-source cannot vary the recipient domain)
#   smtp-source-split  SESSIONS processes smtp-source [-d] -s 1, process i sending to
#                      user@d<(i mod D)+1>.sink.test (shape many) or user@sink.test (one)
# Before the servers, each tool/shape/mode also runs straight into the sink
# ("tool -> smtp-sink"): the ceiling of the load tool on this machine.
# A run that does not get all N to the sink within --stall seconds of no progress
# (after the load ended) is reported STALLED; a server whose run delivered nothing
# at all gets no further runs (--keep-going to run them anyway); exit status 1.
#
# --shaping-rules K: also run "ringpost-shaped", the same ringpost with K
# [shaping.sites] rules configured, with rates far above what the load
# reaches (1000000/s messages, 100000/s connections): every transaction goes
# through a site's connection slot and two pacers, and site choice through K
# rules, without any limit binding -- the cost of shaping.
# --shaping-layout: per-domain (default): rule i takes domain di.sink.test,
#   so each domain the load uses is its own site (and a connection carries
#   one site's mail only, where the unshaped ringpost's one MX-rollup site
#   shares connections among all of them); one-site: rule 1 takes the MX
#   host 127.0.0.1 (every route), rules 2..K other domains, so the sites are
#   as without rules and only the rules and pacers differ.
# --interleave (with --shaping-rules): R pairs of one run each, unshaped and
#   shaped alternately in ABBA order (A B, B A, A B, ...), each run on a
#   freshly started server, and the median of the R pair ratios shaped /
#   unshaped: a drift of the machine over the bench weighs on both sides.
#
# usage: relay-bench.sh [--messages N] [--repeat R] [--shapes "one,many"] [--only ringpost|postfix]
#          [--tools "smtp-source smtp-source-split"] [--modes "d,c"] [--sessions 100] [--domains 100]
#          [--timeout 300] [--stall 30] [--no-ceiling] [--keep-going] [--json FILE]
#          [--shaping-rules K] [--shaping-layout per-domain|one-site] [--shaped-first] [--interleave] [--size BYTES]
#   defaults: N 20000, R 1, both shapes, both servers, both tools, both modes.
#   env: SINK_PORT (2626; the ringpost routes and Postfix transports point there), SINK_MAXCONN (1024)
#        RP_PORT PF_PORT (default: free ports) BENCH_TMP (/var/tmp) BUILD (repo/build)
#        PEERS (/work/shared/peers: install-tools.sh, smtpbench.py)
# Bounded: each run stops at --timeout seconds (load killed) and at --stall seconds
# without progress at the sink; server starts wait at most 30 s.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

SINK_PORT=${SINK_PORT:-2626}
N=20000; REPEAT=1; SHAPES="one,many"; ONLY=""; TOOLS="smtp-source smtp-source-split"; MODES="d,c"
SESSIONS=100; DOMAINS=100; TIMEOUT=300; STALL=30; CEILING=1; KEEP_GOING=0; JSON=""; SHAPING_RULES=0
SHAPING_LAYOUT=per-domain; SIZE=4096; SHAPED_FIRST=0; INTERLEAVE=0
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --repeat) REPEAT=$2; shift 2;; --shapes) SHAPES=$2; shift 2;;
  --only) ONLY=$2; shift 2;; --tools) TOOLS=$2; shift 2;; --modes) MODES=$2; shift 2;;
  --sessions) SESSIONS=$2; shift 2;; --domains) DOMAINS=$2; shift 2;;
  --timeout) TIMEOUT=$2; shift 2;; --stall) STALL=$2; shift 2;;
  --no-ceiling) CEILING=0; shift;; --keep-going) KEEP_GOING=1; shift;; --json) JSON=$2; shift 2;;
  --shaping-rules) SHAPING_RULES=$2; shift 2;; --shaping-layout) SHAPING_LAYOUT=$2; shift 2;;
  --size) SIZE=$2; shift 2;; --shaped-first) SHAPED_FIRST=1; shift;;
  --interleave) INTERLEAVE=1; shift;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "relay-bench: unknown argument $1" >&2; exit 2;; esac; done
SHAPES=${SHAPES//,/ }; MODES=${MODES//,/ }; TOOLS=${TOOLS//,/ }
case "$ONLY" in ""|ringpost|postfix) ;; *) echo "relay-bench: --only ringpost|postfix" >&2; exit 2;; esac
for s in $SHAPES; do case "$s" in one|many) ;; *) echo "relay-bench: unknown shape $s" >&2; exit 2;; esac; done
for m in $MODES; do case "$m" in d|c) ;; *) echo "relay-bench: unknown mode $m (d or c)" >&2; exit 2;; esac; done
for t in $TOOLS; do case "$t" in smtp-source|smtp-source-split) ;; *) echo "relay-bench: unknown tool $t" >&2; exit 2;; esac; done
for v in "$N" "$REPEAT" "$SESSIONS" "$DOMAINS" "$TIMEOUT" "$STALL" "$SHAPING_RULES" "$SIZE"; do
  case "$v" in ''|*[!0-9]*) echo "relay-bench: expected a positive integer, got '$v'" >&2; exit 2;; esac
done
SERVERS="ringpost postfix"; [ -n "$ONLY" ] && SERVERS=$ONLY
# With --shaping-rules, the shaped run goes first or second (--shaped-first):
# run the bench both ways to see how much the order (a warming machine) weighs.
case " $SERVERS " in
  *" ringpost "*)
    if [ "$SHAPING_RULES" -gt 0 ] && [ "$SHAPED_FIRST" = 1 ]; then SERVERS=${SERVERS/ringpost/ringpost-shaped ringpost}
    elif [ "$SHAPING_RULES" -gt 0 ]; then SERVERS=${SERVERS/ringpost/ringpost ringpost-shaped}; fi;;
esac
PLAN_REPEAT=$REPEAT   # runs per server start
if [ "$INTERLEAVE" = 1 ]; then
  [ "$SHAPING_RULES" -gt 0 ] && [ "$ONLY" = ringpost ] || { echo "relay-bench: --interleave needs --shaping-rules K and --only ringpost" >&2; exit 2; }
  SERVERS=""; PLAN_REPEAT=1
  for i in $(seq "$REPEAT"); do
    if [ $((i % 2)) = $((SHAPED_FIRST == 1 ? 0 : 1)) ]; then SERVERS+=" ringpost ringpost-shaped"; else SERVERS+=" ringpost-shaped ringpost"; fi
  done
fi
STARTS=0
declare -A RUN_NO=()   # runs so far per label: the runs' numbers over several starts

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

[ -f "$PEERS/smtpbench.py" ] || { echo "relay-bench: $PEERS/smtpbench.py missing (set PEERS)" >&2; exit 1; }
case " $SERVERS " in *" ringpost "*) find_ringpost;; esac
find_postfix_tools
raise_nofile
if port_busy "$SINK_PORT"; then
  echo "relay-bench: something already listens on 127.0.0.1:$SINK_PORT (the sink port; SINK_PORT=...)" >&2; exit 1
fi
make_bench_dir
RUNS="$BENCH_DIR/runs.jsonl"; : > "$RUNS"
LOGS="$BENCH_DIR/logs"; mkdir -p "$LOGS"
export PEERS

# the relay domains: sink.test, plus d1..dD.sink.test when the many shape runs
DOMAIN_LIST="sink.test"
case " $SHAPES " in *" many "*) for i in $(seq "$DOMAINS"); do DOMAIN_LIST+=" d$i.sink.test"; done;; esac

# the (tool shape mode) combinations, shapes outermost
COMBOS=()
for shape in $SHAPES; do for mode in $MODES; do for tool in $TOOLS; do
  [ "$tool" = smtp-source ] && [ "$shape" = many ] && continue   # cannot vary the domain
  COMBOS+=("$tool $shape $mode")
done; done; done
[ ${#COMBOS[@]} -gt 0 ] || { echo "relay-bench: nothing to run (smtp-source alone cannot do shape many; add smtp-source-split)" >&2; exit 2; }

echo "relay-bench: $(date -Is) on $(hostname), $(nproc) CPUs, kernel $(uname -r); uptime:$(uptime)"
echo "relay-bench: N=$N size=$SIZE sessions=$SESSIONS modes=[$MODES] shapes=[$SHAPES] domains=$DOMAINS tools=[$TOOLS] repeat=$REPEAT servers=[$SERVERS] timeout=${TIMEOUT}s stall=${STALL}s"
echo "relay-bench: temp dir $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR"))"

U=(); [ "$(id -u)" = 0 ] && U=(-u nobody)
SINK_CMD=("$SMTP_SINK" -c "${U[@]}" -m "${SINK_MAXCONN:-1024}" "127.0.0.1:$SINK_PORT" 4096)   # 4096: the listen backlog
"${SINK_CMD[@]}" > "$BENCH_DIR/sink.out" 2>&1 &
SINK_PID=$!; STARTED_PIDS+=("$SINK_PID")
wait_smtp "$SINK_PORT" 15 || { echo "relay-bench: smtp-sink did not start: $(tail -c 300 "$BENCH_DIR/sink.out")" >&2; exit 1; }
echo "smtp-sink: pid $SINK_PID: ${SINK_CMD[*]}"

FAILED=0

# last_status: "STATUS SINK_COUNT" of the newest run record
last_status() {
  tail -1 "$RUNS" | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["status"], r["sink_count"])'
}

# bad_runs LABEL: how many of LABEL's runs did not get all N to the sink
bad_runs() {
  python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.strip() and json.loads(l)["label"] == sys.argv[2]
          and json.loads(l)["status"] != "ok"))' "$RUNS" "$1"
}

# run_plan LABEL PORT PID TREE: every combination x repeat against one target.
run_plan() {
  local label=$1 port=$2 pid=$3 tree=$4 combo tool shape mode rep rc st got
  local extra=(); [ "$pid" != 0 ] && extra+=(--server-pid "$pid"); [ "$tree" = 1 ] && extra+=(--tree)
  for combo in "${COMBOS[@]}"; do
    read -r tool shape mode <<<"$combo"
    for _ in $(seq "$PLAN_REPEAT"); do
      rep=$(( ${RUN_NO[$label]:-0} + 1 )); RUN_NO[$label]=$rep
      rc=0
      timeout -k 5 $((TIMEOUT + 90)) python3 "$HERE/relay_drive.py" run --target "127.0.0.1:$port" \
        --sink-out "$BENCH_DIR/sink.out" --sink-pid "$SINK_PID" --tool "$tool" --shape "$shape" \
        --domains "$DOMAINS" --sessions "$SESSIONS" --mode "$mode" -n "$N" --size "$SIZE" --timeout "$TIMEOUT" \
        --stall "$STALL" --label "$label" --run "$rep" --json "$RUNS" --logdir "$LOGS/$label" "${extra[@]}" || rc=$?
      [ "$rc" = 0 ] && { sleep 2; continue; }
      FAILED=1
      if [ "$rc" -ge 124 ]; then   # the driver itself was killed: no record
        echo "  [$label] the run driver did not finish within $((TIMEOUT + 90)) s (rc $rc)"; return 1
      fi
      read -r st got <<<"$(last_status)"
      if [ "$KEEP_GOING" = 0 ] && [ "$got" = 0 ] && [ "$label" != ceiling ]; then
        echo "  [$label] delivered nothing to the sink in that run: skipping its remaining runs (--keep-going to run them)"
        return 1
      fi
      sleep 2
    done
  done
}

if [ "$CEILING" = 1 ]; then
  echo "ceiling: each tool straight into smtp-sink (no relay)"
  run_plan ceiling "$SINK_PORT" 0 0 || true
fi

for server in $SERVERS; do
  case "$server" in
    ringpost|ringpost-shaped)
      RP_PORT=$(free_port)
      RP_EXTRA_CONFIG=$(
        printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n\n[delivery.routes]\n'
        for d in $DOMAIN_LIST; do printf '"%s" = "127.0.0.1:%s"\n' "$d" "$SINK_PORT"; done
        if [ "$server" = ringpost-shaped ]; then
          for i in $(seq "$SHAPING_RULES"); do
            if [ "$SHAPING_LAYOUT" = one-site ] && [ "$i" = 1 ]; then
              printf '\n[shaping.sites.s1]\nmx = ["127.0.0.1"]\n'
            elif [ "$SHAPING_LAYOUT" = one-site ]; then
              printf '\n[shaping.sites.s%d]\ndomains = ["d%d.other.test"]\n' "$i" "$i"
            else
              printf '\n[shaping.sites.s%d]\ndomains = ["d%d.sink.test"]\n' "$i" "$i"
            fi
            printf 'max_message_rate = "1000000/s"\nmax_connection_rate = "100000/s"\n'
          done
        fi)
      export RP_EXTRA_CONFIG
      STARTS=$((STARTS + 1))
      RP_DIR="$BENCH_DIR/$server"; [ "$INTERLEAVE" = 1 ] && RP_DIR+="-$STARTS"   # a fresh store per start
      mkdir -p "$RP_DIR"
      if ! start_ringpost "$RP_DIR" "$RP_PORT" 20000; then
        echo "$server: did not start (config: $RP_DIR/ringpost.toml); no $server runs"
        FAILED=1; continue
      fi
      echo "$server: pid $RP_PID on 127.0.0.1:$RP_PORT, $("$RINGPOST" version 2>/dev/null | head -1), config $RP_DIR/ringpost.toml ([delivery] dns_servers 127.0.0.1:9, $(echo "$DOMAIN_LIST" | wc -w) routes to 127.0.0.1:$SINK_PORT)"
      rp_rc=0; run_plan "$server" "$RP_PORT" "$RP_PID" 0 || rp_rc=$?
      echo "$server: spool after the runs: $(timeout 20 "$RINGPOST" queue stats --config "$RP_DIR/ringpost.toml" 2>&1 | tr '\n' ' ')"
      if [ "$rp_rc" != 0 ] || [ "$(bad_runs "$server")" != 0 ]; then
        echo "$server: STALLED: it accepted the mail but the sink did not receive it (queued above; no delivery to 127.0.0.1:$SINK_PORT)."
        tail_log=$(tail -2 "$RP_DIR/ringpost.log" | tr '\n' ' ' | cut -c1-300)
        echo "$server: its log (level warn) has $(grep -ciE 'error|warn' "$RP_DIR/ringpost.log" || true) warning/error lines${tail_log:+; the last: $tail_log}"
      fi
      stop_pid "$RP_PID";;
    postfix)
      PF_PORT=${PF_PORT:-$(free_port)}
      mkdir -p "$BENCH_DIR/postfix"
      if ! PF_DOMAINS="$DOMAIN_LIST" start_postfix "$BENCH_DIR/postfix" "$PF_PORT" "$SINK_PORT"; then
        echo "postfix: did not start; no postfix runs"; FAILED=1; continue
      fi
      echo "postfix: master pid $PF_PID on 127.0.0.1:$PF_PORT, version $(postconf -c "$PF_CONF" -h mail_version), $(echo "$DOMAIN_LIST" | wc -w) relay domains -> smtp:[127.0.0.1]:$SINK_PORT"
      pf_rc=0; run_plan postfix "$PF_PORT" "$PF_PID" 1 || pf_rc=$?
      echo "postfix: queue files left: $(find "$BENCH_DIR/postfix/spool/incoming" "$BENCH_DIR/postfix/spool/active" "$BENCH_DIR/postfix/spool/deferred" -type f 2>/dev/null | wc -l), delivered (maillog status=sent): $(grep -c 'status=sent' "$BENCH_DIR/postfix/maillog" 2>/dev/null || true)"
      echo "postfix: distinct recipient domains delivered (maillog status=sent): $( (grep 'status=sent' "$BENCH_DIR/postfix/maillog" 2>/dev/null || true) | grep -o 'to=<[^>]*>' | sed 's/.*@//; s/>$//' | sort -u | wc -l)"
      (grep -E 'warning|fatal|panic|status=deferred' "$BENCH_DIR/postfix/maillog" 2>/dev/null || true) | sed -E 's/^.*(warning|fatal|panic|status=deferred)/\1/' | cut -c1-160 | sort | uniq -c | sort -rn | head -5
      [ "$pf_rc" = 0 ] && [ "$(bad_runs postfix)" = 0 ] || echo "postfix: STALLED or failed: see the run lines above"
      stop_postfix_master "$PF_PID";;
  esac
done

echo
rc=0
python3 "$HERE/relay_drive.py" table "$RUNS" || rc=1
[ "$FAILED" = 0 ] || rc=1
echo
echo "msg/s = end-to-end: N / (load start -> sink has counted N), median (min-max) of $REPEAT; ratio = ringpost / postfix."
if [ "$INTERLEAVE" = 1 ]; then
  python3 -c 'import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def rates(label): return [r["e2e_msgs_per_s"] for r in runs if r["label"] == label and r["status"] == "ok"]
a, b = rates("ringpost"), rates("ringpost-shaped")
pairs = list(zip(a, b))
for i, (u, s) in enumerate(pairs, 1): print("pair %d: unshaped %s, shaped %s msg/s: shaped / unshaped %.3f" % (i, u, s, s / u))
if pairs:
    ratios = sorted(s / u for u, s in pairs)
    print("interleaved: median shaped / unshaped over %d pairs = %.3f (min %.3f, max %.3f)"
          % (len(pairs), statistics.median(ratios), ratios[0], ratios[-1]))' "$RUNS"
fi
echo "tool -> smtp-sink: the same load straight into the sink (the load tool's ceiling here). Inbound msg/s = accepted / load wall time."
echo "Server CPU: user+sys of the server (Postfix: its whole process tree incl. reaped daemons) until the sink had N, per delivered message."
echo "Exact load commands:"
python3 -c 'import json, sys
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    k = (r["label"], r["source_cmd"])
    if k not in seen:
        seen.add(k)
        print("  [%s/%s/%s] %s" % (r["label"], r["tool"], r["shape"], r["source_cmd"]))' "$RUNS"
echo "sink: ${SINK_CMD[*]}"
if [ -n "$JSON" ]; then cat "$RUNS" >> "$JSON"; echo "JSON lines appended to $JSON"; fi
echo "relay-bench: done $(date -Is); uptime:$(uptime)"
[ "$rc" = 0 ] || echo "relay-bench: NOT all runs delivered all N messages (see STALLED / status above): exit 1"
exit "$rc"
