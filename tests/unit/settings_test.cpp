#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "base/fsutil.hpp"
#include "xc/settings.hpp"

using namespace xc;

namespace {
// Sets (or with nullptr unsets) an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

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
    EXPECT_EQ(s->path, "");  // defaultBase(): root's /var/lib/xc, a user's ~/.local/share/xc
    EXPECT_EQ(s->logLevel, LogLevel::Error);
    EXPECT_EQ(s->lxcfsPath, "/var/lib/lxcfs");
}

TEST_F(SettingsTest, LxcfsPathIsAnAbsolutePath) {
    write("lxcfs = { path = \"/run/lxcfs/\"; };\n");
    auto s = loadGlobalSettings(host_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->lxcfsPath, "/run/lxcfs");
    write("lxcfs = { path = \"var/lib/lxcfs\"; };\n");
    s = loadGlobalSettings(host_);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("xc.conf:1: lxcfs.path: must be an absolute path, got 'var/lib/lxcfs'"),
              std::string::npos)
        << s.error().message();
}

TEST_F(SettingsTest, ReadsPathAndLevel) {
    write("path = \"/srv/xc\";\nlog = { level = \"info\"; };\n");
    auto s = loadGlobalSettings(host_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->path, "/srv/xc");
    EXPECT_EQ(s->logLevel, LogLevel::Info);
    {
        // Whatever the environment running the tests holds: without XC_PATH
        // the file's path is the base, XC_PATH overrides it, -P overrides both.
        ScopedEnv noEnv("XC_PATH", nullptr);
        EXPECT_EQ(resolveBase("", s->path), "/srv/xc");
        EXPECT_EQ(resolveBase("/a/b/", s->path), "/a/b");
    }
    {
        ScopedEnv env("XC_PATH", "/from/env");
        EXPECT_EQ(resolveBase("", s->path), "/from/env");
        EXPECT_EQ(resolveBase("/a/b/", s->path), "/a/b");
    }
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

// xc.conf goes through the same key table reader as the container config:
// FILE:LINE: KEY on every error, "did you mean" for a near miss.
TEST_F(SettingsTest, ErrorsNameFileLineKeyAndSuggest) {
    struct Case {
        const char* text;
        const char* want;
    } cases[] = {
        {"path = \"/srv/xc\";\npaht = \"x\";\n", "xc.conf:2: paht: unknown key (did you mean 'path'?)"},
        {"log = { levl = \"info\"; };\n", "xc.conf:1: log.levl: unknown key (did you mean 'log.level'?)"},
        {"\n\nlevel = \"info\";\n", "xc.conf:3: level: unknown key (did you mean 'log.level'?)"},
        {"path = 5;\n", "xc.conf:1: path: expected a string, got an integer"},
        {"log = \"info\";\n", "xc.conf:1: log: expected a group { ... }, got a string"},
        {"log = { level = true; };\n", "xc.conf:1: log.level: expected a string, got a boolean"},
        {"\npath = \"relative\";\n", "xc.conf:2: path: must be an absolute path, got 'relative'"},
        {"log = {\n  level = \"LOUD\";\n};\n", "xc.conf:2: log.level: unknown log level 'LOUD'"},
    };
    for (const auto& k : cases) {
        write(k.text);
        auto s = loadGlobalSettings(host_);
        ASSERT_FALSE(s.ok()) << k.text;
        EXPECT_NE(s.error().message().find(dir_ + "/" + k.want), std::string::npos)
            << k.text << " -> " << s.error().message();
        EXPECT_EQ(s.error().code(), EINVAL) << k.text;
    }
}
