#!/usr/bin/env bash
# retrieval-bench.sh: POP3 and IMAP retrieval (messages/s fetched) of ringpost
# beside Dovecot, in ONE run, on the same messages, with the same client.
#
# Data: U users (u01@localhost ..) with N messages each. The messages (4096
# bytes as submitted, as in dovecot-bench.sh; ~4.3 KB as stored, with the
# Return-Path/Delivered-To/Received headers ringpost adds) go in through
# ringpost's own SMTP (pipelined BDAT, untimed) to its local domain; then every
# stored message is downloaded once over IMAP, checked against what was sent,
# and written byte for byte, in the same order, into each user's Dovecot
# Maildir (cur/, files named like a Dovecot delivery, with S=/W= sizes).
#
# Servers (started by this script on free loopback ports, stopped by PID at
# the end, data in a temp dir under ${BENCH_TMP:-/var/tmp}, removed at exit):
#   ringpost  $BUILD/ringpost serve: SMTP, [pop3] and [imap] on 127.0.0.1,
#             local domain localhost, log level warn, users added with
#             `ringpost user add` (yescrypt hashes) before it starts.
#   dovecot   dovecot -F -c DIR/dovecot.conf, configured like
#             /work/shared/peers/dovecot-bench.sh (ssl off, plaintext auth,
#             Maildir, files owned by nobody) with U users: userdb static
#             home=DIR/home/%n; passdb a passwd-file with one yescrypt {CRYPT}
#             hash per user (libxcrypt's default cost, the scheme and cost of
#             ringpost's `user add`, so a login costs both servers the same),
#             or with --dovecot-passdb static the peer script's static passdb
#             (one plain-text password, no hashing at all: Dovecot's logins
#             become almost free, ringpost's still verify yescrypt).
#             No auth cache (Dovecot's default). Installed with apt-get
#             (dovecot-pop3d, dovecot-imapd; service not started) if missing.
# Both servers run for the whole benchmark; runs alternate between them.
#
# Client: tools/bench/retrieval_drive.py starts U client processes, one per
# user, each on ONE connection, all released together once started; by
# default they are tools/bench/retrieval_client.cpp (built into the temp dir
# with ${CXX:-c++} -O2: 4-20 us CPU per message, about half of what the
# Python clients cost), --client python uses forked Python clients. Every
# message's size and CRC-32 are checked. Shapes:
#   pop3       USER/PASS, STAT, RETR i for i = 1..N one at a time (poplib), QUIT
#   imap       LOGIN, EXAMINE INBOX, FETCH i (BODY.PEEK[]) one at a time, LOGOUT
#   imap-bulk  LOGIN, EXAMINE INBOX, FETCH 1:* (BODY.PEEK[]) (mbsync/fetchmail-like), LOGOUT
#   imap-login LOGIN, LOGOUT only: no messages; gives each server's CPU per
#              login, which the detail table subtracts from the other shapes'
#              server CPU ("net of logins": with 10 users a yescrypt check
#              is ~15 ms of CPU each, a large share at N = 1000)
# msgs/s = U*N verified messages / (first connect .. last session finished),
# median (min-max) over R runs. One untimed warm-up pass per server and shape
# first (Dovecot builds its index; both get the files into the page cache).
#
# usage: retrieval-bench.sh [--messages N] [--users U] [--repeat R] [--timeout SECONDS]
#          [--protos "pop3 imap imap-bulk imap-login"] [--servers "ringpost dovecot"]
#          [--size BYTES] [--dovecot-passdb crypt|static] [--client cxx|python]
#          [--no-warm] [--json FILE]
#   defaults: N 1000, U 10, R 3, timeout 300 s per run (and for the preparation),
#             size 4096, passdb crypt, client cxx.
#   env: BUILD (repo/build) BENCH_TMP (/var/tmp) RP_SMTP_PORT RP_POP3_PORT
#        RP_IMAP_PORT DC_POP3_PORT DC_IMAP_PORT (free ports unless set)
# Exit status 0 only when every run fetched and verified all U*N messages.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=1000; USERS=10; REPEAT=3; TIMEOUT=300; PROTOS="pop3 imap imap-bulk imap-login"; SERVERS="ringpost dovecot"
SIZE=4096; PASSDB=crypt; WARM=1; JSON=""; CLIENT=cxx
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --users) USERS=$2; shift 2;; --repeat) REPEAT=$2; shift 2;;
  --timeout) TIMEOUT=$2; shift 2;; --protos) PROTOS=$2; shift 2;; --servers) SERVERS=$2; shift 2;;
  --size) SIZE=$2; shift 2;; --dovecot-passdb) PASSDB=$2; shift 2;; --no-warm) WARM=0; shift;;
  --client) CLIENT=$2; shift 2;;
  --json) JSON=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "retrieval-bench: unknown argument $1" >&2; exit 2;; esac; done
