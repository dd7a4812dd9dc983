// Unprivileged containers (the default): a user namespace whose root is
// host uid 100000 (the tests' /etc/subuid stand-in gives root
// 100000:65536), the rootfs seen through an idmapped mount, and the routes
// from a container's root to the host's root that this closes. Privileged
// containers exist only when asked for (security.privileged = true).
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness.hpp"

using namespace xcit;

namespace {

// The host uid of a process, from the Uid: line of /proc/PID/status.
long hostUidOf(pid_t pid) {
    for (const auto& l : lines(readText("/proc/" + std::to_string(pid) + "/status")))
        if (l.rfind("Uid:", 0) == 0) return std::stol(l.substr(4));
    return -1;
}

// Each route a container's root has tried to the host's kernel.core_pattern
// (whose program the host's kernel runs as root). Writes the value it
// reads back, so a route that works changes nothing; prints "ROUTE open"
// for each that let it write.
const char* kCorePatternRoutes =
    "cp=$(cat /proc/sys/kernel/core_pattern)\n"
    "try() { printf '%s\\n' \"$cp\" 2>/dev/null > \"$2\" && echo \"$1 open\"; }\n"
    "try mounted /proc/sys/kernel/core_pattern\n"
    "mount -o remount,bind,rw /proc/sys 2>/dev/null && try remount /proc/sys/kernel/core_pattern\n"
    "mkdir -p /tmp/p && mount -t proc proc /tmp/p 2>/dev/null && try freshproc /tmp/p/sys/kernel/core_pattern\n"
    "umount -l /proc/sys 2>/dev/null && try umount /proc/sys/kernel/core_pattern\n"
    "mount -o remount,rw /sys 2>/dev/null && echo 'sysrw open'\n"
    "for fs in debugfs tracefs securityfs bpf; do mkdir -p /tmp/$fs;"
    " mount -t $fs $fs /tmp/$fs 2>/dev/null && echo \"$fs open\"; done\n"
    "mknod /tmp/disk b 254 0 2>/dev/null && echo 'mknod open'\n"
    "echo done\n";

class Unprivileged : public XcTest {};

}  // namespace

