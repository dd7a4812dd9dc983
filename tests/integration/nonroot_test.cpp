// Containers of a user other than root: a throwaway user with ranges of its
// own in the host's real /etc/subuid and /etc/subgid (what newuidmap
// checks) and a cgroup root delegated to it (xc-checkconfig --delegate),
// which creates, starts, attaches to, stops and destroys a busybox
// container from its own ~/.local/share/xc; and one test per missing piece,
// each asserting the one line that names it and its fix. Everything the
// test adds to the host (user, subid lines, cgroups) is removed in
// TearDown, also when a test fails.
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <sstream>

#include "harness.hpp"
#include "xc/paths.hpp"

using namespace xcit;

namespace {

const char* kCgroup2 = "/sys/fs/cgroup/unified";

// Drops the lines of `user` from a subid file (rewritten in place).
void dropSubidLines(const std::string& file, const std::string& user) {
    std::string kept;
    for (const auto& l : lines(readText(file)))
        if (l.rfind(user + ":", 0) != 0) kept += l + "\n";
    writeText(file, kept);
}

// A start past every range of both files.
unsigned long freeStart() {
    unsigned long end = 200000;
    for (const char* f : {"/etc/subuid", "/etc/subgid"})
        for (const auto& l : lines(readText(f))) {
            std::stringstream ss(l);
            std::string name, start, count;
            if (std::getline(ss, name, ':') && std::getline(ss, start, ':') && std::getline(ss, count))
                end = std::max(end, std::stoul(start) + std::stoul(count));
        }
    return (end + 65535) / 65536 * 65536;
}

class NonRoot : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_EQ(::access("/usr/bin/newuidmap", X_OK), 0) << "newuidmap missing: apt-get install uidmap";
        ASSERT_TRUE(isDir(kCgroup2)) << "this test needs cgroup2 at " << kCgroup2;
        // The user runs the tools of this build tree: a tree under a home
        // others may not enter (a checkout in /root) cannot be tested so.
        RunResult reach = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                               "/bin/sh", "-c", "test -x \"$0\"", toolPath("xc-create")});
        if (!reach.ok()) GTEST_SKIP() << "other users cannot run " << toolPath("xc-create") << " (a directory above it is closed to them)";
        std::mt19937 rng(std::random_device{}());
        char tag[8];
        std::snprintf(tag, sizeof tag, "%06x", unsigned(rng() & 0xffffff));
        user_ = std::string("xcit") + tag;
        home_ = base_ + "/home";
        XC_ASSERT_OK(run({"/usr/sbin/useradd", "-M", "-U", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", "-d", home_, "-s", "/bin/sh", user_}));
        made_ = true;
        struct passwd* pw = ::getpwnam(user_.c_str());
        ASSERT_NE(pw, nullptr);
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        ASSERT_EQ(::mkdir(home_.c_str(), 0700), 0);
        ASSERT_EQ(::chown(home_.c_str(), uid_, gid_), 0);
    }

    void TearDown() override {
        if (made_) {
            RunOptions o;
            o.timeoutSeconds = 30;
            for (const char* n : {"c1", "c2"}) {
                (void)asUser("xc-stop", {"-n", n, "-k"}, o);
                (void)asUser("xc-destroy", {"-n", n, "-f"}, o);
            }
            const std::string group = std::string(kCgroup2) + "/xc.users/" + user_;
            if (isDir(group)) cleanupCgroupTree(group);
            (void)run({toolPath("xc-checkconfig"), "--undelegate", user_});
            dropSubidLines("/etc/subuid", user_);
            dropSubidLines("/etc/subgid", user_);
            RunResult del = run({"/usr/sbin/userdel", user_});
            EXPECT_TRUE(del.ok()) << del.describe();
        }
        XcTest::TearDown();
    }

    void addSubids() {
        start_ = freeStart();
        const std::string line = user_ + ":" + std::to_string(start_) + ":65536\n";
        for (const char* f : {"/etc/subuid", "/etc/subgid"}) ASSERT_TRUE(writeText(f, readText(f) + line));
    }

    void delegate() {
        RunResult d = run({toolPath("xc-checkconfig"), "--delegate", user_});
        XC_ASSERT_OK(d);
        session_ = std::string(kCgroup2) + "/xc.users/" + user_ + "/session";
        ASSERT_TRUE(isDir(session_)) << d.describe();
    }

    // An xc tool as the user, without -P (its own default base), in its
    // session's cgroup when one was delegated (as a login hook would put
    // it), with the host's real subid files.
    RunResult asUser(const std::string& tool, const std::vector<std::string>& args, RunOptions o = {}) {
        return asUserRun(toolPath(tool), args, std::move(o));
    }
    RunResult asUserRun(const std::string& program, const std::vector<std::string>& args, RunOptions o = {}) {
        std::vector<std::string> argv = {"/bin/sh", "-c",
                                         "[ -z \"$1\" ] || echo $$ > \"$1/cgroup.procs\" || exit 99; shift; "
                                         "exec setpriv --reuid=\"$0\" --regid=\"$0\" --init-groups -- env "
                                         "-u XDG_RUNTIME_DIR -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME "
                                         "HOME=" + home_ + " \"$@\"",
                                         user_, session_, program};
        argv.insert(argv.end(), args.begin(), args.end());
        o.env.push_back("XC_SUBID_DIR=/etc");
        if (!helper_.empty()) o.env.push_back("XC_USER_NIC=" + helper_);
        return run(argv, o);
    }

    std::string userBase() const { return home_ + "/.local/share/xc"; }

    std::string user_, home_, session_, helper_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    unsigned long start_ = 0;
    bool made_ = false;
};

// The one line on stderr of a failed tool.
void expectOneLine(const RunResult& r, const std::string& what) {
    EXPECT_FALSE(r.ok()) << r.describe();
    EXPECT_EQ(lines(r.err).size(), 1u) << r.describe();
    EXPECT_TRUE(contains(r.err, what)) << "expected '" << what << "' in:\n" << r.describe();
}

}  // namespace

