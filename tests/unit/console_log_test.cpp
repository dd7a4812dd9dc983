// console.log's rotation (pty/console_log): the naming and ordering, where
// a write is cut, the files a run of writes leaves in a private directory,
// the history read back across the rotation, and the config keys.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/fsutil.hpp"
#include "pty/console_log.hpp"
#include "xc/config.hpp"

using namespace xc;

namespace {

class ConsoleLogDir : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xc-console-log-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        log_ = dir_ + "/c1.console";
    }
    void TearDown() override { (void)removeTree(dir_); }

    static std::string line(int i) { return "line-" + std::to_string(i) + " of the console\r\n"; }
    // What copyRotatedLog prints, through a pipe-free temporary file.
    std::string history(unsigned count) {
        std::string out = dir_ + "/history";
        UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        EXPECT_TRUE(fd.valid());
        Status st = copyRotatedLog(log_, count, fd.get());
        EXPECT_TRUE(st.ok()) << (st ? "" : st.error().message());
        auto text = readFile(out);
        return text ? *text : "";
    }
    static off_t sizeOf(const std::string& p) {
        struct stat st;
        return ::lstat(p.c_str(), &st) == 0 ? st.st_size : -1;
    }

    std::string dir_, log_;
};

TEST(ConsoleLogNames, OldestFirstThenTheFile) {
    EXPECT_EQ(rotatedLogFiles("/l/c.log", 3),
              (std::vector<std::string>{"/l/c.log.3", "/l/c.log.2", "/l/c.log.1", "/l/c.log"}));
    EXPECT_EQ(rotatedLogFiles("/l/c.log", 0), (std::vector<std::string>{"/l/c.log"}));
}

TEST(ConsoleLogCut, WholeLinesStayInOneFile) {
    std::string d = "aaaa\nbbbb\ncc";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 0, 0), d.size()) << "limit 0: never rotated";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 100, 112), d.size()) << "fits exactly";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 100, 111), 10u) << "up to the last newline that fits";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 100, 107), 5u);
    EXPECT_EQ(rotationCut(d.data(), d.size(), 100, 104), 0u) << "no newline fits: the line begins the next file";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 0, 4), 4u) << "an empty file takes a too long line cut";
    EXPECT_EQ(rotationCut(d.data(), d.size(), 120, 100), 0u) << "already past the limit (an earlier boot)";
}

TEST_F(ConsoleLogDir, RotatesKeepingCountFilesNoneOverTheSize) {
    const uint64_t limit = 4096;
    auto f = ConsoleLogFile::open(log_, limit, 2);
    ASSERT_TRUE(f.ok()) << f.error().message();
    std::string all;
    // Writes of 1 to 16K bytes, as the console's reads come.
    int i = 0;
    for (size_t chunk : {1u, 700u, 16384u, 3000u, 5000u, 12000u, 100u, 9000u}) {
        std::string w;
        while (w.size() < chunk) w += line(i++);
        ASSERT_TRUE(f->append(w.data(), w.size()).ok());
        all += w;
    }
    ASSERT_GT(all.size(), 10 * limit);
    for (const auto& p : rotatedLogFiles(log_, 2)) {
        EXPECT_GT(sizeOf(p), 0) << p;
        EXPECT_LE(sizeOf(p), static_cast<off_t>(limit)) << p;
    }
    EXPECT_EQ(sizeOf(log_ + ".3"), -1) << "only log_count rotated files are kept";
    // The history is the newest part of what was written, whole lines, in order.
    std::string h = history(2);
    ASSERT_FALSE(h.empty());
    EXPECT_GT(h.size(), 2 * limit);
    EXPECT_EQ(all.substr(all.size() - h.size()), h);
    EXPECT_EQ(h.substr(0, 5), "line-") << "the oldest file begins with a whole line";
}

TEST_F(ConsoleLogDir, AnEarlierBootsFileCountsAndCountZeroRestarts) {
    ASSERT_TRUE(writeFileAtomic(log_, std::string(4090, 'x') + "\n", 0640).ok());
    auto f = ConsoleLogFile::open(log_, 4096, 0);
    ASSERT_TRUE(f.ok()) << f.error().message();
    std::string w = line(1) + line(2) + line(3) + line(4);
    ASSERT_TRUE(f->append(w.data(), w.size()).ok());
    EXPECT_EQ(sizeOf(log_ + ".1"), -1);
    EXPECT_EQ(history(0), w) << "count 0: the old file is dropped and the log restarts";
}

TEST_F(ConsoleLogDir, PlantedLinksAreMovedNotFollowed) {
    std::string target = dir_ + "/target";
    ASSERT_TRUE(writeFileAtomic(target, "precious\n", 0644).ok());
    ASSERT_EQ(::symlink(target.c_str(), (log_ + ".1").c_str()), 0);
    auto f = ConsoleLogFile::open(log_, 4096, 3);
    ASSERT_TRUE(f.ok()) << f.error().message();
    std::string w;
    for (int i = 0; w.size() < 6000; ++i) w += line(i);
    ASSERT_TRUE(f->append(w.data(), w.size()).ok());
    EXPECT_EQ(readFile(target).value(), "precious\n");
    struct stat st;
    ASSERT_EQ(::lstat((log_ + ".2").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was renamed, as a name";
    // The reader refuses it, naming it, rather than printing its target.
    UniqueFd out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    Status st2 = copyRotatedLog(log_, 3, out.get());
    ASSERT_FALSE(st2.ok());
    EXPECT_NE(st2.error().message().find(log_ + ".2"), std::string::npos) << st2.error().message();
}

TEST_F(ConsoleLogDir, NoFileIsENOENT) {
    UniqueFd out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    Status st = copyRotatedLog(log_, 2, out.get());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ENOENT);
    EXPECT_NE(st.error().message().find(log_), std::string::npos);
}

TEST(ConsoleLogKeys, SizeAndCount) {
    auto parse = [](const std::string& console) {
        return parseConfig("name = \"c1\"; rootfs = { path = \"/r\"; };\nconsole = { " + console + " };\n", "test");
    };
    auto c = parse("log = \"/l/c.log\"; log_size = \"64K\"; log_count = 5;");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->consoleLogSize, 64u * 1024);
    EXPECT_EQ(c->consoleLogCount, 5u);
    c = parse("log_size = 0; log_count = 0;");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->consoleLogSize, 0u);
    EXPECT_EQ(c->consoleLogCount, 0u);
    for (const char* bad : {"log_size = \"1K\";", "log_size = -1;", "log_count = 101;", "log_count = -1;"}) {
        auto b = parse(bad);
        ASSERT_FALSE(b.ok()) << bad;
        EXPECT_NE(b.error().message().find("console.log_"), std::string::npos) << b.error().message();
    }
}

}  // namespace
