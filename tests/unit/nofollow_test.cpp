// Host paths opened without following a symbolic link (base/fsutil): what
// is refused, with which words, and that nothing is made behind a link.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fsutil.hpp"

using namespace xc;

namespace {

class NoFollow : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xc-unit-nofollow-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { (void)removeTree(dir_); }
    std::string dir_;
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_F(NoFollow, AppendMakesTheFileAndItsDirectories) {
    auto fd = openAppendNoFollow(dir_ + "/a/b/log", 0640);
    ASSERT_TRUE(fd.ok()) << fd.error().message();
    ASSERT_EQ(::write(fd->get(), "x", 1), 1);
    auto again = openAppendNoFollow(dir_ + "/a/b/log", 0640);
    ASSERT_TRUE(again.ok()) << again.error().message();
    ASSERT_EQ(::write(again->get(), "y", 1), 1);
    EXPECT_EQ(*readFile(dir_ + "/a/b/log"), "xy");
}

TEST_F(NoFollow, AppendRefusesLinksFifosAndLeavesTheTargetAlone) {
    ASSERT_TRUE(writeFileAtomic(dir_ + "/target", "t", 0600).ok());
    ASSERT_EQ(::symlink((dir_ + "/target").c_str(), (dir_ + "/link").c_str()), 0);
    auto l = openAppendNoFollow(dir_ + "/link", 0640);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code(), ELOOP);
    EXPECT_EQ(l.error().message(), "a symbolic link; name its target");

    ASSERT_EQ(::mkdir((dir_ + "/real").c_str(), 0755), 0);
    ASSERT_EQ(::symlink((dir_ + "/real").c_str(), (dir_ + "/dirlink").c_str()), 0);
    auto p = openAppendNoFollow(dir_ + "/dirlink/sub/log", 0640);
    ASSERT_FALSE(p.ok());
    EXPECT_TRUE(has(p.error().message(), "its component " + dir_ + "/dirlink is a symbolic link")) << p.error().message();
    EXPECT_FALSE(pathExists(dir_ + "/real/sub")) << "a directory was made behind the link";

    ASSERT_EQ(::mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
    auto f = openAppendNoFollow(dir_ + "/fifo", 0640);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().message(), "not a regular file");
    EXPECT_EQ(*readFile(dir_ + "/target"), "t");
}

TEST_F(NoFollow, PathHandleRefusesLinksAndReportsMissing) {
    ASSERT_EQ(::mkdir((dir_ + "/src").c_str(), 0755), 0);
    EXPECT_TRUE(openPathNoFollow(dir_ + "/src").ok());
    ASSERT_EQ(::symlink("/etc", (dir_ + "/etc-link").c_str()), 0);
    auto l = openPathNoFollow(dir_ + "/etc-link");
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().message(), "a symbolic link; name its target");
    auto under = openPathNoFollow(dir_ + "/etc-link/passwd");
    ASSERT_FALSE(under.ok());
    EXPECT_EQ(under.error().code(), ELOOP);
    auto missing = openPathNoFollow(dir_ + "/nothing");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), ENOENT);
}

// Both atomic writers (the synced one and the one for runtime state) leave
// the whole new text under the name, with its mode, no temporary file, and
// replace a symbolic link planted at the name instead of writing through it.
TEST_F(NoFollow, AtomicWritersReplaceTheNameNotALinksTarget) {
    using Writer = Status (*)(const std::string&, const std::string&, mode_t);
    for (Writer write : {Writer(&writeFileAtomic), Writer(&writeRuntimeFileAtomic)}) {
        const std::string target = dir_ + "/target", name = dir_ + "/state";
        ASSERT_TRUE(write(target, "precious\n", 0644).ok());
        ASSERT_TRUE(write(name, "old\n", 0600).ok());
        ASSERT_TRUE(write(name, "new\n", 0600).ok());
        EXPECT_EQ(*readFile(name), "new\n");
        struct stat st = {};
        ASSERT_EQ(::stat(name.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        ASSERT_EQ(::unlink(name.c_str()), 0);
        ASSERT_EQ(::symlink(target.c_str(), name.c_str()), 0);
        ASSERT_TRUE(write(name, "mine\n", 0600).ok());
        ASSERT_EQ(::lstat(name.c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode)) << "the link was written through";
        EXPECT_EQ(*readFile(target), "precious\n");
        EXPECT_FALSE(pathExists(name + ".tmp." + std::to_string(::getpid())));
        ASSERT_EQ(::unlink(name.c_str()), 0);
        ASSERT_EQ(::unlink(target.c_str()), 0);
    }
}
