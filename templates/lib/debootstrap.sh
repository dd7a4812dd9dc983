# Shared code of the debian and ubuntu templates (sourced, POSIX sh).
#
# A template sets `prog` and `distro` and defines these hooks, then calls
# `xt_main "$@"`:
#   distro_default_release     prints the release used without -r
#   distro_check_release       validates $release; sets $script (the
#                              debootstrap script) and $release_note
#   distro_default_mirror      prints the mirror used without --mirror ($arch set)
#   distro_gpg_args            sets $gpg_args (debootstrap's key options) or dies
#   distro_includes            prints the packages every cache gets (comma list)
#   distro_default_user        prints the login made without --user
#   distro_usage_extra         prints the usage lines of the template's own options
#   distro_option OPT VAL      handles an option of the template's own (returns 1
#                              if unknown); distro_flag OPT likewise for flags
#
# Everything is checked before anything is touched. The debootstrap result is
# cached per release, arch and variant (see templates/README.md): built in a
# temporary directory next to the cache, cleaned, renamed into place under a
# lock; every container's rootfs is a copy of it, configured afterwards.
# With xc-create -B overlay (XC_BACKEND=overlay, XC_LAYERS_OUT set) the cache
# is not copied: xc-image add-tree puts it into the layer store once per
# cache build, and the template configures the container through an overlay
# of that layer under ROOTFS_DIR, mounted in a private mount namespace, so
# that ROOTFS_DIR ends up holding only the container's own files (its upper
# layer; xc-create names the layer in the config).

export LC_ALL=C
umask 022
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

xt_die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

xt_say() {
    printf '%s: %s\n' "$prog" "$*"
}

# ------------------------------------------------------------------ options

xt_usage() {
    cat <<EOF
Usage: $distro --name NAME --rootfs ROOTFS_DIR --config CONFIG_OUT [OPTIONS]

Builds a root filesystem of $title with debootstrap (cached once per release,
arch and variant) and writes the container settings it needs (systemd as
init, its halt signal, the ttys) to CONFIG_OUT.

Template options:
  -r, --release NAME   release (default: $(distro_default_release 2>/dev/null))
  -a, --arch ARCH      architecture (default: the host's, $(xt_host_arch))
  --mirror URL         archive to debootstrap from (default: $(arch=$(xt_host_arch) distro_default_mirror 2>/dev/null))
  --variant V          minbase (default) or default (debootstrap's own variant)
  --packages A,B,...   more packages in the image (a cache of their own)
  --user NAME          the login to make (default: $(distro_default_user))
  --password PW        its password (default: a random one, printed once)
  --auth-key FILE      SSH public key(s) for that login's authorized_keys
  --flush-cache        rebuild the cached image
$(distro_usage_extra)
  -h, --help           this text

Cache: \${XC_CACHE:-/var/cache/xc}/$distro/RELEASE/ARCH/VARIANT/ (debootstrap's
log of the last build beside it, VARIANT.log).
EOF
}

xt_parse() {
    name= path= rootfs= config= release= arch= mirror= variant=minbase packages=
    user= password= have_password= auth_key= flush=
    while [ $# -gt 0 ]; do
        opt=$1
        case $opt in
        -h | --help) xt_usage; exit 0 ;;
        --flush-cache) flush=1; shift; continue ;;
        --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
        -r | -a | --name | --path | --rootfs | --config | --release | --arch | --mirror | --variant | \
            --packages | --user | --password | --auth-key)
            [ $# -ge 2 ] || xt_die "option $opt needs a value"
            val=$2; shift 2 ;;
        *)
            if distro_flag "$opt"; then shift; continue; fi
            [ $# -ge 2 ] || xt_die "unknown option '$opt' (try --help)"
            distro_option "$opt" "$2" || xt_die "unknown option '$opt' (try --help)"
            shift 2; continue ;;
        esac
        case $opt in
        --name) name=$val ;;
        --path) path=$val ;;
        --rootfs) rootfs=$val ;;
        --config) config=$val ;;
        -r | --release) release=$val ;;
        -a | --arch) arch=$val ;;
        --mirror) mirror=$val ;;
        --variant) variant=$val ;;
        --packages) packages=$val ;;
        --user) user=$val ;;
        --password) password=$val; have_password=1 ;;
        --auth-key) auth_key=$val ;;
        *) distro_option "$opt" "$val" || xt_die "unknown option '$opt' (try --help)" ;;
        esac
    done
}

