// xc-start --dry-run against the start that follows it: the plan printed
// (as root and as nobody, who must get the same plan) makes nothing, and
// what the real start then did (cgroup files, mounts, interface,
// capabilities, namespaces) is what the plan said.
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "harness.hpp"
#include "image/json.hpp"
#include "security/security.hpp"

using namespace xcit;
using xc::image::Json;

namespace {

class StartPlan : public XcTest {};

std::string trimmed(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\n");
    size_t e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep))
        if (!part.empty()) out.push_back(part);
    return out;
}

// mount point -> {per-mount options, fstype} of the topmost mount there.
std::map<std::string, std::pair<std::string, std::string>> mountsOf(pid_t pid) {
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (const auto& line : lines(readText("/proc/" + std::to_string(pid) + "/mountinfo"))) {
        auto f = split(line, ' ');
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-") ++dash;
        if (f.size() < 6 || dash + 1 >= f.size()) continue;
        out[f[4]] = {f[5], f[dash + 1]};  // a later line is mounted over an earlier one
    }
    return out;
}

uint64_t capBnd(const std::string& statusFile) {
    for (const auto& l : lines(readText(statusFile)))
        if (l.rfind("CapBnd:", 0) == 0) return std::stoull(trimmed(l.substr(7)), nullptr, 16);
    return 0;
}

std::string snapshot(const std::string& dir) {
    std::string out;
    for (const auto& p : listTree(dir)) out += p + "\n";
    return out;
}

}  // namespace

