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

# The tests' own packages (tests/debian-test-packages): installed with
# services kept from starting (policy-rc.d), so that lxc's lxc-net does not
# put lxcbr0 on xcbr0's subnet.
test_packages=$(grep -v '^#' tests/debian-test-packages)
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $test_packages 2>/dev/null | grep -v 'install ok installed' | cut -d' ' -f1 || true)
if [ -n "$missing" ] || ! dpkg-query -W $test_packages >/dev/null 2>&1; then
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $test_packages >/dev/null
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now lxc-net >/dev/null 2>&1 || true; fi
fi

cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure --timeout 300
