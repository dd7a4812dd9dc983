// systemd as PID 1: Debian containers from the shared image (see
// debian_image.hpp) boot to `systemctl is-system-running` = running with
// an address from DHCP on a bridge of the test's own, stop cleanly through
// the halt signal, reboot by xc-stop -r and from inside, power off from
// inside, give a login on the console, and see their own limits through
// lxcfs. Every test creates its containers from the warm image and removes
// them (the harness's TearDown, even on failure).
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "debian_image.hpp"

namespace xcit {
namespace {

const std::string kPassword = "xc-Test-pw-42";

std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

class DebianSystemd : public DebianImage {
protected:
    void TearDown() override {
        if (!tmux_.empty()) {
            (void)run({"/usr/bin/tmux", "-S", tmux_, "kill-server"});
            ::unlink(tmux_.c_str());
        }
        DebianImage::TearDown();
    }

    // A Debian container from the shared image, root's password kPassword,
    // `config` (if any) given to xc-create -f.
    void createDebianContainer(const std::string& name, const std::string& config = "") {
        ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
        std::vector<std::string> createArgs;
        if (!config.empty()) createArgs = {"-f", scratchFile(name + ".conf", config)};
        RunResult r = createDebian(name, {"--password", kPassword}, cacheEnv(), 120, "debian", createArgs);
        XC_ASSERT_OK(r);
    }

    // `systemctl is-system-running --wait` inside, retried while systemd's
    // bus is not up yet; "" if it never answered (also when it stays offline).
    std::string systemState(const std::string& name, double seconds = 60) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        RunOptions o;
        o.timeoutSeconds = seconds;
        std::string last;
        while (std::chrono::steady_clock::now() < deadline) {
            RunResult r = attach(name, {"systemctl", "is-system-running", "--wait"}, o);
            std::string word = r.out.substr(0, r.out.find('\n'));
            // "offline": systemctl found no manager on the bus yet (a boot's first moments).
            if (!word.empty() && word != "initializing" && word != "starting" && word != "offline") return word;
            last = r.describe();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << name << ": systemd never answered is-system-running: " << last;
        return "";
    }

    // The failed units and the boot's errors, for a message.
    std::string whatFailed(const std::string& name) {
        return "failed units:\n" + attach(name, {"systemctl", "--failed", "--no-legend", "--no-pager"}).out +
               "errors in the journal:\n" + attach(name, {"journalctl", "-b", "-p", "err", "--no-pager"}).out;
    }

    // Asserts that the container's systemd is up: running, no failed unit.
    void expectRunning(const std::string& name, const std::string& context) {
        std::string st = systemState(name);
        EXPECT_EQ(st, "running") << context << "\n" << whatFailed(name);
        RunResult failed = attach(name, {"systemctl", "--failed", "--no-legend", "--no-pager"});
        XC_EXPECT_OK(failed);
        EXPECT_EQ(failed.out, "") << context << ": failed units\n" << whatFailed(name);
    }

    // Waits until the container's init is a new process that has booted.
    void expectRebooted(const std::string& name, pid_t before, const std::string& context) {
        bool again = waitUntil([&] { return state(name) == "RUNNING" && initPid(name) > 0 && initPid(name) != before; },
                               30, 0.1);
        ASSERT_TRUE(again) << context << ": no new init (state " << state(name) << ", pid " << initPid(name) << ")";
        expectRunning(name, context);
    }

    // The host's procps (top, free, ps) with the libraries of its that the
    // image lacks, copied into the rootfs: the minbase image has no procps,
    // and the host runs the same Debian release (the image is built from
    // it), so this is what `apt-get install procps` would put there.
    void installHostProcps(const std::string& name) {
        const std::string root = rootfs(name);
        for (const char* bin : {"/usr/bin/top", "/usr/bin/free", "/usr/bin/ps"}) {
            if (::access(bin, X_OK) != 0) GTEST_SKIP() << bin << " is not on the host (procps)";
            std::vector<std::string> files = {bin};
            std::regex lib("=> (/[^ ]+) \\(");
            std::string ldd = run({"/usr/bin/ldd", bin}).out;
            for (std::sregex_iterator m(ldd.begin(), ldd.end(), lib), end; m != end; ++m) files.push_back((*m)[1]);
            for (const auto& f : files)
                if (!exists(root + f)) ASSERT_TRUE(writeText(root + f, readText(f), 0755)) << "copy " << f;
        }
    }

