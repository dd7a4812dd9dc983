// The storage module's full tree copy (storage/copytree.hpp) on real file
// systems: every file type, owners, modes, ns timestamps, xattrs (file
// capabilities, POSIX ACLs), hard links, a 1 GiB sparse file that stays
// sparse, a mount inside the tree that is not crossed, symlinks that are
// never followed, and a copy that fills its file system failing cleanly.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "harness.hpp"
#include "storage/copytree.hpp"

namespace {

using xcit::removeTree;

// One object of a tree as the comparison sees it.
struct Node {
    struct stat st;
    std::map<std::string, std::string> xattrs;
    std::string content;  // hash of a regular file's data, a symlink's target
};

std::string fileHash(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "unreadable";
    uint64_t h = 1469598103934665603ull;
    std::vector<char> buf(1 << 20);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0)
        for (ssize_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buf[static_cast<size_t>(i)])) * 1099511628211ull;
    ::close(fd);
    return std::to_string(h);
}

std::map<std::string, std::string> xattrsOf(const std::string& path) {
    std::map<std::string, std::string> out;
    char names[65536];
    ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
    for (ssize_t pos = 0; pos < n;) {
        std::string key = names + pos;
        pos += static_cast<ssize_t>(key.size()) + 1;
        char val[65536];
        ssize_t v = ::lgetxattr(path.c_str(), key.c_str(), val, sizeof val);
        out[key] = v < 0 ? "?" : std::string(val, static_cast<size_t>(v));
    }
    return out;
}

// Every object below root by relative path ("" is root itself).
std::map<std::string, Node> walk(const std::string& root) {
    std::map<std::string, Node> out;
    std::vector<std::string> rels = xcit::listTree(root);
    rels.push_back("");
    for (const auto& rel : rels) {
        std::string p = rel.empty() ? root : root + "/" + rel;
        Node n;
        if (::lstat(p.c_str(), &n.st) < 0) continue;
        n.xattrs = xattrsOf(p);
        if (S_ISREG(n.st.st_mode)) n.content = fileHash(p);
        if (S_ISLNK(n.st.st_mode)) {
            char buf[4096];
            ssize_t k = ::readlink(p.c_str(), buf, sizeof buf);
            n.content = std::string(buf, static_cast<size_t>(std::max<ssize_t>(k, 0)));
        }
        out[rel] = n;
    }
    return out;
}

bool sameTime(const struct timespec& a, const struct timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// Groups of paths that share an inode, as sorted path lists.
std::vector<std::vector<std::string>> linkGroups(const std::map<std::string, Node>& tree) {
    std::map<ino_t, std::vector<std::string>> byIno;
    for (const auto& [rel, n] : tree)
        if (!S_ISDIR(n.st.st_mode)) byIno[n.st.st_ino].push_back(rel);
    std::vector<std::vector<std::string>> out;
    for (auto& [ino, paths] : byIno) out.push_back(paths);
    std::sort(out.begin(), out.end());
    return out;
}

void setTimes(const std::string& path, long sec, long nsec) {
    struct timespec t[2] = {{sec, nsec}, {sec + 7, nsec + 3}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path << ": " << std::strerror(errno);
}

// A POSIX ACL in its xattr form: user::rw- user:1234:r-- group::r-- mask::r-- other::---.
std::string aclXattr() {
    struct Ent {
        uint16_t tag, perm;
        uint32_t id;
    };
    std::vector<Ent> ents = {{0x01, 6, 0xffffffffu}, {0x02, 4, 1234}, {0x04, 4, 0xffffffffu},
                             {0x10, 4, 0xffffffffu}, {0x20, 0, 0xffffffffu}};
    uint32_t version = 2;
    std::string out(reinterpret_cast<const char*>(&version), 4);
    for (const auto& e : ents) out.append(reinterpret_cast<const char*>(&e), sizeof e);
    return out;
}

// security.capability v2: cap_net_raw+ep.
std::string capXattr() {
    struct vfs_cap_data d = {};
    d.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    d.data[0].permitted = 1u << CAP_NET_RAW;
    return std::string(reinterpret_cast<const char*>(&d), XATTR_CAPS_SZ_2);
}

class CopyTreeTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (mknod, chown, security.* xattrs)";
        char tmpl[] = "/tmp/xc-it-copy-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        src_ = dir_ + "/src";
        dst_ = dir_ + "/dst";
        ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
    }
    void TearDown() override {
        for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
        if (!dir_.empty()) {
            EXPECT_TRUE(removeTree(dir_)) << dir_;
        }
    }
    void mountTmpfs(const std::string& where, const std::string& opts) {
        ASSERT_EQ(::mkdir(where.c_str(), 0755), 0);
        ASSERT_EQ(::mount("tmpfs", where.c_str(), "tmpfs", 0, opts.c_str()), 0) << std::strerror(errno);
        mounts_.push_back(where);
    }
    void file(const std::string& rel, const std::string& data, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
        std::string p = src_ + "/" + rel;
        ASSERT_TRUE(xcit::writeText(p, data, mode)) << p;
        ASSERT_EQ(::chown(p.c_str(), uid, gid), 0);
        ASSERT_EQ(::chmod(p.c_str(), mode), 0);
    }
    void buildTree();

    std::string dir_, src_, dst_;
    std::vector<std::string> mounts_;
};

