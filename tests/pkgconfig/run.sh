#!/usr/bin/env bash
# Installs the build into a scratch root, builds tests/pkgconfig/consumer.cpp
# with nothing but the installed xc.pc (no source tree, no build tree), and
# runs it: create, start, attach, stop and destroy a busybox container.
# Usage: run.sh SOURCE_DIR BUILD_DIR (as root).
set -euo pipefail
src=$1 build=$2
scratch=$(mktemp -d /tmp/xc-pc-XXXXXX)
base=$scratch/base
cleanup() {
    # The consumer destroys its container itself; this is for a crash.
    if [ -x "$scratch/root/usr/local/bin/xc-destroy" ] && [ -d "$base/pc" ]; then
        LD_LIBRARY_PATH=$libdir XC_LIBEXEC_DIR=$scratch/root$libexec \
            "$scratch/root/usr/local/bin/xc-destroy" -P "$base" -n pc -f >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

DESTDIR=$scratch/root cmake --install "$build" >/dev/null
root=$scratch/root
pcdir=$(dirname "$(find "$root" -name xc.pc -print -quit)")
[ -f "$pcdir/xc.pc" ] || { echo "xc.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root
# The .pc names the paths as they will be on the real system.
prefix=$(sed -n 's/^prefix=//p' "$pcdir/xc.pc")
libdir=$root$(sed -n 's/^libdir=//p' "$pcdir/xc.pc")
libexec=$prefix/libexec/xc

# Only the public API is installed.
for private in spawn.hpp process.hpp cgroup.hpp netlink.hpp fdpass.hpp; do
    if find "$root" -name "$private" | grep -q .; then echo "private header $private was installed"; exit 1; fi
done
[ -e "$libdir/libxc.so.0" ] || { echo "libxc.so.0 not installed in $libdir"; exit 1; }
soname=$(objdump -p "$libdir/libxc.so.0" | awk '/SONAME/ {print $2}')
[ "$soname" = libxc.so.0 ] || { echo "soname is '$soname', expected libxc.so.0"; exit 1; }

# shellcheck disable=SC2046
g++ -o "$scratch/consumer" "$src/tests/pkgconfig/consumer.cpp" $(pkg-config --cflags --libs xc)

mkdir -p "$base"
out=$(LD_LIBRARY_PATH=$libdir \
      XC_TEMPLATE_DIR=$root$prefix/share/xc/templates \
      XC_DATA_DIR=$root$prefix/share/xc \
      XC_LIBEXEC_DIR=$root$libexec \
      XC_SYSCONF_DIR=$src/tests/integration/data \
      XC_SUBID_DIR=$src/tests/integration/data \
      XC_LOG_DIR=$scratch/log \
      "$scratch/consumer" "$base" pc 2>&1) || { echo "$out"; exit 1; }
echo "$out"
grep -q "attached-in-pc" <<<"$out" || { echo "the attached command's output is missing"; exit 1; }
[ ! -e "$base/pc" ] || { echo "the container was not destroyed"; exit 1; }

# The image library: its own .pc over xc's, and the installed templates
# find it (and libxc) from where they are installed, without LD_LIBRARY_PATH.
[ -e "$libdir/libxc-image.so.0" ] || { echo "libxc-image.so.0 not installed in $libdir"; exit 1; }
cat >"$scratch/layers.cpp" <<'CPP'
#include <xc/layers.hpp>
#include <cstdio>
int main() {
    auto d = xc::layerStoreDir(xc::HostPaths::fromEnvironment());
    std::printf("store: %s\n", d ? d->c_str() : d.error().message().c_str());
    return d ? 0 : 1;
}
CPP
# shellcheck disable=SC2046
g++ -o "$scratch/layers" "$scratch/layers.cpp" $(pkg-config --cflags --libs xc-image)
out=$(LD_LIBRARY_PATH=$libdir XC_CACHE=$scratch/cache XC_SYSCONF_DIR=$src/tests/integration/data "$scratch/layers") || { echo "$out"; exit 1; }
[ "$out" = "store: $scratch/cache/oci" ] || { echo "xc-image consumer printed '$out'"; exit 1; }
for t in local download oci; do
    "$root$prefix/share/xc/templates/$t" --help >/dev/null || { echo "the installed $t template does not run"; exit 1; }
done
echo "xc-image.pc consumer and installed templates ok"
