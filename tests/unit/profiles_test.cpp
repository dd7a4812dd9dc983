// share/security's default profiles: the one table of what every
// container is refused and why, built into libxc as it is in the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "security/security.hpp"

using namespace xc;

namespace {

const std::string kShare = XC_SOURCE_DIR "/share/security/";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Entry lines (not blank, not only a comment).
std::vector<std::string> entries(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        out.push_back(line);
    }
    return out;
}

}  // namespace

TEST(Profiles, EveryEntryOfTheSharedFilesSaysWhy) {
    for (const char* f : {"seccomp.default", "capabilities.default"}) {
        auto lines = entries(slurp(kShare + f));
        EXPECT_FALSE(lines.empty()) << f;
        for (const auto& l : lines) {
            size_t hash = l.find('#');
            ASSERT_NE(hash, std::string::npos) << f << ": no reason on '" << l << "'";
            EXPECT_GT(l.size() - hash, 8u) << f << ": a reason of a word or two on '" << l << "'";
        }
    }
}

TEST(Profiles, TheBuiltInDefaultIsTheSharedFile) {
    auto builtIn = seccompRules("default");
    ASSERT_TRUE(builtIn.ok()) << builtIn.error().message();
    auto fromFile = seccompRules(kShare + "seccomp.default");  // usable as a profile of one's own
    ASSERT_TRUE(fromFile.ok()) << fromFile.error().message();
    ASSERT_EQ(builtIn->size(), fromFile->size());
    EXPECT_EQ(builtIn->size(), entries(slurp(kShare + "seccomp.default")).size());
    auto find = [&](const std::string& name) {
        return std::find_if(builtIn->begin(), builtIn->end(), [&](const SeccompRule& r) { return r.syscall == name; });
    };
    for (const char* s : {"userfaultfd", "bpf", "open_by_handle_at", "kexec_load", "init_module"}) {
        ASSERT_NE(find(s), builtIn->end()) << s;
        EXPECT_EQ(find(s)->errnum, 1) << s;
    }
    ASSERT_NE(find("keyctl"), builtIn->end());
    EXPECT_EQ(find("keyctl")->errnum, ENOSYS);
    EXPECT_EQ(capsNeverNeeded(), (std::vector<std::string>{"sys_module", "sys_rawio", "syslog", "sys_time",
                                                           "wake_alarm", "mac_admin", "mac_override"}));
    EXPECT_TRUE(seccompRules("none")->empty());
}

TEST(Profiles, ABadLineIsNamedWithItsNumber) {
    auto three = parseSeccompProfile("bpf\n# c\nkeyctl 38 extra\n", "my.seccomp");
    ASSERT_FALSE(three.ok());
    EXPECT_NE(three.error().message().find("my.seccomp:3: one SYSCALL [ERRNO] per line"), std::string::npos)
        << three.error().message();
    auto unknown = parseSeccompProfile("nosuchcall\n", "my.seccomp");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message().find("my.seccomp:1: unknown syscall 'nosuchcall'"), std::string::npos);
    auto badErrno = parseSeccompProfile("bpf 0\n", "my.seccomp");
    EXPECT_FALSE(badErrno.ok());
}