    // ---- a terminal (a tmux pane of a server of the test's own) ----
    void openPane() {
        ASSERT_EQ(::access("/usr/bin/tmux", X_OK), 0) << "tmux is needed (apt-get install tmux)";
        tmux_ = scratch_ + "/tmux.sock";
        std::string env;
        for (const auto& l : lines(run({"/usr/bin/env"}).out))
            if (l.rfind("XC_", 0) == 0) env += " " + shellQuote(l);
        XC_ASSERT_OK(run({"/usr/bin/tmux", "-S", tmux_, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120",
                          "-y", "40", "env PS1='host$ '" + env + " /bin/sh"}));
        type("echo READY''PANE");
        ASSERT_TRUE(waitFor("READYPANE")) << screen();
    }
    void type(const std::string& text, bool enter = true) {
        XC_EXPECT_OK(run({"/usr/bin/tmux", "-S", tmux_, "send-keys", "-t", "t:0", "-l", text}));
        if (enter) XC_EXPECT_OK(run({"/usr/bin/tmux", "-S", tmux_, "send-keys", "-t", "t:0", "Enter"}));
    }
    void keys(const std::vector<std::string>& ks) {
        std::vector<std::string> args = {"/usr/bin/tmux", "-S", tmux_, "send-keys", "-t", "t:0"};
        args.insert(args.end(), ks.begin(), ks.end());
        XC_EXPECT_OK(run(args));
    }
    std::string screen() {
        return run({"/usr/bin/tmux", "-S", tmux_, "capture-pane", "-p", "-J", "-S", "-3000", "-t", "t:0"}).out;
    }
    bool waitFor(const std::string& needle, double seconds = 20) {
        return waitUntil([&] { return contains(screen(), needle); }, seconds, 0.1);
    }
    bool waitForRegex(const std::string& re, double seconds = 20) {
        std::regex rx(re);
        return waitUntil(
            [&] {
                std::string s = screen();
                return std::regex_search(s, rx);
            },
            seconds, 0.1);
    }

