# tools/bench/lib.sh: shared helpers of the bench scripts (sourced, not run).
# Finds binaries, writes ringpost/Postfix configurations into a temp dir,
# starts servers and waits for their greeting, samples a server's RSS and
# CPU, and stops everything it started by PID. Loopback only.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS=${PEERS:-/work/shared/peers}
BUILD=${BUILD:-$REPO/build}

# ---- binaries -------------------------------------------------------------

# RINGPOST_BIN: another server binary than $BUILD/ringpost (as for the integration tests).
find_ringpost() {
  RINGPOST="${RINGPOST_BIN:-$BUILD/ringpost}"
  [ -x "$RINGPOST" ] || { echo "bench: $RINGPOST not built (ninja -C $BUILD ringpost; or set BUILD=dir)" >&2; return 1; }
}

find_load() {
  for p in "$BUILD/ringpost-load" "$BUILD/tools/ringpost-load"; do
    if [ -x "$p" ]; then LOAD="$p"; return 0; fi
  done
  echo "bench: ringpost-load not built (ninja -C $BUILD tools/ringpost-load; or set BUILD=dir)" >&2
  return 1
}

# smtp-source / smtp-sink come with Debian's postfix package; install it only if missing.
find_postfix_tools() {
  if ! command -v smtp-source >/dev/null 2>&1 && [ ! -x /usr/sbin/smtp-source ]; then
    echo "bench: smtp-source missing; installing postfix (non-interactive) via $PEERS/install-tools.sh" >&2
    if [ -x "$PEERS/install-tools.sh" ]; then
      "$PEERS/install-tools.sh" >/dev/null
    else
      export DEBIAN_FRONTEND=noninteractive
      echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
      apt-get install -y -q --no-install-recommends postfix >/dev/null
    fi
  fi
  SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
  SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
  [ -x "$SMTP_SOURCE" ] && [ -x "$SMTP_SINK" ] || { echo "bench: smtp-source/smtp-sink not found" >&2; return 1; }
}

raise_nofile() { ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; }

# bench_options NAME ARGS...: the options every load bench takes, into N,
# SESSIONS, REPEAT and TIMEOUT (the caller sets their defaults first):
# --messages/-n, --sessions, --repeat, --timeout; --help prints the
# script's header comment.
bench_options() {
  local name=$1; shift
  while [ $# -gt 0 ]; do case "$1" in
    --messages|-n) N=$2; shift 2;; --sessions) SESSIONS=$2; shift 2;;
    --repeat) REPEAT=$2; shift 2;; --timeout) TIMEOUT=$2; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "$name: unknown argument $1" >&2; exit 2;; esac; done
}

# ---- process bookkeeping ----------------------------------------------------

STARTED_PIDS=()      # plain processes we started (killed by PID at exit)
PF_MASTERS=()        # "conf-dir master-pid" of Postfix instances we started

cleanup_all() {
  local p
  for p in "${STARTED_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PF_MASTERS[@]}"; do
    stop_postfix_master "${p#* }"
  done
  for p in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  STARTED_PIDS=(); PF_MASTERS=()
  # KEEP_BENCH_DIR=1 keeps the servers' configurations, logs and stores for a look.
  [ -n "${BENCH_DIR:-}" ] && [ -d "$BENCH_DIR" ] && [ -z "${KEEP_BENCH_DIR:-}" ] && rm -rf "$BENCH_DIR"
  return 0
}

# stop_pid PID: TERM, wait up to 10 s, then KILL; forget it.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
}

# start_beside NAME CMD...: CMD in the background beside a measurement, with
# $STOP_FILE set to a file it must watch and stop at; output in
# $BENCH_DIR/NAME.out. stop_beside NAME: creates that file, waits up to 5 min
# for CMD to end (then stops it) and prints its output, indented.
start_beside() {
  local name=$1; shift
  rm -f "$BENCH_DIR/stop-$name"   # left by an earlier round of the same name
  STOP_FILE="$BENCH_DIR/stop-$name" "$@" >"$BENCH_DIR/$name.out" 2>&1 &
  BESIDE_PID=$!
  STARTED_PIDS+=("$BESIDE_PID")
}
stop_beside() {
  touch "$BENCH_DIR/stop-$1"
  for _ in $(seq 600); do kill -0 "$BESIDE_PID" 2>/dev/null || break; sleep 0.5; done
  stop_pid "$BESIDE_PID"
  sed 's/^/  /' "$BENCH_DIR/$1.out"
}

# load_alone_and_beside LOAD_FN NAME CMD...: LOAD_FN alone, then again while
# CMD runs beside it (start_beside NAME CMD..., 2 s to get busy first).
load_alone_and_beside() {
  local load_fn=$1 name=$2; shift 2
  "$load_fn" alone
  start_beside "$name" "$@"
  sleep 2
  "$load_fn" "with-$name"
  stop_beside "$name"
}