PROTOS=${PROTOS//,/ }; SERVERS=${SERVERS//,/ }
for v in "$N" "$USERS" "$REPEAT" "$TIMEOUT" "$SIZE"; do
  case "$v" in ''|*[!0-9]*|0) echo "retrieval-bench: expected a positive integer, got '$v'" >&2; exit 2;; esac
done
[ "$USERS" -le 99 ] || { echo "retrieval-bench: at most 99 users" >&2; exit 2; }
for p in $PROTOS; do case "$p" in pop3|imap|imap-bulk|imap-login) ;; *) echo "retrieval-bench: unknown protocol $p" >&2; exit 2;; esac; done
for s in $SERVERS; do case "$s" in ringpost|dovecot) ;; *) echo "retrieval-bench: unknown server $s" >&2; exit 2;; esac; done
case "$PASSDB" in static|crypt) ;; *) echo "retrieval-bench: --dovecot-passdb static|crypt" >&2; exit 2;; esac
case "$CLIENT" in cxx|python) ;; *) echo "retrieval-bench: --client cxx|python" >&2; exit 2;; esac

trap 'cleanup_all' EXIT
trap 'exit 143' TERM INT

find_ringpost   # always: ringpost's SMTP and IMAP make the data for both servers
want_dovecot=0; case " $SERVERS " in *" dovecot "*) want_dovecot=1;; esac
if [ "$want_dovecot" = 1 ] && ! command -v dovecot >/dev/null 2>&1; then
  echo "retrieval-bench: dovecot missing; installing dovecot-pop3d dovecot-imapd (apt-get, service not started)" >&2
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] || apt-get update -q >/dev/null
  POLICY=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; POLICY=1; fi
  apt-get install -y -q --no-install-recommends dovecot-pop3d dovecot-imapd >/dev/null
  [ -n "$POLICY" ] && rm -f /usr/sbin/policy-rc.d
fi
raise_nofile
make_bench_dir
RUNS="$BENCH_DIR/runs.jsonl"; : > "$RUNS"
DRIVE=(python3 "$HERE/retrieval_drive.py")
PASSWORD=bench-password
CLIENT_ARGS=(--client python)
if [ "$CLIENT" = cxx ]; then
  CLIENT_BIN="$BENCH_DIR/retrieval_client"
  CLIENT_BUILD=("${CXX:-c++}" -O2 -std=c++20 -o "$CLIENT_BIN" "$HERE/retrieval_client.cpp")
  "${CLIENT_BUILD[@]}" || { echo "retrieval-bench: building the client failed (${CLIENT_BUILD[*]}); --client python runs without it" >&2; exit 1; }
  CLIENT_ARGS=(--client cxx --client-bin "$CLIENT_BIN")
fi

echo "retrieval-bench: $(date -Is) on $(hostname), $(nproc) CPUs, kernel $(uname -r), $(python3 --version 2>&1); uptime:$(uptime)"
echo "retrieval-bench: users=$USERS messages/user=$N size=$SIZE repeat=$REPEAT protos=[$PROTOS] servers=[$SERVERS] timeout=${TIMEOUT}s dovecot passdb=$PASSDB client=$CLIENT"
echo "retrieval-bench: temp dir $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR"))"
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
  echo "retrieval-bench: WARNING: load average $load1: the machine is not idle, the figures will be noisy"
fi

# ---- ringpost ----------------------------------------------------------------------
RP_SMTP_PORT=${RP_SMTP_PORT:-$(free_port)}
RP_POP3_PORT=${RP_POP3_PORT:-$(free_port)}
RP_IMAP_PORT=${RP_IMAP_PORT:-$(free_port)}
RPD="$BENCH_DIR/ringpost"; mkdir -p "$RPD"
RP_EXTRA_CONFIG=$(printf '[delivery]\ndns_servers = ["127.0.0.1:9"]\n\n[pop3]\nlisten = ["127.0.0.1:%s"]\n\n[imap]\nlisten = ["127.0.0.1:%s"]\n' \
  "$RP_POP3_PORT" "$RP_IMAP_PORT")
