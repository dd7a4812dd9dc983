#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root: installs the
# Debian packages, builds, and runs unit and integration tests (the
# integration tests start real containers, each under its own -P base
# directory, and clean up after themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "tests/run.sh: run as root (the integration tests start real containers)" >&2
    exit 1
fi
packages=$(grep -v '^#' tests/debian-packages)
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $packages 2>/dev/null | grep -v 'install ok installed' | cut -d' ' -f1 || true)
if [ -n "$missing" ] || ! dpkg-query -W $packages >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi

cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure --timeout 300
