// The layer store's name for a directory tree (image/tree_digest.hpp) and
// LayerStore::addTree over it, in a temporary directory (no root): the
// digest follows every attribute an overlay shows, survives the store's
// copy, and an unchanged tree is found again, by its stamp, without a copy.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fsutil.hpp"
#include "image/layer_store.hpp"
#include "image/tree_digest.hpp"

namespace {

using namespace xc::image;

class TreeDigestTest : public ::testing::Test {
protected:
    void SetUp() override {
        char t[] = "/tmp/xc-unit-tree-XXXXXX";
        ASSERT_NE(::mkdtemp(t), nullptr);
        dir_ = t;
        tree_ = dir_ + "/tree";
        ASSERT_EQ(::mkdir(tree_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir((tree_ + "/etc").c_str(), 0755), 0);
        write("etc/hostname", "localhost\n");
        write("etc/os-release", "ID=debian\n");
        ASSERT_EQ(::symlink("os-release", (tree_ + "/etc/os").c_str()), 0);
        ASSERT_EQ(::link((tree_ + "/etc/hostname").c_str(), (tree_ + "/etc/hostname2").c_str()), 0);
        fixDirTimes();
    }
    void TearDown() override { (void)xc::removeTree(dir_); }
    void write(const std::string& rel, const std::string& text) {
        ASSERT_TRUE(xc::writeFileAtomic(tree_ + "/" + rel, text, 0644));
        // Fixed times: a rewrite of the same bytes is the same tree.
        struct timespec ts[2] = {{1000, 0}, {1000, 0}};
        ASSERT_EQ(::utimensat(AT_FDCWD, (tree_ + "/" + rel).c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
        fixDirTimes();
    }
    // A directory's mtime is part of the tree: a rename into it moves it.
    void fixDirTimes() {
        struct timespec ts[2] = {{1000, 0}, {1000, 0}};
        for (const std::string d : {tree_ + "/etc", tree_})
            ASSERT_EQ(::utimensat(AT_FDCWD, d.c_str(), ts, 0), 0);
    }
    std::string digest(const std::string& d) {
        auto r = digestTree(d);
        EXPECT_TRUE(r) << (r ? "" : r.error().message());
        return r ? r->sha256 : "";
    }
    std::string dir_, tree_;
};

TEST_F(TreeDigestTest, FollowsContentModeLinksAndXattrsButNotAtime) {
    const std::string d0 = digest(tree_);
    ASSERT_EQ(d0.size(), 64u);
    EXPECT_EQ(digest(tree_), d0);
    // atime is not part of it.
    struct timespec at[2] = {{5, 0}, {0, UTIME_OMIT}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (tree_ + "/etc/os-release").c_str(), at, 0), 0);
    EXPECT_EQ(digest(tree_), d0);
    // Content (same size, same mtime).
    write("etc/os-release", "ID=ubuntu\n");
    const std::string d1 = digest(tree_);
    EXPECT_NE(d1, d0);
    write("etc/os-release", "ID=debian\n");
    EXPECT_EQ(digest(tree_), d0);
    // Mode.
    ASSERT_EQ(::chmod((tree_ + "/etc/os-release").c_str(), 0600), 0);
    EXPECT_NE(digest(tree_), d0);
    ASSERT_EQ(::chmod((tree_ + "/etc/os-release").c_str(), 0644), 0);
    EXPECT_EQ(digest(tree_), d0);
    // A symlink's target.
    ASSERT_EQ(::unlink((tree_ + "/etc/os").c_str()), 0);
    ASSERT_EQ(::symlink("hostname", (tree_ + "/etc/os").c_str()), 0);
    fixDirTimes();
    EXPECT_NE(digest(tree_), d0);
    ASSERT_EQ(::unlink((tree_ + "/etc/os").c_str()), 0);
    ASSERT_EQ(::symlink("os-release", (tree_ + "/etc/os").c_str()), 0);
    fixDirTimes();
    // (the symlink's own mtime changed with it: compare from here on)
    const std::string d2 = digest(tree_);
    if (::setxattr((tree_ + "/etc/hostname").c_str(), "user.test", "1", 1, 0) == 0)
        EXPECT_NE(digest(tree_), d2);
    // A hard link is not a copy: the same bytes as a separate file differ.
    ASSERT_EQ(::unlink((tree_ + "/etc/hostname2").c_str()), 0);
    ASSERT_TRUE(xc::writeFileAtomic(tree_ + "/etc/hostname2", "localhost\n", 0644));
    fixDirTimes();
    EXPECT_NE(digest(tree_), d2);
}

TEST_F(TreeDigestTest, TheStoreKeepsOneCopyUnderTheTreesDigestAndFindsItAgainByItsStamp) {
    const std::string d0 = digest(tree_);
    LayerStore store(dir_ + "/store");
    const std::string stamp = dir_ + "/tree.layer";
    auto a = store.addTree(tree_, stamp);
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_TRUE(a->added);
    EXPECT_FALSE(a->fromStamp);
    EXPECT_EQ(a->id, d0);
    EXPECT_EQ(a->path, store.layerPath(d0));
    EXPECT_EQ(digest(a->path), d0) << "the copy is not the tree";
    auto text = xc::readRegularFile(a->path + "/etc/hostname", 100);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "localhost\n");
    // Again: the stamp says it, nothing is read or copied.
    auto b = store.addTree(tree_, stamp);
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_FALSE(b->added);
    EXPECT_TRUE(b->fromStamp);
    EXPECT_EQ(b->path, a->path);
    // Without the stamp: read again, the same digest, found, not copied.
    auto c = store.addTree(tree_, "");
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_FALSE(c->added);
    EXPECT_FALSE(c->fromStamp);
    EXPECT_EQ(c->path, a->path);
    // A changed tree (here its root's ctime moves: the stamp looks only at
    // the root, as a rebuilt cache is a new directory) is a new layer.
    write("motd", "hello\n");
    auto d = store.addTree(tree_, stamp);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_TRUE(d->added);
    EXPECT_NE(d->id, d0);
    EXPECT_TRUE(xc::pathExists(a->path)) << "the old layer is kept for its users";
    // Nothing half-made is left in the store.
    auto names = xc::listDir(store.layersDir());
    ASSERT_TRUE(names);
    EXPECT_EQ(names->size(), 2u);
}

TEST_F(TreeDigestTest, AMissingTreeOrAFileIsOneLine) {
    LayerStore store(dir_ + "/store");
    auto r = store.addTree(dir_ + "/nothing", "");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("/nothing"), std::string::npos) << r.error().message();
    auto f = store.addTree(tree_ + "/etc/hostname", "");
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().message().find("not a directory"), std::string::npos) << f.error().message();
}

}  // namespace
