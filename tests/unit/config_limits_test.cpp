// Values the kernel or a one-line error cannot take: an environment string
// beyond execve's per-string limit or an environment beyond its total, and
// the echo of a huge value in an error (cut to 64 bytes).
#include <gtest/gtest.h>

#include <string>

#include "xc/config.hpp"

using namespace xc;

namespace {

const std::string kHead = "name = \"c1\";\nrootfs = { path = \"/var/lib/xc/c1/rootfs\"; };\n";

std::string errorOf(const std::string& snippet) {
    auto r = parseConfig(kHead + snippet, "test.conf");
    if (r) return "(no error)";
    EXPECT_EQ(r.error().code(), EINVAL) << r.error().message();
    return r.error().message();
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string envList(const std::vector<std::string>& vars) {
    std::string s = "environment = [ ";
    for (size_t i = 0; i < vars.size(); ++i) s += (i ? ", \"" : "\"") + vars[i] + "\"";
    return s + " ];\n";
}

}  // namespace

TEST(ConfigLimits, EnvironmentStringLongerThanMaxArgStrlenIsRefused) {
    // 131072 bytes with the NUL is the most execve takes (MAX_ARG_STRLEN).
    std::string fits = "BIG=" + std::string(131071 - 4, 'x');
    auto ok = parseConfig(kHead + envList({fits}), "test.conf");
    ASSERT_TRUE(ok) << ok.error().message();

    std::string msg = errorOf(envList({"BIG=" + std::string(131072 - 4, 'x')}));
    EXPECT_EQ(msg.rfind("test.conf:3: environment: ", 0), 0u) << msg.substr(0, 200);
    EXPECT_TRUE(contains(msg, "MAX_ARG_STRLEN")) << msg.substr(0, 200);
    EXPECT_TRUE(contains(msg, "(131072 bytes)")) << msg.substr(0, 200);
    EXPECT_LT(msg.size(), 300u) << "the 128 KiB value is echoed whole";

    msg = errorOf(envList({"A=1", "HUGE=" + std::string(5 << 20, 'y')}));
    EXPECT_TRUE(contains(msg, "MAX_ARG_STRLEN")) << msg.substr(0, 200);
    EXPECT_LT(msg.size(), 300u);
}

TEST(ConfigLimits, EnvironmentLargerThanExecveTakesIsRefused) {
    std::vector<std::string> vars;
    for (int i = 0; i < 20; ++i) vars.push_back("V" + std::to_string(i) + "=" + std::string(120000, 'z'));
    std::string msg = errorOf(envList(vars));
    EXPECT_EQ(msg.rfind("test.conf:3: environment: ", 0), 0u) << msg.substr(0, 200);
    EXPECT_TRUE(contains(msg, "20 strings of")) << msg.substr(0, 300);
    EXPECT_TRUE(contains(msg, "more than the kernel takes")) << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 300u);
    vars.resize(10);  // 1.2 MB: fine
    auto ok = parseConfig(kHead + envList(vars), "test.conf");
    EXPECT_TRUE(ok) << ok.error().message().substr(0, 200);
}

TEST(ConfigLimits, HugeValuesAreCutInErrors) {
    std::string host(10240, 'h');
    host += "!";
    std::string msg = errorOf("uts = { hostname = \"" + host + "\"; };\n");
    EXPECT_EQ(msg.rfind("test.conf:3: uts.hostname: invalid hostname '" + std::string(64, 'h') + "\u2026' (10241 bytes)", 0),
              0u)
        << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 250u);
    // Other echoes go through the same cut.
    msg = errorOf("init = { halt_signal = \"" + std::string(5000, 'S') + "\"; };\n");
    EXPECT_TRUE(contains(msg, "(5000 bytes)")) << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 250u);
    msg = errorOf("environment = [ \"" + std::string(3000, 'N') + "\" ];\n");
    EXPECT_TRUE(contains(msg, "(3000 bytes) is not VAR=VALUE")) << msg.substr(0, 300);
    // A short value is shown whole, as before; a control character is escaped.
    EXPECT_TRUE(contains(errorOf("uts = { hostname = \"a b\"; };\n"), "invalid hostname 'a b': only letters"));
    EXPECT_TRUE(contains(errorOf("uts = { hostname = \"a\\tb\"; };\n"), "invalid hostname 'a\\x09b'"));
    // A multi-byte character is never cut in half.
    std::string wide;
    for (int i = 0; i < 40; ++i) wide += "\u00e9";  // 2 bytes each
    msg = errorOf("uts = { hostname = \"" + wide + "\"; };\n");
    EXPECT_TRUE(contains(msg, "'" + wide.substr(0, 64) + "\u2026' (80 bytes)")) << msg;
}
