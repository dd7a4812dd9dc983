// The image module's pure parts: member names, the LXC config mapping.
#include <gtest/gtest.h>

#include "image/metadata.hpp"
#include "image/unpack.hpp"

namespace {

using xc::image::mapLxcConfig;
using xc::image::memberPath;

TEST(ImageMemberPath, CleansRelativeNames) {
    EXPECT_EQ(*memberPath("./etc//passwd"), "etc/passwd");
    EXPECT_EQ(*memberPath("./"), "");
    EXPECT_EQ(*memberPath("."), "");
    EXPECT_EQ(*memberPath("usr/./bin/"), "usr/bin");
    EXPECT_EQ(*memberPath("a..b/..c"), "a..b/..c");
}

TEST(ImageMemberPath, RefusesAbsoluteAndDotDot) {
    for (const char* bad : {"/etc/passwd", "//x"}) {
        auto r = memberPath(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().message(), "an absolute path: refused");
    }
    for (const char* bad : {"..", "../x", "a/../b", "a/..", "./../x"}) {
        auto r = memberPath(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().message(), "a '..' component: refused");
    }
}

TEST(ImageLxcConfig, MapsKeysWithAnXcEquivalentAndListsTheOthers) {
    auto m = mapLxcConfig(
        "# comment\n"
        "lxc.include = LXC_TEMPLATE_CONFIG/debian.common.conf\n"
        "lxc.arch = x86_64\n"
        "lxc.init.cmd = /sbin/init --log-level=debug\n"
        "lxc.signal.halt = SIGUSR1\n"
        "lxc.signal.reboot=SIGTERM\n"
        "lxc.tty.max = 2\n"
        "lxc.environment = LANG=C.UTF-8\n"
        "lxc.start.auto = 1\n"
        "lxc.start.delay = 5\n"
        "lxc.apparmor.profile = generated\n"
        "lxc.uts.name = LXC_NAME\n");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->xcConfig,
              "init = { cmd = [ \"/sbin/init\", \"--log-level=debug\" ]; halt_signal = \"SIGUSR1\"; reboot_signal = \"SIGTERM\"; };\n"
              "tty = { count = 2; };\n"
              "start = { auto = true; delay = 5; };\n"
              "environment = [ \"LANG=C.UTF-8\" ];\n");
    std::vector<std::string> want = {
        "lxc.include = LXC_TEMPLATE_CONFIG/debian.common.conf (xc's default.conf carries the common settings)",
        "lxc.arch = x86_64 (no xc key: the image runs with the host's personality)",
        "lxc.apparmor.profile = generated (no xc equivalent)",
        "lxc.uts.name = LXC_NAME (xc-create sets uts.hostname)"};
    EXPECT_EQ(m->ignored, want);
}

TEST(ImageLxcConfig, ValuesXcWouldRefuseAreIgnoredNotMapped) {
    auto m = mapLxcConfig("lxc.signal.halt = 30\nlxc.tty.max = lots\nlxc.init.cmd = init\nlxc.environment = NOEQUALS\n");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->xcConfig, "");
    EXPECT_EQ(m->ignored.size(), 4u);
}

}  // namespace