    std::string tmux_;
};

// The console log file of a container (console.log in its config).
std::string consoleConf(const std::string& file) { return "console = { log = \"" + file + "\"; };\n"; }

// ---------------------------------------------------------------- boot

TEST_F(DebianSystemd, BootsToRunningWithADhcpAddressOnTheBridge) {
    ASSERT_NO_FATAL_FAILURE(startPrivateBridge());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(createDebianContainer(
        "web", "network = ( { type = \"veth\"; link = \"" + privBridge_ + "\"; name = \"eth0\"; } );\n"));
    auto t0 = std::chrono::steady_clock::now();
    XC_ASSERT_OK(start("web"));
    std::string st = systemState("web");
    double boot = since(t0);
    std::printf("[ measure  ] xc-start to systemd running: %.2f s\n", boot);
    EXPECT_EQ(st, "running") << whatFailed("web");
    RunResult failed = attach("web", {"systemctl", "--failed", "--no-legend", "--no-pager"});
    EXPECT_EQ(failed.out, "") << whatFailed("web");

    // eth0 by DHCP (systemd-networkd) from xc-net's dnsmasq on the bridge.
    const std::string subnet = bridgeAddress(0).substr(0, bridgeAddress(0).size() - 1);
    std::string ips;
    bool leased = waitUntil(
        [&] {
            ips = info("web", {"-i"}).out;
            return contains(ips, subnet);
        },
        20, 0.2);
    EXPECT_TRUE(leased) << "no DHCP address in " << subnet << "0/24: " << ips << "\n"
                        << attach("web", {"networkctl", "status", "eth0", "--no-pager"}).out;
    RunResult addr = attach("web", {"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
    EXPECT_TRUE(contains(addr.out, "inet " + subnet)) << addr.describe();
    EXPECT_TRUE(contains(addr.out, "dynamic")) << "not a DHCP lease: " << addr.out;
    RunResult route = attach("web", {"ip", "route"});
    EXPECT_TRUE(contains(route.out, "default via " + bridgeAddress(1))) << route.out;

    // systemctl status and journalctl work; the cgroup view is systemd's own.
    RunResult status = attach("web", {"systemctl", "status", "--no-pager"});
    EXPECT_TRUE(contains(status.out, "State: running")) << status.describe();
    RunResult journal = attach("web", {"journalctl", "-b", "--no-pager", "-q", "-n", "5"});
    XC_EXPECT_OK(journal);
    EXPECT_FALSE(journal.out.empty()) << "the journal is empty";
    RunResult cg = attach("web", {"cat", "/proc/1/cgroup"});
    EXPECT_TRUE(contains(cg.out, "name=systemd:/init.scope") || contains(cg.out, "0::/init.scope")) << cg.out;
    // Unprivileged, as every new container: systemd's root is a host user.
    RunResult map = attach("web", {"cat", "/proc/1/uid_map"});
    std::istringstream fields(map.out);
    unsigned long inside = 1, outside = 0, count = 0;
    fields >> inside >> outside >> count;
    EXPECT_EQ(inside, 0u) << map.describe();
    EXPECT_GE(outside, 65536u) << "systemd runs as the host's root: " << map.out;
    EXPECT_EQ(count, 65536u) << map.out;
    XC_EXPECT_OK(stop("web"));
}

// ---------------------------------------------------------------- stop, reboot, power off

TEST_F(DebianSystemd, StopIsCleanAndQuickRebootAndPoweroffWorkFromBothSides) {
    const std::string log = scratch_ + "/web.console";
    ASSERT_NO_FATAL_FAILURE(createDebianContainer("web", consoleConf(log)));
    XC_ASSERT_OK(start("web"));
    expectRunning("web", "first boot");

    // xc-stop: the halt signal (SIGRTMIN+3), systemd's own shutdown.
    RunResult s = stop("web");
    XC_EXPECT_OK(s);
    std::printf("[ measure  ] xc-stop of a running systemd container: %.2f s\n", s.seconds);
    EXPECT_LT(s.seconds, 5.0) << "xc-stop took " << s.seconds << " s";
    EXPECT_EQ(state("web"), "STOPPED");
    std::string out = readText(log);
    EXPECT_TRUE(contains(out, "Reached target") && contains(out, "System Shutdown")) << out.substr(out.size() / 2);
    EXPECT_TRUE(contains(out, "Halting system.")) << "systemd did not halt by itself:\n" << out.substr(out.size() / 2);
    EXPECT_FALSE(contains(out.substr(out.rfind("System Shutdown")), "FAILED")) << out.substr(out.size() / 2);
    expectNothingRunning("web", "after xc-stop");

    // xc-stop -r: the reboot signal, the same container comes back.
    XC_ASSERT_OK(start("web"));
    expectRunning("web", "second boot");
    pid_t first = initPid("web");
    RunResult r = stop("web", {"-r"});
    XC_EXPECT_OK(r);
    ASSERT_NO_FATAL_FAILURE(expectRebooted("web", first, "after xc-stop -r"));
    EXPECT_TRUE(contains(readText(log), "Rebooting.")) << "systemd did not reboot by itself";
    // Each boot is one of its own in the journal (a boot id per boot).
    RunResult boots = attach("web", {"journalctl", "--list-boots", "--no-pager", "-q"});
    std::regex boot("(^|\n) *-?[0-9]+ [0-9a-f]{32} ");
    size_t n = 0;
    for (std::sregex_iterator m(boots.out.begin(), boots.out.end(), boot), end; m != end; ++m) ++n;
    EXPECT_EQ(n, 3u) << "three boots so far:\n" << boots.describe();

    // reboot typed inside.
    pid_t second = initPid("web");
    RunOptions o;
    o.timeoutSeconds = 30;
    (void)attach("web", {"reboot"}, o);  // may be killed as the system goes down
    ASSERT_NO_FATAL_FAILURE(expectRebooted("web", second, "after reboot inside"));
    EXPECT_EQ(info("web", {"-s"}).out, "State:          RUNNING\n");

    // poweroff typed inside: the container stops, xc-info says STOPPED.
    (void)attach("web", {"systemctl", "poweroff"}, o);
    EXPECT_TRUE(waitUntil([&] { return state("web") == "STOPPED"; }, 15, 0.1)) << state("web");
    EXPECT_EQ(info("web", {"-s"}).out, "State:          STOPPED\n");
    EXPECT_TRUE(contains(readText(log), "Powering off.")) << "systemd did not power off by itself";
    expectNothingRunning("web", "after poweroff inside");
}

// ---------------------------------------------------------------- console

TEST_F(DebianSystemd, ConsoleLoginWithThePasswordAndTopSeesOnlyTheContainer) {
    ASSERT_NO_FATAL_FAILURE(createDebianContainer("web"));
    ASSERT_NO_FATAL_FAILURE(installHostProcps("web"));
    if (IsSkipped()) return;
    XC_ASSERT_OK(start("web"));
    expectRunning("web", "boot");

    ASSERT_NO_FATAL_FAILURE(openPane());
    type(toolPath("xc-console") + " -P " + base_ + " -n web; echo CONSOLE''RC=$?");
    // The console's history shows the boot; Enter asks the getty again.
    ASSERT_TRUE(waitFor("Connected to")) << screen();
    type("");
    ASSERT_TRUE(waitFor("web login: ")) << screen();
    type("root");
    ASSERT_TRUE(waitFor("Password: ")) << screen();
    type(kPassword);
    ASSERT_TRUE(waitFor("root@web:~# ")) << screen();
    type("echo $((6*7)); tty");
    EXPECT_TRUE(waitForRegex("\n42\n/dev/console\n")) << screen();
    // Ctrl-a q detaches: xc-console exits 0, the container keeps running.
    keys({"C-a", "q"});
    EXPECT_TRUE(waitFor("CONSOLERC=0")) << screen();
    EXPECT_EQ(state("web"), "RUNNING");
    RunResult who = attach("web", {"who"});
    EXPECT_TRUE(contains(who.out, "root") && contains(who.out, "console")) << who.describe();

    // top sees the container's processes only: systemd is PID 1.
    RunResult top = attach("web", {"top", "-b", "-n", "1", "-w", "200"});
    XC_ASSERT_OK(top);
    std::istringstream in(top.out.substr(top.out.find("PID")));
    std::string line, header;
    std::getline(in, header);
    std::vector<std::pair<long, std::string>> procs;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        long pid = 0;
        std::string w, last;
        if (!(f >> pid)) continue;
        while (f >> w) last = w;
        procs.emplace_back(pid, last);
    }
    ASSERT_FALSE(procs.empty()) << top.out;
    bool init = false;
    for (const auto& [pid, cmd] : procs) {
        if (pid == 1) init = cmd == "systemd";
        EXPECT_NE(cmd, "xc-supervisor") << "a host process in top:\n" << top.out;
        EXPECT_EQ(cmd.find("xc-debian"), std::string::npos) << "a host process in top:\n" << top.out;
    }
    EXPECT_TRUE(init) << "PID 1 is not systemd:\n" << top.out;
    EXPECT_LT(procs.size(), 40u) << top.out;
    // As many as the container's own /proc lists.
    RunResult ls = attach("web", {"sh", "-c", "ls -d /proc/[0-9]* | wc -l"});
    EXPECT_NEAR(static_cast<double>(procs.size()), std::atof(ls.out.c_str()), 3) << top.out;
}

// ---------------------------------------------------------------- lxcfs

// The seed's exercise: 256M and CPUs 0-1 in the config, then free and
// nproc inside show 256M and 2 (lxcfs = "auto", lxcfs running).
TEST_F(DebianSystemd, FreeAndNprocShowTheLimitsThroughLxcfs) {
    ASSERT_NO_FATAL_FAILURE(startPrivateLxcfs());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(createDebianContainer(
        "web", "cgroup = { memory = { max = \"256M\"; }; cpuset = { cpus = \"0-1\"; }; };\n"));
    ASSERT_NO_FATAL_FAILURE(installHostProcps("web"));
    if (IsSkipped()) return;
    XC_ASSERT_OK(start("web"));
    expectRunning("web", "boot with lxcfs");
    RunResult free = attach("web", {"free", "-m"});
    XC_ASSERT_OK(free);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(free.out, m, std::regex("Mem: +([0-9]+) "))) << free.out;
    EXPECT_EQ(m[1].str(), "256") << free.out;
    RunResult nproc = attach("web", {"nproc"});
    EXPECT_EQ(nproc.out, "2\n") << nproc.describe();
    RunResult up = attach("web", {"cat", "/proc/uptime"});
    EXPECT_LT(std::atof(up.out.c_str()), 60.0) << "the container's uptime, not the host's: " << up.out;
}


// ---------------------------------------------------------------- -B overlay: the cache as a shared layer

namespace {

// The rootfs.lower of a container's config ("" if none).
std::string lowerOf(const std::string& config) {
    std::smatch m;
    static const std::regex re("lower = \"([^\"]*)\"");
    return std::regex_search(config, m, re) ? m[1].str() : "";
}

}  // namespace

TEST_F(DebianSystemd, TwoOverlayContainersShareTheCacheLayerEachWithItsOwnSmallUpper) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    for (const char* n : {"la", "lb"}) {
        RunResult r = createDebian(n, {"--password", kPassword}, cacheEnv(), 300, "debian", {"-B", "overlay"});
        XC_ASSERT_OK(r);
    }
    // One lower layer, in the store, named by both configs.
    const std::string layer = lowerOf(readText(containerDir("la") + "/config"));
    ASSERT_TRUE(contains(layer, kSharedCache + "/oci/layers/")) << readText(containerDir("la") + "/config");
    EXPECT_EQ(lowerOf(readText(containerDir("lb") + "/config")), layer);
    EXPECT_TRUE(isDir(layer + "/usr/lib/systemd"));
    // Each container's own directory holds only its files: well under 4 MiB
    // (the cache is 160 MB), and not the image's.
    for (const char* n : {"la", "lb"}) {
        RunResult du = run({"/usr/bin/du", "-sk", containerDir(n)});
        XC_ASSERT_OK(du);
        EXPECT_LT(std::stoll(du.out), 4096) << n << ": " << du.out;
        EXPECT_FALSE(exists(containerDir(n) + "/overlay/upper/usr/bin")) << n << " has a copy of the image";
        EXPECT_EQ(readText(containerDir(n) + "/overlay/upper/etc/hostname"), std::string(n) + "\n");
    }
    EXPECT_EQ(readText(layer + "/etc/hostname"), "localhost\n") << "the template wrote into the shared layer";

