// The image module's tarball unpack (image/unpack.hpp) as root on a real
// file system: the same tree as GNU tar -xpf makes from the same archive
// (owners, modes, ns times, file capabilities, ACLs, devices, FIFOs,
// symlinks, hard links, a sparse file), every compression, and hostile
// archives (built here with libarchive) refused with one line naming the
// member, with nothing written outside the rootfs.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "harness.hpp"
#include "image/unpack.hpp"

namespace {

using xcit::removeTree;

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

// One line per object: what tar and the unpack must agree on.
std::map<std::string, std::string> describeTree(const std::string& root) {
    std::map<std::string, std::string> out;
    std::vector<std::string> rels = xcit::listTree(root);
    rels.push_back("");
    std::map<ino_t, std::string> firstName;
    for (const auto& rel : rels) {
        std::string p = rel.empty() ? root : root + "/" + rel;
        struct stat st;
        if (::lstat(p.c_str(), &st) < 0) continue;
        std::string d = "mode=" + std::to_string(st.st_mode) + " uid=" + std::to_string(st.st_uid) +
                        " gid=" + std::to_string(st.st_gid) + " rdev=" + std::to_string(st.st_rdev);
        if (!S_ISLNK(st.st_mode))  // tar sets no times on symlinks by default
            d += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
        if (!S_ISDIR(st.st_mode)) {
            d += " size=" + std::to_string(st.st_size) + " blocks=" + std::to_string(st.st_blocks);
            auto [it, fresh] = firstName.emplace(st.st_ino, rel);
            if (!fresh) d += " same-inode-as=" + it->second;
        }
        for (const auto& [k, v] : xattrsOf(p)) d += " " + k + "=" + std::to_string(std::hash<std::string>{}(v));
        if (S_ISREG(st.st_mode)) d += " data=" + std::to_string(std::hash<std::string>{}(xcit::readText(p)));
        if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t k = ::readlink(p.c_str(), buf, sizeof buf);
            d += " -> " + std::string(buf, static_cast<size_t>(std::max<ssize_t>(k, 0)));
        }
        out[rel] = d;
    }
    return out;
}

// A POSIX ACL xattr: user::rwx user:1234:r-x group::r-x mask::r-x other::r-x.
std::string aclXattr() {
    struct Ent {
        uint16_t tag, perm;
        uint32_t id;
    };
    std::vector<Ent> ents = {{0x01, 7, 0xffffffffu}, {0x02, 5, 1234}, {0x04, 5, 0xffffffffu},
                             {0x10, 5, 0xffffffffu}, {0x20, 5, 0xffffffffu}};
    uint32_t version = 2;
    std::string out(reinterpret_cast<const char*>(&version), 4);
    for (const auto& e : ents) out.append(reinterpret_cast<const char*>(&e), sizeof e);
    return out;
}

std::string capXattr() {
    struct vfs_cap_data d = {};
    d.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    d.data[0].permitted = 1u << CAP_NET_RAW;
    return std::string(reinterpret_cast<const char*>(&d), XATTR_CAPS_SZ_2);
}

// A member of a hand-made archive.
struct Member {
    std::string path;
    mode_t type = AE_IFREG;
    std::string data;     // regular files
    std::string link;     // symlink target or, with hard, hard-link target
    bool hard = false;
    mode_t perm = 0644;
};

// Writes members as a pax tar through libarchive, compressed with `filter`
// ("none", "xz", "gzip", "zstd", "bzip2").
bool writeTar(const std::string& path, const std::vector<Member>& members, const std::string& filter = "none") {
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter != "none" && archive_write_add_filter_by_name(a, filter.c_str()) != ARCHIVE_OK) return false;
    if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) return false;
    for (const auto& m : members) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, m.path.c_str());
        archive_entry_set_filetype(e, m.type);
        archive_entry_set_perm(e, m.perm);
        archive_entry_set_mtime(e, 1700000000, 5);
        if (m.hard) archive_entry_set_hardlink(e, m.link.c_str());
        else if (m.type == AE_IFLNK) archive_entry_set_symlink(e, m.link.c_str());
        archive_entry_set_size(e, m.type == AE_IFREG && !m.hard ? static_cast<la_int64_t>(m.data.size()) : 0);
        bool ok = archive_write_header(a, e) == ARCHIVE_OK;
        if (ok && !m.data.empty()) ok = archive_write_data(a, m.data.data(), m.data.size()) == static_cast<la_ssize_t>(m.data.size());
        archive_entry_free(e);
        if (!ok) return false;
    }
    bool ok = archive_write_close(a) == ARCHIVE_OK;
    archive_write_free(a);
    return ok;
}

