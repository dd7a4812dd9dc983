#include "base/program_text.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/fsutil.hpp"

namespace xc {

std::vector<ProgramMapping> parseSmaps(const std::string& smaps) {
    std::vector<ProgramMapping> out;
    std::istringstream in(smaps);
    std::string line;
    while (std::getline(in, line)) {
        ProgramMapping m;
        char perms[5] = {};
        unsigned long offset = 0;
        // "00401000-00753000 r-xp 00001000 fe:00 5309268   /path"
        if (std::sscanf(line.c_str(), "%lx-%lx %4s %lx %lx:%lx %lu", &m.start, &m.end, perms, &offset, &m.devMajor,
                        &m.devMinor, &m.inode) == 7) {
            m.writable = perms[1] == 'w';
            m.shared = perms[3] == 's';
            out.push_back(m);
            continue;
        }
        size_t kb = 0;
        if (out.empty()) continue;
        if (std::sscanf(line.c_str(), "Anonymous: %zu kB", &kb) == 1) out.back().anonymousKb = kb;
        if (std::sscanf(line.c_str(), "Rss: %zu kB", &kb) == 1) out.back().rssKb = kb;
    }
    return out;
}

bool droppableText(const ProgramMapping& m, unsigned long devMajor, unsigned long devMinor, unsigned long inode) {
    return m.inode == inode && m.devMajor == devMajor && m.devMinor == devMinor && !m.writable && !m.shared &&
           m.anonymousKb == 0 && m.end > m.start;
}

Result<std::vector<ProgramMapping>> programText() {
    struct stat self;
    if (::stat("/proc/self/exe", &self) < 0) return Error::sys("stat /proc/self/exe");
    XC_ASSIGN(std::string smaps, readFile("/proc/self/smaps"));
    std::vector<ProgramMapping> text;
    for (const auto& m : parseSmaps(smaps))
        if (droppableText(m, major(self.st_dev), minor(self.st_dev), self.st_ino)) text.push_back(m);
    return text;
}

namespace {

Status dropPages(unsigned long start, unsigned long end, const char* what) {
    if (end > start && ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) < 0)
        return Error::sys(std::string("drop the pages of ") + what);
    return {};
}

}  // namespace

Result<size_t> dropProgramTextPages() {
    XC_ASSIGN(auto text, programText());
    size_t dropped = 0;
    for (const auto& m : text) {
        XC_TRY(dropPages(m.start, m.end, "the program text"));
        dropped += m.end - m.start;
    }
    return dropped;
}

int IdleTextRelease::timeoutMs(int other) const {
    if (!mapped_) return other;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(last_ + idle_ - std::chrono::steady_clock::now());
    int ms = static_cast<int>(std::max<long long>(left.count() + 1, 0));  // +1: wake after it is due, not just before
    return other < 0 ? ms : std::min(ms, other);
}

Status IdleTextRelease::maybeRelease() {
    if (!mapped_ || std::chrono::steady_clock::now() < last_ + idle_) return {};
    mapped_ = false;
    // Read once: the mappings of a running program's text do not change.
    // (All reading first: code run after the drop is mapped in again.)
    if (!text_) {
        XC_ASSIGN(text_, programText());
        stackLow_ = stackStart();
    }
    const unsigned long page = static_cast<unsigned long>(::sysconf(_SC_PAGESIZE));
    ::malloc_trim(0);  // the heap's free pages, of the last burst and of reading smaps
    for (const auto& m : *text_) XC_TRY(dropPages(m.start, m.end, "the program text"));
    // The stack that start-up's deep calls used, below this frame (two pages
    // of margin: nothing below the stack pointer is live, as no signal
    // handler runs on this stack).
    char here = 0;
    unsigned long below = (reinterpret_cast<unsigned long>(&here) & ~(page - 1)) - 2 * page;
    if (stackLow_ != 0) XC_TRY(dropPages(stackLow_, below, "the unused stack"));
    return {};
}

unsigned long IdleTextRelease::stackStart() {
    auto maps = readFile("/proc/self/maps");
    if (!maps) return 0;
    char here = 0;
    unsigned long sp = reinterpret_cast<unsigned long>(&here);
    for (const auto& m : parseSmaps(*maps))
        if (m.start <= sp && sp < m.end && m.inode == 0) return m.start;
    return 0;
}

}  // namespace xc