    XC_ASSERT_OK(start("la"));
    XC_ASSERT_OK(start("lb"));
    expectRunning("la", "la");
    expectRunning("lb", "lb");
    RunResult ha = attach("la", {"cat", "/etc/hostname", "/etc/machine-id"});
    RunResult hb = attach("lb", {"cat", "/etc/hostname", "/etc/machine-id"});
    XC_EXPECT_OK(ha);
    XC_EXPECT_OK(hb);
    auto la = lines(ha.out), lb = lines(hb.out);
    ASSERT_EQ(la.size(), 2u) << ha.out;
    ASSERT_EQ(lb.size(), 2u) << hb.out;
    EXPECT_EQ(la[0], "la");
    EXPECT_EQ(lb[0], "lb");
    EXPECT_EQ(la[1].size(), 32u) << ha.out;
    EXPECT_NE(la[1], lb[1]) << "both containers have the machine-id " << la[1];

    // A write in one, and a removal of an image file, reach neither the
    // other nor the layer.
    XC_EXPECT_OK(attach("la", {"sh", "-c", "echo mine > /usr/share/xc-layer-test && rm /usr/bin/yes"}));
    EXPECT_FALSE(exists(layer + "/usr/share/xc-layer-test"));
    EXPECT_TRUE(exists(layer + "/usr/bin/yes"));
    EXPECT_FALSE(attach("lb", {"test", "-e", "/usr/share/xc-layer-test"}).ok());
    XC_EXPECT_OK(attach("lb", {"test", "-x", "/usr/bin/yes"}));