TEST_F(StartPlan, DryRunMakesNothingAndTheStartDoesWhatItSaid) {
    ASSERT_NO_FATAL_FAILURE(startPrivateBridge());
    std::string data = makeSentinelDir();
    ASSERT_TRUE(writeText(data + "/hello", "hi\n"));
    const std::string addr = bridgeAddress(77);
    XC_ASSERT_OK(createWithConfig(
        "plan1", "cgroup = { memory = { max = \"96M\"; }; pids = { max = 64; }; cpu = { max = \"50000 100000\"; }; };\n"
                 "mounts = ( { source = \"" + data + "\"; target = \"srv/data\"; options = \"bind,ro,nosuid,nodev\"; } );\n"
                 "network = ( { type = \"veth\"; link = \"" + privBridge_ + "\"; name = \"eth0\"; ipv4 = \"" + addr +
                 "/24\"; gateway = \"" + bridgeAddress(1) + "\"; } );\n"
                 "hooks = { start_host = [ \"true\" ]; pre_start = [ \"true\" ]; };\n"));

    // The dry run, as root and as nobody: the same plan, and nothing made.
    // (This base's runtime directory: other bases' may change meanwhile.)
    const std::string before = snapshot(base_), runBefore = snapshot(runDir_);
    const bool runDirBefore = exists(runDir_);
    RunResult asRoot = xc("xc-start", {"-n", "plan1", "--dry-run", "--json"});
    XC_ASSERT_OK(asRoot);
    // nobody may read the config (xc-create keeps it from others).
    RunResult refused = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                             toolPath("xc-start"), "-P", base_, "-n", "plan1", "--dry-run"});
    EXPECT_EQ(refused.status, 1) << refused.describe();
    EXPECT_TRUE(contains(refused.err, "read the config")) << refused.describe();
    struct stat dirSt = {}, cfgSt = {};
    ASSERT_EQ(::stat(containerDir("plan1").c_str(), &dirSt), 0);
    ASSERT_EQ(::stat(configFile("plan1").c_str(), &cfgSt), 0);
    ASSERT_EQ(::chmod(containerDir("plan1").c_str(), dirSt.st_mode | S_IXOTH), 0);
    ASSERT_EQ(::chmod(configFile("plan1").c_str(), cfgSt.st_mode | S_IROTH), 0);
    RunResult asNobody = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", toolPath("xc-start"),
                              "-P", base_, "-n", "plan1", "--dry-run", "--json"});
    XC_ASSERT_OK(asNobody);
    EXPECT_EQ(asNobody.out, asRoot.out) << "nobody got another plan than root";
    RunResult text = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", toolPath("xc-start"),
                          "-P", base_, "-n", "plan1", "--dry-run"});
    XC_ASSERT_OK(text);
    for (const char* sec : {"\nnamespaces:\n", "\nmounts:\n", "\ncgroup limits:\n", "\ndevices:\n", "\ncapabilities:\n",
                            "\nseccomp:\n", "\nnetwork:\n", "\nhooks:\n"})
        EXPECT_TRUE(contains(text.out, sec)) << sec << " missing in\n" << text.out;
    ::chmod(containerDir("plan1").c_str(), dirSt.st_mode & 07777);
    ::chmod(configFile("plan1").c_str(), cfgSt.st_mode & 07777);
    EXPECT_EQ(snapshot(base_), before) << "the dry run changed the base directory";
    EXPECT_EQ(exists(runDir_), runDirBefore) << "the dry run made " << runDir_;
    EXPECT_EQ(snapshot(runDir_), runBefore) << "the dry run made runtime state";
    EXPECT_TRUE(cgroupDirs("plan1").empty()) << "the dry run made a cgroup";
    EXPECT_EQ(state("plan1"), "STOPPED");

    auto plan = Json::parse(asRoot.out);
    ASSERT_TRUE(plan.ok()) << plan.error().message() << "\n" << asRoot.out;
    XC_ASSERT_OK(start("plan1"));
    pid_t pid = initPid("plan1");
    ASSERT_GT(pid, 0);

    // Every limit file holds the planned value.
    size_t limits = 0;
    for (const Json& w : (*plan)["cgroup limits"].elements()) {
        const std::string file = w["file"].str();
        if (!w["when"].str().empty() && !exists(file)) continue;
        EXPECT_EQ(trimmed(readText(file)), w["value"].str()) << file;
        ++limits;
    }
    EXPECT_GE(limits, 3u) << "memory, pids and cpu limits planned";

    // Every planned mount is there with its type and flags.
    auto mounts = mountsOf(pid);
    size_t checked = 0;
    bool sawData = false;
    for (const Json& m : (*plan)["mounts"].elements()) {
        const std::string target = m["target"].str();
        if (target.empty()) continue;  // a note (lxcfs not there)
        auto it = mounts.find(target);
        if (it == mounts.end()) {
            EXPECT_FALSE(m["when"].str().empty()) << "planned mount " << target << " is not in the init's mountinfo";
            continue;
        }
        const auto& [opts, fstype] = it->second;
        if (m["type"].str() != "bind") {
            EXPECT_EQ(fstype, m["type"].str()) << target;
        }
        auto have = split(opts, ',');
        for (const auto& flag : split(m["flags"].str(), ',')) {
            if (flag == "bind" || flag == "rbind" || flag == "idmapped") continue;
            EXPECT_NE(std::find(have.begin(), have.end(), flag), have.end())
                << target << ": planned " << flag << ", mounted " << opts;
        }
        sawData = sawData || target == "/srv/data";
        ++checked;
    }
    EXPECT_TRUE(sawData);
    EXPECT_GE(checked, 15u);

    // The interface: name, hardware address, address, host side on the bridge.
    const auto& nets = (*plan)["network"].elements();
    ASSERT_EQ(nets.size(), 2u);  // lo and eth0
    const Json& eth = nets[1];
    EXPECT_EQ(eth["interface"].str(), "eth0");
    EXPECT_EQ(eth["ipv4"].str(), addr + "/24");
    RunResult mac = attach("plan1", {"cat", "/sys/class/net/eth0/address"});
    XC_EXPECT_OK(mac);
    EXPECT_EQ(trimmed(mac.out), eth["hwaddr"].str());
    RunResult ip = attach("plan1", {"ip", "-4", "addr", "show", "dev", "eth0"});
    EXPECT_TRUE(contains(ip.out, addr + "/24")) << ip.describe();
    char master[256] = {};
    std::string masterLink = "/sys/class/net/" + eth["host"].str() + "/master";
    ssize_t n = ::readlink(masterLink.c_str(), master, sizeof master - 1);
    ASSERT_GT(n, 0) << "no host veth " << eth["host"].str() << " on a bridge";
    EXPECT_EQ(std::string(master).substr(std::string(master).rfind('/') + 1), privBridge_);

    // The bounding set is the plan's kept set: exactly, in a user namespace
    // (a new one starts with the full set); within the host's own else.
    uint64_t kept = 0;
    const auto& caps = (*plan)["capabilities"].elements();
    ASSERT_GE(caps.size(), 2u);
    for (const auto& name : split(caps[1]["kept"].str(), ' ')) {
        int c = xc::capabilityFromName(name);
        ASSERT_GE(c, 0) << name;
        kept |= 1ull << c;
    }
    char myUser[128] = {}, itsUser[128] = {};
    ASSERT_GT(::readlink("/proc/self/ns/user", myUser, sizeof myUser - 1), 0);
    ASSERT_GT(::readlink(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), itsUser, sizeof itsUser - 1), 0);
    bool ownUserNs = std::string(myUser) != itsUser;
    EXPECT_TRUE(ownUserNs) << "the test's container is unprivileged (an idmap from default.conf)";
    EXPECT_EQ(capBnd("/proc/" + std::to_string(pid) + "/status"), ownUserNs ? kept : kept & capBnd("/proc/self/status"));

    // Each namespace planned is the init's own.
    for (const Json& ns : (*plan)["namespaces"].elements()) {
        std::string name = ns["namespace"].str();
        if (ns["made"].str().rfind("none", 0) == 0) continue;
        char mine[128] = {}, its[128] = {};
        ASSERT_GT(::readlink(("/proc/self/ns/" + name).c_str(), mine, sizeof mine - 1), 0) << name;
        ASSERT_GT(::readlink(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), its, sizeof its - 1), 0) << name;
        EXPECT_STRNE(mine, its) << name << " is the host's";
    }
    XC_EXPECT_OK(stop("plan1", {"-k"}));
}