# The host's Debian architecture name.
xt_host_arch() {
    if command -v dpkg >/dev/null 2>&1; then
        dpkg --print-architecture
        return
    fi
    case $(uname -m) in
    x86_64) echo amd64 ;;
    i?86) echo i386 ;;
    aarch64) echo arm64 ;;
    armv7* | armv8l) echo armhf ;;
    ppc64le) echo ppc64el ;;
    s390x) echo s390x ;;
    riscv64) echo riscv64 ;;
    *) uname -m ;;
    esac
}

# Packages "b,a,,b" -> "a,b" (sorted, unique); dies on a bad name.
xt_normalize_packages() {
    out=
    for p in $(printf '%s\n' "$1" | tr ',' ' '); do
        case $p in
        [a-z0-9]*) ;;
        *) xt_die "--packages: '$p' is not a package name" ;;
        esac
        case $p in
        *[!a-z0-9+.-]* | ?) xt_die "--packages: '$p' is not a package name" ;;
        esac
        out="$out$p
"
    done
    printf '%s' "$out" | sort -u | paste -sd, -
}

xt_check_inputs() {
    [ -n "$name" ] || xt_die "missing --name (try --help)"
    case $name in
    .* | -* | *[!A-Za-z0-9_.-]*) xt_die "invalid container name '$name'" ;;
    esac
    [ ${#name} -le 64 ] || xt_die "invalid container name '$name' (longer than 64 characters)"
    if [ -z "$rootfs" ]; then
        [ -n "$path" ] || xt_die "missing --rootfs (or --path) (try --help)"
        rootfs=$path/rootfs
    fi
    [ -d "$rootfs" ] || xt_die "rootfs $rootfs: not a directory"
    for f in "$rootfs"/* "$rootfs"/.[!.]* "$rootfs"/..?*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        xt_die "rootfs $rootfs: not empty"
    done

    case $variant in
    minbase) variant_arg=--variant=minbase ;;
    default) variant_arg= ;;
    *) xt_die "--variant: '$variant' is not minbase or default" ;;
    esac

    host_arch=$(xt_host_arch)
    [ -n "$arch" ] || arch=$host_arch
    case $arch in
    amd64 | arm64 | armel | armhf | i386 | mips64el | ppc64el | riscv64 | s390x) ;;
    *) xt_die "unknown architecture '$arch' (one of amd64, arm64, armel, armhf, i386, mips64el, ppc64el, riscv64, s390x)" ;;
    esac
    # Its binaries must run here: the image is configured by running them.
    case $host_arch/$arch in
    "$arch/$arch" | amd64/i386 | arm64/armhf | arm64/armel | armhf/armel) ;;
    *) xt_die "architecture $arch does not run on this $host_arch host (foreign-architecture images are not supported)" ;;
    esac

    [ -n "$release" ] || release=$(distro_default_release)
    distro_check_release

    [ -n "$mirror" ] || mirror=$(distro_default_mirror)
    case $mirror in
    http://?* | https://?* | file:///*) ;;
    *) xt_die "--mirror: '$mirror' is not an http://, https:// or file:/// URL" ;;
    esac
    while :; do case $mirror in */) mirror=${mirror%/} ;; *) break ;; esac; done

    packages=$(xt_normalize_packages "$packages") || exit 1

    [ -n "$user" ] || user=$(distro_default_user)
    case $user in
    [a-z_]*) ;;
    *) xt_die "--user: '$user' is not a valid login name" ;;
    esac
    case $user in
    *[!a-z0-9_-]*) xt_die "--user: '$user' is not a valid login name" ;;
    esac
    [ ${#user} -le 32 ] || xt_die "--user: '$user' is longer than 32 characters"
    case $password in
    *'
'*) xt_die "--password must not contain a newline" ;;
    esac
    if [ -n "$have_password" ] && [ -z "$password" ]; then
        xt_die "--password: an empty password is not allowed (leave --password out for a random one)"
    fi
    if [ -n "$auth_key" ]; then
        [ -f "$auth_key" ] && [ -r "$auth_key" ] || xt_die "--auth-key: $auth_key: not a readable file"
    fi
    distro_gpg_args

    [ "$(id -u)" = 0 ] || xt_die "needs root (debootstrap and the image's own tools run as root)"
    debootstrap=${XC_DEBOOTSTRAP:-debootstrap}
    command -v "$debootstrap" >/dev/null 2>&1 ||
        xt_die "debootstrap not found: install it with 'apt-get install debootstrap'"
    for tool in flock unshare chroot; do
        command -v $tool >/dev/null 2>&1 || xt_die "$tool not found (util-linux / coreutils)"
    done
    xt_check_layered
}

# -B overlay: the cache becomes a shared lower layer (xc-image add-tree),
# the container's files go into ROOTFS_DIR through an overlay.
xt_check_layered() {
    layered=
    [ "${XC_BACKEND:-}" = overlay ] && [ -n "${XC_LAYERS_OUT:-}" ] || return 0
    layered=1
    [ -n "$path" ] || xt_die "-B overlay: --path is needed (the container's directory; xc-create passes it)"
    xc_image=
    if [ -n "${XC_LIBEXEC_DIR:-}" ] && [ -x "$XC_LIBEXEC_DIR/xc-image" ]; then
        xc_image=$XC_LIBEXEC_DIR/xc-image # a build tree
    else
        xc_image=$(command -v xc-image) ||
            xt_die "-B overlay: xc-image not found (it puts the image into the layer store; reinstall xc)"
    fi
    command -v mount >/dev/null 2>&1 && command -v umount >/dev/null 2>&1 ||
        xt_die "-B overlay: mount and umount not found (util-linux)"
    grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null ||
        xt_die "-B overlay: the kernel has no overlay file system (modprobe overlay)"
    # mount(8)'s overlay options are split at ',' and ':'.
    case ${XC_CACHE:-${XC_CACHE_DIR:-/var/cache/xc}}$path$rootfs in
    *[,:]*) xt_die "-B overlay: the cache directory or the container's path contains ',' or ':', which mount's overlay options cannot take" ;;
    esac
}

