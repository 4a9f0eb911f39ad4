#!/usr/bin/env bash
# Installs the Debian 12 packages ringpost builds and tests with. Idempotent:
# does nothing (not even apt-get update) when everything is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
  # build
  g++ meson ninja-build pkg-config
  # libraries (README "Dependencies" says why each is here)
  liburing-dev libssl-dev libc-ares-dev librocksdb-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev libcrypt-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 swaks libio-socket-inet6-perl dnsmasq-base curl
  # swaks --tls / --tlsc (SMTP STARTTLS and smtps tests)
  libnet-ssleay-perl
  # real mail clients for tests/integration/test_retrieval_clients.py:
  # fetchmail pulls over POP3, mbsync (package isync) over IMAP
  fetchmail isync
  # libFuzzer targets (tests/fuzz, docs/FUZZING.md): clang 14 and its
  # runtime libraries (libFuzzer, ASan, UBSan are in libclang-rt-14-dev)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
