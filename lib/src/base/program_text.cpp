#include "base/program_text.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

// Defined by the link: the end of the serving code (cmake/hot-text.ld) and
// of the text (the default script's etext). Weak: absent, they are null.
extern "C" {
extern const char __xc_text_serving_end[] __attribute__((weak));
extern const char etext[] __attribute__((weak));
}

namespace xc {

size_t releaseStartupText() {
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto up = [page](const char* p) { return (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1); };
    if (!__xc_text_serving_end || !etext) return 0;
    // etext's page is the text segment's last: the read-only data that
    // follows is mapped from the next page on.
    uintptr_t from = up(__xc_text_serving_end), to = up(etext);
    if (to <= from || ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED) < 0) return 0;
    return to - from;
}

}  // namespace xc
