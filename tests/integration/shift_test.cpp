// The owner shift (storage/shift.hpp) on real files, as root: every file
// type, set-id bits, a file capability (v2 -> v3 -> v2), POSIX ACLs, hard
// links, symlinks that lead out of the tree, a deep chain of directories,
// and two mounts inside the tree (a tmpfs, and a bind mount of the tree's
// own filesystem) that must be left as they are; then the shift back, to
// the very tree of the start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/posix_acl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "storage/shift.hpp"

namespace {

using xc::IdMap;

const std::vector<IdMap> kIdentity;
const std::vector<IdMap> kMap = {{'u', 0, 100000, 65536}, {'g', 0, 100000, 65536}};
const char* const kIdXattrs[] = {"security.capability", "system.posix_acl_access", "system.posix_acl_default"};
constexpr int kDeep = 300;

std::string le32(uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = char((v >> (8 * i)) & 0xff);
    return s;
}

// security.capability, cap_net_raw permitted and effective: v2, or v3 with a root id.
std::string capValue(uint32_t rootid) {
    std::string s = le32((rootid ? VFS_CAP_REVISION_3 : VFS_CAP_REVISION_2) | VFS_CAP_FLAGS_EFFECTIVE);
    s += le32(1u << CAP_NET_RAW) + le32(0) + le32(0) + le32(0);
    return rootid ? s + le32(rootid) : s;
}

// user::rwx user:U:r-x group::r-x group:G:r-x mask::r-x other::---
std::string aclValue(uint32_t uid, uint32_t gid) {
    struct Ent {
        uint16_t tag, perm;
        uint32_t id;
    };
    const Ent ents[] = {{ACL_USER_OBJ, 7, 0xffffffffu}, {ACL_USER, 5, uid},   {ACL_GROUP_OBJ, 5, 0xffffffffu},
                        {ACL_GROUP, 5, gid},            {ACL_MASK, 5, 0xffffffffu}, {ACL_OTHER, 0, 0xffffffffu}};
    std::string s = le32(2);
    for (const auto& e : ents) s += std::string{char(e.tag), char(e.tag >> 8), char(e.perm), char(e.perm >> 8)} + le32(e.id);
    return s;
}

// What the shift may change of an object, and what tells it apart.
struct Seen {
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    struct timespec ctime = {};
    std::map<std::string, std::string> xattrs;  // the ones with ids
};

bool operator==(const Seen& a, const Seen& b) {
    return a.uid == b.uid && a.gid == b.gid && a.mode == b.mode && a.xattrs == b.xattrs;
}

// Not even a chown or chmod to the same values: those move the ctime.
bool untouched(const Seen& a, const Seen& b) {
    return a == b && a.ctime.tv_sec == b.ctime.tv_sec && a.ctime.tv_nsec == b.ctime.tv_nsec;
}

Seen seen(const std::string& path) {
    Seen s;
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) {
        ADD_FAILURE() << "lstat " << path << ": " << std::strerror(errno);
        return s;
    }
    s = Seen{st.st_uid, st.st_gid, st.st_mode, st.st_dev, st.st_ino, st.st_ctim, {}};
    for (const char* name : kIdXattrs) {
        char buf[4096];
        ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
        if (n >= 0) s.xattrs[name] = std::string(buf, static_cast<size_t>(n));
    }
    return s;
}

// Every object of the tree by relative path ("" is the root), mounts' too.
std::map<std::string, Seen> snapshot(const std::string& root) {
    std::map<std::string, Seen> out;
    out[""] = seen(root);
    for (const auto& rel : xcit::listTree(root)) out[rel] = seen(root + "/" + rel);
    return out;
}

bool underMount(const std::string& rel) {
    for (const char* m : {"mnt", "bind"})
        if (rel == m || rel.rfind(std::string(m) + "/", 0) == 0) return true;
    return false;
}

size_t openFds() { return xcit::listNames("/proc/self/fd").size(); }

// `now` is `before` with every owner outside the mounts `by` higher, the
// same modes, and the mounts' objects not even touched (ctime); with
// by == 0, the same xattrs too.
void expectOwnersMovedBy(const std::map<std::string, Seen>& before, std::map<std::string, Seen>& now, uint32_t by) {
    ASSERT_EQ(now.size(), before.size());
    for (const auto& [rel, b] : before) {
        SCOPED_TRACE("/" + rel);
        const Seen& a = now[rel];
        bool mounted = underMount(rel);
        EXPECT_EQ(a.uid, b.uid + (mounted ? 0 : by));
        EXPECT_EQ(a.gid, b.gid + (mounted ? 0 : by));
        EXPECT_EQ(a.mode, b.mode);
        if (by == 0) {
            EXPECT_EQ(a.xattrs, b.xattrs);
        }
        if (mounted) {
            EXPECT_TRUE(untouched(a, b));
        }
    }
}

class ShiftTreeTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, mount, security.* xattrs)";
        char tmpl[] = "/tmp/xc-it-shift-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        tree_ = dir_ + "/tree";
        ASSERT_EQ(::mkdir(tree_.c_str(), 0755), 0);
    }
    // Runs even when a test fails: mounts first, so the removal sees none.
    void TearDown() override {
        for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it)
            EXPECT_EQ(::umount2(it->c_str(), MNT_DETACH), 0) << *it << ": " << std::strerror(errno);
        if (!dir_.empty()) {
            EXPECT_TRUE(xcit::removeTree(dir_)) << dir_;
        }
    }
    void own(const std::string& p, uid_t uid, gid_t gid, mode_t mode) {
        ASSERT_EQ(::lchown(p.c_str(), uid, gid), 0) << p << ": " << std::strerror(errno);
        ASSERT_EQ(::chmod(p.c_str(), mode), 0) << p << ": " << std::strerror(errno);
    }
    void dir(const std::string& rel, uid_t uid = 0, gid_t gid = 0, mode_t mode = 0755) {
        ASSERT_EQ(::mkdir((tree_ + "/" + rel).c_str(), 0700), 0) << rel << ": " << std::strerror(errno);
        own(tree_ + "/" + rel, uid, gid, mode);
    }
    void file(const std::string& rel, uid_t uid = 0, gid_t gid = 0, mode_t mode = 0644) {
        ASSERT_TRUE(xcit::writeText(tree_ + "/" + rel, rel + "\n", 0600)) << rel;
        own(tree_ + "/" + rel, uid, gid, mode);
    }
    void xattr(const std::string& rel, const char* name, const std::string& value) {
        ASSERT_EQ(::setxattr((tree_ + "/" + rel).c_str(), name, value.data(), value.size(), 0), 0)
            << rel << " " << name << ": " << std::strerror(errno);
    }
    void mount(const std::string& source, const std::string& rel, const char* type, unsigned long flags) {
        std::string where = tree_ + "/" + rel;
        ASSERT_EQ(::mount(source.c_str(), where.c_str(), type, flags, type ? "size=1m,mode=0755" : nullptr), 0)
            << where << ": " << std::strerror(errno);
        mounts_.push_back(where);
    }
    void buildTree();
    void buildDeepChain(const std::string& rel, int levels);

    std::string dir_, tree_;
    std::vector<std::string> mounts_;
};

