// What the host kernel offers a container manager, found by probing:
// namespaces, the syscalls xc uses, the cgroup layout and controllers,
// filesystems, veth/bridge/macvlan links, security features and the host
// programs templates and networking rely on. Used by xc-checkconfig.
//
// Every probe is real and harmless: syscalls are called in ways that change
// nothing (fsopen of a tmpfs that is never mounted, a no-op mount_setattr,
// a clone3 child that exits at once), links are created inside a network
// namespace of a short-lived child so that nothing is left on the host.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace xc {

struct ProbeItem {
    enum class Status {
        Ok,       // present and usable
        Missing,  // absent (fix says how to get it)
        Warn,     // present with a caveat, or could not be verified
        Info,     // a fact about the host, neither good nor bad
    };
    std::string section;  // "Namespaces", "Syscalls", "Cgroups", ...
    std::string name;     // "pid", "clone3", "memory", ...
    Status status = Status::Info;
    std::string detail;   // what was found, or why it is missing
    std::string fix;      // how to get it (package, sysctl, kernel option); may be empty
    bool required = false;  // xc cannot run privileged containers without it
};

// "ok", "missing", "warn", "info" (the JSON form).
const char* probeStatusName(ProbeItem::Status s);

// Probes this host. Never fails as a whole: a probe that cannot run is an
// item with status Warn and the reason in its detail. Sections, in order:
// Kernel, Namespaces, Syscalls, Cgroups, Filesystems, Network, Security, Tools.
std::vector<ProbeItem> probeHost();

// Required items that are not Ok (what makes xc-checkconfig exit 1).
size_t countRequiredMissing(const std::vector<ProbeItem>& items);

// Human-readable report, grouped by section in the order the items come:
//   --- Namespaces ---
//     pid:     enabled
//     time:    missing (rebuild ...)
//       -> fix: ...
// Status words: enabled (Ok), missing (Missing), warning (Warn); an Info
// item shows its detail only. With `color`, ANSI colours: green enabled,
// red missing of a required item, yellow warnings and optional missing items.
// Ends with a summary line: "N required features missing" (with "(M of
// them unverified)" when some required items could only be warned about,
// e.g. probes that need root) or "All required features are available".
std::string formatProbeItems(const std::vector<ProbeItem>& items, bool color);

// A JSON string literal (with the quotes): ", \ and control characters
// escaped, invalid UTF-8 bytes replaced by U+FFFD.
std::string jsonString(const std::string& s);
// A JSON array of objects {"section","name","status","required","detail","fix"}.
std::string probeItemsJson(const std::vector<ProbeItem>& items);

}  // namespace xc
