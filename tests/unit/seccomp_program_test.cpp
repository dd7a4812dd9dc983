// The compiled seccomp filter and its cache: the cached program is the
// compiled one, a cache file that is not ours alone or holds another
// filter is never loaded, and the loaded program denies what the rules say.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <string>

#include "base/fsutil.hpp"
#include "security/seccomp_program.hpp"

namespace xc {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/xc-seccomp-test.XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { (void)removeTree(path); }
    std::string cacheFile() const {
        std::string found;
        DIR* d = ::opendir((path + "/seccomp").c_str());
        if (!d) return found;
        while (auto* e = ::readdir(d))
            if (std::string(e->d_name).size() > 4 && std::string(e->d_name).find(".bpf") != std::string::npos)
                found = path + "/seccomp/" + e->d_name;
        ::closedir(d);
        return found;
    }
};

std::vector<SeccompRule> rules() { return {{"getppid", EACCES}, {"kexec_load", EPERM}}; }

bool same(const SeccompProgram& a, const SeccompProgram& b) {
    if (a.code.size() != b.code.size()) return false;
    for (size_t i = 0; i < a.code.size(); ++i)
        if (a.code[i].code != b.code[i].code || a.code[i].k != b.code[i].k || a.code[i].jt != b.code[i].jt ||
            a.code[i].jf != b.code[i].jf)
            return false;
    return true;
}

TEST(SeccompProgram, NoRulesNoProgram) {
    auto p = compileSeccomp({});
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->empty());
    TempDir d;
    auto c = cachedSeccomp({}, d.path + "/seccomp");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->empty());
    EXPECT_EQ(d.cacheFile(), "") << "nothing to cache";
}

TEST(SeccompProgram, TheCacheGivesBackTheCompiledProgramAndIsPrivate) {
    TempDir d;
    auto compiled = compileSeccomp(rules());
    ASSERT_TRUE(compiled) << compiled.error().message();
    ASSERT_GT(compiled->code.size(), 4u);
    auto first = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(first);
    EXPECT_TRUE(same(*first, *compiled));
    std::string file = d.cacheFile();
    ASSERT_NE(file, "");
    struct stat st;
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((d.path + "/seccomp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto second = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(second);
    EXPECT_TRUE(same(*second, *compiled));
}

// A cache file that another user could have written, or that holds another
// rule list under our name, is compiled over, never loaded.
TEST(SeccompProgram, AForeignOrStaleCacheFileIsNotUsed) {
    TempDir d;
    ASSERT_TRUE(cachedSeccomp(rules(), d.path + "/seccomp"));
    std::string file = d.cacheFile();
    ASSERT_NE(file, "");
    auto original = readFile(file);
    ASSERT_TRUE(original);
    // The same header and key with an all-allowing program instead (one
    // instruction: return ALLOW).
    std::string key = seccompKeyText(rules());
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    std::string forged = "xc-seccomp 1 " + std::to_string(key.size()) + " " + std::to_string(sizeof allow) + "\n" + key +
                         std::string(reinterpret_cast<const char*>(&allow), sizeof allow);
    ASSERT_TRUE(writeFileAtomic(file, forged, 0666));
    ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
    auto p = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(p);
    EXPECT_GT(p->code.size(), 1u) << "a world-writable cache file was loaded";
    // Rewritten as ours: private again, and the real program.
    struct stat st;
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // Another rule list's file under this name (a hash collision): its key differs.
    std::string otherKey = seccompKeyText({{"getppid", EPERM}});
    std::string stale = "xc-seccomp 1 " + std::to_string(otherKey.size()) + " " + std::to_string(sizeof allow) + "\n" +
                        otherKey + std::string(reinterpret_cast<const char*>(&allow), sizeof allow);
    ASSERT_TRUE(writeFileAtomic(file, stale, 0600));
    p = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(p);
    EXPECT_GT(p->code.size(), 1u) << "another filter's cache file was loaded";
    // Truncated: half an instruction.
    ASSERT_TRUE(writeFileAtomic(file, original->substr(0, original->size() - 3), 0600));
    p = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(p);
    EXPECT_GT(p->code.size(), 1u);
}

TEST(SeccompProgram, TheLoadedProgramDeniesWithTheRulesErrno) {
    TempDir d;
    auto p = cachedSeccomp(rules(), d.path + "/seccomp");
    ASSERT_TRUE(p);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (!loadSeccomp(*p)) ::_exit(10);
        errno = 0;
        long r = ::syscall(SYS_getppid);
        ::_exit(r == -1 && errno == EACCES ? 0 : 11);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: load failed, 11: getppid was not denied with EACCES";
    EXPECT_GT(::getppid(), 0) << "the filter leaked into the parent";
}

}  // namespace
}  // namespace xc
