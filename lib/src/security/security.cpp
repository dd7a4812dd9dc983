#include "security/security.hpp"

#include <linux/capability.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/fsutil.hpp"
#include "base/number.hpp"
#include "security/profiles.hpp"

namespace xc {

int capabilityFromName(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
    cap_value_t v;
    if (cap_from_name(n.c_str(), &v) < 0) return -1;
    return static_cast<int>(v);
}

namespace {

// The lines of a profile text without comments and blank lines, each with
// its line number.
std::vector<std::pair<int, std::string>> profileLines(const std::string& text) {
    std::vector<std::pair<int, std::string>> out;
    std::istringstream in(text);
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        line = trim(line.substr(0, line.find('#')));
        if (!line.empty()) out.emplace_back(lineNo, line);
    }
    return out;
}

}  // namespace

// share/security/capabilities.default: the reasons are there.
const std::vector<std::string>& capsNeverNeeded() {
    static const std::vector<std::string> caps = [] {
        std::vector<std::string> out;
        for (const auto& [lineNo, line] : profileLines(kDefaultDroppedCaps)) out.push_back(line);
        return out;
    }();
    return caps;
}

int capabilityCount() { return static_cast<int>(cap_max_bits()); }

std::string capabilityName(int cap) {
    char* name = cap_to_name(static_cast<cap_value_t>(cap));
    std::string shown = name ? name : std::to_string(cap);
    cap_free(name);
    return shown;
}

Result<std::vector<int>> capabilitiesToDrop(const SecuritySettings& s) {
    int last = capabilityCount() - 1;
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
    std::vector<int> out;
    for (int c = 0; c <= last; ++c)
        if (drop[static_cast<size_t>(c)]) out.push_back(c);
    return out;
}

Status dropBoundingCapabilities(const std::vector<int>& caps) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return Error::sys("clear ambient capabilities");
    for (int c : caps)
        if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return Error::sys("drop capability " + capabilityName(c) + " from the bounding set");
    return {};
}

Status dropCapabilities(const SecuritySettings& s) {
    XC_ASSIGN(std::vector<int> caps, capabilitiesToDrop(s));
    return dropBoundingCapabilities(caps);
}

Result<std::vector<SeccompRule>> parseSeccompProfile(const std::string& text, const std::string& shown) {
    std::vector<SeccompRule> rules;
    for (const auto& [lineNo, line] : profileLines(text)) {
        std::istringstream words(line);
        SeccompRule r;
        std::string errText, extra;
        words >> r.syscall >> errText >> extra;
        const std::string at = shown + ":" + std::to_string(lineNo) + ": ";
        if (!extra.empty()) return Error::msg(at + "one SYSCALL [ERRNO] per line, found '" + line + "'", EINVAL);
        if (!errText.empty()) {
            r.errnum = parseInt(errText).value_or(-1);
            if (r.errnum < 1 || r.errnum > 4095) return Error::msg(at + "bad errno '" + errText + "'", EINVAL);
        }
        if (seccomp_syscall_resolve_name(r.syscall.c_str()) == __NR_SCMP_ERROR)
            return Error::msg(at + "unknown syscall '" + r.syscall + "'", EINVAL);
        rules.push_back(r);
    }
    return rules;
}

Result<std::vector<SeccompRule>> seccompRules(const std::string& profile) {
    if (profile == "none") return std::vector<SeccompRule>{};
    // share/security/seccomp.default, built in: each rule's reason is there.
    if (profile == "default" || profile.empty()) return parseSeccompProfile(kDefaultSeccompProfile, "the default seccomp profile");
    XC_ASSIGN(std::string text, readRegularFile(profile, 1 << 20));
    return parseSeccompProfile(text, profile);
}

}  // namespace xc
