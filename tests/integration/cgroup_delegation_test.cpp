// The container's root owns only the cgroup below its limits: whatever it
// remounts, writes or nests inside its cgroup view, the limits and the
// device policy the host set hold, and a stop removes everything it made.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace xcit;

namespace {

std::string trimmed(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\n");
    size_t e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

class CgroupDelegation : public XcTest {
protected:
    void TearDown() override {
        // Processes first (the harness's own teardown does the rest), then
        // whatever deep nest a failed run left where path-based cleanup
        // cannot reach it.
        for (const auto& n : started_) (void)kill(n);
        for (const auto& n : started_)
            for (const auto& dir : cgroupDirs(n)) {
                int parent = ::open(dir.substr(0, dir.rfind('/')).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0) continue;
                removeCgroupTreeAt(parent, n);
                ::close(parent);
            }
        XcTest::TearDown();
    }
    std::vector<std::string> started_;
};

// The block device that holds the host's root filesystem, as "MAJ MIN".
std::string hostRootDisk() {
    struct stat st;
    if (::stat("/", &st) < 0) return "";
    return std::to_string(major(st.st_dev)) + " " + std::to_string(minor(st.st_dev));
}

}  // namespace

// Issue 12, escape 2: the container remounts every cgroup mount of its view
// read-write (and mounts a fresh devices hierarchy), grants itself the
// host's root disk and lifts its memory, pids and cpu limits. Before, the
// device list and limits were on the container's own cgroup, the root of
// its cgroup namespace: the writes took and the root disk opened.
TEST_F(CgroupDelegation, ContainerRootCannotRaiseItsLimitsOrGrantItselfDevices) {
    const std::string disk = hostRootDisk();
    ASSERT_FALSE(disk.empty());
    const std::string majMin = disk.substr(0, disk.find(' ')) + ":" + disk.substr(disk.find(' ') + 1);
    // Privileged: its root may mknod the disk, the stronger attack (in a
    // user namespace the mknod itself is refused).
    XC_ASSERT_OK(createWithConfig("d1",
                                  "security = { privileged = true; };\n"
                                  "cgroup = { memory = { max = \"64M\"; }; pids = { max = 20; };\n"
                                  "           cpu = { max = \"50000 100000\"; }; };\n"));
    XC_ASSERT_OK(start("d1"));
    started_.push_back("d1");

    const std::string script =
        "for m in $(awk '$3==\"cgroup\"||$3==\"cgroup2\"{print $2}' /proc/mounts); do\n"
        "  mount -o remount,bind,rw $m && echo \"remounted $m\"; done\n"
        "mkdir -p /tmp/cgd && mount -t cgroup -o devices none /tmp/cgd 2>/dev/null && echo 'fresh devices mount'\n"
        "for f in /sys/fs/cgroup/*/devices.allow /tmp/cgd/devices.allow; do\n"
        "  [ -f $f ] || continue\n"
        "  for rule in 'b " + majMin + " rwm' 'a'; do\n"
        "    if echo \"$rule\" 2>/dev/null > $f; then echo \"GRANTED $rule in $f\"; fi; done; done\n"
        "for f in memory.limit_in_bytes memory.memsw.limit_in_bytes memory.max pids.max cpu.cfs_quota_us cpu.max; do\n"
        "  case $f in cpu.max) v='max 100000';; pids.max|memory.max) v=max;; *) v=-1;; esac\n"
        "  for p in /sys/fs/cgroup/$f /sys/fs/cgroup/*/$f; do\n"
        "    [ -f $p ] && echo \"$v\" 2>/dev/null > $p && echo \"wrote $v to $p\"; done; done\n"
        "mknod /tmp/rootdisk b " + disk + " && mknod /tmp/fuse c 10 229 && echo 'mknod ok'\n"
        // fuse: a device outside the default list that opens without any
        // capability (some hosts keep the root disk even from their root).
        "if (: < /tmp/fuse) 2>/dev/null; then echo 'OPENED A DEVICE NOT IN THE LIST'; fi\n"
        "if dd if=/tmp/rootdisk of=/dev/null bs=512 count=1 2>/dev/null; then echo 'READ THE HOST DISK'; fi\n"
        // Opened for writing, nothing written (in a subshell: a failed
        // redirection of a special builtin ends the shell).
        "if (: >> /tmp/rootdisk) 2>/dev/null; then echo 'OPENED THE HOST DISK FOR WRITING'; fi\n"
        "echo done\n";
    RunResult r = attach("d1", {"/bin/sh", "-c", script});
    ASSERT_TRUE(contains(r.out, "done")) << r.describe();
    EXPECT_TRUE(contains(r.out, "remounted")) << "nothing was remounted: the test proves nothing\n" << r.describe();
    EXPECT_FALSE(contains(r.out, "GRANTED")) << r.describe();
    EXPECT_TRUE(contains(r.out, "mknod ok")) << r.describe();
    EXPECT_FALSE(contains(r.out, "HOST DISK")) << r.describe();
    EXPECT_FALSE(contains(r.out, "NOT IN THE LIST")) << r.describe();

    // From the host: the limits are those the config set.
    struct Want {
        const char* key;
        const char* value;
    };
    for (Want w : {Want{"memory.max", "67108864"}, Want{"pids.max", "20"}, Want{"cpu.max", "50000 100000"}}) {
        RunResult g = cgroup("d1", {w.key});
        XC_EXPECT_OK(g);
        EXPECT_EQ(trimmed(g.out), w.value) << w.key << " was changed from inside\n" << r.describe();
    }
    for (const auto& dir : cgroupDirs("d1")) {
        std::string list = readText(dir + "/devices.list");
        if (list.empty()) continue;
        EXPECT_FALSE(contains(list, "b " + majMin)) << dir << "/devices.list:\n" << list;
        EXPECT_FALSE(contains(list, "a *:* rwm")) << dir << "/devices.list:\n" << list;
    }
    // And the kernel enforces them: no more than 20 processes, however the
    // pids.max the container sees was rewritten.
    RunResult forks = attach(
        "d1", {"sh", "-c",
               "i=0; while [ $i -lt 40 ]; do sleep 300 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; "
               "ps | grep -c '[s]leep 300'"});
    EXPECT_LT(std::atoi(trimmed(forks.out).c_str()), 20) << forks.describe();

    XC_EXPECT_OK(kill("d1"));
    expectNothingRunning("d1", "after stop -k");
}

// Issue 12, item 5: a nest of cgroups deeper than PATH_MAX made inside the
// container's writable cgroup view. Before, the path-based removal failed
// with ENAMETOOLONG and the container's cgroup stayed after the stop; and
// nothing bounded the nesting of the cgroup2 tree.
TEST_F(CgroupDelegation, DeepNestInsideIsRemovedAtStopAndCgroup2DepthIsBounded) {
    XC_ASSERT_OK(create("n1"));
    XC_ASSERT_OK(start("n1"));
    started_.push_back("n1");
    const std::string name(200, 'n');
    // 30 levels of 201 bytes: over 6,000 bytes of path below the view.
    const std::string script =
        "for m in $(awk '$3==\"cgroup\"||$3==\"cgroup2\"{print $2}' /proc/mounts); do\n"
        "  mount -o remount,bind,rw $m 2>/dev/null\n"
        "  (cd $m && i=0 && while [ $i -lt 30 ] && mkdir " + name + " 2>/dev/null && cd -P " + name +
        "; do i=$((i+1)); done; echo \"$m $i\"); done\n"
        "(cd /sys/fs/cgroup && for d in $(find . -maxdepth 1 -type d); do\n"
        "  [ -f $d/cgroup.max.depth ] || continue; cd -P $d; i=0\n"
        "  while [ $i -lt 100 ] && mkdir d 2>/dev/null && cd -P d; do i=$((i+1)); done; echo \"depth $i\"; break; done)\n"
        "echo done\n";
    RunResult r = attach("n1", {"/bin/sh", "-c", script});
    ASSERT_TRUE(contains(r.out, "done")) << r.describe();
    bool deep = false;
    for (const auto& l : lines(r.out))
        if (l.size() > 3 && l.substr(l.size() - 3) == " 30") deep = true;
    EXPECT_TRUE(deep) << "no hierarchy took a nest past PATH_MAX: the test proves nothing\n" << r.describe();
    // cgroup2: the nesting is bounded below the container's limits (the
    // container cannot raise that bound: it is not in its view).
    bool bounded = false;
    for (const auto& l : lines(r.out))
        if (l.rfind("depth ", 0) == 0) bounded = std::atoi(l.c_str() + 6) < 100;
    EXPECT_TRUE(bounded) << r.describe();

    XC_EXPECT_OK(stop("n1", {"-t", "10"}));
    expectNothingRunning("n1", "after the stop");
    // A second start works on the same name (nothing stale refuses it).
    XC_EXPECT_OK(start("n1"));
    XC_EXPECT_OK(kill("n1"));
    expectNothingRunning("n1", "after the second stop");
}