# start_ringpost_bench: what a bench of ringpost with ringpost-load does
# first: stop everything it started on exit, raise the descriptor limit, find
# both binaries, make $BENCH_DIR.
start_ringpost_bench() {
  trap 'cleanup_all' EXIT
  trap 'exit 143' TERM INT
  raise_nofile
  find_ringpost
  find_load
  make_bench_dir
}

# free_port: a TCP port nothing listens on at 127.0.0.1 now (the kernel's choice).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# port_busy PORT: true if something accepts connections on 127.0.0.1:PORT.
port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

make_bench_dir() {
  BENCH_DIR=$(mktemp -d -p "${BENCH_TMP:-/var/tmp}" ringpost-bench.XXXXXX)
  chmod 755 "$BENCH_DIR"
}

# wait_smtp PORT [SECONDS]: until a 220 greeting comes from 127.0.0.1:PORT.
wait_smtp() {
  local port=$1 secs=${2:-30} i
  for i in $(seq $((secs * 10))); do
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 3 <&3 | grep -q 220 && printf 'QUIT\r\n' >&3" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "bench: nothing answered 220 on 127.0.0.1:$port within ${secs}s" >&2
  return 1
}

# ---- ringpost ---------------------------------------------------------------

# write_ringpost_config DIR PORT [MAX_CONN_PER_IP]: DIR/ringpost.toml, data in DIR/data;
# $RP_TOP_CONFIG (key = value lines), if set, goes before the first table;
# $RP_SMTP_CONFIG (key = value lines), if set, goes into [smtp];
# $RP_RELAY_NETWORKS (a TOML array, default ["127.0.0.0/8"]): the trusted
# clients (one that leaves 127.0.0.1 out makes the load tool a stranger);
# $RP_EXTRA_CONFIG (TOML text), if set, is appended.
write_ringpost_config() {
  local dir=$1 port=$2 per_ip=${3:-20000} relay_networks=${RP_RELAY_NETWORKS:-'["127.0.0.0/8"]'}
  mkdir -p "$dir/data"
  cat > "$dir/ringpost.toml" <<EOF
hostname = "relay.bench.local"
data_dir = "$dir/data"
admin_socket = "$dir/admin.sock"
${RP_TOP_CONFIG:-}

[smtp]
listen = ["127.0.0.1:$port"]
max_connections = $((per_ip > 20000 ? per_ip : 20000))
max_connections_per_ip = $per_ip
${RP_SMTP_CONFIG:-}

[relay]
local_domains = ["localhost"]
relay_networks = $relay_networks

[log]
level = "warn"
EOF
  # more tables (e.g. relay-bench.sh's [delivery] routes), appended verbatim.
  # Without them, delivery asks a DNS server on a loopback port where
  # nothing listens: remote mail stays queued and no query leaves the machine.
  if [ -n "${RP_EXTRA_CONFIG:-}" ]; then
    printf '\n%s\n' "$RP_EXTRA_CONFIG" >> "$dir/ringpost.toml"
  else
    printf '\n[delivery]\ndns_servers = ["127.0.0.1:9"]\n' >> "$dir/ringpost.toml"
  fi
  # The mailbox and submission listeners a bench does not configure stay
  # off: their default ports (1100, 1430, 5870, 4650, 9950, 9930) may be
  # another server's.
  local table
  for table in pop3 imap submission smtps pop3s imaps; do
    case "${RP_EXTRA_CONFIG:-}" in
      *"[$table]"*) ;;
      *) printf '\n[%s]\nlisten = []\n' "$table" >> "$dir/ringpost.toml" ;;
    esac
  done
}

# start_ringpost DIR PORT [MAX_CONN_PER_IP]: sets RP_PID.
start_ringpost() {
  local dir=$1 port=$2
  write_ringpost_config "$dir" "$port" "${3:-20000}"
  printf 'bench-password\n' | "$RINGPOST" user add bench@localhost --config "$dir/ringpost.toml" >"$dir/user-add.log" 2>&1 ||
    { echo "bench: ringpost user add failed: $(cat "$dir/user-add.log")" >&2; return 1; }
  "$RINGPOST" serve --config "$dir/ringpost.toml" >"$dir/ringpost.log" 2>&1 &
  RP_PID=$!
  STARTED_PIDS+=("$RP_PID")
  wait_smtp "$port" 30 || { echo "bench: ringpost log:" >&2; tail -5 "$dir/ringpost.log" >&2; return 1; }
}