# ------------------------------------------------------------------ apt sources

# The first archive URI of the host's apt sources that serves one of the
# suites given (deb822 *.sources first, then one-line *.list files);
# disabled entries, deb-src and *-security archives are skipped.
xt_host_apt_mirror() {
    suites=" $* "
    for f in "${XC_APT_ETC:-/etc/apt}"/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v want="$suites" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
                    n = split(suites, s, " ")
                    for (i = 1; i <= n; i++)
                        if (index(want, " " s[i] " ")) { split(uris, u, " "); print u[1]; exit }
                }
                types = uris = suites = enabled = ""; field = ""
            }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            /^[ \t]/ { v = $0; sub(/^[ \t]+/, "", v); if (field == "uris") uris = uris " " v;
                       else if (field == "suites") suites = suites " " v; else if (field == "types") types = types " " v; next }
            {
                key = tolower($0); sub(/:.*/, "", key); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
                field = key
                if (key == "types") types = v
                else if (key == "uris") uris = v
                else if (key == "suites") suites = v
                else if (key == "enabled") enabled = tolower(v)
            }
            END { flush() }
        ' "$f"
    done | head -n 1 | grep . && return 0
    for f in "${XC_APT_ETC:-/etc/apt}"/sources.list "${XC_APT_ETC:-/etc/apt}"/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
            awk -v want="$suites" '$1 == "deb" && index(want, " " $3 " ") { print $2; exit }'
    done | head -n 1 | grep . && return 0
    return 1
}

# ------------------------------------------------------------------ progress