TEST_F(StartPlan, DryRunOfABrokenConfigFailsAsTheStartWould) {
    XC_ASSERT_OK(createWithConfig("plan2", "security = { seccomp = \"/nonexistent/profile\"; };\n"));
    RunResult dry = xc("xc-start", {"-n", "plan2", "--dry-run"});
    EXPECT_EQ(dry.status, 1) << dry.describe();
    EXPECT_TRUE(contains(dry.err, "xc-start: plan2: ")) << dry.describe();
    EXPECT_TRUE(contains(dry.err, "/nonexistent/profile")) << dry.describe();
    RunResult real = start("plan2");
    EXPECT_FALSE(real.ok());
    EXPECT_TRUE(contains(real.err, "/nonexistent/profile")) << real.describe();
    RunResult noSuch = xc("xc-start", {"-n", "nosuch", "--dry-run"});
    EXPECT_EQ(noSuch.status, 1) << noSuch.describe();
    RunResult both = xc("xc-start", {"-n", "plan2", "--dry-run", "-F"});
    EXPECT_NE(both.status, 0) << both.describe();
    RunResult jsonAlone = xc("xc-start", {"-n", "plan2", "--json"});
    EXPECT_NE(jsonAlone.status, 0) << jsonAlone.describe();
    EXPECT_EQ(state("plan2"), "STOPPED");
}

// An overlay root is mounted with the plan's own parameter list: every
// layer, the upper layer, the work dir and userxattr that the dry run
// prints are in the superblock options of the init's "/".
TEST_F(StartPlan, OverlayRootIsMountedWithThePlannedParameters) {
    XC_ASSERT_OK(create("plan3", {"-B", "overlay"}));
    RunResult dry = xc("xc-start", {"-n", "plan3", "--dry-run", "--json"});
    XC_ASSERT_OK(dry);
    auto plan = Json::parse(dry.out);
    ASSERT_TRUE(plan.ok()) << plan.error().message() << "\n" << dry.out;
    std::string data;
    for (const Json& m : (*plan)["mounts"].elements())
        if (m["target"].str() == "/") {
            EXPECT_EQ(m["type"].str(), "overlay") << dry.out;
            data = m["data"].str();
        }
    auto params = split(data, ',');
    ASSERT_GE(params.size(), 4u) << data;
    EXPECT_EQ(params.back(), "userxattr") << data;
    EXPECT_EQ(params.front().rfind("lowerdir+=", 0), 0u) << data;

    XC_ASSERT_OK(start("plan3"));
    pid_t pid = initPid("plan3");
    ASSERT_GT(pid, 0);
    std::string super;
    for (const auto& line : lines(readText("/proc/" + std::to_string(pid) + "/mountinfo"))) {
        auto f = split(line, ' ');
        size_t dash = 0;
        while (dash < f.size() && f[dash] != "-") ++dash;
        if (f.size() > 4 && f[4] == "/" && dash + 3 < f.size()) super = f[dash + 3];  // the topmost "/"
    }
    auto have = split(super, ',');
    for (const auto& p : params)
        EXPECT_NE(std::find(have.begin(), have.end(), p), have.end()) << "planned " << p << ", mounted " << super;
    XC_EXPECT_OK(stop("plan3", {"-k"}));
}
