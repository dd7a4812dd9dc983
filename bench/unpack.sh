#!/usr/bin/env bash
# Unpack throughput of the image module (the local template, which is
# libarchive reading + fd-relative creation with openat2 RESOLVE_BENEATH per
# member) against GNU tar -xpf of the same file, as root, into the same file
# system, alternating, best of N. Usage: bench/unpack.sh BUILD_DIR TARBALL... [N]
set -euo pipefail
build=$1
shift
runs=${RUNS:-3}
work=$(mktemp -d /tmp/xc-bench-unpack.XXXXXX)
trap 'rm -rf "$work"' EXIT
best() { sort -n | head -1; }
for tarball in "$@"; do
    mb=$(( $(stat -c %s "$tarball") / 1000000 ))
    cat "$tarball" >/dev/null  # both read it from the page cache
    xs=() ts=()
    for i in $(seq "$runs"); do
        rm -rf "$work/x" "$work/t"
        mkdir -p "$work/x/rootfs" "$work/t"
        s=$(date +%s.%N)
        "$build/xc-template-local" --name b --path "$work/x" --rootfs "$work/x/rootfs" --config "$work/x/conf" \
            --rootfs "$tarball" >/dev/null
        xs+=("$(echo "$(date +%s.%N) - $s" | bc)")
        s=$(date +%s.%N)
        tar --numeric-owner -C "$work/t" -xpf "$tarball"
        ts+=("$(echo "$(date +%s.%N) - $s" | bc)")
        sync
    done
    x=$(printf '%s\n' "${xs[@]}" | best)
    t=$(printf '%s\n' "${ts[@]}" | best)
    printf '%s (%d MB): xc %.2f s, tar -xpf %.2f s, xc/tar speed %.2f\n' "$(basename "$tarball")" "$mb" "$x" "$t" \
        "$(echo "$t / $x" | bc -l)"
done
