// The OCI reader's pure parts: -u references and digests; the unpacker's
// whiteout modes on a real tar file in a temporary directory (no root).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fsutil.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"
#include "image/unpack.hpp"

namespace {

using namespace xc::image;

TEST(OciReference, ParsesTheFourKindsAsLxcOciDoes) {
    auto r = parseOciReference("oci:/srv/img:1.0");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OciReference::Kind::Layout);
    EXPECT_EQ(r->path, "/srv/img");
    EXPECT_EQ(r->tag, "1.0");
    r = parseOciReference("oci:/srv/a:b/img");  // a ':' in a directory name, no tag
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->path, "/srv/a:b/img");
    EXPECT_EQ(r->tag, "");
    r = parseOciReference("oci-archive:/tmp/x.tar");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OciReference::Kind::LayoutArchive);
    EXPECT_EQ(r->path, "/tmp/x.tar");
    r = parseOciReference("docker-archive:/tmp/d.tar:repo/name:2");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OciReference::Kind::DockerArchive);
    EXPECT_EQ(r->path, "/tmp/d.tar");
    EXPECT_EQ(r->tag, "repo/name:2");
    r = parseOciReference("docker://debian:bookworm");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kind, OciReference::Kind::Registry);
    for (const char* bad : {"", "/srv/img", "http://x/y", "oci:"}) EXPECT_FALSE(parseOciReference(bad).ok()) << bad;
}

TEST(OciDigest, AcceptsOnlyWellFormedSha256) {
    const std::string hex(64, 'a');
    EXPECT_EQ(*sha256Hex("sha256:" + hex), hex);
    EXPECT_FALSE(sha256Hex("sha512:" + hex).ok());
    EXPECT_FALSE(sha256Hex("sha256:" + hex.substr(1)).ok());
    EXPECT_FALSE(sha256Hex("sha256:" + std::string(64, 'A')).ok());
    EXPECT_FALSE(sha256Hex("sha256:../../../../etc/passwd" + std::string(36, 'a')).ok());
    Sha256 h;
    h.update("abc", 3);
    EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class WhiteoutTest : public ::testing::Test {
protected:
    void SetUp() override {
        char t[] = "/tmp/xc-unit-oci-XXXXXX";
        ASSERT_NE(::mkdtemp(t), nullptr);
        dir_ = t;
        ASSERT_EQ(::mkdir((dir_ + "/root").c_str(), 0755), 0);
        root_ = ::open((dir_ + "/root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    void TearDown() override {
        ::close(root_);
        (void)xc::removeTree(dir_);
    }
    std::string tar(const std::string& name, const std::vector<std::pair<std::string, mode_t>>& members) {
        const std::string f = dir_ + "/" + name;
        struct archive* a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_open_filename(a, f.c_str());
        for (const auto& [path, type] : members) {
            archive_entry* e = archive_entry_new();
            archive_entry_set_pathname(e, path.c_str());
            archive_entry_set_filetype(e, type);
            archive_entry_set_perm(e, 0755);
            archive_entry_set_size(e, type == AE_IFREG ? 1 : 0);
            archive_write_header(a, e);
            if (type == AE_IFREG) archive_write_data(a, "x", 1);
            archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        return f;
    }
    bool has(const std::string& rel) {
        struct stat st;
        return ::lstat((dir_ + "/root/" + rel).c_str(), &st) == 0;
    }
    std::string dir_;
    int root_ = -1;
};

TEST_F(WhiteoutTest, ApplyDeletesWhatLowerLayersMadeAndKeepsThisLayers) {
    UnpackOptions o;
    o.whiteouts = Whiteouts::Apply;
    ASSERT_TRUE(unpackTarball(tar("1.tar", {{"d", AE_IFDIR}, {"d/old", AE_IFREG}, {"d/sub", AE_IFDIR},
                                            {"d/sub/f", AE_IFREG}, {"gone", AE_IFDIR}, {"gone/f", AE_IFREG},
                                            {"file", AE_IFREG}}),
                              root_, o)
                    .ok());
    // Layer 2 makes d/new before the opaque marker (it stays) and a
    // directory where layer 1 had the file "file".
    auto r = unpackTarball(tar("2.tar", {{"d/new", AE_IFREG}, {"d/.wh..wh..opq", AE_IFREG}, {".wh.gone", AE_IFREG},
                                         {"file", AE_IFDIR}, {".wh..wh.plnk", AE_IFREG}}),
                           root_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(has("d/new"));
    EXPECT_FALSE(has("d/old"));
    EXPECT_FALSE(has("d/sub"));
    EXPECT_FALSE(has("gone"));
    EXPECT_FALSE(has(".wh.gone"));
    EXPECT_FALSE(has(".wh..wh.plnk"));
    struct stat st;
    ASSERT_EQ(::lstat((dir_ + "/root/file").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(r->whiteouts, 1u);
    EXPECT_EQ(r->opaqueDirs, 1u);
    // A layer that deletes what it made itself is malformed.
    auto bad = unpackTarball(tar("3.tar", {{"x", AE_IFREG}, {".wh.x", AE_IFREG}}), root_, o);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("which this layer itself made: refused"), std::string::npos)
        << bad.error().message();
}

TEST_F(WhiteoutTest, KeepLeavesWhiteoutNamesAsPlainFiles) {
    ASSERT_TRUE(unpackTarball(tar("1.tar", {{".wh.x", AE_IFREG}, {"d", AE_IFDIR}, {"d/.wh..wh..opq", AE_IFREG}}), root_).ok());
    EXPECT_TRUE(has(".wh.x"));
    EXPECT_TRUE(has("d/.wh..wh..opq"));
}

TEST_F(WhiteoutTest, OverlayModeWritesOverlayfsWhiteoutsAsRoot) {
    if (::geteuid() != 0) GTEST_SKIP() << "a 0/0 character device needs root outside a user namespace";
    UnpackOptions o;
    o.whiteouts = Whiteouts::Overlay;
    o.hashTar = true;
    const std::string f = tar("1.tar", {{"d", AE_IFDIR}, {"d/.wh..wh..opq", AE_IFREG}, {"d/.wh.x", AE_IFREG}});
    auto r = unpackTarball(f, root_, o);
    ASSERT_TRUE(r.ok()) << r.error().message();
    struct stat st;
    ASSERT_EQ(::lstat((dir_ + "/root/d/x").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
    char v[4] = {};
    EXPECT_EQ(::getxattr((dir_ + "/root/d").c_str(), "user.overlay.opaque", v, sizeof v), 1);
    EXPECT_EQ(v[0], 'y');
    // A plain tar: its digest and its diff_id are the file's SHA-256.
    EXPECT_EQ(r->tarSha256, *sha256OfFile(f));
    EXPECT_EQ(r->fileSha256, r->tarSha256);
}

}  // namespace