# Reads debootstrap's I:/W:/E: lines, writes them all to $log and shows the
# phases: a bar on a terminal, one line per phase otherwise. Sets nothing
# (it runs in a subshell of the pipeline): the last E: line goes to $errfile.
xt_progress() {
    tty=
    [ -t 1 ] && tty=1
    phase= retrieved=0 extracted=0 unpacked=0 configured=0
    start=$(date +%s)
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        item=
        case $line in
        "E: "*) printf '%s\n' "${line#E: }" >"$errfile"; continue ;;
        "W: "*)
            [ -n "$tty" ] && printf '\r\033[K'
            printf '%s: debootstrap: %s\n' "$prog" "${line#W: }"
            continue ;;
        "I: Retrieving Release"* | "I: Retrieving InRelease"* | "I: Checking Release"* | "I: Valid Release"* | \
            "I: Retrieving Packages"* | "I: Validating Packages"*) p="release index" ;;
        "I: Resolving dependencies"* | "I: Found "* | "I: Checking component"*) p="dependencies" ;;
        "I: Retrieving "*) p=retrieving item=${line#I: Retrieving } ;;
        "I: Validating "*) continue ;; # one per package, right after its retrieval
        "I: Extracting "*) p=extracting item=${line#I: Extracting } ;;
        "I: Unpacking "*"...") p=unpacking item=${line#I: Unpacking } ;;
        "I: Configuring "*"...") p=configuring item=${line#I: Configuring } ;;
        "I: Base system installed"*) p=done ;;
        *) continue ;;
        esac
        case $item in *" packages..." | *" system...") continue ;; esac # "Unpacking required packages..."
        item=${item%...}
        item=${item%% *}
        case $p in
        retrieving) retrieved=$((retrieved + 1)) n=$retrieved ;;
        extracting) extracted=$((extracted + 1)) n=$extracted ;;
        unpacking) unpacked=$((unpacked + 1)) n=$unpacked ;;
        configuring) configured=$((configured + 1)) n=$configured ;;
        esac
        if [ "$p" != "$phase" ]; then
            phase=$p
            if [ -z "$tty" ] && [ "$p" != done ]; then
                case $p in
                retrieving) xt_say "debootstrap: retrieving and validating packages" ;;
                unpacking | configuring) xt_say "debootstrap: $p (of $retrieved packages)" ;;
                *) xt_say "debootstrap: $p" ;;
                esac
            fi
        fi
        [ -n "$tty" ] || continue
        case $p in
        unpacking | configuring)
            total=$retrieved
            [ "$n" -le "$total" ] || total=$n
            filled=$((n * 30 / total))
            bar=$(printf '%*s' "$filled" '' | tr ' ' '#')$(printf '%*s' $((30 - filled)) '' | tr ' ' '.')
            printf '\r\033[K  %-12s [%s] %d/%d %.30s' "$p" "$bar" "$n" "$total" "$item" ;;
        retrieving | extracting) printf '\r\033[K  %-12s %d %.40s' "$p" "$n" "$item" ;;
        *) printf '\r\033[K  %s' "$p" ;;
        esac
    done
    [ -n "$tty" ] && printf '\r\033[K'
    if [ "$phase" = done ]; then
        xt_say "debootstrap: $retrieved packages installed in $(($(date +%s) - start)) s"
    fi
    return 0
}

# ------------------------------------------------------------------ the cache

xt_age() {
    s=$1
    if [ "$s" -lt 120 ]; then echo "$s seconds"
    elif [ "$s" -lt 7200 ]; then echo "$((s / 60)) minutes"
    elif [ "$s" -lt 172800 ]; then echo "$((s / 3600)) hours"
    else echo "$((s / 86400)) days"
    fi
}

# Removes a tree on this file system only (never into a mount point).
xt_rmtree() {
    [ -n "$1" ] && [ -e "$1" ] || return 0
    rm -rf --one-file-system -- "$1"
}

# Run on any exit and on INT/TERM/HUP: the half-built cache goes.
xt_cleanup() {
    trap '' INT TERM HUP
    if [ -n "$ds_pid" ]; then
        kill -TERM "$ds_pid" 2>/dev/null
        wait "$ds_pid" 2>/dev/null
        ds_pid=
    fi
    [ -n "$build_tmp" ] && xt_rmtree "$build_tmp"
    [ -n "$work" ] && xt_rmtree "$work"
    build_tmp= work=
    xt_unmount_layered
}

# The overlay of -B overlay goes, and its mount point and work dir with it
# (the mount point only once empty: never a removal through the overlay).
xt_unmount_layered() {
    if [ -n "$merged" ]; then
        umount "$merged" 2>/dev/null || umount -l "$merged" 2>/dev/null
        rmdir "$merged" 2>/dev/null
        merged=
    fi
    [ -n "$ovl_work" ] && xt_rmtree "$ovl_work"
    ovl_work=
}