TEST_F(Unprivileged, DefaultContainerRunsInAUserNamespaceOverAnIdmappedRootfs) {
    XC_ASSERT_OK(create("u1"));
    std::string cfg = readText(configFile("u1"));
    EXPECT_TRUE(contains(cfg, "outside = 100000;")) << cfg;
    XC_ASSERT_OK(start("u1"));
    RunResult map = attach("u1", {"cat", "/proc/self/uid_map", "/proc/self/gid_map"});
    XC_EXPECT_OK(map);
    EXPECT_EQ(lines(map.out).size(), 2u) << map.out;
    for (const auto& l : lines(map.out)) EXPECT_TRUE(contains(l, "0     100000      65536")) << map.out;
    RunResult id = attach("u1", {"id", "-u"});
    EXPECT_EQ(id.out, "0\n") << id.describe();

    // On the host the init and what it started are the mapped root.
    pid_t init = initPid("u1");
    ASSERT_GT(init, 0);
    EXPECT_EQ(hostUidOf(init), 100000);
    std::string children = readText("/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children");
    EXPECT_FALSE(children.empty()) << "the init started nothing";
    for (const auto& word : lines(children.empty() ? "" : children)) {
        std::string rest = word;
        while (!rest.empty()) {
            size_t sp = rest.find(' ');
            std::string pid = rest.substr(0, sp);
            if (!pid.empty()) EXPECT_EQ(hostUidOf(std::stoi(pid)), 100000) << "pid " << pid;
            rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
        }
    }

    // Files the container's root makes are owned by 0 on disk: the ids are
    // mapped by the mount, the rootfs is never rewritten.
    XC_EXPECT_OK(attach("u1", {"sh", "-c", "touch /root/made && chown 1000:1000 /root/made && ls -ln /root/made"}));
    struct stat st;
    ASSERT_EQ(::lstat((rootfs("u1") + "/root/made").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1000u);
    ASSERT_EQ(::lstat((rootfs("u1") + "/bin/busybox").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u) << "the rootfs was shifted on disk";

    XC_EXPECT_OK(xc("xc-freeze", {"-n", "u1"}));
    EXPECT_EQ(state("u1"), "FROZEN");
    XC_EXPECT_OK(xc("xc-unfreeze", {"-n", "u1"}));
    XC_EXPECT_OK(stop("u1", {"-t", "10"}));
    expectNothingRunning("u1", "after the stop");
    XC_EXPECT_OK(destroy("u1"));
    EXPECT_FALSE(exists(containerDir("u1")));
}

// Issue 12, escape 3, in the default mode: every route to core_pattern,
// a writable /sys, the kernel's debug filesystems and device nodes is
// closed. The same script as the host's root first shows each route is
// real (so a pass cannot mean a broken probe).
TEST_F(Unprivileged, EveryRouteToTheHostsKernelIsClosed) {
    RunResult host = run({"/bin/sh", "-c", "cp=$(cat /proc/sys/kernel/core_pattern); "
                                           "printf '%s\\n' \"$cp\" > /proc/sys/kernel/core_pattern && echo host open"});
    ASSERT_TRUE(contains(host.out, "host open")) << host.describe();

    XC_ASSERT_OK(create("u2"));
    XC_ASSERT_OK(start("u2"));
    RunResult r = attach("u2", {"/bin/sh", "-c", kCorePatternRoutes});
    EXPECT_TRUE(contains(r.out, "done")) << r.describe();
    EXPECT_FALSE(contains(r.out, " open")) << "a route from the container's root to the host is open:\n" << r.out;
    XC_EXPECT_OK(kill("u2"));

    // A privileged container, for the record of what it keeps (xc(7)
    // SECURITY): its root reaches core_pattern through a fresh proc.
    XC_ASSERT_OK(createWithConfig("p2", "security = { privileged = true; };\n"));
    EXPECT_FALSE(contains(readText(configFile("p2")), "idmap")) << readText(configFile("p2"));
    XC_ASSERT_OK(start("p2"));
    RunResult p = attach("p2", {"/bin/sh", "-c", kCorePatternRoutes});
    EXPECT_TRUE(contains(p.out, "freshproc open")) << p.describe();
    XC_EXPECT_OK(kill("p2"));
}

TEST_F(Unprivileged, PrivilegedOnlyWhenAskedAndSaidSo) {
    XC_ASSERT_OK(createWithConfig("p1", "security = { privileged = true; };\n"));
    RunResult s = start("p1");
    XC_ASSERT_OK(s);
    EXPECT_TRUE(contains(s.err, "p1 is privileged: its root is the host's root")) << s.describe();
    pid_t init = initPid("p1");
    ASSERT_GT(init, 0);
    EXPECT_EQ(hostUidOf(init), 0);
    RunResult map = attach("p1", {"cat", "/proc/self/uid_map"});
    EXPECT_TRUE(contains(map.out, "4294967295")) << map.describe();
    EXPECT_TRUE(contains(info("p1").out, "Privileged:     yes (its root is the host's root)\n")) << info("p1").out;
    EXPECT_TRUE(contains(info("p1", {"--json"}).out, "\"privileged\": true")) << info("p1", {"--json"}).out;
    XC_EXPECT_OK(kill("p1"));
    // A default container says what it is instead.
    XC_ASSERT_OK(create("u9"));
    EXPECT_TRUE(contains(info("u9").out, "Privileged:     no (its root is host uid ")) << info("u9").out;
    EXPECT_TRUE(contains(info("u9").out, "; rootfs idmapped)\n")) << info("u9").out;

    // Both at once is a contradiction, named with its line.
    std::string cfg = readText(configFile("p1"));
    ASSERT_TRUE(writeText(configFile("p1"), cfg + "idmap = ( { type = \"u\"; inside = 0; outside = 100000; count = 65536; },\n"
                                                  "          { type = \"g\"; inside = 0; outside = 100000; count = 65536; } );\n",
                          0640));
    RunResult bad = start("p1");
    EXPECT_NE(bad.status, 0) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "security.privileged = true, so there is no user namespace")) << bad.describe();
    expectNothingRunning("p1", "after the refused start");
}

