// console.log and its rotation (console.log_size, console.log_count). The
// supervisor appends the console's output to FILE; before a write would
// take FILE past the size, FILE.N-1 becomes FILE.N, ..., FILE becomes
// FILE.1 (the oldest, FILE.N, is replaced) and a fresh FILE is begun, so
// the console's history is FILE.N ... FILE.1, FILE, oldest first, and no
// file is larger than the size. xc-console --show-log reads them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/log.hpp"
#include "xc/result.hpp"

namespace xc {

// The files of a rotated log, oldest first: FILE.count, ..., FILE.1, FILE.
std::vector<std::string> rotatedLogFiles(const std::string& path, unsigned count);

// How many bytes of data[0..n) still go into a file that holds `used` of
// its `limit` bytes: all if they fit, else up to the last newline that
// fits (lines stay whole in one file); with no newline in what fits,
// nothing when the file holds something (the line begins the next file),
// else as much as fits (a line longer than a whole file is cut).
size_t rotationCut(const char* data, size_t n, uint64_t used, uint64_t limit);

class ConsoleLogFile {
public:
    ConsoleLogFile() = default;
    // Opens (appends to) path, which is made if missing, never through a
    // symbolic link. limit 0: never rotated.
    static Result<ConsoleLogFile> open(const std::string& path, uint64_t limit, unsigned count);
    explicit operator bool() const { return fd_.valid(); }

    // Appends, rotating whenever the file would grow past the limit. An
    // error only when a problem begins (lines lost, a rotation failed): the
    // writing goes on, in the current file if it could not be rotated (the
    // next try after another `limit` bytes).
    Status append(const char* data, size_t n);

private:
    Status write(const char* data, size_t n);
    Status rotate();

    std::string path_;
    UniqueFd dir_;  // the directory the renames happen in
    std::string name_;
    UniqueFd fd_;
    uint64_t limit_ = 0;
    unsigned count_ = 0;
    uint64_t used_ = 0;  // bytes in the current file, as far as we wrote them
    bool rotateFailing_ = false;
    AppendWriter out_;
};

// Copies the console history kept in a rotated log to outFd, oldest file
// first. Every file is opened (newest first, no link followed) before any
// is read, and a file seen twice is read once, so a rotation meanwhile
// leaves no gap and repeats nothing. ENOENT when none of the files exists.
Status copyRotatedLog(const std::string& path, unsigned count, int outFd);

}  // namespace xc