xt_interrupted() {
    what="building the $distro $release/$arch/$variant cache"
    [ -n "$build_tmp" ] || what="creating $name"
    xt_cleanup
    printf '%s: interrupted while %s; nothing was kept%s\n' "$prog" "$what" \
        "$([ -s "$log" ] && echo " (debootstrap log: $log)")" >&2
    exit 130
}

# The cleaning that makes a debootstrapped tree a template for many
# containers: no identity, nothing of the host, nothing downloaded.
xt_clean_tree() {
    t=$1
    : >"$t/etc/machine-id"
    mkdir -p "$t/var/lib/dbus"
    rm -f "$t/var/lib/dbus/machine-id"
    ln -s /etc/machine-id "$t/var/lib/dbus/machine-id"
    rm -f "$t/etc/resolv.conf"
    : >"$t/etc/resolv.conf"
    rm -f "$t/etc/hostname"
    echo localhost >"$t/etc/hostname"
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' \
        >"$t/etc/hosts"
    find "$t/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock -exec rm -rf {} + 2>/dev/null
    find "$t/var/cache/apt" -maxdepth 1 -name '*.bin' -delete 2>/dev/null
    find "$t/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -delete 2>/dev/null
    # Keys that must differ per container are made per container.
    rm -f "$t"/etc/ssh/ssh_host_*_key "$t"/etc/ssh/ssh_host_*_key.pub
    rm -f "$t/var/lib/systemd/random-seed" "$t/var/lib/systemd/credential.secret"
    printf '# xc: filled per container\n' >"$t/etc/fstab"
    chmod 0755 "$t"
}

# Builds $cache (the lock is held): debootstrap into a temporary directory
# beside it, clean, rename into place.
xt_build_cache() {
    build_tmp=$(mktemp -d "$parent/.$key.build.XXXXXX") || xt_die "cannot create a directory in $parent"
    work=$(mktemp -d "$parent/.$key.work.XXXXXX") || xt_die "cannot create a directory in $parent"
    errfile=$work/error
    : >"$log"
    include=$(distro_includes)
    [ -n "$packages" ] && include="$include,$packages"
    xt_say "building the $distro $release/$arch/$variant image with debootstrap from $mirror (once; cached in $cache)"
    {
        echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'): $debootstrap $variant_arg --arch=$arch --include=$include" \
            "$gpg_args $release $build_tmp $mirror $script"
    } >>"$log"
    mkfifo "$work/out" || xt_die "cannot create a fifo in $work"
    # A private mount namespace: whatever debootstrap mounts in the target
    # (proc, sys, devpts) goes with it, even if it is killed.
    # shellcheck disable=SC2086
    unshare --mount --propagation private "$debootstrap" $variant_arg --arch="$arch" --include="$include" \
        $gpg_args "$release" "$build_tmp" "$mirror" $script >"$work/out" 2>&1 </dev/null 9>&- &
    ds_pid=$!
    xt_progress <"$work/out"
    wait "$ds_pid"
    rc=$?
    ds_pid=
    for f in "$build_tmp/debootstrap/debootstrap.log" "$build_tmp/var/log/bootstrap.log"; do
        [ -f "$f" ] && { echo "# --- $f"; cat "$f"; } >>"$log"
    done
    if [ $rc -ne 0 ] || [ ! -x "$build_tmp/bin/sh" ]; then
        xt_fail_build $rc
    fi
    xt_clean_tree "$build_tmp" || xt_die "cannot clean the new image in $build_tmp"
    mv -T "$build_tmp" "$cache" || xt_die "cannot move the new image to $cache"
    build_tmp=
    xt_rmtree "$work"
    work=
}

