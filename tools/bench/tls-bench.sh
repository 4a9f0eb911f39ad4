#!/usr/bin/env bash
# tls-bench.sh: the cost of TLS on inbound acceptance, ringpost beside Postfix,
# in ONE run, with the same load tool and parameters for all four cells:
#   ringpost plaintext   vs  ringpost STARTTLS
#   postfix  plaintext   vs  postfix  STARTTLS
# Load: ringpost-load, S sessions (100), persistent sessions (--per-connection 0:
# one connection, one STARTTLS handshake per session, then N/S messages on it),
# SIZE-byte bodies (4096), the same N in every run. STARTTLS runs add
# `--starttls --tls-version V` (TLS 1.3 by default, no certificate verification,
# no session resumption). Postfix's smtp-source has no TLS, so ringpost-load
# drives both servers, plaintext included.
#
# Servers (started by this script on free loopback ports, stopped by PID):
#   ringpost  build/ringpost serve as in accept-bench.sh (lib.sh), with [tls]
#             cert/key = the certificate below; STARTTLS is offered on [smtp];
#             submission/smtps/pop3/pop3s/imap/imaps listeners off.
#   postfix   the private instance of accept-bench.sh (like
#             /work/shared/peers/postfix-bench.sh), plus smtpd_tls_security_level
#             = may and smtpd_tls_cert_file/key_file = the same certificate.
#   Certificate: self-signed EC P-256 (like ringpost's generated default),
#   made with openssl into the temp dir. Mail stays queued on disk in both.
# Plain and STARTTLS runs go to the same server instance, interleaved per repeat.
#
# Printed: msg/s (accepted / ringpost-load's own elapsed time, which leaves out
# process start and TLS context setup) median (min-max) over --repeat runs, TLS cost = 1 - tls/plain
# per server (target for ringpost: < 30%), ringpost/Postfix ratio with TLS
# (and plain), server CPU per message, tool CPU per message, TLS handshake
# errors, and the exact commands.
#
# usage: tls-bench.sh [--messages N] [--sessions S] [--repeat R] [--size BYTES]
#          [--servers "ringpost postfix"] [--modes "plain starttls"]
#          [--tls-version 1.3|1.2] [--no-pipelining] [--timeout SECONDS] [--out FILE.tsv]
#   env: RP_PORT PF_PORT PF_RELAY_PORT (default: free ports) BENCH_TMP (/var/tmp)
#        BUILD (repo/build) PEERS (/work/shared/peers)
# Every run is bounded: N messages and --timeout seconds per run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; REPEAT=3; SIZE=4096; TIMEOUT=300; TLS_VERSION=1.3; PIPE=--pipelining
SERVERS="ringpost postfix"; MODES="plain starttls"; OUT=""
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --sessions|-s) SESSIONS=$2; shift 2;; --repeat) REPEAT=$2; shift 2;;
  --size) SIZE=$2; shift 2;; --servers) SERVERS=$2; shift 2;; --modes) MODES=$2; shift 2;;
  --tls-version) TLS_VERSION=$2; shift 2;; --no-pipelining) PIPE=--no-pipelining; shift;;
  --pipelining) PIPE=--pipelining; shift;;
  --timeout) TIMEOUT=$2; shift 2;; --out) OUT=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "tls-bench: unknown argument $1" >&2; exit 2;; esac; done
case "$TLS_VERSION" in 1.2|1.3) ;; *) echo "tls-bench: --tls-version 1.2 or 1.3" >&2; exit 2;; esac

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

case " $SERVERS " in *" ringpost "*) find_ringpost;; esac
find_load
case " $SERVERS " in *" postfix "*) find_postfix_tools;; esac
command -v openssl >/dev/null || { echo "tls-bench: openssl (the command) is needed for the certificate" >&2; exit 1; }
raise_nofile
make_bench_dir
RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
RP_PORT=${RP_PORT:-$(free_port)}; PF_PORT=${PF_PORT:-$(free_port)}; PF_RELAY_PORT=${PF_RELAY_PORT:-$(free_port)}

# The one certificate both servers present.
CERT="$BENCH_DIR/cert.pem"; KEY="$BENCH_DIR/key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=relay.bench.local" \
  -keyout "$KEY" -out "$CERT" >"$BENCH_DIR/openssl.log" 2>&1 ||
  { echo "tls-bench: openssl req failed:" >&2; cat "$BENCH_DIR/openssl.log" >&2; exit 1; }
chmod 644 "$CERT" "$KEY"   # a throwaway bench key; Postfix's smtpd must read it

echo "tls-bench: N=$N sessions=$SESSIONS (persistent) size=$SIZE repeat=$REPEAT servers=[$SERVERS] modes=[$MODES] TLSv$TLS_VERSION ${PIPE#--}"
echo "tls-bench: temp dir $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR")), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# json_field FILE NAME: a number from ringpost-load's --json line (0 if absent).
json_field() { local v; v=$( (grep -o "\"$2\":[0-9.]*" "$1" || true) | tail -1 | cut -d: -f2); echo "${v:-0}"; }

