#include "base/program_text.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

// Defined by the link: the end of the serving code (cmake/hot-text.ld) and
// of the text (the default script's etext). Weak: absent, they are null.
extern "C" {
extern const char __xc_text_serving_end[] __attribute__((weak));
extern const char etext[] __attribute__((weak));
}

namespace xc {

namespace {

uintptr_t pageSize() { return static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)); }
uintptr_t pageUp(uintptr_t a) { return (a + pageSize() - 1) & ~(pageSize() - 1); }

size_t drop(uintptr_t from, uintptr_t to) {
    if (to <= from || ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED) < 0) return 0;
    return to - from;
}

struct Mapping {
    uintptr_t from = 0, to = 0;
    char perms[5] = {};
};

// The read-only data segment that follows the text (it starts on the page
// after etext) and the stack that `here` is on, from /proc/self/maps.
// Read with plain system calls: nothing here may need the heap it frees.
void findSegments(uintptr_t afterText, uintptr_t here, Mapping& rodata, Mapping& stack) {
    int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[8192];
    size_t len = 0;
    for (ssize_t n; len < sizeof buf - 1 && (n = ::read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
        len += static_cast<size_t>(n);
    ::close(fd);
    buf[len] = '\0';
    for (char* line = buf; line && *line; line = std::strchr(line, '\n') ? std::strchr(line, '\n') + 1 : nullptr) {
        Mapping m;
        unsigned long from = 0, to = 0;
        if (std::sscanf(line, "%lx-%lx %4s", &from, &to, m.perms) != 3) continue;
        m.from = from;
        m.to = to;
        if (m.from == afterText && std::strcmp(m.perms, "r--p") == 0) rodata = m;
        if (m.from <= here && here < m.to && std::strcmp(m.perms, "rw-p") == 0) stack = m;
    }
}

}  // namespace

size_t releaseStartupPages() {
    if (!__xc_text_serving_end || !etext) return 0;
    const uintptr_t textEnd = pageUp(reinterpret_cast<uintptr_t>(etext));
    volatile char here = 0;
    const auto sp = reinterpret_cast<uintptr_t>(&here);
    // Everything this reads and runs before the drops: what runs after them
    // is this function and madvise, which the link puts with the serving code.
    Mapping rodata, stack;
    findSegments(textEnd, sp, rodata, stack);
    // The text past the serving code; etext's page is the text segment's last.
    size_t dropped = drop(pageUp(reinterpret_cast<uintptr_t>(__xc_text_serving_end)), textEnd);
    // The read-only data start-up read (config schema, messages, unwind
    // tables): clean file pages, back from the page cache when used.
    dropped += drop(rodata.from, rodata.to);
    // The stack start-up's deep calls used, below this frame: nothing below
    // the stack pointer is live (two pages of margin for this call's own
    // frames; no signal handler runs on this stack, signals come by signalfd).
    const uintptr_t below = (sp & ~(pageSize() - 1)) - 2 * pageSize();
    if (stack.from != 0 && below > stack.from) dropped += drop(stack.from, below);
    return dropped;
}

}  // namespace xc