class UnpackTest : public xcit::XcTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (mknod, chown, security.* xattrs)";
        XcTest::SetUp();
        if (HasFatalFailure()) return;
        char tmpl[] = "/tmp/xc-it-unpack-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        rootfs_ = dir_ + "/rootfs";
        outside_ = dir_ + "/outside";
        ASSERT_EQ(::mkdir(rootfs_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(outside_.c_str(), 0755), 0);
        ASSERT_TRUE(xcit::writeText(outside_ + "/victim", "original\n"));
    }
    void TearDown() override {
        if (!dir_.empty()) {
            EXPECT_TRUE(removeTree(dir_)) << dir_;
        }
        XcTest::TearDown();
    }
    xc::Result<xc::image::UnpackStats> unpack(const std::string& tarball, const std::string& into = "") {
        std::string dst = into.empty() ? rootfs_ : into;
        int fd = ::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        auto r = xc::image::unpackTarball(tarball, fd);
        ::close(fd);
        return r;
    }
    // The archive is refused with an error naming the member and `reason`,
    // and nothing outside the rootfs changed.
    void expectRefused(const std::vector<Member>& members, const std::string& member, const std::string& reason) {
        std::string tar = dir_ + "/hostile.tar";
        ASSERT_TRUE(writeTar(tar, members));
        auto r = unpack(tar);
        ASSERT_FALSE(r.ok()) << "unpacked a hostile archive (member " << member << ")";
        std::string msg = r.error().message();
        EXPECT_NE(msg.find("member " + member + ":"), std::string::npos) << msg;
        EXPECT_NE(msg.find(reason), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "more than one line: " << msg;
        EXPECT_EQ(xcit::listNames(outside_), std::vector<std::string>{"victim"});
        EXPECT_EQ(xcit::readText(outside_ + "/victim"), "original\n");
        EXPECT_FALSE(xcit::exists(dir_ + "/evil"));
        EXPECT_FALSE(xcit::exists("/tmp/xc-it-unpack-absolute-evil"));
    }
    std::string dir_, rootfs_, outside_;
};

TEST_F(UnpackTest, RefusesDotDotComponents) {
    expectRefused({{"etc/", AE_IFDIR, "", "", false, 0755}, {"../evil", AE_IFREG, "x"}}, "../evil", "a '..' component");
    expectRefused({{"a/b/../../../outside/victim", AE_IFREG, "pwned"}}, "a/b/../../../outside/victim", "'..'");
}

TEST_F(UnpackTest, RefusesAbsolutePaths) {
    expectRefused({{"/tmp/xc-it-unpack-absolute-evil", AE_IFREG, "x"}}, "/tmp/xc-it-unpack-absolute-evil",
                  "an absolute path");
}

TEST_F(UnpackTest, RefusesWritingThroughASymlinkThatLeadsOut) {
    // The classic: a link to a host directory, then a member below it.
    expectRefused({{"escape", AE_IFLNK, "", outside_}, {"escape/victim", AE_IFREG, "pwned"}}, "escape/victim",
                  "leads outside the rootfs");
    ASSERT_TRUE(removeTree(rootfs_) && ::mkdir(rootfs_.c_str(), 0755) == 0);
    // The same with a relative link climbing out.
    expectRefused({{"d/", AE_IFDIR, "", "", false, 0755}, {"d/up", AE_IFLNK, "", "../../outside"},
                   {"d/up/new", AE_IFREG, "pwned"}},
                  "d/up/new", "leads outside the rootfs");
}

TEST_F(UnpackTest, RefusesHardLinksOutOfTheRootfs) {
    expectRefused({{"h", AE_IFREG, "", "../outside/victim", true}}, "h", "'..'");
    ASSERT_TRUE(removeTree(rootfs_) && ::mkdir(rootfs_.c_str(), 0755) == 0);
    expectRefused({{"h", AE_IFREG, "", outside_ + "/victim", true}}, "h", "an absolute path");
    ASSERT_TRUE(removeTree(rootfs_) && ::mkdir(rootfs_.c_str(), 0755) == 0);
    expectRefused({{"out", AE_IFLNK, "", outside_}, {"h", AE_IFREG, "", "out/victim", true}}, "h", "leads outside");
}

TEST_F(UnpackTest, RefusesReplacingADirectoryWithALink) {
    expectRefused({{"etc/", AE_IFDIR, "", "", false, 0755}, {"etc", AE_IFLNK, "", outside_}, {"etc/victim", AE_IFREG, "x"}},
                  "etc", "would replace a directory with a symbolic link");
}

