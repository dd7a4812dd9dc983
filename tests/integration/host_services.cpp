// Services a test runs for itself on the host, next to its containers: a
// bridge made by xc-net with settings of its own, and an lxcfs on a mount
// point of its own. TearDown stops them once the containers are gone.
#include <signal.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "harness.hpp"

namespace xcit {

namespace {

std::string findBinary(const std::string& name) {
    for (const char* d : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"})
        if (::access((std::string(d) + name).c_str(), X_OK) == 0) return d + name;
    return "";
}

}  // namespace

std::string XcTest::bridgeAddress(int host) const {
    return "10.254." + std::to_string(bridgeNet_) + "." + std::to_string(host);
}

void XcTest::startPrivateBridge() {
    const std::string ip = findBinary("ip");
    ASSERT_FALSE(ip.empty()) << "ip (iproute2) is needed";
    if (findBinary("dnsmasq").empty()) GTEST_SKIP() << "dnsmasq is not installed (dnsmasq-base)";
    // A subnet and a bridge name nobody on this host uses.
    FreeTestNet net = pickFreeTestNet(ip);
    ASSERT_GT(net.n, 0) << "no free test subnet";
    bridgeNet_ = net.n;
    privBridge_ = "xcit" + net.tag;
    bridgeConf_ = scratch_ + "/xc-net.conf";
    bridgeState_ = scratch_ + "/xc-net-state";
    ASSERT_TRUE(writeText(bridgeConf_, "bridge = \"" + privBridge_ + "\";\nipv4 = \"" + bridgeAddress(1) +
                                           "/24\";\nlease_time = \"10m\";\nnat = false;\n"));
    RunResult r = run({toolPath("xc-net"), "-c", bridgeConf_, "-s", bridgeState_, "start"});
    XC_ASSERT_OK(r);
}

void XcTest::useXcConf(const std::string& text) {
    const std::string dir = scratch_ + "/sysconf";
    ::mkdir(dir.c_str(), 0755);
    ASSERT_TRUE(writeText(dir + "/default.conf",
                          readText(std::string(XC_SOURCE_DIR) + "/tests/integration/data/default.conf")));
    ASSERT_TRUE(writeText(dir + "/xc.conf", text));
    toolEnv_ = {"XC_SYSCONF_DIR=" + dir};
}

void XcTest::startPrivateLxcfs(const std::string& dir) {
    const std::string bin = findBinary("lxcfs");
    if (bin.empty()) GTEST_SKIP() << "lxcfs is not installed (apt-get install lxcfs)";
    if (::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse for lxcfs";
    lxcfsDir_ = dir.empty() ? makeSentinelDir() : dir;
    // Its own pid file: a host's lxcfs keeps /run/lxcfs.pid locked.
    RunOptions o;
    o.timeoutSeconds = 3600;
    Running lx = spawn({"/bin/sh", "-c",
                        "exec " + bin + " -f -p " + scratch_ + "/lxcfs.pid " + lxcfsDir_ + " >" + scratch_ +
                            "/lxcfs.log 2>&1"},
                       o);
    ASSERT_GT(lx.pid, 0);
    lxcfsPid_ = lx.pid;
    lxcfsRun_ = lx;
    bool up = waitUntil([&] { return exists(lxcfsDir_ + "/proc/meminfo"); }, 10);
    ASSERT_TRUE(up) << "lxcfs did not come up on " << lxcfsDir_ << ":\n" << readText(scratch_ + "/lxcfs.log");
    ASSERT_NO_FATAL_FAILURE(useXcConf("lxcfs = { path = \"" + lxcfsDir_ + "\"; };\n"));
}

void XcTest::stopHostServices() {
    if (lxcfsPid_ > 0) {
        // SIGTERM: lxcfs unmounts itself and exits; 5 s, then SIGKILL.
        ::kill(lxcfsPid_, SIGTERM);
        lxcfsRun_.timeoutSeconds = since(lxcfsRun_.started) + 5;
        RunResult r = wait(lxcfsRun_);
        EXPECT_FALSE(r.timedOut) << "lxcfs did not stop on SIGTERM";
        lxcfsPid_ = -1;
        for (const auto& m : mountPoints())
            if (m == lxcfsDir_) ::umount2(lxcfsDir_.c_str(), MNT_DETACH);
    }
    if (!privBridge_.empty()) {
        RunResult r = run({toolPath("xc-net"), "-c", bridgeConf_, "-s", bridgeState_, "stop"});
        EXPECT_TRUE(r.ok()) << r.describe();
        const std::string ip = findBinary("ip");
        if (run({ip, "link", "show", "dev", privBridge_}).ok()) {
            ADD_FAILURE() << "bridge " << privBridge_ << " was left behind";
            run({ip, "link", "del", privBridge_});
        }
        privBridge_.clear();
    }
}

}  // namespace xcit
