// The config's hooks with real containers: each type at its point, in its
// namespaces, with its environment and in LXC's order; a failing start
// hook rolls the start back and says why; stop and post_stop run after a
// crash of the init too; clone and destroy hooks.
#include <signal.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <tuple>

#include "harness.hpp"

using namespace xcit;

namespace {

class Hooks : public XcTest {
protected:
    // One record per line: TYPE|$1|$2|$3|NAME|SECTION|CONFIG|ROOTFS_PATH|ROOTFS_MOUNT|PID|MNTNS|NETNS|TARGET|NET_NS_VAR.
    static std::string record(const std::string& file) {
        return "echo \\\"$XC_HOOK_TYPE|$1|$2|$3|$XC_NAME|$XC_HOOK_SECTION|$XC_CONFIG_FILE|$XC_ROOTFS_PATH|"
               "$XC_ROOTFS_MOUNT|${XC_PID:-}|$(readlink /proc/self/ns/mnt)|$(readlink /proc/self/ns/net)|"
               "${XC_TARGET:-}|${XC_NET_NS:-}|$(readlink ${XC_NET_NS:-/nonexistent})\\\" >> " +
               file;
    }
    struct Rec {
        std::vector<std::string> f;
        const std::string& at(size_t i) const {
            static const std::string none;
            return i < f.size() ? f[i] : none;
        }
    };
    static std::vector<Rec> records(const std::string& text) {
        std::vector<Rec> out;
        for (const auto& l : lines(text)) {
            Rec r;
            std::string field;
            std::istringstream in(l);
            while (std::getline(in, field, '|')) r.f.push_back(field);
            out.push_back(r);
        }
        return out;
    }
    static std::string ownNs(const char* ns) {
        char buf[128] = {};
        ssize_t n = ::readlink((std::string("/proc/self/ns/") + ns).c_str(), buf, sizeof buf - 1);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    }
    static std::string nsOf(pid_t pid, const char* ns) {
        char buf[128] = {};
        std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns;
        ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    }
    static std::string statusField(const std::string& status, const std::string& key) {
        for (const auto& l : lines(status))
            if (l.rfind(key + ":", 0) == 0) {
                std::string v = l.substr(key.size() + 1);
                v.erase(0, v.find_first_not_of(" \t"));
                return v;
            }
        return "";
    }
};

}  // namespace

