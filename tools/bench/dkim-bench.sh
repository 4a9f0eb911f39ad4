#!/usr/bin/env bash
# dkim-bench.sh: what DKIM signing at acceptance costs (issue 13 item 1).
# One run, four configurations of the same ringpost binary, each on a fresh
# data directory under ${BENCH_TMP:-/var/tmp}: unsigned; Ed25519; RSA-2048;
# both keys (two signatures per message, as RFC 8463 suggests). In every
# configuration ringpost-load sends N messages of 4096 bytes
# (From: <bench@src.test>, which [dkim.domains] signs, to user@sink.test,
# which stays queued: delivery asks a dead loopback DNS port) over S
# persistent sessions, pipelining off; the rounds go through the four
# configurations R times in turn, so that a noisy machine affects them alike.
# Prints msg/s and server CPU µs per message per run, then the medians.
#
# usage: dkim-bench.sh [--messages N] [--sessions S] [--repeat R] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build; a directory with ringpost and ringpost-load)
# Every run is bounded: N messages and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; REPEAT=3; TIMEOUT=300
bench_options dkim-bench "$@"

start_ringpost_bench
echo "dkim-bench: $RINGPOST N=$N sessions=$SESSIONS repeat=$REPEAT, $(nproc) CPUs," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"

KEYS="$BENCH_DIR/keys"
"$RINGPOST" dkim keygen src.test ed --type ed25519 --out "$KEYS/src.test/ed.pem" >/dev/null
"$RINGPOST" dkim keygen src.test rsa --type rsa --bits 2048 --out "$KEYS/src.test/rsa.pem" >/dev/null

selectors_of() {
  case "$1" in ed25519) echo '["ed"]';; rsa-2048) echo '["rsa"]';; both) echo '["ed", "rsa"]';; *) echo "";; esac
}

RESULTS="$BENCH_DIR/results.tsv"
: > "$RESULTS"
run=0
for rep in $(seq "$REPEAT"); do
  for variant in unsigned ed25519 rsa-2048 both; do
    run=$((run + 1))
    PORT=$(free_port)
    extra=$(printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n')
    sel=$(selectors_of "$variant")
    [ -n "$sel" ] && extra+=$(printf '\n[dkim]\nkey_dir = "%s"\n[dkim.domains]\n"src.test" = %s\n' "$KEYS" "$sel")
    RP_EXTRA_CONFIG="$extra" start_ringpost "$BENCH_DIR/rp-$run" "$PORT"
    c0=$(cpu_ticks "$RP_PID")
    out=$(LOAD_SHOW="messages elapsed" load_run "$variant-$rep")
    c1=$(cpu_ticks "$RP_PID")
    stop_pid "$RP_PID"
    # "[label] messages: ok N  failed F ..." / "[label] elapsed: T s  rate: R msg/s"
    sent=$(echo "$out" | grep -o 'messages: ok [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 0)
    rate=$(echo "$out" | grep -o '[0-9.]* msg/s' | head -1 | cut -d' ' -f1 || echo 0)
    hz=$(getconf CLK_TCK)
    cpu_us=$(awk -v a="$c0" -v b="$c1" -v n="${sent:-0}" -v hz="$hz" \
      'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-" }')
    printf '%s\t%s\t%s\t%s\n' "$variant" "$rep" "${rate:-0}" "$cpu_us" >> "$RESULTS"
    echo "dkim-bench: $variant round $rep: ${sent:-0} messages, ${rate:-0} msg/s, server CPU ${cpu_us} µs/msg"
  done
done

echo "dkim-bench: medians over $REPEAT rounds (msg/s, server CPU µs/msg, msg/s vs unsigned)"
base=$(median_of "$RESULTS" unsigned 3)
for variant in unsigned ed25519 rsa-2048 both; do
  rate=$(median_of "$RESULTS" "$variant" 3)
  cpu=$(median_of "$RESULTS" "$variant" 4)
  ratio=$(awk -v r="$rate" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
  printf 'dkim-bench: %-9s %8s msg/s %6s µs/msg %s\n' "$variant" "$rate" "$cpu" "$ratio"
done
