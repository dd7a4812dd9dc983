// One cgroup file read or written, the error naming the file and value:
// the cgroup driver's I/O (cgroup.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "xc/result.hpp"

namespace xc {

// One write to a cgroup file open at `fd` (-1: its open failed, errno says why).
Status cgWriteFd(int fd, const std::string& path, const std::string& value);
Status cgWrite(const std::string& path, const std::string& value);
// The file's text, trimmed.
Result<std::string> cgRead(const std::string& path);
Result<uint64_t> cgReadU64(const std::string& path);
// A signed v1 value such as cpu.cfs_quota_us (-1 = no limit).
Result<int64_t> cgReadI64(const std::string& path);
// "key value" lines (cgroup.events, cpu.stat): the value of key.
Result<std::string> keyedField(const std::string& path, const std::string& key);

}  // namespace xc
