#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the examples need.
# Idempotent and quiet: it runs `apt-get update` once, and only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libwebsockets-dev libssl-dev libsimdjson-dev libboost-dev libcurl4-openssl-dev
  libarchive-dev libabsl-dev libsqlite3-dev sqlite3 libvalijson-dev rapidjson-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  curl python3 openssl  # openssl: the TLS tests make their own CA and server certificate
  chromium  # the console's browser tests (tests/browser), with node and npm below
)
# Debian's nodejs/npm only where no node/npm is installed: a NodeSource nodejs provides npm itself and conflicts
# with Debian's npm package. The browser tests need node 18+ (tests/browser/README.md).
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