TEST_F(Hooks, EachTypeRunsAtItsPointInItsNamespacesWithItsEnvironment) {
    // Every hook appends to the same file, the container's /order.log: the
    // host ones through the rootfs, the start hook from inside.
    std::string hostLog = "$XC_ROOTFS_MOUNT/order.log";
    std::string cfg = "security = { privileged = true; };\n"
                      "hooks = {\n"
                      "  pre_start = [ \"" + record(hostLog) + "\" ];\n"
                      "  mount = [ \"" + record(hostLog) + "\" ];\n"
                      "  start_host = [ \"" + record(hostLog) + "\" ];\n"
                      "  start = [ \"" + record("/order.log") + "\", \"grep -E '^(CapEff|Seccomp):' /proc/self/status > /caps.log\" ];\n"
                      "  stop = [ \"" + record(hostLog) + "\" ];\n"
                      "  post_stop = [ \"" + record(hostLog) + "\" ];\n"
                      "};\n";
    XC_ASSERT_OK(createWithConfig("h1", cfg));
    XC_ASSERT_OK(start("h1"));
    pid_t init = initPid("h1");
    ASSERT_GT(init, 0);
    std::string initMnt = nsOf(init, "mnt"), initNet = nsOf(init, "net");
    std::string initStatus = readText("/proc/" + std::to_string(init) + "/status");
    XC_ASSERT_OK(stop("h1"));

    auto recs = records(readText(rootfs("h1") + "/order.log"));
    std::vector<std::string> order;
    for (const auto& r : recs) order.push_back(r.at(0));
    EXPECT_EQ(order, (std::vector<std::string>{"pre_start", "mount", "start_host", "start", "stop", "post_stop"}))
        << readText(rootfs("h1") + "/order.log");
    std::map<std::string, Rec> by;
    for (const auto& r : recs) by[r.at(0)] = r;
    for (const auto& [type, r] : by) {
        SCOPED_TRACE(type);
        EXPECT_EQ(r.at(1), "h1");  // $1 name, $2 section, $3 type
        EXPECT_EQ(r.at(2), "xc");
        EXPECT_EQ(r.at(3), type);
        EXPECT_EQ(r.at(4), "h1");
        EXPECT_EQ(r.at(5), "xc");
        EXPECT_EQ(r.at(6), configFile("h1"));
        EXPECT_EQ(r.at(7), rootfs("h1"));
        EXPECT_EQ(r.at(8), rootfs("h1"));
    }
    // The host's namespaces for the host hooks, the container's for mount and start.
    for (const char* t : {"pre_start", "start_host", "stop", "post_stop"}) {
        EXPECT_EQ(by[t].at(10), ownNs("mnt")) << t;
        EXPECT_EQ(by[t].at(11), ownNs("net")) << t;
    }
    EXPECT_EQ(by["mount"].at(10), initMnt);
    EXPECT_NE(by["mount"].at(10), ownNs("mnt"));
    EXPECT_EQ(by["mount"].at(11), initNet);
    EXPECT_EQ(by["start"].at(10), initMnt);
    EXPECT_EQ(by["start"].at(11), initNet);
    // XC_PID where known; the stop hook gets the container's namespaces.
    EXPECT_EQ(by["pre_start"].at(9), "");
    EXPECT_EQ(by["start_host"].at(9), std::to_string(init));
    EXPECT_EQ(by["stop"].at(9), std::to_string(init));
    EXPECT_EQ(by["stop"].at(12), "stop");
    EXPECT_EQ(by["post_stop"].at(12), "stop");
    EXPECT_FALSE(by["stop"].at(13).empty());
    EXPECT_EQ(by["stop"].at(14), initNet) << "the stop hook's XC_NET_NS is the container's network namespace";
    EXPECT_EQ(by["post_stop"].at(13), "");
    // The start hook is confined as the init: the same capabilities, seccomp on.
    std::string caps = readText(rootfs("h1") + "/caps.log");
    EXPECT_EQ(statusField(caps, "CapEff"), statusField(initStatus, "CapEff")) << caps;
    EXPECT_EQ(statusField(caps, "Seccomp"), "2") << caps;
    EXPECT_NE(statusField(caps, "CapEff"), statusField(readText("/proc/self/status"), "CapEff"));
}

TEST_F(Hooks, StartHookOfAnUnprivilegedContainerRunsInItsUserNamespace) {
    XC_ASSERT_OK(createWithConfig("u1", "hooks = { start = [ \"cat /proc/self/uid_map > /uidmap.log; id -u >> /uidmap.log\" ]; };\n"));
    XC_ASSERT_OK(start("u1"));
    pid_t init = initPid("u1");
    ASSERT_GT(init, 0);
    std::string initMap = readText("/proc/" + std::to_string(init) + "/uid_map");
    XC_EXPECT_OK(stop("u1"));
    auto got = lines(readText(rootfs("u1") + "/uidmap.log"));
    ASSERT_EQ(got.size(), 2u);
    std::istringstream a(got[0]), b(initMap);
    long a1, a2, a3, b1, b2, b3;
    a >> a1 >> a2 >> a3;
    b >> b1 >> b2 >> b3;
    EXPECT_EQ(std::make_tuple(a1, a2, a3), std::make_tuple(b1, b2, b3)) << "the init's user namespace";
    EXPECT_NE(a2, 0) << "root inside is not the host's root";
    EXPECT_EQ(got[1], "0");
}

TEST_F(Hooks, AFailingStartHookAbortsTheStartWithItsCommandStatusAndStderr) {
    // Each of the hooks that can stop a start, in turn; a flag file lets it pass.
    std::string flag = scratch_ + "/pass";
    for (const char* type : {"pre_start", "mount", "start_host", "start"}) {
        SCOPED_TRACE(type);
        std::string name = std::string("f") + (type[0] == 'p' ? "1" : type[0] == 'm' ? "2" : type[5] == '_' ? "3" : "4");
        std::string check = std::string(type) == "start" ? "/pass" : flag;  // the start hook sees the container's files
        std::string cmd = "test -e " + check + " || { echo early noise >&2; echo no quota left >&2; exit 3; }";
        std::string post = scratch_ + "/" + name + ".post";
        XC_ASSERT_OK(createWithConfig(name, "security = { privileged = true; };\nhooks = { " + std::string(type) +
                                                " = [ \"true\", \"" + cmd + "\" ]; post_stop = [ \"echo ran >> " + post +
                                                "\" ]; };\n"));
        ::unlink(flag.c_str());
        auto r = start(name);
        EXPECT_FALSE(r.ok()) << r.describe();
        EXPECT_TRUE(contains(r.err, std::string("hooks.") + type + "[1] \"" + cmd + "\"")) << r.err;
        EXPECT_TRUE(contains(r.err, "exited with status 3")) << r.err;
        EXPECT_TRUE(contains(r.err, "early noise | no quota left")) << r.err;
        expectNothingRunning(name, std::string("after a failing ") + type + " hook");
        // LXC's rule: a failed pre_start runs no post_stop; a later failure does.
        EXPECT_EQ(exists(post), std::string(type) != "pre_start");
        // Startable once the hook passes.
        ASSERT_TRUE(writeText(flag, "") && writeText(rootfs(name) + "/pass", ""));
        XC_EXPECT_OK(start(name));
        EXPECT_EQ(state(name), "RUNNING");
        XC_EXPECT_OK(stop(name));
        ::unlink((rootfs(name) + "/pass").c_str());
    }
}

