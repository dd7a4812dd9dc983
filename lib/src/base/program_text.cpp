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

namespace {

// The droppable mappings of the running program among `maps`.
Result<std::vector<ProgramMapping>> textOf(const std::vector<ProgramMapping>& maps) {
    struct stat self;
    if (::stat("/proc/self/exe", &self) < 0) return Error::sys("stat /proc/self/exe");
    std::vector<ProgramMapping> text;
    for (const auto& m : maps)
        if (droppableText(m, major(self.st_dev), minor(self.st_dev), self.st_ino)) text.push_back(m);
    return text;
}

}  // namespace

Result<std::vector<ProgramMapping>> programText() {
    XC_ASSIGN(std::string smaps, readFile("/proc/self/smaps"));
    return textOf(parseSmaps(smaps));
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
    // Read afresh each time (a debugger's breakpoint makes a text page a
    // written copy, which must stay), and all reading first: what runs after
    // the drop is mapped in again.
    const unsigned long page = static_cast<unsigned long>(::sysconf(_SC_PAGESIZE));
    char here = 0;
    const unsigned long sp = reinterpret_cast<unsigned long>(&here);
    unsigned long stackLow = 0;
    std::vector<ProgramMapping> text;
    {
        XC_ASSIGN(std::string smaps, readFile("/proc/self/smaps"));
        auto maps = parseSmaps(smaps);
        for (const auto& m : maps)
            if (m.start <= sp && sp < m.end && m.inode == 0) stackLow = m.start;
        XC_ASSIGN(text, textOf(maps));
    }
    ::malloc_trim(0);  // the heap's free pages, of the last burst and of reading smaps
    for (const auto& m : text) XC_TRY(dropPages(m.start, m.end, "the program text"));
    // The stack that start-up's deep calls used, below this frame (two pages
    // of margin: nothing below the stack pointer is live, as no signal
    // handler runs on this stack).
    if (stackLow != 0) XC_TRY(dropPages(stackLow, (sp & ~(page - 1)) - 2 * page, "the unused stack"));
    return {};
}

}  // namespace xc
