#!/usr/bin/env bash
# inbound-checks-bench.sh: what SPF + DKIM verification + DMARC cost at
# acceptance (issue 15), beside the same server with the checks off, in one run.
#
# dnsmasq (dnsmasq-base) on a free loopback port serves src.test's SPF record
# (v=spf1 ip4:127.0.0.1 -all), its DKIM key (sel._domainkey.src.test, an
# RSA-2048 key made with openssl) and its DMARC record (p=reject), with a TTL
# of an hour: after the first message every answer comes from the worker's
# resolver cache. One message of 4 KiB (From: <bench@src.test>, to
# bench@localhost) is signed once, up front, by dkimpy
# (tests/integration/dkim_sign.py, relaxed/relaxed rsa-sha256), and
# ringpost-load sends it as it is (--message-file) N times over S persistent
# sessions, one command per round trip, MAIL FROM bench@src.test. The server
# trusts only 127.0.0.3 (relay_networks), so the load tool on 127.0.0.1 is a
# stranger whose mail is checked:
#   off      [inbound] spf = dkim = dmarc = "off"
#   checks   [inbound] spf = dkim = dmarc = "tag": every message verified
#            (spf=pass, dkim=pass, dmarc=pass) and its Authentication-Results added
# Each run starts a fresh server (fresh data directory, empty DNS cache; the
# first message of a checks run fills it); the rounds alternate off/checks R
# times. Before the timed rounds a probe sends one message to a checked
# server logging at info level: its accepted line must say spf=pass
# dkim=pass dmarc=pass, or the bench stops. Prints msg/s and server CPU µs
# per message per run, then the medians and checks/off.
#
# usage: inbound-checks-bench.sh [--messages N] [--sessions S] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build; ringpost and tools/ringpost-load)
#        RINGPOST_BIN (another server binary)
#        PERF_OUT=FILE: `perf record -g` the server through each checks run
#        into FILE.ROUND (then `perf report -i FILE.1 --no-children`)
# Every run is bounded: N messages and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; REPEAT=3; TIMEOUT=300
bench_options inbound-checks-bench "$@"

SYSTEM_PYTHON=/usr/bin/python3    # dkimpy is a Debian package (python3-dkim)
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "inbound-checks-bench: dnsmasq missing (tools/install-deps.sh)" >&2; exit 1; }
"$SYSTEM_PYTHON" -c 'import dkim' 2>/dev/null ||
  { echo "inbound-checks-bench: python3-dkim missing (tools/install-deps.sh)" >&2; exit 1; }

start_ringpost_bench
echo "inbound-checks-bench: $RINGPOST N=$N sessions=$SESSIONS repeat=$REPEAT, $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the key, the signed message, the DNS records ---------------------------

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$BENCH_DIR/dkim.pem" 2>/dev/null
KEY_B64=$(openssl pkey -in "$BENCH_DIR/dkim.pem" -pubout -outform DER | base64 -w0)

"$SYSTEM_PYTHON" - "$BENCH_DIR/message.eml" <<'PY'
import sys, time, email.utils
lines = ["From: <bench@src.test>", "To: <bench@localhost>", "Subject: inbound checks bench",
         "Date: " + email.utils.formatdate(time.time()), "Message-ID: <inbound-checks-bench@src.test>", ""]
head = "\r\n".join(lines) + "\r\n"
body, n = "", 0
while len(body) < 4096:
    body += ("line %04d " % n + "abcdefghijklmnopqrstuvwxyz0123456789" * 2)[:76] + "\r\n"
    n += 1
open(sys.argv[1], "wb").write((head + body[:4096 - 2] + "\r\n").encode())
PY
"$SYSTEM_PYTHON" "$REPO/tests/integration/dkim_sign.py" "$BENCH_DIR/dkim.pem" sel src.test \
  < "$BENCH_DIR/message.eml" > "$BENCH_DIR/signed.eml"

# txt_record NAME VALUE: a --txt-record argument, the value cut into strings of
# at most 255 bytes (RFC 1035 3.3.14; dnsmasq splits its argument at commas).
txt_record() {
  local value=$2 parts=""
  while [ -n "$value" ]; do parts+="${parts:+,}${value:0:255}"; value=${value:255}; done
  echo "--txt-record=$1,$parts"
}

DNS_PORT=""
for _ in 1 2 3; do
  DNS_PORT=$(free_port)
  "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces --user=root \
    --pid-file="$BENCH_DIR/dnsmasq.pid" --local=/test/ --local=/localhost/ --local-ttl=3600 \
    "$(txt_record src.test 'v=spf1 ip4:127.0.0.1 -all')" \
    "$(txt_record sel._domainkey.src.test "v=DKIM1; k=rsa; p=$KEY_B64")" \
    "$(txt_record _dmarc.src.test 'v=DMARC1; p=reject')" \
    > "$BENCH_DIR/dnsmasq.out" 2>&1 &
  DNS_PID=$!
  STARTED_PIDS+=("$DNS_PID")
  sleep 0.5
  kill -0 "$DNS_PID" 2>/dev/null && break
  DNS_PORT=""