TEST_F(Hooks, AHookThatOutlivesTheTimeoutIsKilledAndFailsTheStart) {
    XC_ASSERT_OK(createWithConfig("t1", "security = { privileged = true; };\nhooks = { pre_start = [ \"sleep 30\" ]; timeout = 1; };\n"));
    auto r = start("t1");
    EXPECT_FALSE(r.ok());
    EXPECT_LT(r.seconds, 10);
    EXPECT_TRUE(contains(r.err, "hooks.pre_start[0] \"sleep 30\" was killed after 1 s (hooks.timeout)")) << r.err;
    expectNothingRunning("t1", "after a hook timed out");
}

TEST_F(Hooks, StopAndPostStopRunAfterTheInitIsKilled) {
    std::string log = scratch_ + "/crash.log";
    XC_ASSERT_OK(createWithConfig("k1", "security = { privileged = true; };\nhooks = { stop = [ \"echo stop $XC_TARGET >> " +
                                            log + "\" ]; post_stop = [ \"echo post_stop $XC_TARGET >> " + log +
                                            "\" ]; };\n"));
    XC_ASSERT_OK(start("k1"));
    pid_t init = initPid("k1");
    ASSERT_GT(init, 0);
    ASSERT_EQ(::kill(init, SIGKILL), 0);
    EXPECT_TRUE(waitUntil([&] { return state("k1") == "STOPPED"; }, 20));
    EXPECT_TRUE(waitUntil([&] { return lines(readText(log)).size() >= 2; }, 10));
    EXPECT_EQ(lines(readText(log)), (std::vector<std::string>{"stop stop", "post_stop stop"}));
    expectNothingRunning("k1", "after the init was killed");
}

TEST_F(Hooks, CloneAndDestroyHooks) {
    std::string log = scratch_ + "/cd.log";
    XC_ASSERT_OK(createWithConfig("o1", "security = { privileged = true; };\nhooks = { clone = [ \"echo clone $XC_NAME $XC_SRC_NAME "
                                        "$XC_ROOTFS_PATH $(test -d $XC_ROOTFS_PATH/bin && echo has-bin) >> " + log +
                                        "\" ]; destroy = [ \"echo destroy $XC_NAME >> " + log + "; test ! -e " +
                                        scratch_ + "/keep\" ]; };\n"));
    XC_ASSERT_OK(xc("xc-clone", {"-o", "o1", "-n", "c1"}));
    EXPECT_EQ(lines(readText(log)), (std::vector<std::string>{"clone c1 o1 " + rootfs("c1") + " has-bin"}));
    // A failing destroy hook keeps the container.
    ASSERT_TRUE(writeText(scratch_ + "/keep", ""));
    auto r = destroy("c1");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "hooks.destroy[0]")) << r.err;
    EXPECT_TRUE(isDir(containerDir("c1")));
    ::unlink((scratch_ + "/keep").c_str());
    XC_EXPECT_OK(destroy("c1"));
    EXPECT_FALSE(exists(containerDir("c1")));
    EXPECT_EQ(lines(readText(log)), (std::vector<std::string>{"clone c1 o1 " + rootfs("c1") + " has-bin", "destroy c1",
                                                              "destroy c1"}));
}

TEST_F(Hooks, AnEmptyHookCommandIsAConfigError) {
    auto r = createWithConfig("e1", "hooks = { stop = [ \"  \" ]; };\n");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "hooks.stop")) << r.err;
}
