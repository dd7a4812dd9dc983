#!/bin/sh
# Writes the bash completion of the xc tools: the script SOURCE (configured)
# with its line "# <option and key lists>" replaced by the lists it
# completes from, taken from what was built, so that they cannot drift:
#   - each tool's options, from the option lines of its --help (CLI11's
#     "Options:" block, "  -t,--timeout INT  ..."; a word after the names:
#     it takes a value);
#   - the config schema's keys and the cgroup vocabulary, from the key
#     table the parser walks (xc-gen-keydoc --keys, --cgroup-keys).
#
# Usage: gen-completion.sh SOURCE OUTPUT TOOL_DIR GEN_KEYDOC TOOL...
set -eu
src=$1 out=$2 tool_dir=$3 gen=$4
shift 4
marker='# <option and key lists>'
grep -qxF "$marker" "$src" || { echo "gen-completion: $src: no line '$marker'" >&2; exit 1; }

lists() {
    echo "# Generated at build time by gen-completion.sh from the tools' --help and the config schema."
    echo "_xc_tools='$*'"
    echo "declare -gA _xc_opts=() _xc_argopts=()"
    for tool in "$@"; do
        help=$("$tool_dir/$tool" --help) || { echo "gen-completion: $tool --help failed" >&2; exit 1; }
        # Only the option blocks ("Options:" to the blank line after it),
        # not the DESCRIPTION or EXAMPLES text below.
        block=$(printf '%s\n' "$help" | sed -n '/^[^ ].*:$/,/^$/p')
        opts=$(printf '%s\n' "$block" | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' ' ' | tr '\n' ' ')
        args=$(printf '%s\n' "$block" | sed -n 's/^  \(-[^ ]*\) [^ ].*/\1/p' | tr ',' ' ' | tr '\n' ' ')
        [ -n "$opts" ] || { echo "gen-completion: $tool --help lists no option" >&2; exit 1; }
        echo "_xc_opts[$tool]='${opts% }'"
        echo "_xc_argopts[$tool]='${args% }'"
    done
    keys=$("$gen" --keys | tr '\n' ' ') && [ -n "$keys" ] || { echo "gen-completion: $gen --keys failed" >&2; exit 1; }
    cgkeys=$("$gen" --cgroup-keys | tr '\n' ' ') && [ -n "$cgkeys" ] ||
        { echo "gen-completion: $gen --cgroup-keys failed" >&2; exit 1; }
    echo "_xc_config_keys='${keys% }'"
    echo "_xc_cgroup_keys='${cgkeys% }'"
}

generated=$(lists "$@")
tmp=$out.tmp
{
    sed -n "/^$marker\$/q;p" "$src"
    printf '%s\n' "$generated"
    sed -n "/^$marker\$/,\$p" "$src" | sed 1d
} >"$tmp"
mv "$tmp" "$out"
