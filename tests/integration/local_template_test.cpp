// The local template (templates/local, a C++ program over the image
// module) through xc-create: a container from a busybox rootfs tarball
// and LXC metadata (config mapped, templates substituted, excludes
// honoured) that starts; a hostile tarball refused with one line and
// nothing written outside the rootfs.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "harness.hpp"

namespace {

using namespace xcit;

class LocalTemplateTest : public XcTest {
protected:
    // A busybox rootfs (the busybox template's), as rootfs.tar.xz, and
    // meta.tar.xz with the given files; returns the rootfs tarball.
    std::string makeImage(const std::map<std::string, std::string>& meta) {
        std::string img = scratch_ + "/img";
        std::string tree = img + "/tree";
        EXPECT_EQ(::mkdir(img.c_str(), 0755), 0);
        EXPECT_EQ(::mkdir(tree.c_str(), 0755), 0);
        auto r = run({std::string(XC_SOURCE_DIR) + "/templates/busybox", "--name", "imgsrc", "--path", img, "--rootfs",
                      tree, "--config", img + "/busybox.conf"});
        EXPECT_TRUE(r.ok()) << r.describe();
        writeText(tree + "/etc/motd", "welcome to LXC_NAME at LXC_ROOTFS_PATH\n");
        writeText(tree + "/var/log/build.log", "excluded\n");
        r = run({"/bin/tar", "--numeric-owner", "-C", tree, "-cJf", img + "/rootfs.tar.xz", "."});
        EXPECT_TRUE(r.ok()) << r.describe();
        std::string metaDir = img + "/meta";
        EXPECT_EQ(::mkdir(metaDir.c_str(), 0755), 0);
        std::vector<std::string> tarArgs = {"/bin/tar", "-C", metaDir, "-cJf", img + "/meta.tar.xz"};
        for (const auto& [name, text] : meta) {
            writeText(metaDir + "/" + name, text);
            tarArgs.push_back(name);
        }
        r = run(tarArgs);
        EXPECT_TRUE(r.ok()) << r.describe();
        return img + "/rootfs.tar.xz";
    }
};

TEST_F(LocalTemplateTest, CreatesAContainerThatStartsWithTheMetadataApplied) {
    std::string rootfsTar = makeImage({
        {"config",
         "lxc.include = LXC_TEMPLATE_CONFIG/common.conf\nlxc.arch = x86_64\nlxc.init.cmd = /sbin/init\n"
         "lxc.signal.halt = SIGUSR1\nlxc.signal.reboot = SIGTERM\nlxc.tty.max = 2\n"},
        {"templates", "/etc/motd\n/etc/not-there\n"},
        {"excludes", "var/log/*\n"},
        {"create-message", "image by the test\n"},
    });
    ASSERT_FALSE(HasFailure());
    auto r = xc("xc-create", {"-n", "loc", "-t", "local", "--", "--rootfs", rootfsTar, "--metadata",
                              scratch_ + "/img/meta.tar.xz"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "lxc.arch = x86_64 (no xc key")) << r.out;
    EXPECT_TRUE(contains(r.out, "image by the test")) << r.out;
    EXPECT_EQ(readText(rootfs("loc") + "/etc/motd"), "welcome to loc at " + rootfs("loc") + "\n");
    EXPECT_FALSE(exists(rootfs("loc") + "/var/log/build.log"));
    EXPECT_TRUE(isDir(rootfs("loc") + "/var/log"));
    std::string conf = readText(configFile("loc"));
    EXPECT_TRUE(contains(conf, "SIGUSR1")) << conf;
    EXPECT_TRUE(contains(conf, "count = 2")) << conf;

    XC_ASSERT_OK(start("loc"));
    EXPECT_EQ(state("loc"), "RUNNING");
    auto a = attach("loc", {"/bin/cat", "/etc/motd"});
    XC_EXPECT_OK(a);
    EXPECT_TRUE(contains(a.out, "welcome to loc")) << a.describe();
    XC_EXPECT_OK(stop("loc"));
    expectNothingRunning("loc", "after stop");
}

TEST_F(LocalTemplateTest, AHostileTarballIsRefusedWithOneLineAndNothingOutside) {
    std::string outside = makeSentinelDir();
    std::string tar = scratch_ + "/hostile.tar.gz";
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    ASSERT_EQ(archive_write_open_filename(a, tar.c_str()), ARCHIVE_OK);
    auto add = [&](const std::string& path, mode_t type, const std::string& link, const std::string& data) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, 0755);
        if (type == AE_IFLNK) archive_entry_set_symlink(e, link.c_str());
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        if (!data.empty()) archive_write_data(a, data.data(), data.size());
        archive_entry_free(e);
    };
    add("./", AE_IFDIR, "", "");
    add("./etc", AE_IFLNK, outside, "");
    add("./etc/cron.d/evil", AE_IFREG, "", "* * * * * root touch /pwned\n");
    archive_write_close(a);
    archive_write_free(a);

    auto r = xc("xc-create", {"-n", "bad", "-t", "local", "--", "--rootfs", tar});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(listNames(outside).empty()) << "written outside the rootfs";
    std::vector<std::string> errLines;
    for (const auto& l : lines(r.err))
        if (contains(l, "local template:")) errLines.push_back(l);
    ASSERT_EQ(errLines.size(), 1u) << r.err;
    EXPECT_TRUE(contains(errLines[0], "member ./etc/cron.d/evil")) << errLines[0];
    EXPECT_TRUE(contains(errLines[0], "leads outside the rootfs: refused")) << errLines[0];
    EXPECT_FALSE(exists(containerDir("bad")));
}

}  // namespace