# run_one SERVER PORT ROOT_PID MODE REP: one bounded load run, one line in $RESULTS.
run_one() {
  local server=$1 port=$2 root=$3 mode=$4 rep=$5
  local cmd=("$LOAD" --server "127.0.0.1:$port" --sessions "$SESSIONS" --messages "$N" --size "$SIZE"
             --from bench@src.test --to user@sink.test --helo bench.local --per-connection 0 "$PIPE"
             --timeout "$TIMEOUT" --json)
  case "$mode" in
    plain) ;;
    starttls) cmd+=(--starttls --tls-version "$TLS_VERSION");;
    *) echo "tls-bench: unknown mode $mode" >&2; return 1;;
  esac
  local out="$BENCH_DIR/run.out" err="$BENCH_DIR/run.err" tfile="$BENCH_DIR/time.txt"
  local c0 c1 t0 t1 rc=0
  c0=$(cpu_ticks "$root")
  t0=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S" -o "$tfile" timeout -k 5 "$TIMEOUT" "${cmd[@]}" >"$out" 2>"$err" || rc=$?
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$root")
  local ok hs_err tls_err errs
  ok=$(json_field "$out" ok); hs_err=$(json_field "$out" tls_handshake_errors)
  tls_err=$( (grep -o '"tls_error":"[^"]*"' "$out" || true) | cut -d'"' -f4 | cut -c1-120)
  errs=$( (grep -E '^(failures|unexpected|ringpost-load: (worker|warning|TLS))' "$err" || true) | head -3 | tr '\t\n' '  ' | cut -c1-200)
  local tool_cpu; tool_cpu=$(awk 'END { if (NF >= 3) print $2 + $3; else print "nan" }' "$tfile" 2>/dev/null || echo nan)
  local wall; wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  local srv_cpu; srv_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
  # rate: over ringpost-load's own elapsed time (start of the sessions -> the last one ended), so that
  # process start and TLS context setup (trust store) stay out; the wall time is in the line and the TSV.
  local el; el=$(json_field "$out" elapsed_s)
  local rate; rate=$(awk -v ok="$ok" -v e="$el" -v w="$wall" 'BEGIN { t = (e > 0 ? e : w); printf "%.1f", (t > 0 ? ok / t : 0) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$server" "$mode" "$SESSIONS" "$N" "$rep" "$wall" "$ok" "$rate" "$tool_cpu" "$srv_cpu" "$hs_err" "$rc" "${cmd[*]}" >> "$RESULTS"
  printf '  %-9s %-9s s=%s n=%s run %s: %8.1f msg/s (ok %s in %ss, wall %ss) rc=%s server cpu %ss, tool cpu %ss, TLS handshake errors %s%s\n' \
    "$server" "$mode" "$SESSIONS" "$N" "$rep" "$rate" "$ok" "$el" "$wall" "$rc" "$srv_cpu" "$tool_cpu" "$hs_err" \
    "${tls_err:+ [$tls_err]}${errs:+ [stderr: $errs]}"
}

run_server() {
  local server=$1 port=$2 root=$3 rep mode
  for rep in $(seq "$REPEAT"); do
    for mode in $MODES; do   # interleaved, so drift hits plain and TLS alike
      run_one "$server" "$port" "$root" "$mode" "$rep"
      sleep 2
    done
  done
}

# starttls_probe PORT: the server answers STARTTLS and completes a handshake.
starttls_probe() {
  timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$1" -brief </dev/null >"$BENCH_DIR/probe.log" 2>&1 &&
    grep -q 'Protocol version' "$BENCH_DIR/probe.log"
}

for server in $SERVERS; do
  case "$server" in
    ringpost)
      mkdir -p "$BENCH_DIR/ringpost"
      RP_EXTRA_CONFIG="[delivery]