export RP_EXTRA_CONFIG
write_ringpost_config "$RPD" "$RP_SMTP_PORT" 1000
USER_LIST=()
for i in $(seq "$USERS"); do USER_LIST+=("$(printf 'u%02d@localhost' "$i")"); done
for u in "${USER_LIST[@]}"; do
  printf '%s\n' "$PASSWORD" | "$RINGPOST" user add "$u" --config "$RPD/ringpost.toml" >>"$RPD/user-add.log" 2>&1 ||
    { echo "retrieval-bench: ringpost user add $u failed: $(tail -2 "$RPD/user-add.log")" >&2; exit 1; }
done
RP_CMD=("$RINGPOST" serve --config "$RPD/ringpost.toml")
"${RP_CMD[@]}" >"$RPD/ringpost.log" 2>&1 &
RP_PID=$!; STARTED_PIDS+=("$RP_PID")
wait_smtp "$RP_SMTP_PORT" 30 || { echo "retrieval-bench: ringpost did not start:" >&2; tail -5 "$RPD/ringpost.log" >&2; exit 1; }
for p in "$RP_POP3_PORT" "$RP_IMAP_PORT"; do
  for _ in $(seq 100); do port_busy "$p" && break; sleep 0.1; done
  port_busy "$p" || { echo "retrieval-bench: ringpost does not listen on 127.0.0.1:$p" >&2; tail -5 "$RPD/ringpost.log" >&2; exit 1; }
done
RP_VERSION=$("$RINGPOST" version 2>/dev/null | head -1)
echo "ringpost: pid $RP_PID, $RP_VERSION, SMTP 127.0.0.1:$RP_SMTP_PORT POP3 127.0.0.1:$RP_POP3_PORT IMAP 127.0.0.1:$RP_IMAP_PORT, $USERS users added"

# ---- the messages: through ringpost's SMTP, then copied into the Maildirs --------------
DCD="$BENCH_DIR/dovecot"; mkdir -p "$DCD/home" "$DCD/run"
MANIFEST="$BENCH_DIR/manifest.json"
PREP_CMD=("${DRIVE[@]}" prepare --smtp "127.0.0.1:$RP_SMTP_PORT" --imap "127.0.0.1:$RP_IMAP_PORT" --users "$USERS"
          -n "$N" --size "$SIZE" --password "$PASSWORD" --maildirs "$DCD/home" --manifest "$MANIFEST" --timeout "$TIMEOUT")
timeout -k 5 $((TIMEOUT + 60)) "${PREP_CMD[@]}" ||
  { echo "retrieval-bench: preparing the messages failed; ringpost log:" >&2; tail -5 "$RPD/ringpost.log" >&2; exit 1; }
echo "ringpost: after delivery: $(du -sh "$RPD/data" | cut -f1) data dir, RSS $(rss_kib "$RP_PID") KiB"

# ---- dovecot -----------------------------------------------------------------------
DC_PID=""
if [ "$want_dovecot" = 1 ]; then
  DC_POP3_PORT=${DC_POP3_PORT:-$(free_port)}
  DC_IMAP_PORT=${DC_IMAP_PORT:-$(free_port)}
  chown -R nobody:nogroup "$DCD/home"
  if [ "$PASSDB" = static ]; then
    PASSDB_CONF=$(printf 'passdb {\n  driver = static\n  args = password=%s\n}' "$PASSWORD")
  else
    # one yescrypt hash per user (libxcrypt's default cost, as ringpost's user add)
    python3 - "$PASSWORD" "$DCD/passwd" "${USER_LIST[@]}" <<'EOF'
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
lib.crypt_gensalt.restype = ctypes.c_char_p
lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
pw, out = sys.argv[1].encode(), sys.argv[2]
with open(out, "w") as f:
    for u in sys.argv[3:]:
        h = lib.crypt(pw, lib.crypt_gensalt(b"$y$", 0, None, 0)).decode()
        assert h.startswith("$y$"), h
        f.write(f"{u}:{{CRYPT}}{h}\n")
