#!/usr/bin/env bash
# The bash completion of the tools, driven for real: the build is installed
# into a scratch root, and for each case a non-interactive bash sources
# Debian's bash-completion (/usr/share/bash-completion/bash_completion),
# lets its loader find the tool's completion file in the installed
# share/bash-completion/completions (XDG_DATA_DIRS), sets COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT as readline would, calls the
# function `complete -p TOOL` names and prints COMPREPLY. Checked: the
# options of several tools, container names of a -P base (directories with
# a config file), xc-wait's states, templates and their options, config
# keys of xc-cgroup and xc-config, backends, levels, files; that every
# installed tool has a completion offering every long option of its
# --help; and that the values offered are ones the tools accept.
# Needs no container; run as root only because the tools' log goes to
# /var/log/xc unless -o is given (the checks give -o).
#
# Usage: run.sh SOURCE_DIR BUILD_DIR GEN_KEYDOC
set -uo pipefail
src=$1 build=$2 gen=$3
fails=0 cases=0
scratch=$(mktemp -d /tmp/xc-completion-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "completion: $bc missing (apt-get install bash-completion)"; exit 1; }

DESTDIR=$scratch/root cmake --install "$build" >"$scratch/install.log" 2>&1 ||
    { cat "$scratch/install.log"; echo "completion: cmake --install failed"; exit 1; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
datadir=$(sed -n 's/^CMAKE_INSTALL_DATADIR:PATH=//p' "$build/CMakeCache.txt")
root=$scratch/root$prefix
share=$root/${datadir:-share}
compdir=$share/bash-completion/completions
[ -f "$compdir/xc" ] || { echo "completion: $compdir/xc was not installed"; exit 1; }

problem() {
    echo "completion: $*" >&2
    fails=$((fails + 1))
}

# complete LINE [VAR=VALUE...]: what bash offers for LINE (the cursor at its
# end), one per line. Words split as readline does for these lines: at
# blanks, and '=' a word of its own (COMP_WORDBREAKS).
complete_line() {
    local line=$1
    shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$scratch/home" XDG_DATA_DIRS="$share" \
        XDG_DATA_HOME="$scratch/home/.local/share" XC_SYSCONF_DIR="$scratch/etc" "$@" \
        bash --norc --noprofile -c '
        . /usr/share/bash-completion/bash_completion || exit 90
        line=$1
        words=()
        for w in $line; do
            while [[ $w == *=* ]]; do
                [[ -n ${w%%=*} ]] && words+=("${w%%=*}")
                words+=("=")
                w=${w#*=}
            done
            [[ -n $w ]] && words+=("$w")
        done
        [[ $line == *" " || $line == *"=" ]] && words+=("")
        COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
        COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
        cmd=${words[0]}
        _completion_loader "$cmd"
        spec=$(complete -p "$cmd" 2>/dev/null) || exit 91
        [[ $spec =~ -F\ ([^ ]+) ]] || exit 92
        "${BASH_REMATCH[1]}" "$cmd" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}" 2>/dev/null
        printf "%s\n" "${COMPREPLY[@]}"
    ' complete "$line"
}

# expect LINE "WORD..." [VAR=VALUE...]: every word is offered.
expect() {
    local line=$1 want=$2 got w
    shift 2
    cases=$((cases + 1))
    got=$(complete_line "$line" "$@") || { problem "'$line': the completion did not run (status $?)"; return; }
    for w in $want; do
        grep -qxF -- "$w" <<<"$got" || problem "'$line': '$w' not offered; offered: $(echo $got)"
    done
}
# exactly LINE "WORD..." [VAR=VALUE...]: these words and nothing else (any order).
exactly() {
    local line=$1 want=$2 got
    shift 2
    cases=$((cases + 1))
    got=$(complete_line "$line" "$@" | sort -u | tr '\n' ' ')
    want=$(printf '%s\n' $want | sort -u | tr '\n' ' ')
    [ "$got" = "$want" ] || problem "'$line': offered '$got', expected '$want'"
}

tools=$(cd "$root/bin" && ls xc-* 2>/dev/null)
[ -n "$tools" ] || { echo "completion: no tool installed in $root/bin"; exit 1; }
mkdir -p "$scratch/home" "$scratch/etc"

# ---- every installed tool: its file, and every long option of its --help
for tool in $tools; do
    [ -L "$compdir/$tool" ] && [ "$(readlink "$compdir/$tool")" = xc ] ||
        problem "$compdir/$tool is not a link to xc"
    help=$("$root/bin/$tool" --help 2>&1) || problem "$tool --help failed"
    # Every line of the help that begins with options (not only CLI11's
    # option block the completion's lists come from).
    longs=$(printf '%s\n' "$help" | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep -- '^--[a-z]')
    [ -n "$longs" ] || problem "$tool --help lists no long option"
    expect "$tool --" "$longs"
done

# ---- options of several tools
exactly "xc-stop --k" "--kill"
expect "xc-start -" "-F --foreground -f --rcfile -n --name -P --lxcpath -t --timeout -l -o --logfile"
exactly "xc-info --j" "--json"
expect "xc-console --" "--show-log --force --tty --escape"
expect "xc-ls --" "--running --stopped --frozen --fancy --fancy-format --json"
exactly "xc-destroy --sn" "--snapshots"

# ---- container names: directories of the base holding a config file
base=$scratch/base other=$scratch/other
for c in web db web2; do mkdir -p "$base/$c" && : >"$base/$c/config"; done
mkdir -p "$base/empty" "$base/.xc-staging-x" && : >"$base/.xc-staging-x/config" && : >"$base/plainfile"
mkdir -p "$other/far" && : >"$other/far/config"
exactly "xc-start -P $base -n " "db web web2"
exactly "xc-info -P $base -n w" "web web2"
exactly "xc-stop --lxcpath $base --name d" "db"
exactly "xc-attach --path=$base -n " "db web web2"
exactly "xc-freeze -n " "db web web2" XC_PATH="$base"
exactly "xc-freeze -P $other -n " "far" XC_PATH="$base"
printf 'path = "%s";\n' "$other" >"$scratch/etc/xc.conf"
exactly "xc-console -n " "far"
rm "$scratch/etc/xc.conf"
exactly "xc-clone -P $base -o w" "web web2"
exactly "xc-clone -P $base -o web -n " ""
exactly "xc-create -P $base -n " ""
exactly "xc-snapshot -P $base -n " "db web web2"
mkdir -p "$base/web/snaps/snap0" "$base/web/snaps/snap1"
exactly "xc-snapshot -P $base -n web -r " "snap0 snap1"

# ---- states, levels, backends, files
states="STOPPED STARTING RUNNING STOPPING ABORTING FREEZING FROZEN"
exactly "xc-wait -P $base -n web -s " "$states"
exactly "xc-wait -n web --state FR" "FREEZING FROZEN"
exactly "xc-ls -l " "TRACE DEBUG INFO NOTICE WARN ERROR FATAL"
exactly "xc-create -n x -B " "dir overlay"
exactly "xc-clone -o a -n b --backingstorage o" "overlay"
mkdir -p "$scratch/files" && : >"$scratch/files/one.conf" && : >"$scratch/files/two.conf"
exactly "xc-create -n x -f $scratch/files/" "$scratch/files/one.conf $scratch/files/two.conf"
exactly "xc-start -n web -o $scratch/files/o" "$scratch/files/one.conf"
exactly "xc-ls -f -F NAME,ST" "NAME,STATE"
exactly "xc-config -n web " "get set unset apply"

# Offered values that the tools accept: states (xc-wait fails on the
# missing container, not with a usage error), levels, backends (xc-create
# then fails on the missing template, not on the backend).
log=$scratch/tool.log
for s in $states; do
    out=$("$root/bin/xc-wait" -P "$scratch/none" -o "$log" -n nosuch -s "$s" -t 0 2>&1)
    rc=$?
    [ $rc != 2 ] && ! grep -qi 'state' <<<"$out" || problem "xc-wait -s $s refused: $out"
done
for l in TRACE DEBUG INFO NOTICE WARN ERROR FATAL; do
    "$root/bin/xc-ls" -P "$scratch/none" -o "$log" -l "$l" >/dev/null 2>&1 || problem "xc-ls -l $l refused"
done
for b in dir overlay; do
    out=$(XC_TEMPLATE_DIR=$scratch/no-templates "$root/bin/xc-create" -P "$scratch/none" -o "$log" -n c1 \
        -t nosuch -B "$b" 2>&1)
    grep -q 'backing store' <<<"$out" && problem "xc-create -B $b refused: $out"
done
out=$("$root/bin/xc-create" -P "$scratch/none" -o "$log" -n c1 -t nosuch -B bogus 2>&1)
grep -q 'backing store' <<<"$out" || problem "xc-create -B bogus was not refused for its backend: $out"
for col in NAME STATE AUTOSTART GROUPS IPV4 IPV6 PID DISK; do
    "$root/bin/xc-ls" -P "$scratch/none" -o "$log" -f -F "$col" >/dev/null 2>&1 || problem "xc-ls -F $col refused"
done

# ---- templates: executables of XC_TEMPLATE_DIR, else the installed ones
tdir=$src/templates
names=$(cd "$tdir" && for f in *; do [ -f "$f" ] && [ -x "$f" ] && echo "$f"; done)
exactly "xc-create -n x -t " "$names" XC_TEMPLATE_DIR="$tdir"
exactly "xc-create -n x -t " "busybox debian download local oci ubuntu" XC_DATA_DIR="$share/xc"
mkdir -p "$scratch/tmpl"
cat >"$scratch/tmpl/mine" <<'EOF'
#!/bin/sh
cat <<'USAGE'
Usage: mine --name NAME --rootfs ROOTFS_DIR [OPTIONS]

  -f, --flavour NAME   the flavour
  --seed-file FILE     a file to seed from
  --quiet              say less
USAGE
EOF
chmod +x "$scratch/tmpl/mine"
: >"$scratch/tmpl/README"
exactly "xc-create -n x -t " "mine" XC_TEMPLATE_DIR="$scratch/tmpl"
exactly "xc-create -n x -t mine -- " "-f --flavour --seed-file --quiet" XC_TEMPLATE_DIR="$scratch/tmpl"
exactly "xc-create -n x -t mine -- --quiet --flavour " "" XC_TEMPLATE_DIR="$scratch/tmpl"
exactly "xc-create -n x -t mine -- --seed-file $scratch/files/t" "$scratch/files/two.conf" XC_TEMPLATE_DIR="$scratch/tmpl"
exactly "xc-create -n x -t $scratch/tmpl/mine -- --q" "--quiet"
# Every option line of each real template's --help is offered after "--".
for t in $names; do
    topts=$(XC_LIBEXEC_DIR=$build "$tdir/$t" --help 2>/dev/null |
        sed -n 's/^ \{1,\}\(-[^ ,=]*\)\(, \{0,\}\(-[^ ,=]*\)\)\{0,1\}.*/\1 \3/p')
    [ -n "$topts" ] || problem "template $t: --help lists no option"
    expect "xc-create -n x -t $t -- " "$topts" XC_TEMPLATE_DIR="$tdir" XC_LIBEXEC_DIR="$build"
done
expect "xc-create -n x -t busybox -- " "--busybox --password --ttys" XC_TEMPLATE_DIR="$tdir"
exactly "xc-create -n x -t download -- --ser" "--server" XC_TEMPLATE_DIR="$tdir" XC_LIBEXEC_DIR="$build"

# ---- config keys: xc-cgroup's vocabulary, xc-config's schema keys
cgkeys=$("$gen" --cgroup-keys)
exactly "xc-cgroup -P $base -n web " "$cgkeys"
expect "xc-cgroup -n web " "memory.max memory.swap.max cpu.max cpu.weight pids.max cpuset.cpus memory.current"
exactly "xc-cgroup -n web memory.m" "memory.max"
keys=$("$gen" --keys | sed 's/\[\]/0/g')
exactly "xc-config -n web get " "$keys"
exactly "xc-config -n web set cgroup.memory." "cgroup.memory.max cgroup.memory.high cgroup.memory.swap_max"
expect "xc-config -n web set network.2." "network.2.type network.2.link network.2.ipv4"
expect "xc-config -n web unset console." "console.log console.log_size console.log_count console.buffer_size"

echo "completion: $cases cases, $(echo $tools | wc -w) tools: $([ $fails = 0 ] && echo ok || echo "$fails problems")"
[ $fails = 0 ]