# start_ringpost_imap [DIR]: ringpost (start_ringpost, in DIR, default
# $BENCH_DIR/rp) on free loopback ports, SMTP on $PORT and IMAP on
# $IMAP_PORT, remote mail kept queued (DNS to a dead port).
start_ringpost_imap() {
  PORT=$(free_port); IMAP_PORT=$(free_port)
  RP_EXTRA_CONFIG=$(printf '[imap]\nlisten = ["127.0.0.1:%s"]\n[delivery]\ndns_servers = ["127.0.0.1:9"]\n' "$IMAP_PORT")
  export RP_EXTRA_CONFIG
  start_ringpost "${1:-$BENCH_DIR/rp}" "$PORT"
}

# load_run LABEL: one bounded ringpost-load run against $PORT: $N messages of
# 4096 bytes from $LOAD_FROM (bench@src.test) to $LOAD_TO (user@sink.test)
# over $SESSIONS persistent sessions, one command per round trip, at most
# $TIMEOUT s, with the arguments in $LOAD_ARGS (an array: e.g.
# --message-file F) appended; prints its summary line that starts with each
# word in $LOAD_SHOW (default "messages elapsed latency").
load_run() {
  local out="$BENCH_DIR/load-$1.out" err="$BENCH_DIR/load-$1.err" word
  timeout -k 5 "$TIMEOUT" "$LOAD" --server "127.0.0.1:$PORT" --sessions "$SESSIONS" --messages "$N" --size 4096 \
    --from "${LOAD_FROM:-bench@src.test}" --to "${LOAD_TO:-user@sink.test}" --helo bench.local \
    --per-connection 0 --no-pipelining --timeout "$TIMEOUT" ${LOAD_ARGS[@]+"${LOAD_ARGS[@]}"} >"$out" 2>"$err" || true
  for word in ${LOAD_SHOW:-messages elapsed latency}; do
    echo "[$1] $(grep -h "^$word" "$out" "$err" | head -1)"
  done
}

# ---- Postfix (the approach of $PEERS/postfix-bench.sh: private instance) ----

# start_postfix DIR PORT RELAY_PORT: a private Postfix accepting *@sink.test from
# 127.0.0.0/8 on 127.0.0.1:PORT and relaying to 127.0.0.1:RELAY_PORT (nothing
# listens there in accept-bench: mail is deferred and stays queued, durable).
# $PF_DOMAINS (default "sink.test"): the relay domains, each routed to
# [127.0.0.1]:RELAY_PORT by an inline transport map. $PF_EXTRA_MAIN (main.cf
# lines), if set, is appended to main.cf. Sets PF_PID (master) and PF_CONF.
start_postfix() {
  local q=$1 port=$2 relay_port=$3 d relay_domains="" transport=""
  for d in ${PF_DOMAINS:-sink.test}; do
    relay_domains+="${relay_domains:+, }$d"
    transport+="${transport:+, }$d=smtp:[127.0.0.1]:$relay_port"
  done
  command -v systemctl >/dev/null 2>&1 && systemctl stop postfix 2>/dev/null || true
  PF_CONF="$q/etc"
  mkdir -p "$PF_CONF" "$q/spool" "$q/data"
  chown postfix "$q/data"
  cat > "$PF_CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $q/spool
data_directory = $q/data
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $q/maillog
myhostname = relay.bench.local
mydomain = bench.local
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = $relay_domains
transport_maps = inline:{ $transport }
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
biff = no
default_process_limit = 1100
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
in_flow_delay = 0s
default_destination_concurrency_limit = 100
smtp_destination_concurrency_limit = 100
initial_destination_concurrency = 20
smtp_destination_rate_delay = 0
smtp_connection_cache_on_demand = yes
smtp_dns_support_level = disabled
${PF_EXTRA_MAIN:-}
EOF
  sed "s/@PORT@/$port/" "$(dirname "${BASH_SOURCE[0]}")/postfix-master.cf.in" > "$PF_CONF/master.cf"
  postfix -c "$PF_CONF" set-permissions >/dev/null 2>&1 || true
  # check/start print their warnings to stderr; keep them, show them only on failure
  postfix -c "$PF_CONF" check >"$q/start.log" 2>&1 &&
    postfix -c "$PF_CONF" start >>"$q/start.log" 2>&1 ||
    { echo "bench: postfix -c $PF_CONF check/start failed:" >&2; tail -5 "$q/start.log" >&2; return 1; }
  local i
  for i in $(seq 100); do [ -s "$q/spool/pid/master.pid" ] && break; sleep 0.1; done
  PF_PID=$(tr -d ' \n' < "$q/spool/pid/master.pid" 2>/dev/null || true)
  case "$PF_PID" in
    ''|*[!0-9]*) echo "bench: no Postfix master.pid in $q/spool/pid after 10 s; start output:" >&2
                 tail -5 "$q/start.log" >&2; return 1;;
  esac
  PF_MASTERS+=("$PF_CONF $PF_PID")
  wait_smtp "$port" 30
}