dns_servers = [\"127.0.0.1:9\"]

[tls]
cert = \"$CERT\"
key = \"$KEY\"
starttls = true

[submission]
listen = []
[smtps]
listen = []
[pop3]
listen = []
[pop3s]
listen = []
[imap]
listen = []
[imaps]
listen = []" start_ringpost "$BENCH_DIR/ringpost" "$RP_PORT" 20000
      starttls_probe "$RP_PORT" || { echo "tls-bench: ringpost STARTTLS probe failed:" >&2; tail -5 "$BENCH_DIR/probe.log" >&2; exit 1; }
      echo "ringpost: pid $RP_PID on 127.0.0.1:$RP_PORT, data_dir $BENCH_DIR/ringpost/data, STARTTLS probe: $(grep -E '^(Protocol version|Ciphersuite)' "$BENCH_DIR/probe.log" | tr '\n' ' ')"
      TREE=0 run_server ringpost "$RP_PORT" "$RP_PID"
      echo "ringpost: spool after the runs: $(du -sh "$BENCH_DIR/ringpost/data" | cut -f1)"
      stop_pid "$RP_PID";;
    postfix)
      mkdir -p "$BENCH_DIR/postfix"
      start_postfix "$BENCH_DIR/postfix" "$PF_PORT" "$PF_RELAY_PORT"
      # TLS on top of the accept-bench configuration, then a reload.
      postconf -c "$PF_CONF" -e "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $CERT" \
        "smtpd_tls_key_file = $KEY" "smtpd_tls_loglevel = 0" "smtpd_tls_received_header = no"
      postfix -c "$PF_CONF" reload >>"$BENCH_DIR/postfix/start.log" 2>&1
      for _ in $(seq 50); do starttls_probe "$PF_PORT" && break; sleep 0.2; done
      starttls_probe "$PF_PORT" || { echo "tls-bench: postfix STARTTLS probe failed:" >&2; tail -5 "$BENCH_DIR/probe.log" >&2; exit 1; }
      echo "postfix: master pid $PF_PID on 127.0.0.1:$PF_PORT, version $(postconf -c "$PF_CONF" -h mail_version), STARTTLS probe: $(grep -E '^(Protocol version|Ciphersuite)' "$BENCH_DIR/probe.log" | tr '\n' ' ')"
      TREE=1 run_server postfix "$PF_PORT" "$PF_PID"
      stop_postfix_master "$PF_PID";;
    *) echo "tls-bench: unknown server $server" >&2; exit 2;;
  esac
done

[ -n "$OUT" ] && cp "$RESULTS" "$OUT"

awk -F'\t' -v target=0.30 '
  { key = $1 SUBSEP $2
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    cnt[key]++; rate[key, cnt[key]] = $8
    scpu[key] += $10; tcpu[key] += $9; okn[key] += $7; nn[key] += $4; hse[key] += $11; rcbad[key] += ($12 != 0)
    srv[key] = $1; mode[key] = $2 }
  function median(key,   m, i, j, t, a) {
    m = cnt[key]; for (i = 1; i <= m; i++) a[i] = rate[key, i] + 0
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  function minmax(key,   m, i, lo, hi) {
    m = cnt[key]; lo = hi = rate[key, 1] + 0
    for (i = 2; i <= m; i++) { if (rate[key, i] + 0 < lo) lo = rate[key, i] + 0; if (rate[key, i] + 0 > hi) hi = rate[key, i] + 0 }
    return m > 1 ? sprintf(" (%.0f-%.0f)", lo, hi) : "" }
  function get(s, m,   kk) { kk = s SUBSEP m; return (kk in med) ? med[kk] : 0 }
  END {
    for (i = 1; i <= n; i++) med[order[i]] = median(order[i])
    printf "\n| server | mode | msg/s median (min-max) | TLS cost (1 - tls/plain) | server CPU us/msg | tool CPU us/msg | ok/N (all runs) | TLS handshake errors |\n"
    printf "|---|---|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
      k = order[i]; ok = okn[k]
      plain = get(srv[k], "plain")
      cost = (mode[k] != "plain" && plain > 0) ? sprintf("%.1f%%", 100 * (1 - med[k] / plain)) : "-"
      printf "| %s | %s | %.0f%s | %s | %.0f | %.0f | %d/%d%s | %d |\n", srv[k], mode[k], med[k], minmax(k), cost,
        (ok > 0 ? scpu[k] * 1e6 / ok : 0), (ok > 0 ? tcpu[k] * 1e6 / ok : 0), ok, nn[k], (rcbad[k] ? " (rc!=0)" : ""), hse[k]
    }
    printf "\n"
    rp = get("ringpost", "plain"); rt = get("ringpost", "starttls"); pp = get("postfix", "plain"); pt = get("postfix", "starttls")
    if (rp > 0 && rt > 0)
      printf "ringpost TLS cost: %.1f%% of plaintext throughput (target < %.0f%%: %s)\n", 100 * (1 - rt / rp), 100 * target,
        (1 - rt / rp < target) ? "met" : "NOT met"
    if (pp > 0 && pt > 0) printf "postfix  TLS cost: %.1f%% of plaintext throughput\n", 100 * (1 - pt / pp)
    if (rt > 0 && pt > 0) printf "ringpost/Postfix with STARTTLS: %.2fx\n", rt / pt
    if (rp > 0 && pp > 0) printf "ringpost/Postfix plaintext:     %.2fx\n", rp / pp
  }' "$RESULTS"
echo
echo "msg/s = messages accepted / ringpost-load's elapsed time, first session start -> last session end"
echo "(median of $REPEAT; min-max in brackets). Server CPU covers the whole process run (wall)."
echo "CPU: user+sys of the server (Postfix: master tree incl. reaped daemons) and of ringpost-load, per accepted message."
echo "Both servers present the same self-signed EC P-256 certificate; TLSv$TLS_VERSION, no session resumption,"
echo "one TLS handshake per session (persistent sessions)."
echo "Exact commands (one per cell):"
cut -f1,2,13 "$RESULTS" | awk -F'\t' '!seen[$0]++ { printf "  [%s/%s] %s\n", $1, $2, $3 }'