TEST_F(UnpackTest, AFileOverASymlinkReplacesTheLinkNotItsTarget) {
    std::string tar = dir_ + "/t.tar";
    ASSERT_TRUE(writeTar(tar, {{"x", AE_IFLNK, "", outside_ + "/victim"}, {"x", AE_IFREG, "inside\n"}}));
    auto r = unpack(tar);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(xcit::readText(outside_ + "/victim"), "original\n");
    struct stat st;
    ASSERT_EQ(::lstat((rootfs_ + "/x").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(xcit::readText(rootfs_ + "/x"), "inside\n");
}

TEST_F(UnpackTest, ReadsEveryCompression) {
    for (const char* f : {"none", "xz", "gzip", "zstd", "bzip2"}) {
        std::string tar = dir_ + "/c.tar." + f, into = dir_ + "/c-" + f;
        ASSERT_TRUE(writeTar(tar, {{"./", AE_IFDIR, "", "", false, 0755}, {"./etc/os-release", AE_IFREG, "ID=test\n"}}, f)) << f;
        ASSERT_EQ(::mkdir(into.c_str(), 0755), 0);
        auto r = unpack(tar, into);
        ASSERT_TRUE(r.ok()) << f << ": " << r.error().message();
        EXPECT_EQ(xcit::readText(into + "/etc/os-release"), "ID=test\n") << f;
    }
    std::string junk = dir_ + "/junk.tar.xz";
    ASSERT_TRUE(xcit::writeText(junk, std::string(4096, 'j')));
    auto r = unpack(junk);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("unpack " + junk), std::string::npos) << r.error().message();
}

// A tree with everything a rootfs holds, archived by GNU tar, unpacked by
// GNU tar and by the image module: the two trees are the same.
TEST_F(UnpackTest, SameTreeAsGnuTar) {
    std::string src = dir_ + "/src";
    ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
    auto at = [&](const std::string& rel) { return src + "/" + rel; };
    ASSERT_EQ(::mkdir(at("etc").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(at("acl").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(at("ro").c_str(), 0555), 0);
    ASSERT_TRUE(xcit::writeText(at("etc/passwd"), "root:x:0:0::/root:/bin/sh\n"));
    ASSERT_EQ(::link(at("etc/passwd").c_str(), at("etc/passwd.hard").c_str()), 0);
    ASSERT_TRUE(xcit::writeText(at("ping"), "#!/bin/true\n", 04755));
    ASSERT_EQ(::chmod(at("ping").c_str(), 04755), 0);
    ASSERT_EQ(::chown(at("etc/passwd").c_str(), 1000, 1001), 0);
    ASSERT_TRUE(xcit::writeText(at("capped"), "bin\n", 0755));
    std::string cap = capXattr(), acl = aclXattr();
    ASSERT_EQ(::setxattr(at("capped").c_str(), "security.capability", cap.data(), cap.size(), 0), 0) << std::strerror(errno);
    ASSERT_EQ(::setxattr(at("acl").c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0), 0);
    ASSERT_EQ(::setxattr(at("acl").c_str(), "system.posix_acl_default", acl.data(), acl.size(), 0), 0);
    ASSERT_TRUE(xcit::writeText(at("acl/inherits"), "x\n"));
    // Without an ACL of its own in the archive: the unpack must not leave it
    // the one it inherits from acl's default ACL.
    ASSERT_TRUE(xcit::writeText(at("acl/plain"), "y\n"));
    ASSERT_EQ(::removexattr(at("acl/plain").c_str(), "system.posix_acl_access"), 0) << std::strerror(errno);
    ASSERT_EQ(::mknod(at("etc/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::mknod(at("etc/loop9").c_str(), S_IFBLK | 0660, makedev(7, 9)), 0);
    ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0620), 0);
    ASSERT_EQ(::symlink("etc/passwd", at("rel-link").c_str()), 0);
    ASSERT_EQ(::symlink("/nonexistent/abs", at("abs-link").c_str()), 0);
    int fd = ::open(at("sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "end", 3, 32 << 20), 3);
    ::close(fd);
    ASSERT_TRUE(xcit::writeText(at("ro/file"), "in a read-only dir\n"));
    struct timespec t[2] = {{1600000000, 123456789}, {1600000000, 987654321}};
    for (const char* p : {"etc/passwd", "ping", "ro", "etc", "sparse", "fifo"}) ASSERT_EQ(::utimensat(AT_FDCWD, at(p).c_str(), t, AT_SYMLINK_NOFOLLOW), 0);
    ASSERT_EQ(::chmod(at("ro").c_str(), 0555), 0);

    std::string tar = dir_ + "/tree.tar.xz";
    auto r = run({"/bin/tar", "--xattrs", "--xattrs-include=*", "--acls", "--sparse", "--numeric-owner", "-C", src,
                              "-cJf", tar, "."});
    ASSERT_TRUE(r.ok()) << r.describe();
    std::string byTar = dir_ + "/by-tar";
    ASSERT_EQ(::mkdir(byTar.c_str(), 0755), 0);
    r = run({"/bin/tar", "--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner", "-C", byTar, "-xpf", tar});
    ASSERT_TRUE(r.ok()) << r.describe();
    auto u = unpack(tar);
    ASSERT_TRUE(u.ok()) << u.error().message();
    auto want = describeTree(byTar), got = describeTree(rootfs_);
    EXPECT_EQ(got.size(), want.size());
    for (const auto& [rel, d] : want) EXPECT_EQ(got[rel], d) << rel;
    struct stat st;
    ASSERT_EQ(::stat((rootfs_ + "/sparse").c_str(), &st), 0);
    EXPECT_LT(st.st_blocks, 64) << "the sparse file's hole was written";
    EXPECT_EQ(u->hardLinks, 1u);
    EXPECT_EQ(u->specials, 3u);
}

}  // namespace
