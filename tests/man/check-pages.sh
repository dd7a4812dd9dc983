#!/bin/sh
# The man pages as built (share/man): every page formats without a groff
# warning, every tool built has a page in man1 and every page in man1 is a
# tool built, every option of a tool's --help appears in its page, and every
# key of the config schema appears in the generated xc.container.conf(5).
# Needs no root.
#
# Usage: check-pages.sh MAN_DIR GEN_KEYDOC TOOL_DIR TOOL...
set -u
man_dir=$1 gen=$2 tool_dir=$3
shift 3
fail=0
problem() {
    echo "check-pages: $*" >&2
    fail=1
}

if ! command -v groff >/dev/null 2>&1; then
    echo "check-pages: groff is not installed (apt-get install groff-base)" >&2
    exit 1
fi

# 1. groff with every warning on, formatting for a terminal as man(1) does.
for page in "$man_dir"/man[13578]/*.[13578]; do
    [ -e "$page" ] || { problem "no pages under $man_dir"; break; }
    out=$(LC_ALL=C.UTF-8 groff -t -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$out" ] || problem "$(basename "$page"): groff warns:
$out"
    grep -q '@[A-Z_]*@' "$page" && problem "$(basename "$page"): unreplaced @VARIABLE@: $(grep -o '@[A-Z_]*@' "$page" | sort -u | tr '\n' ' ')"
done

# A page's text with roff's "\-" as "-", for looking options up.
plain() { sed 's/\\-/-/g' "$1"; }

# 2. Tools and man1 pages match; 3. every --help option is in the page.
for tool in "$@"; do
    page="$man_dir/man1/$tool.1"
    if [ ! -f "$page" ]; then
        problem "$tool is built but has no man page (share/man/man1/$tool.1.in)"
        continue
    fi
    help=$("$tool_dir/$tool" --help 2>&1) || problem "$tool --help failed"
    # Option lines of CLI11's help: "  -t,--timeout INT  ...".
    opts=$(printf '%s\n' "$help" | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n')
    text=$(plain "$page")
    for opt in $opts; do
        printf '%s\n' "$text" | grep -Eq -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" ||
            problem "$tool.1 does not describe $opt (from $tool --help)"
    done
done
for page in "$man_dir"/man1/*.1; do
    name=$(basename "$page" .1)
    found=0
    for tool in "$@"; do [ "$tool" = "$name" ] && found=1; done
    [ $found = 1 ] || problem "man1/$name.1 documents a tool that is not built"
done

# 3b. Every option of the C++ templates' --help (XC_MAN_TEMPLATES: the
# programs in TOOL_DIR) is in xc(7), which documents the templates.
xc7=$(plain "$man_dir/man7/xc.7")
for prog in ${XC_MAN_TEMPLATES:-}; do
    help=$("$tool_dir/$prog" --help 2>&1) || problem "$prog --help failed"
    opts=$(printf '%s\n' "$help" | sed -n 's/^  \(-[^ ,]*\)\(, \(-[^ ]*\)\)\{0,1\}.*/\1 \3/p')
    [ -n "$opts" ] || problem "$prog --help lists no option"
    for opt in $opts; do
        printf '%s\n' "$xc7" | grep -Eq -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" ||
            problem "xc.7 does not describe $opt (from $prog --help)"
    done
done

# 4. Every schema key in the generated page.
conf="$man_dir/man5/xc.container.conf.5"
keys=$("$gen" --keys) || problem "$gen --keys failed"
[ -n "$keys" ] || problem "$gen --keys printed no key"
conf_text=$(plain "$conf")
for key in $keys; do
    printf '%s\n' "$conf_text" | grep -Fq -- "\\fB$key\\fR" || problem "xc.container.conf.5 lacks the key $key"
done

[ $fail = 0 ] && echo "check-pages: $(ls "$man_dir"/man[13578]/*.[13578] | wc -l) pages, $# tools, $(printf '%s\n' "$keys" | wc -l) keys: ok"
exit $fail
