// The pure parts of lxcfs support: which files are bound, and finding the
// filesystem type mounted on a directory in mountinfo text.
#include <gtest/gtest.h>

#include <algorithm>

#include "mount/lxcfs.hpp"

using namespace xc;

TEST(Lxcfs, FilesAreProcsAndTheCpuOnlineList) {
    const auto& f = lxcfsFiles();
    for (const char* want : {"proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime", "proc/loadavg",
                             "proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online"})
        EXPECT_NE(std::find(f.begin(), f.end(), want), f.end()) << want;
    for (const auto& p : f) EXPECT_TRUE(p.rfind("proc/", 0) == 0 || p.rfind("sys/", 0) == 0) << p;
}

TEST(Lxcfs, MountTypeAtReadsTheTopMountOfAPoint) {
    const std::string info =
        "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
        "298 26 0:65 / /var/lib/lxcfs rw,nosuid,nodev,relatime shared:150 - fuse.lxcfs lxcfs "
        "rw,user_id=0,group_id=0,allow_other\n"
        "300 26 0:70 / /srv/with\\040space rw - fuse.lxcfs lxcfs rw\n"
        "301 26 0:71 / /tmp/stacked rw - tmpfs tmpfs rw\n"
        "302 301 0:72 / /tmp/stacked rw - fuse.lxcfs lxcfs rw\n"
        "garbage line\n";
    EXPECT_EQ(mountTypeAt(info, "/var/lib/lxcfs"), "fuse.lxcfs");
    EXPECT_EQ(mountTypeAt(info, "/srv/with space"), "fuse.lxcfs");
    EXPECT_EQ(mountTypeAt(info, "/tmp/stacked"), "fuse.lxcfs");
    EXPECT_EQ(mountTypeAt(info, "/proc"), "proc");
    EXPECT_EQ(mountTypeAt(info, "/var/lib"), "");
    EXPECT_EQ(mountTypeAt(info, "/var/lib/lxcfs/proc"), "");
}