EOF
    chmod 644 "$DCD/passwd"
    PASSDB_CONF=$(printf 'passdb {\n  driver = passwd-file\n  args = scheme=CRYPT username_format=%%u %s\n}' "$DCD/passwd")
  fi
  cat > "$DCD/dovecot.conf" <<EOF
protocols = pop3 imap
listen = 127.0.0.1
base_dir = $DCD/run
state_dir = $DCD/state
log_path = $DCD/dovecot.log
info_log_path = $DCD/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
$PASSDB_CONF
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DCD/home/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DC_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DC_POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
pop3_uidl_format = %f
EOF
  DC_CMD=(dovecot -F -c "$DCD/dovecot.conf")
  "${DC_CMD[@]}" >"$DCD/stdout.log" 2>&1 &
  DC_PID=$!; STARTED_PIDS+=("$DC_PID")
  for p in "$DC_POP3_PORT" "$DC_IMAP_PORT"; do
    for _ in $(seq 100); do port_busy "$p" && break; sleep 0.1; done
    port_busy "$p" || { echo "retrieval-bench: dovecot does not listen on 127.0.0.1:$p:" >&2; tail -5 "$DCD/dovecot.log" "$DCD/stdout.log" >&2; exit 1; }
  done
  DC_VERSION="Dovecot $(dovecot --version)"
  echo "dovecot: pid $DC_PID, $DC_VERSION, POP3 127.0.0.1:$DC_POP3_PORT IMAP 127.0.0.1:$DC_IMAP_PORT, passdb $PASSDB, Maildirs $DCD/home/uNN/Maildir"
fi

# target_of SERVER PROTO -> host:port ; tree flag for the server CPU/RSS
target_of() {
  case "$1:$2" in
    ringpost:pop3) echo "127.0.0.1:$RP_POP3_PORT";; ringpost:imap*) echo "127.0.0.1:$RP_IMAP_PORT";;
    dovecot:pop3) echo "127.0.0.1:$DC_POP3_PORT";; dovecot:imap*) echo "127.0.0.1:$DC_IMAP_PORT";;
  esac
}
FAILED=0
declare -A RUN_CMDS=()
# run_one SERVER PROTO REP [--warm]
run_one() {
  local server=$1 proto=$2 rep=$3 warm=${4:-} pid tree=() rc=0
  if [ "$server" = ringpost ]; then pid=$RP_PID; else pid=$DC_PID; tree=(--tree); fi
  kill -0 "$pid" 2>/dev/null || { echo "  $server is no longer running (pid $pid): no $proto run $rep"; FAILED=1; return 0; }
  local cmd=("${DRIVE[@]}" run --label "$server" --proto "$proto" --target "$(target_of "$server" "$proto")"
             --manifest "$MANIFEST" --server-pid "$pid" "${tree[@]}" --timeout "$TIMEOUT" "${CLIENT_ARGS[@]}")
  RUN_CMDS["$server/$proto"]="${cmd[*]}"
  [ -n "$warm" ] && cmd+=(--warm) || cmd+=(--run "$rep" --json "$RUNS")
  timeout -k 5 $((TIMEOUT + 30)) "${cmd[@]}" || rc=$?
  if [ "$rc" != 0 ]; then
    [ "$rc" -ge 124 ] && echo "  [$server/$proto] the driver did not finish within $((TIMEOUT + 30)) s (rc $rc)"
    FAILED=1
  fi
}

ACTIVE=()
for s in $SERVERS; do ACTIVE+=("$s"); done
if [ "$WARM" = 1 ]; then
  echo "warm-up (untimed: Dovecot builds its index, both servers' files get into the page cache):"
  for proto in $PROTOS; do
    [ "$proto" = imap-login ] && continue
    for s in "${ACTIVE[@]}"; do run_one "$s" "$proto" 0 --warm; done
  done
fi
echo "timed runs (${#ACTIVE[@]} server(s) in turn, each shape; $USERS client processes, one connection per user):"
for rep in $(seq "$REPEAT"); do
  for proto in $PROTOS; do
    for s in "${ACTIVE[@]}"; do
      sleep 1
      run_one "$s" "$proto" "$rep"
    done
  done
done

