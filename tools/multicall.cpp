// xc-tools: every xc tool but xc-image in one static binary. The tools
// (xc-ls, xc-start, ...) are links to it, and it runs the one its name
// says; `xc-tools TOOL ARGS...` runs TOOL as well. Why one static binary:
// a dynamically linked tool spent more time in the loader (relocating
// libstdc++ and libxc, a dozen libraries mapped) than in its own work, and
// every tool was a copy of its own pages; see CMakeLists.txt.
#include <cstdio>
#include <cstring>

#define XC_TOOL(name, function) int function(int argc, char** argv);
#include "tool_list.inc"
#undef XC_TOOL

namespace {

struct ToolEntry {
    const char* name;
    int (*main)(int, char**);
};

constexpr ToolEntry kTools[] = {
#define XC_TOOL(name, function) {name, function},
#include "tool_list.inc"
#undef XC_TOOL
};

const ToolEntry* findTool(const char* path) {
    const char* slash = std::strrchr(path, '/');
    const char* name = slash ? slash + 1 : path;
    for (const ToolEntry& t : kTools)
        if (std::strcmp(t.name, name) == 0) return &t;
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 1) return 2;
    if (const ToolEntry* t = findTool(argv[0])) return t->main(argc, argv);
    if (argc > 1)
        if (const ToolEntry* t = findTool(argv[1])) return t->main(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "xc-tools: run it as one of the xc tools (through a link named after the tool) or as\n"
                 "'xc-tools TOOL [ARGS...]'; '%s' is none of them. The tools:\n",
                 argc > 1 ? argv[1] : argv[0]);
    for (const ToolEntry& t : kTools) std::fprintf(stderr, "  %s\n", t.name);
    return 2;
}
