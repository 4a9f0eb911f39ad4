#!/usr/bin/env bash
# inflight-rss.sh: memory held by message bodies in flight (issue 11 item 3).
# Starts ringpost on loopback, opens N SMTP sessions from 127.0.0.1, sends
# each a body of SIZE MiB after DATA and stops before the final dot (the
# bodies are never committed), samples VmRSS until the transfers stall, and
# closes. Twice: with the in-flight budget at its default ([smtp]
# max_inflight_bytes unset: a quarter of RAM, at most 2 GiB; an eighth of it
# per client address) and with it off (max_inflight_bytes = 0, the
# behaviour before the budget). Prints RSS before / peak / growth per run.
#
# usage: inflight-rss.sh [--sessions N] [--size MIB] [--budget BYTES]
#   --budget: run with this max_inflight_bytes instead of the default
#   env: RP_PORT (a free port) BENCH_TMP (/var/tmp) BUILD (repo/build)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

RP_PORT=${RP_PORT:-$(free_port)}
SESSIONS=40; SIZE_MIB=24; BUDGET=""
while [ $# -gt 0 ]; do case "$1" in
  --sessions|-n) SESSIONS=$2; shift 2;; --size) SIZE_MIB=$2; shift 2;; --budget) BUDGET=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "inflight-rss: unknown argument $1" >&2; exit 2;; esac; done

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

find_ringpost
make_bench_dir

# The client: N sessions to DATA, then the bodies through non-blocking
# sockets until every one is sent or nothing moved for 3 s (the server
# stopped reading), at most 120 s. Prints one line per phase for the shell.
cat > "$BENCH_DIR/drive.py" <<'PY'
import selectors, socket, sys, time
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) << 20
line = b"x" * 998 + b"\r\n"
body = b"Subject: inflight bench\r\n\r\n" + line * (size // len(line))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    def reply():
        while True:
            l = f.readline()
            if len(l) < 4 or l[3:4] != b"-":
                return l
    reply()
    for cmd in (b"EHLO bench.test", b"MAIL FROM:<a@bench.test>", b"RCPT TO:<b@remote.test>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        r = reply()
        if not r[:1] in (b"2", b"3"):
            sys.exit("session %d: %r -> %r" % (i, cmd, r))
    s.setblocking(False)
    socks.append([s, 0, f])
print("in-data", flush=True)
sel = selectors.DefaultSelector()
for st in socks:
    sel.register(st[0], selectors.EVENT_WRITE, st)
view = memoryview(body)
left, last_move, start = n, time.monotonic(), time.monotonic()
while left and time.monotonic() - last_move < 3 and time.monotonic() - start < 120:
    for key, _ in sel.select(timeout=0.5):
        st = key.data
        try:
            sent = st[0].send(view[st[1]:st[1] + (1 << 20)])
        except BlockingIOError:
            continue
        st[1] += sent
        last_move = time.monotonic()
        if st[1] == len(body):
            sel.unregister(st[0])
            left -= 1
sent = sum(st[1] for st in socks)
print("stalled sent_mib=%.1f complete=%d seconds=%.1f" % (sent / 2**20, n - left, time.monotonic() - start), flush=True)
sys.stdin.readline()   # the shell samples RSS, then lets us close
PY

# run NAME: one server, one drive; appends a table row.
run() {
  local name=$1 dir="$BENCH_DIR/$1"
  mkdir -p "$dir"
  start_ringpost "$dir" "$RP_PORT" $((SESSIONS + 10))
  sleep 1
  local before; before=$(rss_kib "$RP_PID")
  local peak=$before r
  coproc DRIVE { exec python3 "$BENCH_DIR/drive.py" "$RP_PORT" "$SESSIONS" "$SIZE_MIB"; }
  local dpid=$DRIVE_PID; STARTED_PIDS+=("$dpid")
  local status=""
  while read -r -t 200 status <&"${DRIVE[0]}"; do
    case "$status" in stalled*) break;; esac
  done
  # Sample a little longer: the server may still be decoding what the kernel holds.
  for _ in $(seq 10); do r=$(rss_kib "$RP_PID"); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.2; done
  echo >&"${DRIVE[1]}" || true
  stop_pid "$dpid"
  echo "[$name] $status; $(grep -c inflight_wait "$dir/ringpost.log" || true) inflight_wait lines"
  awk -v n="$name" -v b="$before" -v p="$peak" -v s="$SESSIONS" -v z="$SIZE_MIB" 'BEGIN {
    printf "| %s | %d x %d MiB | %.1f | %.1f | %.1f |\n", n, s, z, b / 1024, p / 1024, (p - b) / 1024 }' >> "$BENCH_DIR/table"
  stop_pid "$RP_PID"
}

: > "$BENCH_DIR/table"
if [ -n "$BUDGET" ]; then
  RP_SMTP_CONFIG="max_inflight_bytes = $BUDGET" run "budget=$BUDGET"
else
  RP_SMTP_CONFIG="" run "budget=default"
fi
RP_SMTP_CONFIG="max_inflight_bytes = 0" run "budget=off"

echo
echo "| run | sessions stalled before the final dot | RSS before MiB | peak RSS MiB | growth MiB |"
echo "|---|---|---|---|---|"
cat "$BENCH_DIR/table"
echo "(VmRSS of the server process; $(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM)"
