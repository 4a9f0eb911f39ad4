#!/usr/bin/env bash
# Installs the Debian 12 packages ringpost builds and tests with, and the
# npm packages of the Node.js test clients (tests/integration/node). Idempotent:
# does nothing (not even apt-get update) when everything is already there.
#
# --server: only what building, running and trying the server needs
# (tools/run.sh).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

server_only=false
[ "${1:-}" = "--server" ] && server_only=true

packages=(
  # build
  g++ meson ninja-build pkg-config
  # libraries (README "Dependencies" says why each is here)
  liburing-dev libssl-dev libc-ares-dev librocksdb-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libcrypt-dev nlohmann-json3-dev libboost-dev
  prometheus-cpp-dev
  # DMARC's organizational domains: libpsl and Debian's Public Suffix List
  libpsl-dev publicsuffix
  # to try it as README's Quick start does
  swaks curl
)
$server_only || packages+=(
  # a compiler cache: meson uses it when present, so a second tools/test.sh
  # (or a new clone at the same path) recompiles only what changed
  ccache
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 libio-socket-inet6-perl dnsmasq-base
  # HTTP load for tools/bench/injection-bench.sh (keep-alive, many connections)
  wrk
  # dkimpy (PyNaCl for Ed25519): the independent DKIM verifier of the signer tests and
  # the independent signer of the verifier fixtures (tests/unit/dkim/make_fixtures.py)
  python3-dkim python3-nacl
  # the independent SPF implementation of tests/integration/test_spf.py (pyspf)
  python3-spf
  # the reference Prometheus text parser for tests/integration/test_metrics.py
  python3-prometheus-client
  # a real milter for tests/integration/test_milter.py and tools/bench/milter-bench.sh
  # (started per run with its own configuration; the package's service is not used)
  rspamd
  # a real browser for the status page (tests/integration/test_status_page.py):
  # headless Chromium loads GET / and renders it
  chromium
  # swaks --tls / --tlsc (SMTP STARTTLS and smtps tests)
  libnet-ssleay-perl
  # real mail clients for tests/integration/test_retrieval_clients.py:
  # fetchmail pulls over POP3, mbsync (package isync) over IMAP
  fetchmail isync
  # a real Postfix as a peer (tests/integration/postfix_peer.py: DKIM
  # signatures must survive a relay through it); configured per test,
  # the package's own instance is never set up ("No configuration")
  postfix
  # a real load balancer in front of the listeners (tests/integration/
  # test_proxy_protocol.py): HAProxy sends PROXY protocol v1 and v2 headers;
  # started per test with its own configuration, never as a service
  haproxy
  # libFuzzer targets (tests/fuzz, docs/FUZZING.md): clang 14 and its
  # runtime libraries (libFuzzer, ASan, UBSan are in libclang-rt-14-dev)
  clang libclang-rt-14-dev
)
# Node.js for tests/integration/test_node_clients.py (imapflow, nodemailer).
# Checked by command, not by package: a node from elsewhere (e.g. NodeSource's
# nodejs, which bundles npm and conflicts with Debian's npm) is fine too.
node_packages=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! $server_only && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  missing+=("${node_packages[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "install-deps: installing ${missing[*]}"
  # Postfix's package asks how to configure the machine's mail; we only
  # run private instances of it.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

$server_only && exit 0

# The npm packages of the Node.js clients, at the versions pinned in the lock
# file; again only when node_modules is missing or older than the lock file.
node_dir="$(dirname "$0")/../tests/integration/node"
if [ ! -d "$node_dir/node_modules" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules" ]; then
  echo "install-deps: npm ci in tests/integration/node"
  npm ci --prefix "$node_dir" --no-audit --no-fund
  touch "$node_dir/node_modules"   # npm ci may keep an old directory's time
fi
