// What xc-checkconfig reports about the host: one item per feature
// (namespaces, syscalls, cgroups, filesystems, links, security, programs),
// each found by a probe of the module that owns the concept, plus what this
// xc does not support yet. The data only: probing is xc/hostprobe.hpp, the
// text and JSON forms belong to the tool.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace xc {

struct ProbeItem {
    enum class Status {
        Ok,           // present and usable
        Missing,      // absent (fix says how to get it)
        Warn,         // present with a caveat, or could not be verified
        Info,         // a fact about the host, neither good nor bad
        Unsupported,  // a feature this xc does not support yet: not a fault of the host
    };
    std::string section;  // "Namespaces", "Syscalls", "Cgroups", ...
    std::string name;     // "pid", "clone3", "memory", ...
    Status status = Status::Info;
    std::string detail;   // what was found, or why it is missing
    std::string fix;      // how to get it (package, sysctl, kernel option); may be empty
    bool required = false;  // xc cannot run privileged containers without it
};

// "ok", "missing", "warn", "info", "unsupported" (the JSON form).
const char* probeStatusName(ProbeItem::Status s);

// Required items that are not Ok (what makes xc-checkconfig exit 1).
size_t countRequiredMissing(const std::vector<ProbeItem>& items);
// Required items that could only be warned about (e.g. probes that need root).
size_t countRequiredUnverified(const std::vector<ProbeItem>& items);

}  // namespace xc