# One line: what failed, debootstrap's own last error, its reason, the log.
xt_fail_build() {
    err=$(cat "$errfile" 2>/dev/null)
    [ -n "$err" ] || err=$(grep -E '^(E: |dpkg: error|tar: |.*: No space left)' "$log" | tail -n 1)
    [ -n "$err" ] || err="debootstrap exited with status $1"
    # wget's reason for a failed download (refused, 404, DNS) when there is one.
    why=$(grep -E 'failed: |ERROR [0-9]{3}|unable to resolve|No space left on device' "$log" | tail -n 1 |
        sed -e 's/^.*\(failed: \)/\1/' -e 's/^[0-9: -]*//')
    case $err in *"$why"*) why= ;; esac
    xt_cleanup
    printf '%s: debootstrap of %s %s/%s (%s) from %s failed: %s%s (full log: %s)\n' "$prog" "$distro" "$release" \
        "$arch" "$variant" "$mirror" "$err" "${why:+ [$why]}" "$log" >&2
    exit 1
}

# The cache for this release/arch/variant(+packages), locked for the whole
# create: built if missing (or flushed), then copied by the caller.
xt_cache() {
    cache_root=${XC_CACHE:-${XC_CACHE_DIR:-/var/cache/xc}}
    key=$variant
    if [ -n "$packages" ]; then
        key="$variant+$packages"
        [ ${#key} -le 120 ] || key="$variant+$(printf '%s' "$packages" | cksum | cut -d' ' -f1)"
    fi
    parent=$cache_root/$distro/$release/$arch
    cache=$parent/$key
    log=$parent/$key.log
    mkdir -p "$parent" || xt_die "cannot create the cache directory $parent"
    exec 9>"$parent/$key.lock" || xt_die "cannot open the cache lock $parent/$key.lock"
    if ! flock -n 9; then
        xt_say "waiting for another create that is building $cache"
        # In the background, so that a signal's trap runs at once.
        flock 9 &
        ds_pid=$!
        wait "$ds_pid" || xt_die "cannot lock $parent/$key.lock"
        ds_pid=
    fi
    # Leftovers of a build that was killed outright (the lock is ours now).
    for d in "$parent/.$key.build."* "$parent/.$key.work."* "$parent/.$key.old."*; do
        [ -e "$d" ] && xt_rmtree "$d"
    done
    if [ -n "$flush" ] && [ -d "$cache" ]; then
        xt_say "--flush-cache: removing $cache"
        mv -T "$cache" "$parent/.$key.old.$$" && xt_rmtree "$parent/.$key.old.$$" ||
            xt_die "cannot remove the cache $cache"
    fi
    if [ -d "$cache" ]; then
        age=$(($(date +%s) - $(stat -c %Y "$cache")))
        [ $age -ge 0 ] || age=0
        xt_say "using the cached $distro $release/$arch/$variant image $cache (built $(xt_age $age) ago; --flush-cache rebuilds it)"
    else
        xt_build_cache
    fi
}

# ------------------------------------------------------------------ the container

xt_in_root() {
    chroot "$rootfs" 9>&- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"
}

# The systemd unit dir of the image (merged /usr or not).
xt_unit_dir() {
    for d in usr/lib/systemd/system lib/systemd/system; do
        [ -d "$rootfs/$d" ] && { echo "/$d"; return; }
    done
    echo /lib/systemd/system
}

# Units that fight a container, masked (a link to /dev/null):
#  systemd-udevd*, systemd-udev-trigger/-settle: the host's udev owns the
#    devices; a trigger in a container with a writable /sys would replay
#    every host device's uevents;
#  systemd-hwdb-update: rebuilds udev's database, for a udev that never runs;
#  systemd-remount-fs: remounts / from fstab, but / is xc's bind mount;
#  sys-kernel-{config,debug,tracing}.mount, sys-fs-fuse-connections.mount,
#    dev-hugepages.mount: kernel file systems of the host's, not the
#    container's to mount (they fail without the capabilities);
#  systemd-sysctl: would write the image's sysctl.d into the host kernel
#    when /proc/sys is writable;
#  systemd-modules-load: kernel modules are the host's (sys_module is dropped);
#  systemd-timesyncd, hwclock: the clock is the host's (sys_time is dropped);
#  systemd-firstboot: would prompt on the console; the template did its job;
#  getty-static: old Debian's gettys on tty2-6 when dbus is missing.
XT_MASKED="systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount
sys-fs-fuse-connections.mount dev-hugepages.mount systemd-sysctl.service systemd-modules-load.service
systemd-timesyncd.service hwclock.service systemd-firstboot.service getty-static.service"

xt_setup_systemd() {
    etc=$rootfs/etc/systemd/system
    units=$(xt_unit_dir)
    mkdir -p "$etc/multi-user.target.wants" "$etc/sockets.target.wants" "$etc/getty.target.wants" ||
        return 1
    for u in $XT_MASKED; do
        rm -f "$etc/$u"
        ln -s /dev/null "$etc/$u" || return 1
    done
    # eth0 by DHCP (systemd-networkd; DNS through systemd-resolved if there).
    mkdir -p "$rootfs/etc/systemd/network"
    cat >"$rootfs/etc/systemd/network/eth0.network" <<'EOF'
# xc: the container's eth0, configured by DHCP (xc-net's dnsmasq on xcbr0).
[Match]
Name=eth0

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no

[DHCPv4]
UseDomains=yes
EOF
    ln -sf "$units/systemd-networkd.service" "$etc/multi-user.target.wants/systemd-networkd.service"
    ln -sf "$units/systemd-networkd.socket" "$etc/sockets.target.wants/systemd-networkd.socket"
    if [ -e "$rootfs$units/systemd-resolved.service" ]; then
        ln -sf "$units/systemd-resolved.service" "$etc/multi-user.target.wants/systemd-resolved.service"
        rm -f "$rootfs/etc/resolv.conf"
        ln -s ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
    fi
    # Gettys: systemd's getty generator starts console-getty.service on
    # /dev/console in a container ($container is set by xc). getty@ttyN
    # waits for a VT (/dev/tty0) that a container has not: here it runs on
    # xc's /dev/ttyN ptys instead, each one only if that tty exists.
    mkdir -p "$etc/getty@.service.d"
    cat >"$etc/getty@.service.d/xc-container.conf" <<'EOF'
# xc: /dev/ttyN are xc's ptys (tty.count of the container's config), not VTs.
[Unit]
ConditionPathExists=
ConditionPathExists=/dev/%I
EOF
    i=1
    while [ $i -le 6 ]; do
        ln -sf "$units/getty@.service" "$etc/getty.target.wants/getty@tty$i.service"
        i=$((i + 1))
    done
    rm -f "$etc/default.target"
    ln -s "$units/multi-user.target" "$etc/default.target"
}

xt_setup_identity() {
    echo "$name" >"$rootfs/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' \
        "$name" >"$rootfs/etc/hosts"
    # The host's time zone; the locale C.UTF-8 (in libc, nothing to generate).
    tz=
    [ -r /etc/timezone ] && tz=$(head -n 1 /etc/timezone)
    if [ -z "$tz" ] && [ -L /etc/localtime ]; then
        tz=$(readlink /etc/localtime | sed -n 's|^.*zoneinfo/||p')
    fi
    case $tz in '' | *..* | /*) tz=Etc/UTC ;; esac
    rm -f "$rootfs/etc/localtime"
    if [ -e "$rootfs/usr/share/zoneinfo/$tz" ]; then
        ln -s "/usr/share/zoneinfo/$tz" "$rootfs/etc/localtime"
    elif [ -e /etc/localtime ]; then
        cp -L /etc/localtime "$rootfs/etc/localtime"
    fi
    echo "$tz" >"$rootfs/etc/timezone"
    echo "LANG=C.UTF-8" >"$rootfs/etc/default/locale"
    echo "LANG=C.UTF-8" >"$rootfs/etc/locale.conf"
    if [ -x "$rootfs/usr/bin/ssh-keygen" ]; then
        xt_in_root ssh-keygen -A >/dev/null 2>&1 || return 1
    fi
}

xt_setup_login() {
    groups=$(distro_user_groups)
    if [ "$user" != root ]; then
        g=
        for grp in $groups; do
            grep -q "^$grp:" "$rootfs/etc/group" && g="$g${g:+,}$grp"
        done
        xt_in_root useradd --create-home --shell /bin/bash ${g:+--groups "$g"} "$user" ||
            xt_die "cannot create the user $user in the image (useradd failed)"
    fi
    if [ -z "$have_password" ]; then
        password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
        [ ${#password} -eq 16 ] || xt_die "cannot make a random password (/dev/urandom)"
    fi
    printf '%s:%s\n' "$user" "$password" | xt_in_root chpasswd ||
        xt_die "cannot set the password of $user in the image (chpasswd failed)"
    if [ -n "$auth_key" ]; then
        home=$(awk -F: -v u="$user" '$1 == u { print $6 }' "$rootfs/etc/passwd")
        ids=$(awk -F: -v u="$user" '$1 == u { print $3 ":" $4 }' "$rootfs/etc/passwd")
        mkdir -p "$rootfs$home/.ssh" && cp "$auth_key" "$rootfs$home/.ssh/authorized_keys" &&
            chmod 0700 "$rootfs$home/.ssh" && chmod 0600 "$rootfs$home/.ssh/authorized_keys" &&
            chown -R "$ids" "$rootfs$home/.ssh" || xt_die "cannot install --auth-key $auth_key for $user"
    fi
}

xt_write_config() {
    init=/sbin/init
    [ -e "$rootfs/sbin/init" ] || [ -L "$rootfs/sbin/init" ] || init=/lib/systemd/systemd
    cat >"$config" <<EOF || xt_die "cannot write $config"
# $distro $release ($arch, $variant), systemd as init.
init = { cmd = [ "$init" ]; halt_signal = "SIGRTMIN+3"; reboot_signal = "SIGINT"; };
tty = { count = 4; };
EOF
}

# -B overlay: the cache as a layer of the store (named in XC_LAYERS_OUT for
# xc-create), and $rootfs switched to an overlay of it with the container's
# ROOTFS_DIR as the upper layer, for the configuration that follows. The
# whole template runs in a private mount namespace by then (xt_main), so
# the mount is nobody else's and goes with the template, even if it is
# killed. userxattr: whiteouts as xc's overlay backend writes them.
xt_layered_rootfs() {
    out=$("$xc_image" add-tree "$cache" --stamp "$parent/$key.layer" --base "${path%/*}" \
        --layers-out "$XC_LAYERS_OUT" 9>&-) || xt_die "cannot put the image $cache into the layer store"
    xt_say "${out%%: /*}"
    layer=$(head -n 1 "$XC_LAYERS_OUT")
    [ -d "$layer" ] || xt_die "xc-image named no layer for $cache"
    upper=$rootfs
    base_dir=$(dirname "$upper")
    ovl_work=$(mktemp -d "$base_dir/.xt-overlay-work.XXXXXX") || xt_die "cannot create a directory in $base_dir"
    merged=$(mktemp -d "$base_dir/.xt-overlay-root.XXXXXX") || xt_die "cannot create a directory in $base_dir"
    mount -t overlay overlay -o "lowerdir=$layer,upperdir=$upper,workdir=$ovl_work,userxattr" "$merged" ||
        xt_die "cannot mount an overlay of $layer under $upper"
    rootfs=$merged
}

xt_main() {
    ds_pid= build_tmp= work= log= merged= ovl_work=
    xt_parse "$@"
    xt_check_inputs
    if [ -n "$layered" ] && [ -z "${XT_PRIVATE_MOUNTS:-}" ]; then
        XT_PRIVATE_MOUNTS=1 exec unshare --mount --propagation private -- "$0" "$@"
    fi
    [ -n "$config" ] || config=/dev/stdout
    trap xt_interrupted INT TERM HUP
    trap xt_cleanup EXIT
    xt_cache
    if [ -n "$layered" ]; then
        xt_layered_rootfs
    else
        cp -a --reflink=auto "$cache/." "$rootfs/" 2>"$parent/.$key.cp-error.$$" || {
            err=$(tail -n 1 "$parent/.$key.cp-error.$$")
            rm -f "$parent/.$key.cp-error.$$"
            xt_die "cannot copy the image $cache into $rootfs: ${err#cp: }"
        }
        rm -f "$parent/.$key.cp-error.$$"
    fi
    xt_setup_identity || xt_die "cannot set up the host name, time zone and locale in $rootfs"
    xt_setup_systemd || xt_die "cannot set up systemd's units in $rootfs"
    xt_setup_login
    xt_write_config
    xt_unmount_layered
    if [ -n "$have_password" ]; then
        xt_say "$name: log in as '$user' with the password given"
    else
        xt_say "$name: log in as '$user' with the password '$password' (shown only this once)"
    fi
}
