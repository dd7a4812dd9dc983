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
        std::vector<std::string> argv = {"/bin/sh", "-c",
                                         "[ -z \"$1\" ] || echo $$ > \"$1/cgroup.procs\" || exit 99; shift; "
                                         "exec setpriv --reuid=\"$0\" --regid=\"$0\" --init-groups -- env "
                                         "-u XDG_RUNTIME_DIR -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME "
                                         "HOME=" + home_ + " \"$@\"",
                                         user_, session_, toolPath(tool)};
        argv.insert(argv.end(), args.begin(), args.end());
        o.env.push_back("XC_SUBID_DIR=/etc");
        return run(argv, o);
    }

    std::string userBase() const { return home_ + "/.local/share/xc"; }

    std::string user_, home_, session_;
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

    XC_ASSERT_OK(asUser("xc-stop", {"-n", "c1", "-k"}));
    XC_ASSERT_OK(asUser("xc-destroy", {"-n", "c1"}));
    EXPECT_FALSE(exists(userBase() + "/c1"));
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

TEST_F(NonRoot, AVethIsOneLineThatSaysItNeedsTheHelperAndNothingRuns) {
    addSubids();
    delegate();
    const std::string conf = home_ + "/veth.conf";
    ASSERT_TRUE(writeText(conf, "network = ( { type = \"veth\"; link = \"xcbr0\"; name = \"eth0\"; } );\n"));
    ASSERT_EQ(::chown(conf.c_str(), uid_, gid_), 0);
    XC_ASSERT_OK(asUser("xc-create", {"-n", "c1", "-t", "busybox", "-f", conf}));
    RunResult r = asUser("xc-start", {"-n", "c1"});
    expectOneLine(r, "network.0: a user's container cannot have a veth interface yet");
    EXPECT_TRUE(contains(r.err, "set network = ( );")) << r.describe();
    RunResult st = asUser("xc-info", {"-n", "c1", "-s"});
    EXPECT_TRUE(contains(st.out, "STOPPED")) << st.describe();
    EXPECT_FALSE(isDir(std::string(kCgroup2) + "/xc.users/" + user_ + "/xc-" + ::xc::hashKey(userBase()).substr(0, 12) + "/c1"));
}
