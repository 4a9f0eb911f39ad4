#!/usr/bin/env bash
# imap-churn-bench.sh: the store's single writer under IMAP write traffic
# (issue 12 item 2). One ringpost (build/ringpost serve on loopback, data
# under ${BENCH_TMP:-/var/tmp}), two measurements:
#
#  (a) accept: ringpost-load sends N messages over S persistent sessions
#      (4096 bytes, pipelining off), once alone and once while K IMAP
#      sessions APPEND, flag \Seen, flag \Deleted and expunge as fast as
#      they can (imap_churn.py flag); prints msg/s of both and the IMAP
#      writes/s. Every IMAP write used to be its own fsync under the store
#      write mutex, in line with SMTP's group commits.
#  (b) churn: one mailbox with 10 live messages gets E rounds of APPEND +
#      UID EXPUNGE; SELECT's median time (21 SELECTs) every E/6 rounds
#      (imap_churn.py churn). A listing that steps over deletion markers
#      grows with the history.
#
# usage: imap-churn-bench.sh [--messages N] [--sessions S] [--imap-sessions K]
#                            [--expunges E] [--only accept|churn] [--timeout SECONDS]
#   env: BENCH_TMP (/var/tmp) BUILD (repo/build; a directory with ringpost and ringpost-load)
# Every run is bounded: N messages, E rounds and --timeout seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=20000; SESSIONS=100; IMAP_SESSIONS=10; EXPUNGES=12000; ONLY=""; TIMEOUT=300
while [ $# -gt 0 ]; do case "$1" in
  --messages|-n) N=$2; shift 2;; --sessions) SESSIONS=$2; shift 2;;
  --imap-sessions) IMAP_SESSIONS=$2; shift 2;; --expunges) EXPUNGES=$2; shift 2;;
  --only) ONLY=$2; shift 2;; --timeout) TIMEOUT=$2; shift 2;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
  *) echo "imap-churn-bench: unknown argument $1" >&2; exit 2;; esac; done

start_ringpost_bench
echo "imap-churn-bench: $RINGPOST N=$N sessions=$SESSIONS imap-sessions=$IMAP_SESSIONS expunges=$EXPUNGES," \
     "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_ringpost_imap
python3 "$HERE/imap_churn.py" setup "$IMAP_PORT" bench@localhost bench-password "$IMAP_SESSIONS"

# load LABEL: one bounded ringpost-load run; prints its counts and rate.
load() { LOAD_SHOW="messages elapsed" load_run "$1" | sed 's/^/imap-churn-bench: /'; }

if [ "$ONLY" != churn ]; then
  load_alone_and_beside load "$IMAP_SESSIONS-imap-flaggers" python3 "$HERE/imap_churn.py" flag "$IMAP_PORT" \
    bench@localhost bench-password "$IMAP_SESSIONS" "$TIMEOUT"
fi
if [ "$ONLY" != accept ]; then
  timeout -k 5 "$((TIMEOUT * 4))" python3 "$HERE/imap_churn.py" churn "$IMAP_PORT" bench@localhost bench-password \
    "$EXPUNGES" "$((EXPUNGES / 6 > 0 ? EXPUNGES / 6 : 1))"
fi