stop_postfix_master() {
  local pid=$1
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  local keep=() p
  for p in "${PF_MASTERS[@]}"; do [ "${p#* }" = "$pid" ] || keep+=("$p"); done
  PF_MASTERS=("${keep[@]}")
}

# ---- sampling -----------------------------------------------------------------

# tree_pids ROOT: ROOT and all its descendants.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      todo[1] = root; n = 1; out = ""
      while (n > 0) {
        p = todo[n]; delete todo[n]; n--
        out = out " " p
        m = split(kids[p], k, " ")
        for (i = 1; i <= m; i++) todo[++n] = k[i]
      }
      print out
    }'
}

# Processes of a tree come and go while we read /proc (Postfix's smtpd, cleanup
# and smtp exit after max_use requests): a /proc file that vanished between
# tree_pids and the read is skipped, never an error. (awk given a missing file
# exits 2, and these helpers run where `set -e` is in force, e.g. after every
# run of accept-bench.sh: that killed the script with status 2.) One cat + one
# awk per sample, not one awk per process.

# proc_cat FILE...: the files that still exist, concatenated; always status 0.
proc_cat() { cat "$@" 2>/dev/null || true; }

# rss_kib ROOT: VmRSS of ROOT (plus its descendants if TREE=1), KiB.
rss_kib() {
  local root=$1 p files=()
  if [ "${TREE:-0}" = 1 ]; then
    for p in $(tree_pids "$root"); do files+=("/proc/$p/status"); done
  else
    files=("/proc/$root/status")
  fi
  proc_cat "${files[@]}" | awk '/^VmRSS:/ { s += $2 } END { print s + 0 }'
}

# cpu_ticks ROOT: user+sys clock ticks of ROOT and its live descendants, plus the
# reaped children's time of ROOT (Postfix's master reaps its exited daemons).
cpu_ticks() {
  local root=$1 p files=()
  if [ "${TREE:-0}" = 1 ]; then
    for p in $(tree_pids "$root"); do [ "$p" = "$root" ] || files+=("/proc/$p/stat"); done
  fi
  {
    proc_cat "/proc/$root/stat" | sed 's/^/R /'
    [ ${#files[@]} -eq 0 ] || proc_cat "${files[@]}" | sed 's/^/C /'
  } | awk '{
      me = $1; sub(/^[RC] /, ""); sub(/^.*\) /, "")   # fields after the command name: $12 = utime (field 14)
      t = $12 + $13; if (me == "R") t += $14 + $15; s += t }
    END { print s + 0 }'
}

machine_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }

# start_rss_sampler ROOT OUTFILE: every 0.5 s, append the server's RSS (KiB) to OUTFILE.
start_rss_sampler() {
  local root=$1 out=$2
  ( while kill -0 "$root" 2>/dev/null; do rss_kib "$root" >> "$out"; sleep 0.5; done ) &
  SAMPLER_PID=$!
  STARTED_PIDS+=("$SAMPLER_PID")
}

stop_rss_sampler() { [ -n "${SAMPLER_PID:-}" ] && stop_pid "$SAMPLER_PID"; SAMPLER_PID=""; }

CLK_TCK=$(getconf CLK_TCK)

# ---- server CPU per accepted message -----------------------------------------

# accepted_total: ringpost_messages_accepted_total of the ringpost in
# $BENCH_DIR/rp now (SMTP and HTTP alike).
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

# measured LABEL CMD...: CMD, then "[LABEL] server CPU: T us/msg (seconds,
# messages)": the CPU of $RP_PID over the growth of accepted_total, each
# read once the server has settled; the figure also goes into $CPU_TSV
# (start_cpu_tsv) under LABEL's first word (before a "-"), for
# median_of. PERF_OUT=FILE: `perf record` the server through CMD into
# FILE.LABEL, with $PERF_ARGS (default "-g -F 499").
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
start_cpu_tsv() { CPU_TSV="$BENCH_DIR/cpu.tsv"; export CPU_TSV; : > "$CPU_TSV"; }

# cpu_medians A B: "A X us, B Y us, B/A R" from $CPU_TSV.
cpu_medians() {
  local a b
  a=$(median_of "$CPU_TSV" "$1" 2); b=$(median_of "$CPU_TSV" "$2" 2)
  echo "$1 ${a:-?} us, $2 ${b:-?} us, $2/$1 $(awk -v x="${a:-0}" -v y="${b:-0}" 'BEGIN { r = (x > 0) ? sprintf("%.2f", y / x) : "?"; print r }')"
}

# median_of FILE VARIANT COLUMN: the median of COLUMN (1-based) over the
# tab-separated lines of FILE whose first field is VARIANT.
median_of() {
  awk -F'\t' -v v="$2" -v c="$3" '$1 == v { print $c }' "$1" | sort -n |
    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
