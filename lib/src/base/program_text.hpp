// A long-lived process of ours (the supervisor idles for the container's
// life) gives back the page-table entries of the program text that its
// start-up touched: the pages stay in the page cache, shared with every
// other process of the same binary, and come back on the next use as minor
// faults. Its proportional share of the text (PSS) falls to what it runs
// again, and idle supervisors no longer pin the text against reclaim.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc {

struct ProgramMapping {
    unsigned long start = 0, end = 0;
    bool writable = false, shared = false;
    unsigned long devMajor = 0, devMinor = 0, inode = 0;
    size_t rssKb = 0;        // resident
    size_t anonymousKb = 0;  // pages of the mapping that are private copies (written, or relocated)
};

// The mappings of /proc/self/smaps-format text.
std::vector<ProgramMapping> parseSmaps(const std::string& smaps);

// Whether dropping the mapping's page-table entries loses nothing: a private,
// read-only mapping of the file (dev, inode) with no private copies (a RELRO
// page written before it was made read-only is one: dropping it would bring
// back the file's unrelocated bytes).
bool droppableText(const ProgramMapping& m, unsigned long devMajor, unsigned long devMinor, unsigned long inode);

// The droppable mappings of the running executable.
Result<std::vector<ProgramMapping>> programText();

// Drops the droppable mappings of the running executable (MADV_DONTNEED);
// returns how many bytes of address space were dropped.
Result<size_t> dropProgramTextPages();

// Drops the program text (as dropProgramTextPages), the stack below the
// caller's frame and the heap's free pages once the process has done
// nothing for `idle`: work in bursts (a request, console output) pays
// for its code's minor faults once per burst, and an idle process keeps
// only what its next burst faults back in.
class IdleTextRelease {
public:
    explicit IdleTextRelease(std::chrono::milliseconds idle) : idle_(idle) {}
    // Work was done: the text it ran is mapped again.
    void touched() {
        mapped_ = true;
        last_ = std::chrono::steady_clock::now();
    }
    // A poll/epoll timeout that wakes the process when the text is due to go
    // (-1: nothing to drop), never longer than `other` (-1: none).
    int timeoutMs(int other) const;
    // After a wait that timed out: drops the text if it is due.
    Status maybeRelease();

private:
    std::chrono::milliseconds idle_;
    std::chrono::steady_clock::time_point last_{};
    bool mapped_ = false;
};

}  // namespace xc
