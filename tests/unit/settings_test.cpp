#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "base/fsutil.hpp"
#include "xc/settings.hpp"

using namespace xc;

namespace {
class SettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xc-settings-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        host_ = HostPaths::fromEnvironment();
        host_.sysconfDir = dir_;
    }
    void TearDown() override { (void)removeTree(dir_); }
    void write(const std::string& text) { std::ofstream(dir_ + "/xc.conf") << text; }
    std::string dir_;
    HostPaths host_;
};
}  // namespace

TEST_F(SettingsTest, MissingFileGivesDefaults) {
    auto s = loadGlobalSettings(host_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->path, "/var/lib/xc");
    EXPECT_EQ(s->logLevel, LogLevel::Error);
}

TEST_F(SettingsTest, ReadsPathAndLevel) {
    write("path = \"/srv/xc\";\nlog = { level = \"info\"; };\n");
    auto s = loadGlobalSettings(host_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->path, "/srv/xc");
    EXPECT_EQ(s->logLevel, LogLevel::Info);
    EXPECT_EQ(resolveBase("", s->path), getenv("XC_PATH") ? resolveBase("") : "/srv/xc");
    EXPECT_EQ(resolveBase("/a/b/", s->path), "/a/b");
}

TEST_F(SettingsTest, RefusesUnknownKeysAndBadValues) {
    write("path = \"/srv/xc\";\npaht = \"x\";\n");
    auto s = loadGlobalSettings(host_);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("xc.conf:2: paht: unknown key"), std::string::npos) << s.error().message();
    write("path = \"relative\";\n");
    EXPECT_FALSE(loadGlobalSettings(host_).ok());
    write("log = { level = \"LOUD\"; };\n");
    s = loadGlobalSettings(host_);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("log.level"), std::string::npos);
    write("path = ;\n");
    s = loadGlobalSettings(host_);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("syntax error"), std::string::npos);
}