done
[ -n "$DNS_PORT" ] || { echo "inbound-checks-bench: dnsmasq did not start:" >&2; cat "$BENCH_DIR/dnsmasq.out" >&2; exit 1; }

# ---- the runs -----------------------------------------------------------------

# config_of VARIANT: the tables after lib.sh's own (strangers' mail, local
# delivery, DNS from dnsmasq).
config_of() {
  local mode=off
  [ "$1" = checks ] && mode=tag
  printf '[delivery]\ndns_servers = ["127.0.0.1:%s"]\n[inbound]\nspf = "%s"\ndkim = "%s"\ndmarc = "%s"\n' \
    "$DNS_PORT" "$mode" "$mode" "$mode"
}

export RP_RELAY_NETWORKS='["127.0.0.3/32"]'
LOAD_FROM=bench@src.test
LOAD_TO=bench@localhost
LOAD_ARGS=(--message-file "$BENCH_DIR/signed.eml")

# The checks must pass, or the bench measures something else: one message
# through a checked server at log level info, its accepted line read back.
probe() {
  local dir="$BENCH_DIR/probe" line
  PORT=$(free_port)
  RP_EXTRA_CONFIG="$(config_of checks)" start_ringpost "$dir" "$PORT"
  sed -i 's/^level = "warn"/level = "info"/' "$dir/ringpost.toml"
  stop_pid "$RP_PID"
  "$RINGPOST" serve --config "$dir/ringpost.toml" >"$dir/ringpost.log" 2>&1 &
  RP_PID=$!
  STARTED_PIDS+=("$RP_PID")
  wait_smtp "$PORT" 30
  N=1 SESSIONS=1 load_run probe >/dev/null
  for _ in $(seq 50); do grep -q 'event=accepted' "$dir/ringpost.log" && break; sleep 0.1; done
  stop_pid "$RP_PID"
  line=$(grep -h 'event=accepted' "$dir/ringpost.log" | head -1)
  case "$line" in
    *spf=pass*dkim=pass*dmarc=pass*) echo "inbound-checks-bench: probe: ${line:0:200}";;
    *) echo "inbound-checks-bench: the checks did not pass: '${line}'" >&2; tail -5 "$dir/ringpost.log" >&2; exit 1;;
  esac
}
probe

RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
run=0
hz=$(getconf CLK_TCK)
for rep in $(seq "$REPEAT"); do
  for variant in off checks; do
    run=$((run + 1))
    PORT=$(free_port)
    RP_EXTRA_CONFIG="$(config_of "$variant")" start_ringpost "$BENCH_DIR/rp-$run" "$PORT"
    if [ -n "${PERF_OUT:-}" ] && [ "$variant" = checks ]; then
      perf record -q -g -F 499 -o "$PERF_OUT.$rep" -p "$RP_PID" >/dev/null 2>&1 &
      PERF_PID=$!
      STARTED_PIDS+=("$PERF_PID")
    fi
    c0=$(cpu_ticks "$RP_PID")
    out=$(LOAD_SHOW="messages elapsed" load_run "$variant-$rep")
    c1=$(cpu_ticks "$RP_PID")
    if [ -n "${PERF_PID:-}" ]; then
      kill -INT "$PERF_PID" 2>/dev/null || true
      wait "$PERF_PID" 2>/dev/null || true
      stop_pid "$PERF_PID"
      PERF_PID=""
    fi
    stop_pid "$RP_PID"
    # "[label] messages: ok N  failed F ..." / "[label] elapsed: T s  rate: R msg/s"
    sent=$(echo "$out" | grep -o 'messages: ok [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
    failed=$(echo "$out" | grep -o 'failed [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
    rate=$(echo "$out" | grep -o '[0-9.]* msg/s' | head -1 | cut -d' ' -f1 || echo 0)
    cpu_us=$(awk -v a="$c0" -v b="$c1" -v n="${sent:-0}" -v hz="$hz" \
      'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-" }')
    printf '%s\t%s\t%s\t%s\n' "$variant" "$rep" "${rate:-0}" "$cpu_us" >> "$RESULTS"
    echo "inbound-checks-bench: $variant round $rep: ${sent:-0} accepted, ${failed:-0} failed," \
         "${rate:-0} msg/s, server CPU ${cpu_us} µs/msg"
  done
done

echo "inbound-checks-bench: medians over $REPEAT rounds (accepted msg/s, server CPU µs/msg, msg/s vs off)"
base=$(median_of "$RESULTS" off 3)
for variant in off checks; do
  rate=$(median_of "$RESULTS" "$variant" 3)
  cpu=$(median_of "$RESULTS" "$variant" 4)
  ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
  printf 'inbound-checks-bench: %-7s %8s msg/s %6s µs/msg %s\n' "$variant" "$rate" "$cpu" "$ratio"
done