    // Destroying one leaves the other running, on the same layer.
    XC_EXPECT_OK(destroy("la", {"-f"}));
    EXPECT_TRUE(isDir(layer));
    XC_EXPECT_OK(attach("lb", {"test", "-x", "/usr/bin/yes"}));
    RunResult ls = xc("xc-image", {"ls", "--json"}, [&] { RunOptions o; o.env = cacheEnv(); return o; }());
    XC_EXPECT_OK(ls);
    EXPECT_TRUE(contains(ls.out, containerDir("lb"))) << ls.out;
    EXPECT_FALSE(contains(ls.out, containerDir("la"))) << ls.out;
    XC_EXPECT_OK(stop("lb"));
    XC_EXPECT_OK(destroy("lb"));
    // Nothing of this base uses it now: a prune may take it (it is kept
    // for later runs, as the cache is).
    ls = xc("xc-image", {"ls", "--json"}, [&] { RunOptions o; o.env = cacheEnv(); return o; }());
    XC_EXPECT_OK(ls);
    EXPECT_TRUE(contains(ls.out, layer)) << ls.out;
    EXPECT_FALSE(contains(ls.out, base_ + "/")) << ls.out;
    EXPECT_TRUE(isDir(layer));
}

}  // namespace
}  // namespace xcit