TEST_F(NonRoot, UserCreatesStartsAttachesStopsAndDestroysInItsOwnBase) {
    addSubids();
    delegate();
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c1", "-t", "busybox"}));
    ASSERT_TRUE(exists(userBase() + "/c1/config")) << "not in ~/.local/share/xc";
    XC_ASSERT_OK(asUser("xc-start", {"-n", "c1"}));
    RunResult ls = asUser("xc-ls", {});
    EXPECT_EQ(ls.out, "c1\n") << ls.describe();

    RunResult map = asUser("xc-attach", {"-n", "c1", "--", "cat", "/proc/self/uid_map"});
    XC_ASSERT_OK(map);
    std::vector<std::vector<unsigned long>> rows;
    for (const auto& l : lines(map.out)) {
        std::stringstream ss(l);
        unsigned long a, b, c;
        if (ss >> a >> b >> c) rows.push_back({a, b, c});
    }
    // Root inside is the user; 1.. are its subordinate range.
    ASSERT_EQ(rows.size(), 2u) << map.out;
    EXPECT_EQ(rows[0], (std::vector<unsigned long>{0, uid_, 1})) << map.out;
    EXPECT_EQ(rows[1], (std::vector<unsigned long>{1, start_, 65536})) << map.out;

    // On the host the init is the user, in the user's delegated group.
    RunResult pid = asUser("xc-info", {"-n", "c1", "-p", "-H"});
    XC_ASSERT_OK(pid);
    const std::string p = pid.out.substr(pid.out.find_first_of("0123456789"));
    const std::string status = readText("/proc/" + std::to_string(std::stol(p)) + "/status");
    EXPECT_TRUE(contains(status, "Uid:\t" + std::to_string(uid_) + "\t")) << status;
    const std::string cg = readText("/proc/" + std::to_string(std::stol(p)) + "/cgroup");
    EXPECT_TRUE(contains(cg, "0::/xc.users/" + user_ + "/xc-")) << cg;
    // A file made inside is the user's own on the host.
    XC_ASSERT_OK(asUser("xc-attach", {"-n", "c1", "--", "touch", "/made-inside"}));
    struct stat st {};
    ASSERT_EQ(::stat((userBase() + "/c1/rootfs/made-inside").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, uid_);

    // Files of the container's other ids, in directories only they may
    // enter: the user cannot remove them from the host, its destroy must.
    XC_ASSERT_OK(asUser("xc-attach", {"-n", "c1", "--", "sh", "-c",
                                      "mkdir -p /srv/d/e && touch /srv/d/e/f && chown -R 1000:1000 /srv/d && "
                                      "chmod 0700 /srv/d /srv/d/e && chmod 0 /srv/d/e/f"}));
    ASSERT_EQ(::stat((userBase() + "/c1/rootfs/srv/d").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, start_ + 999);

    XC_ASSERT_OK(asUser("xc-stop", {"-n", "c1", "-k"}));
    XC_ASSERT_OK(asUser("xc-destroy", {"-n", "c1"}));
    EXPECT_FALSE(exists(userBase() + "/c1"));
    EXPECT_TRUE(listNames(userBase()).empty()) << "a trash directory is left: " << listNames(userBase())[0];
    EXPECT_FALSE(isDir(std::string(kCgroup2) + "/xc.users/" + user_ + "/" + "xc-" +
                       ::xc::hashKey(userBase()).substr(0, 12)));
}

TEST_F(NonRoot, MissingSubuidLineIsOneLineWithTheUsermodCommand) {
    delegate();
    RunResult r = asUser("xc-create", {"-n", "c1", "-t", "busybox"});
    expectOneLine(r, "usermod --add-subuids");
    EXPECT_TRUE(contains(r.err, user_ + " has no subordinate uids in /etc/subuid")) << r.describe();
    EXPECT_FALSE(exists(userBase() + "/c1"));
}

TEST_F(NonRoot, MissingDelegationIsOneLineNamingTheFix) {
    addSubids();
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c1", "-t", "busybox"}));
    RunResult r = asUser("xc-start", {"-n", "c1"});
    expectOneLine(r, "no cgroup is delegated to " + user_);
    EXPECT_TRUE(contains(r.err, "xc-checkconfig --delegate " + user_)) << r.describe();
    EXPECT_TRUE(contains(r.err, "systemd-run --user --scope -p Delegate=yes")) << r.describe();
    RunResult check = asUser("xc-checkconfig", {"--no-color"});
    EXPECT_TRUE(contains(check.out, "no cgroup is delegated to " + user_)) << check.describe();
}

TEST_F(NonRoot, AVethWithoutTheSetuidHelperIsOneLineNamingTheFixAndNothingRuns) {
    addSubids();
    delegate();
    const std::string conf = home_ + "/veth.conf";
    ASSERT_TRUE(writeText(conf, "network = ( { type = \"veth\"; link = \"xcbr0\"; name = \"eth0\"; } );\n"));
    ASSERT_EQ(::chown(conf.c_str(), uid_, gid_), 0);
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c1", "-t", "busybox", "-f", conf}));
    // The build tree's helper is the user's to run but not set-uid root.
    RunResult r = asUser("xc-start", {"-n", "c1"});
    expectOneLine(r, "network[0] (eth0): the helper " + toolPath("xc-user-nic") + " is not set-uid root");
    EXPECT_TRUE(contains(r.err, "chmod 4755 " + toolPath("xc-user-nic"))) << r.describe();
    RunResult st = asUser("xc-info", {"-n", "c1", "-s"});
    EXPECT_TRUE(contains(st.out, "STOPPED")) << st.describe();
    EXPECT_FALSE(isDir(std::string(kCgroup2) + "/xc.users/" + user_ + "/xc-" + ::xc::hashKey(userBase()).substr(0, 12) + "/c1"));
}

namespace {

// The set-uid helper for real: a root-owned 4755 copy of the built
// xc-user-nic (the build tree's is not set-uid), the host's real
// /etc/xc/usernet (backed up and restored, also on failure) allowing the
// user one veth on the test's bridge, and a second bridge it may not use.
class NonRootNet : public NonRoot {
protected:
    void SetUp() override {
        NonRoot::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        addSubids();
        if (HasFatalFailure()) return;
        delegate();
        if (HasFatalFailure()) return;
        startPrivateBridge();
        if (HasFatalFailure()) return;
        hadRecordsDir_ = isDir("/run/xc/usernic");
        dropRecordsOfUser();  // a reused uid's, left by a crash before this run
        otherBridge_ = privBridge_ + "n";
        XC_ASSERT_OK(run({"/usr/sbin/ip", "link", "add", otherBridge_, "type", "bridge"}));
        madeOther_ = true;
        const std::string bin = base_ + "/usernic-bin";
        ASSERT_EQ(::mkdir(bin.c_str(), 0755), 0);
        helper_ = bin + "/xc-user-nic";
        ASSERT_TRUE(writeText(helper_, readText(toolPath("xc-user-nic")), 0755));
        ASSERT_EQ(::chown(helper_.c_str(), 0, 0), 0);
        ASSERT_EQ(::chmod(helper_.c_str(), 04755), 0);
        if (!isDir("/etc/xc")) {
            ASSERT_EQ(::mkdir("/etc/xc", 0755), 0);
            madeEtc_ = true;
        }
        if (exists(kUsernet)) {
            saved_ = readText(kUsernet);
            hadUsernet_ = true;
            struct stat st {};
            ASSERT_EQ(::stat(kUsernet, &st), 0);
            savedMode_ = st.st_mode & 07777;
        }
        touchedUsernet_ = true;
        ASSERT_TRUE(writeText(kUsernet, saved_ + "# xc integration test\n" + user_ + " veth " + privBridge_ + " 1\n"));
    }

    void TearDown() override {
        NonRoot::TearDown();  // the containers first: their veths go with them
        if (touchedUsernet_) {
            if (hadUsernet_) {
                EXPECT_TRUE(writeText(kUsernet, saved_));
                EXPECT_EQ(::chmod(kUsernet, savedMode_), 0);
            }
            else
                ::unlink(kUsernet);
        }
        if (madeEtc_) ::rmdir("/etc/xc");
        dropRecordsOfUser();
        // The helper's runtime state, when this test made it and left nothing in it.
        if (made_ && !hadRecordsDir_ && readText("/run/xc/usernic/allocations").empty())
            for (const char* f : {"/run/xc/usernic/allocations", "/run/xc/usernic/lock", "/run/xc/usernic"}) ::remove(f);
        if (madeOther_) (void)run({"/usr/sbin/ip", "link", "del", otherBridge_});
    }

    // The user goes with the test: so do its records (also those a failed
    // test left), under the helper's lock.
    void dropRecordsOfUser() {
        const char* file = "/run/xc/usernic/allocations";
        if (!exists(file) || uid_ == 0) return;
        int lock = ::open("/run/xc/usernic/lock", O_RDWR | O_CLOEXEC);
        if (lock >= 0) (void)::flock(lock, LOCK_EX);
        std::string kept;
        for (const auto& l : lines(readText(file)))
            if (l.rfind(std::to_string(uid_) + " ", 0) != 0) kept += l + "\n";
        EXPECT_TRUE(writeText(file, kept, 0600));
        if (lock >= 0) ::close(lock);
    }

    // The host ends the helper has recorded for the user.
    std::vector<std::string> recordedHostEnds() {
        std::vector<std::string> out;
        for (const auto& l : lines(readText("/run/xc/usernic/allocations"))) {
            std::stringstream ss(l);
            std::string uid, bridge, ifname;
            if (ss >> uid >> bridge >> ifname && uid == std::to_string(uid_)) out.push_back(ifname);
        }
        return out;
    }

    // A config file the user owns: one veth on `bridge` with a static address.
    std::string vethConf(const std::string& file, const std::string& bridge, int host) {
        const std::string conf = home_ + "/" + file;
        EXPECT_TRUE(writeText(conf, "network = ( { type = \"veth\"; link = \"" + bridge +
                                        "\"; name = \"eth0\"; ipv4 = \"" + bridgeAddress(host) + "/24\"; } );\n"));
        EXPECT_EQ(::chown(conf.c_str(), uid_, gid_), 0);
        return conf;
    }

    static constexpr const char* kUsernet = "/etc/xc/usernet";
    std::string otherBridge_, saved_;
    mode_t savedMode_ = 0644;
    bool hadRecordsDir_ = true;
    bool madeOther_ = false, madeEtc_ = false, hadUsernet_ = false, touchedUsernet_ = false;
};

}  // namespace

TEST_F(NonRootNet, UserContainerGetsAVethOnAnAllowedBridgeWithinItsQuotaAndNothingElse) {
    // xc-checkconfig, run by the user, finds the helper and the user's line.
    RunResult check0 = asUser("xc-checkconfig", {"--no-color"});
    EXPECT_TRUE(contains(check0.out, helper_ + " (set-uid root)")) << check0.describe();
    EXPECT_TRUE(contains(check0.out, user_ + " may put veths on " + privBridge_ + " (1)")) << check0.describe();
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c1", "-t", "busybox", "-f", vethConf("c1.conf", privBridge_, 50)}));
    RunResult plan = asUser("xc-start", {"-n", "c1", "--dry-run"});
    XC_ASSERT_OK(plan);
    EXPECT_TRUE(contains(plan.out, "xc-user-nic (set-uid helper, " + helper_ + ")")) << plan.out;
    EXPECT_TRUE(recordedHostEnds().empty());

    // A record left by a crash (its veth long gone) fills the quota of 1
    // until the helper prunes it, which it must do on this very start.
    ASSERT_EQ(::mkdir("/run/xc", 0755) == 0 || errno == EEXIST, true);
    ASSERT_EQ(::mkdir("/run/xc/usernic", 0700) == 0 || errno == EEXIST, true);
    const std::string stale = "xcu00000000ff";
    ASSERT_FALSE(exists("/sys/class/net/" + stale));
    ASSERT_TRUE(writeText("/run/xc/usernic/allocations", readText("/run/xc/usernic/allocations") + std::to_string(uid_) +
                                                              " " + privBridge_ + " " + stale + " 1\n", 0600));
    XC_ASSERT_OK(asUser("xc-start", {"-n", "c1"}));
    // Inside: eth0 with its address, and the bridge answers through it.
    RunResult addr = asUser("xc-attach", {"-n", "c1", "--", "ip", "-o", "addr", "show", "eth0"});
    XC_ASSERT_OK(addr);
    EXPECT_TRUE(contains(addr.out, bridgeAddress(50) + "/24")) << addr.out;
    XC_EXPECT_OK(asUser("xc-attach", {"-n", "c1", "--", "ping", "-c", "1", "-W", "5", bridgeAddress(1)}));
    // On the host: one recorded veth, a port of the bridge.
    const auto ends = recordedHostEnds();
    ASSERT_EQ(ends.size(), 1u) << readText("/run/xc/usernic/allocations");
    const std::string hostEnd = ends[0];
    EXPECT_NE(hostEnd, stale);
    char master[256] = {};
    ssize_t n = ::readlink(("/sys/class/net/" + hostEnd + "/master").c_str(), master, sizeof master - 1);
    ASSERT_GT(n, 0) << hostEnd << " has no master";
    EXPECT_TRUE(std::string(master).ends_with("/" + privBridge_)) << master;
    // xc-info, run by the user, reads the address inside (from the
    // container's user namespace: the user cannot enter the netns alone).
    RunResult info = asUser("xc-info", {"-n", "c1", "-i"});
    XC_EXPECT_OK(info);
    EXPECT_TRUE(contains(info.out, "IP:") && contains(info.out, bridgeAddress(50))) << info.describe();

    // Over the quota (1 on this bridge): one line naming it; c2 stays stopped.
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c2", "-t", "busybox", "-f", vethConf("c2.conf", privBridge_, 51)}));
    RunResult over = asUser("xc-start", {"-n", "c2"});
    expectOneLine(over, user_ + " already has 1 of the 1 veths /etc/xc/usernet allows on bridge " + privBridge_);
    EXPECT_TRUE(contains(asUser("xc-info", {"-n", "c2", "-s"}).out, "STOPPED"));

    // A bridge usernet does not give the user: one line with the line to add.
    XC_ASSERT_OK(asUser("xc-config", {"-n", "c2", "set", "network.0.link", otherBridge_}));
    RunResult notAllowed = asUser("xc-start", {"-n", "c2"});
    expectOneLine(notAllowed, "/etc/xc/usernet has no line for " + user_ + " or its groups on " + otherBridge_);
    EXPECT_TRUE(contains(notAllowed.err, "add the line '" + user_ + " veth " + otherBridge_ + " 1'")) << notAllowed.describe();

    // A network namespace the user does not own (the host's), and fds that are none.
    XC_ASSERT_OK(run({"/bin/sh", "-c", "sed -i 's/^" + user_ + " veth " + privBridge_ + " 1$/" + user_ + " veth " +
                                            privBridge_ + " 5/' /etc/xc/usernet"}));
    auto withFd3 = [&](const std::string& what) {
        return asUserRun("/bin/sh", {"-c", "exec 3<" + what + "; exec \"$0\" create --bridge \"$1\" --name xcitx0 --netns-fd 3",
                                     helper_, privBridge_});
    };
    expectOneLine(withFd3("/proc/self/ns/net"), "the network namespace belongs to a user namespace of uid 0, not of the caller (uid " +
                                                     std::to_string(uid_) + ")");
    // Not a network namespace, not a namespace at all.
    expectOneLine(withFd3("/proc/self/ns/uts"), "the namespace given is not a network namespace");
    expectOneLine(withFd3("/etc/passwd"), "the fd given is not a namespace");
    EXPECT_EQ(recordedHostEnds().size(), 1u) << "a refused call left a record";

    // Five veths on a bridge with four of five left: refused before any is
    // made (the helper's check alone allows one more).
    std::string five = "network = (";
    for (int i = 0; i < 5; ++i)
        five += std::string(i ? "," : "") + " { type = \"veth\"; link = \"" + privBridge_ + "\"; name = \"eth" +
                std::to_string(i) + "\"; }";
    const std::string fiveConf = home_ + "/c3.conf";
    ASSERT_TRUE(writeText(fiveConf, five + " );\n"));
    ASSERT_EQ(::chown(fiveConf.c_str(), uid_, gid_), 0);
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c3", "-t", "busybox", "-f", fiveConf}));
    expectOneLine(asUser("xc-start", {"-n", "c3"}),
                  "the container needs 5 veths on bridge " + privBridge_ + ", and /etc/xc/usernet leaves 4 of the 5 it allows");
    EXPECT_EQ(recordedHostEnds().size(), 1u) << "a start refused at preflight made a veth";
    XC_ASSERT_OK(asUser("xc-destroy", {"-n", "c3"}));

    XC_ASSERT_OK(asUser("xc-stop", {"-n", "c1"}));
    XC_ASSERT_OK(asUser("xc-destroy", {"-n", "c1"}));
    XC_ASSERT_OK(asUser("xc-destroy", {"-n", "c2"}));
    // The veth went with the container's namespace (give the kernel a moment).
    for (int i = 0; i < 50 && exists("/sys/class/net/" + hostEnd); ++i) ::usleep(100000);
    EXPECT_FALSE(exists("/sys/class/net/" + hostEnd)) << hostEnd << " outlived its container";
    // The next call prunes the record: the whole quota is free again.
    // A usernet others may write allows nothing.
    ASSERT_EQ(::chmod(kUsernet, 0666), 0);
    expectOneLine(asUserRun(helper_, {"check", "--bridge", privBridge_}),
                  std::string(kUsernet) + " is not a file only root may write");
    ASSERT_EQ(::chmod(kUsernet, 0644), 0);
    RunResult unlisted = asUser("xc-checkconfig", {"--no-color"});
    EXPECT_TRUE(contains(unlisted.out, user_ + " may put veths on " + privBridge_ + " (5)")) << unlisted.describe();
    RunResult check = asUserRun(helper_, {"check", "--bridge", privBridge_});
    XC_EXPECT_OK(check);
    EXPECT_EQ(check.out, "5 0\n") << check.describe();
    EXPECT_TRUE(recordedHostEnds().empty()) << readText("/run/xc/usernic/allocations");
}