void ShiftTreeTest::buildDeepChain(const std::string& rel, int levels) {
    dir(rel);
    int fd = ::open((tree_ + "/" + rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < levels; ++i) {
        int next = -1;
        if (::mkdirat(fd, "d", 0755) == 0) next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        ASSERT_GE(next, 0) << "level " << i << ": " << std::strerror(errno);
        fd = next;
    }
    int leaf = ::openat(fd, "leaf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    bool owned = leaf >= 0 && ::fchown(leaf, 1000, 1000) == 0;
    if (leaf >= 0) ::close(leaf);
    ::close(fd);
    ASSERT_TRUE(owned) << std::strerror(errno);
}

void ShiftTreeTest::buildTree() {
    own(tree_, 0, 0, 0755);
    dir("etc");
    file("etc/passwd");
    dir("home");
    dir("home/u", 1000, 1000, 0700);
    file("home/u/notes", 1000, 1000, 0600);
    dir("bin");
    file("bin/su", 0, 0, 04755);
    file("bin/wall", 0, 1000, 02755);
    file("bin/ping", 0, 0, 0755);
    xattr("bin/ping", "security.capability", capValue(0));
    dir("srv", 0, 0, 0750);
    file("srv/shared", 0, 0, 0640);
    xattr("srv", "system.posix_acl_access", aclValue(1000, 1000));
    xattr("srv", "system.posix_acl_default", aclValue(1000, 1000));
    xattr("srv/shared", "system.posix_acl_access", aclValue(1000, 1000));
    dir("data", 1000, 1000);
    file("data/a", 1000, 1000);
    ASSERT_EQ(::link((tree_ + "/data/a").c_str(), (tree_ + "/data/b").c_str()), 0);
    dir("run");
    ASSERT_EQ(::mkfifo((tree_ + "/run/fifo").c_str(), 0620), 0);
    own(tree_ + "/run/fifo", 1000, 1000, 0620);
    dir("dev");
    ASSERT_EQ(::mknod((tree_ + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    own(tree_ + "/dev/null", 0, 0, 0666);
    // Links out of the tree: to a file, and to the directory above the tree.
    ASSERT_TRUE(xcit::writeText(dir_ + "/sentinel", "outside\n", 0644));
    ASSERT_EQ(::symlink((dir_ + "/sentinel").c_str(), (tree_ + "/escape").c_str()), 0);
    ASSERT_EQ(::symlink(dir_.c_str(), (tree_ + "/up").c_str()), 0);
    ASSERT_EQ(::lchown((tree_ + "/escape").c_str(), 0, 0), 0);
    buildDeepChain("deep", kDeep);
    // Mounts: a tmpfs, and the tree's own filesystem (same st_dev) bound in.
    dir("mnt");
    mount("tmpfs", "mnt", "tmpfs", 0);
    file("mnt/inside");
    file("mnt/user", 1000, 1000);
    ASSERT_EQ(::mkdir((dir_ + "/outside").c_str(), 0755), 0);
    ASSERT_TRUE(xcit::writeText(dir_ + "/outside/file", "outside\n", 0644));
    dir("bind");
    mount(dir_ + "/outside", "bind", nullptr, MS_BIND);
}

TEST_F(ShiftTreeTest, EveryInodeShiftsOnceAndBackToTheTreeOfTheStart) {
    buildTree();
    if (HasFatalFailure()) return;
    const auto before = snapshot(tree_);
    const Seen sentinel = seen(dir_ + "/sentinel"), above = seen(dir_);
    const std::string deepRel = [] {
        std::string r = "deep";
        for (int i = 0; i < kDeep; ++i) r += "/d";
        return r;
    }();
    ASSERT_EQ(before.count(deepRel + "/leaf"), 1u);
    std::set<std::pair<dev_t, ino_t>> inodes;
    for (const auto& [rel, s] : before)
        if (!underMount(rel)) inodes.insert({s.dev, s.ino});
    const size_t fds = openFds();

    auto r = xc::storage::shiftTree(tree_, kIdentity, kMap);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->inodes, inodes.size());
    EXPECT_EQ(r->capabilities, 1u);
    EXPECT_EQ(r->acls, 3u);
    EXPECT_EQ(openFds(), fds);

    auto after = snapshot(tree_);
    expectOwnersMovedBy(before, after, 100000);
    if (HasFatalFailure()) return;
    EXPECT_EQ(after["bin/su"].mode, static_cast<mode_t>(S_IFREG | 04755));
    EXPECT_EQ(after["bin/wall"].mode, static_cast<mode_t>(S_IFREG | 02755));
    EXPECT_EQ(after["bin/ping"].xattrs["security.capability"], capValue(100000));
    EXPECT_EQ(after["srv"].xattrs["system.posix_acl_access"], aclValue(101000, 101000));
    EXPECT_EQ(after["srv"].xattrs["system.posix_acl_default"], aclValue(101000, 101000));
    EXPECT_EQ(after["srv/shared"].xattrs["system.posix_acl_access"], aclValue(101000, 101000));
    EXPECT_EQ(after["data/b"].uid, 101000u);  // once, not 201000
    EXPECT_EQ(after["escape"].uid, 100000u);
    EXPECT_EQ(after[deepRel + "/leaf"].uid, 101000u);
    // Nothing reached through a link: not the file, not the tree's parent.
    EXPECT_TRUE(untouched(seen(dir_ + "/sentinel"), sentinel));
    EXPECT_TRUE(untouched(seen(dir_), above));

    auto back = xc::storage::shiftTree(tree_, kMap, kIdentity);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->inodes, inodes.size());
    EXPECT_EQ(back->capabilities, 1u);
    EXPECT_EQ(back->acls, 3u);
    auto again = snapshot(tree_);
    expectOwnersMovedBy(before, again, 0);
    if (HasFatalFailure()) return;
    EXPECT_EQ(again["bin/ping"].xattrs["security.capability"], capValue(0));
    EXPECT_TRUE(untouched(seen(dir_ + "/sentinel"), sentinel));
}

TEST_F(ShiftTreeTest, AnOwnerTheMapDoesNotCoverFailsNamingTheFile) {
    dir("etc");
    file("etc/x", 70000, 0);
    if (HasFatalFailure()) return;
    auto r = xc::storage::shiftTree(tree_, kIdentity, kMap);
    ASSERT_FALSE(r);
    EXPECT_TRUE(xcit::contains(r.error().message(),
                               "shift /etc/x: owned by uid 70000, which the map 0-65535 -> 100000-165535 does not cover"))
        << r.error().message();
    // Stored through the map, 70000 is no id of the container either.
    r = xc::storage::shiftTree(tree_ + "/etc", kMap, kIdentity);
    ASSERT_FALSE(r);
    EXPECT_TRUE(xcit::contains(r.error().message(), "owned by uid"));
}

TEST_F(ShiftTreeTest, ATreeDeeperThanTheBoundFailsWithoutRunningOutOfFds) {
    buildDeepChain("deep", 600);
    if (HasFatalFailure()) return;
    const size_t fds = openFds();
    auto r = xc::storage::shiftTree(tree_, kIdentity, kMap);
    ASSERT_FALSE(r);
    EXPECT_TRUE(xcit::contains(r.error().message(), "nested deeper than 512 directories")) << r.error().message();
    EXPECT_EQ(openFds(), fds);
}

TEST_F(ShiftTreeTest, ASymlinkAsTheRootIsRefused) {
    ASSERT_EQ(::symlink(tree_.c_str(), (dir_ + "/link").c_str()), 0);
    struct stat st0;
    ASSERT_EQ(::stat(tree_.c_str(), &st0), 0);
    auto r = xc::storage::shiftTree(dir_ + "/link", kIdentity, kMap);
    ASSERT_FALSE(r);
    struct stat st;
    ASSERT_EQ(::stat(tree_.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, st0.st_uid);
}

}  // namespace