# ---- after the runs ------------------------------------------------------------------
rp_alive=yes; kill -0 "$RP_PID" 2>/dev/null || { rp_alive="NO (it exited or crashed)"; FAILED=1; }
echo
echo "ringpost after the runs: running: $rp_alive; RSS now $(rss_kib "$RP_PID") KiB, VmHWM (whole life, incl. SMTP intake) $(awk '/^VmHWM:/ { print $2 }' "/proc/$RP_PID/status" 2>/dev/null || echo '?') KiB;" \
  "log (level warn): $(grep -c . "$RPD/ringpost.log" || true) lines, $(grep -ciE 'level=(error|warn)' "$RPD/ringpost.log" || true) warn/error"
grep -iE 'level=(error|warn)' "$RPD/ringpost.log" | sed -E 's/^ts=[^ ]+ //' | cut -c1-200 | sort | uniq -c | sort -rn | head -5 || true
if [ -n "$DC_PID" ]; then
  echo "dovecot log: $(grep -ciE 'error|panic|fatal' "$DCD/dovecot.log" || true) error/panic/fatal lines"
  grep -iE 'error|panic|fatal' "$DCD/dovecot.log" | cut -c1-200 | sort | uniq -c | sort -rn | head -5 || true
fi

echo
rc=0
"${DRIVE[@]}" table "$RUNS" || rc=1
[ "$FAILED" = 0 ] || rc=1
cat <<EOF

msgs/s = $USERS users x $N messages, every one verified (size + CRC-32), / wall time from the first
connect to the last session's end; median (min-max) of $REPEAT runs; ratio = ringpost / dovecot.
$USERS client processes ($CLIENT client, started by tools/bench/retrieval_drive.py), one per user, one connection each, released together.
Server CPU = utime+stime from /proc (Dovecot: its master's whole process tree, incl. the reaped
login/imap/pop3 processes) per verified message; client CPU = the $USERS client processes.
Peak RSS = highest VmRSS sum sampled every 0.25 s during the runs (Dovecot: summed over its
process tree, which counts shared pages once per process; PSS in parentheses splits them).
Login ms = connect .. login accepted (ringpost verifies a yescrypt hash; Dovecot: passdb $PASSDB$([ "$PASSDB" = crypt ] && echo ", yescrypt too" || echo ", plain text: no hashing")).
msgs/s from 1st login = verified messages / (first session logged in .. last session finished).
Net of logins = server CPU minus (users x the server's CPU per login measured by the imap-login runs;
both are noisy on a busy machine, and the difference can even come out negative there).
Other CPU = CPU the machine spent during a run on anything but that server and the clients (the
other server idling, the driver, softirqs, other jobs): a noisy machine shows here.
Versions: $RP_VERSION; ${DC_VERSION:-dovecot not run}; $(uname -sr); $(python3 --version 2>&1).
Exact commands:
  ringpost: ${RP_CMD[*]}
  dovecot:  ${DC_CMD[*]:-not run}
  data:     ${PREP_CMD[*]}
  client:   ${CLIENT_BUILD[*]:-(python clients)}
EOF
for k in $(printf '%s\n' "${!RUN_CMDS[@]}" | sort); do
  printf '  [%s] %s --run I --json FILE\n' "$k" "${RUN_CMDS[$k]}"
done
echo "ringpost.toml:"; sed 's/^/  | /' "$RPD/ringpost.toml"
[ -n "$DC_PID" ] && { echo "dovecot.conf:"; sed 's/^/  | /' "$DCD/dovecot.conf"; }
if [ -n "$JSON" ]; then
  # each run's record, with what the run itself does not know
  python3 -c 'import json, sys
meta = dict(zip(["ringpost_version", "dovecot_version", "dovecot_passdb", "client", "host", "kernel", "cpus"], sys.argv[2:]))
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            r = json.loads(line); r.update(meta); print(json.dumps(r))' "$RUNS" "$RP_VERSION" "${DC_VERSION:-}" "$PASSDB" "$CLIENT" \
    "$(hostname)" "$(uname -r)" "$(nproc)" >> "$JSON"
  echo "JSON lines appended to $JSON"
fi
echo "retrieval-bench: done $(date -Is); uptime:$(uptime)"
[ "$rc" = 0 ] || echo "retrieval-bench: NOT every run fetched and verified all $((USERS * N)) messages: exit 1"
exit "$rc"