void CopyTreeTest::buildTree() {
    const std::string s = src_;
    ASSERT_EQ(::mkdir((s + "/etc").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((s + "/home").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((s + "/home/u").c_str(), 02750), 0);
    ASSERT_EQ(::chown((s + "/home/u").c_str(), 101000, 101000), 0);
    ASSERT_EQ(::chmod((s + "/home/u").c_str(), 02750), 0);
    file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
    file("home/u/secret", "mine\n", 0600, 101000, 101001);
    file("ping", "#!/bin/sh\necho ping\n", 04755);
    ASSERT_EQ(::setxattr((s + "/ping").c_str(), "security.capability", capXattr().data(), capXattr().size(), 0), 0)
        << std::strerror(errno);
    ASSERT_EQ(::setxattr((s + "/etc/passwd").c_str(), "user.comment", "admin's", 7, 0), 0) << std::strerror(errno);
    ASSERT_EQ(::setxattr((s + "/etc/passwd").c_str(), "trusted.x", "t", 1, 0), 0);
    ASSERT_EQ(::setxattr((s + "/home/u/secret").c_str(), "system.posix_acl_access", aclXattr().data(),
                         aclXattr().size(), 0), 0) << std::strerror(errno);
    ASSERT_EQ(::setxattr((s + "/home/u").c_str(), "system.posix_acl_default", aclXattr().data(), aclXattr().size(), 0),
              0) << std::strerror(errno);
    // Hard links, one across directories.
    ASSERT_EQ(::link((s + "/etc/passwd").c_str(), (s + "/passwd-link").c_str()), 0);
    ASSERT_EQ(::link((s + "/etc/passwd").c_str(), (s + "/home/u/passwd-too").c_str()), 0);
    // Special files.
    ASSERT_EQ(::mknod((s + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::mknod((s + "/loop9").c_str(), S_IFBLK | 0660, makedev(7, 9)), 0);
    ASSERT_EQ(::chown((s + "/loop9").c_str(), 0, 6), 0);
    ASSERT_EQ(::mkfifo((s + "/fifo").c_str(), 0620), 0);
    int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", s.c_str());
    ASSERT_EQ(::bind(sock, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa), 0);
    ::close(sock);
    // Symlinks that lead out of the tree: copied as links, never followed.
    ASSERT_EQ(::symlink("/", (s + "/hostroot").c_str()), 0);
    ASSERT_EQ(::symlink("/etc/shadow", (s + "/etc/shadow-link").c_str()), 0);
    ASSERT_EQ(::lchown((s + "/hostroot").c_str(), 100000, 100000), 0);
    ASSERT_EQ(::lsetxattr((s + "/hostroot").c_str(), "trusted.link", "l", 1, 0), 0) << std::strerror(errno);
    // A 1 GiB sparse file: 4 KiB of data at 0, 256 MiB and near the end.
    {
        int fd = ::open((s + "/sparse").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
        ASSERT_GE(fd, 0);
        std::string block(4096, 'x');
        for (off_t off : {off_t(0), off_t(256) << 20, (off_t(1) << 30) - 8192})
            ASSERT_EQ(::pwrite(fd, block.data(), block.size(), off), 4096);
        ASSERT_EQ(::ftruncate(fd, off_t(1) << 30), 0);
        ::close(fd);
    }
    // Timestamps with nanoseconds, the directories' last.
    for (const char* rel : {"etc/passwd", "ping", "null", "fifo", "sock", "hostroot", "sparse", "home/u/secret",
                            "home/u", "etc", "home", ""})
        setTimes(s + (*rel ? "/" : "") + rel, 1500000000 + static_cast<long>(std::strlen(rel)), 123456789);
}

TEST_F(CopyTreeTest, EveryFileTypeOwnersModesTimesXattrsLinksAndHolesSurvive) {
    buildTree();
    if (HasFatalFailure()) return;
    // A mount inside the tree: the copy has the mount point, not its files.
    mountTmpfs(src_ + "/mnt", "size=1m,mode=0711");
    ASSERT_TRUE(xcit::writeText(src_ + "/mnt/other-fs", "not copied\n"));
    auto before = walk(src_);

    auto r = xc::storage::copyTree(src_, dst_);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->hardLinks, 2u);

    auto after = walk(dst_);
    auto srcOut = before;
    srcOut.erase("mnt/other-fs");
    std::vector<std::string> want, got;
    for (const auto& [rel, n] : srcOut) want.push_back(rel);
    for (const auto& [rel, n] : after) got.push_back(rel);
    ASSERT_EQ(got, want);
    for (const auto& [rel, a] : srcOut) {
        const Node& b = after[rel];
        SCOPED_TRACE("/" + rel);
        EXPECT_EQ(b.st.st_mode, a.st.st_mode);
        EXPECT_EQ(b.st.st_uid, a.st.st_uid);
        EXPECT_EQ(b.st.st_gid, a.st.st_gid);
        EXPECT_EQ(b.st.st_nlink, a.st.st_nlink);
        EXPECT_EQ(b.st.st_rdev, a.st.st_rdev);
        EXPECT_TRUE(sameTime(b.st.st_mtim, a.st.st_mtim));
        if (!S_ISDIR(a.st.st_mode)) {
            EXPECT_EQ(b.st.st_size, a.st.st_size);
        }
        EXPECT_EQ(b.xattrs, a.xattrs);
        EXPECT_EQ(b.content, a.content);
    }
    EXPECT_EQ(linkGroups(after), linkGroups(srcOut));
    // Holes stay holes: a 1 GiB file of 12 KiB of data takes about that.
    EXPECT_LE(after["sparse"].st.st_blocks, before["sparse"].st.st_blocks + 64);
    EXPECT_LT(after["sparse"].st.st_blocks * 512, 1 << 20);
    EXPECT_EQ(before["ping"].xattrs.count("security.capability"), 1u);
    EXPECT_EQ(after["home/u"].xattrs.count("system.posix_acl_default"), 1u);
    EXPECT_EQ(after["mnt"].st.st_mode, static_cast<mode_t>(S_IFDIR | 0711));
}

TEST_F(CopyTreeTest, AFullFileSystemFailsNamingThePathAndTheReason) {
    file("small", "ok\n", 0644);
    {
        int fd = ::open((src_ + "/big").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
        ASSERT_GE(fd, 0);
        std::string mib(1 << 20, 'y');
        for (int i = 0; i < 8; ++i) ASSERT_EQ(::write(fd, mib.data(), mib.size()), static_cast<ssize_t>(mib.size()));
        ::close(fd);
    }
    mountTmpfs(dir_ + "/small-fs", "size=4m");
    auto r = xc::storage::copyTree(src_, dir_ + "/small-fs/dst");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ENOSPC);
    EXPECT_NE(r.error().message().find("copy /big"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("No space left on device"), std::string::npos) << r.error().message();
}

TEST_F(CopyTreeTest, ASymlinkAsTheSourceIsRefused) {
    ASSERT_EQ(::symlink("/etc", (dir_ + "/link").c_str()), 0);
    auto r = xc::storage::copyTree(dir_ + "/link", dst_);
    ASSERT_FALSE(r);
    // O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR.
    EXPECT_TRUE(r.error().code() == ENOTDIR || r.error().code() == ELOOP) << r.error().message();
    EXPECT_FALSE(xcit::exists(dst_));
}

}  // namespace
