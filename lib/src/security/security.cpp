#include "security/security.hpp"

#include <linux/capability.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>

#include "base/fsutil.hpp"
#include "base/number.hpp"

namespace xc {

int capabilityFromName(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
    cap_value_t v;
    if (cap_from_name(n.c_str(), &v) < 0) return -1;
    return static_cast<int>(v);
}

// Capabilities no container needs, dropped whatever cap_drop says (unless
// named in cap_keep): they reach the host's kernel modules, raw I/O and
// /dev/mem, its kernel log, its clock and wake alarms, and MAC policy.
// CAP_SYS_BOOT stays: in a PID namespace reboot(2) only ends the
// container's init, which the supervisor turns into a stop or a reboot.
const std::vector<std::string>& capsNeverNeeded() {
    static const std::vector<std::string> caps = {"sys_module", "sys_rawio", "syslog",      "sys_time",
                                                  "wake_alarm", "mac_admin", "mac_override"};
    return caps;
}

Status dropCapabilities(const SecuritySettings& s) {
    int last = static_cast<int>(cap_max_bits()) - 1;
    std::vector<bool> drop(static_cast<size_t>(last + 1), !s.capKeep.empty());
    if (s.capKeep.empty())
        for (const auto& name : capsNeverNeeded()) {
            int c = capabilityFromName(name);
            if (c >= 0 && c <= last) drop[static_cast<size_t>(c)] = true;
        }
    for (const auto& name : s.capKeep) {
        int c = capabilityFromName(name);
        if (c < 0) return Error::msg("unknown capability '" + name + "' in security.cap_keep", EINVAL);
        if (c <= last) drop[static_cast<size_t>(c)] = false;
    }
    for (const auto& name : s.capDrop) {
        int c = capabilityFromName(name);
        if (c < 0) return Error::msg("unknown capability '" + name + "' in security.cap_drop", EINVAL);
        if (c <= last) drop[static_cast<size_t>(c)] = true;
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return Error::sys("clear ambient capabilities");
    for (int c = 0; c <= last; ++c) {
        if (!drop[static_cast<size_t>(c)]) continue;
        if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
            char* name = cap_to_name(static_cast<cap_value_t>(c));
            std::string shown = name ? name : std::to_string(c);
            cap_free(name);
            return Error::sys("drop capability " + shown + " from the bounding set");
        }
    }
    return {};
}

// Syscalls a privileged container must not make: they reach the host's
// kernel (modules, kexec), its raw hardware, or its filesystems by handle.
static const char* const kDefaultDeny[] = {
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "iopl", "ioperm", "swapon", "swapoff", "syslog", "acct",
    "lookup_dcookie", "bpf", "perf_event_open", "quotactl", "nfsservctl", "uselib",
    "create_module", "get_kernel_syms", "query_module", "vm86", "vm86old",
    // userfaultfd stalls kernel page faults at will: the building block of
    // most use-after-free exploit races. No init or service needs it.
    "userfaultfd",
};

Result<std::vector<SeccompRule>> seccompRules(const std::string& profile) {
    std::vector<SeccompRule> rules;
    if (profile == "none") return rules;
    if (profile == "default" || profile.empty()) {
        for (const char* s : kDefaultDeny) rules.push_back({s, 1});
        // Keyrings are not namespaced: keep the container out of them.
        for (const char* s : {"keyctl", "add_key", "request_key"}) rules.push_back({s, ENOSYS});
        return rules;
    }
    XC_ASSIGN(std::string text, readRegularFile(profile, 1 << 20));
    std::istringstream in(text);
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        std::istringstream words(line);
        SeccompRule r;
        std::string errText;
        words >> r.syscall >> errText;
        if (!errText.empty()) {
            r.errnum = parseInt(errText).value_or(-1);
            if (r.errnum < 1 || r.errnum > 4095)
                return Error::msg(profile + ":" + std::to_string(lineNo) + ": bad errno '" + errText + "'", EINVAL);
        }
        if (seccomp_syscall_resolve_name(r.syscall.c_str()) == __NR_SCMP_ERROR)
            return Error::msg(profile + ":" + std::to_string(lineNo) + ": unknown syscall '" + r.syscall + "'", EINVAL);
        rules.push_back(r);
    }
    return rules;
}

Status loadSeccomp(const std::vector<SeccompRule>& rules) {
    if (rules.empty()) return {};
    std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
    if (!ctx) return Error::msg("initialise seccomp filter", ENOMEM);
    // Apply the rules to the 32-bit ABIs too, so int 0x80 is no way around.
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
        int rc = seccomp_arch_add(ctx.get(), arch);
        if (rc < 0 && rc != -EEXIST && rc != -EINVAL) return Error::sys(-rc, "add seccomp architecture");
    }
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) < 0) return Error::msg("configure seccomp filter", EINVAL);
    for (const auto& r : rules) {
        int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
        if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
        int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(static_cast<uint32_t>(r.errnum)), nr, 0);
        if (rc < 0 && rc != -EDOM) return Error::sys(-rc, "add seccomp rule for " + r.syscall);
    }
    int rc = seccomp_load(ctx.get());
    if (rc < 0) return Error::sys(-rc, "load seccomp filter");
    return {};
}

}  // namespace xc