TEST_F(Unprivileged, RootWithoutSubordinateIdsIsOneClearLineAndNothingMade) {
    std::string empty = makeSentinelDir();
    RunOptions o;
    o.env = {"XC_SUBID_DIR=" + empty};
    RunResult c = xc("xc-create", {"-n", "n1", "-t", "busybox"}, o);
    EXPECT_NE(c.status, 0) << c.describe();
    EXPECT_TRUE(contains(c.err, "root has no subordinate uids in " + empty + "/subuid")) << c.describe();
    EXPECT_TRUE(contains(c.err, "privileged = true")) << c.describe();
    EXPECT_FALSE(exists(containerDir("n1")));

    // A map of the admin's own needs no delegation.
    std::string f = scratchFile("n2.conf", "idmap = ( { type = \"u\"; inside = 0; outside = 300000; count = 65536; },\n"
                                           "          { type = \"g\"; inside = 0; outside = 300000; count = 65536; } );\n");
    XC_ASSERT_OK(xc("xc-create", {"-n", "n2", "-t", "busybox", "-f", f}, o));
    XC_ASSERT_OK(start("n2"));
    EXPECT_EQ(hostUidOf(initPid("n2")), 300000);
    XC_EXPECT_OK(kill("n2"));
}

TEST_F(Unprivileged, AMapThatLeavesRootUnmappedIsRefusedBeforeAnything) {
    XC_ASSERT_OK(createWithConfig("m1", "idmap = ( { type = \"u\"; inside = 1; outside = 100001; count = 1000; },\n"
                                        "          { type = \"g\"; inside = 0; outside = 100000; count = 65536; } );\n"));
    RunResult s = start("m1");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "idmap: uid 0 inside is not mapped")) << s.describe();
    expectNothingRunning("m1", "after the refused start");
}

// security.idmap_isolated: each such container's root is a host user of
// its own, and a destroyed container's block is free again.
TEST_F(Unprivileged, IsolatedContainersGetBlocksOfTheirOwn) {
    const std::string isolated = "security = { idmap_isolated = true; };\n";
    XC_ASSERT_OK(createWithConfig("i1", isolated));
    XC_ASSERT_OK(createWithConfig("i2", isolated));
    XC_ASSERT_OK(create("i0"));  // the shared block
    EXPECT_TRUE(contains(readText(configFile("i1")), "outside = 165536;")) << readText(configFile("i1"));
    EXPECT_TRUE(contains(readText(configFile("i2")), "outside = 231072;")) << readText(configFile("i2"));
    EXPECT_TRUE(contains(readText(configFile("i0")), "outside = 100000;")) << readText(configFile("i0"));
    XC_ASSERT_OK(start("i1"));
    XC_ASSERT_OK(start("i2"));
    EXPECT_EQ(hostUidOf(initPid("i1")), 165536);
    EXPECT_EQ(hostUidOf(initPid("i2")), 231072);
    XC_EXPECT_OK(kill("i1"));
    XC_EXPECT_OK(kill("i2"));
    XC_ASSERT_OK(destroy("i1"));
    XC_ASSERT_OK(createWithConfig("i3", isolated));
    EXPECT_TRUE(contains(readText(configFile("i3")), "outside = 165536;")) << readText(configFile("i3"));

    RunResult both = createWithConfig("i4", "security = { idmap_isolated = true; privileged = true; };\n");
    EXPECT_NE(both.status, 0) << both.describe();
    EXPECT_TRUE(contains(both.err, "security.idmap_isolated")) << both.describe();
    EXPECT_FALSE(exists(containerDir("i4")));
}
