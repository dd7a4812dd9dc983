// Config parsing, validation, includes and create-time merging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "xc/config.hpp"
#include "base/fsutil.hpp"

using namespace xc;

namespace {

// A private directory under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/xc-config-test.XXXXXX";
        char* made = ::mkdtemp(tmpl);
        if (made) path_ = made;
    }
    ~TempDir() {
        if (!path_.empty()) (void)removeTree(path_);
    }
    const std::string& path() const { return path_; }
    std::string write(const std::string& name, const std::string& text) const {
        std::string file = path_ + "/" + name;
        EXPECT_TRUE(makeParentDirs(file, 0755).ok());
        EXPECT_TRUE(writeFileAtomic(file, text, 0644).ok()) << file;
        return file;
    }

private:
    std::string path_;
};

// Two lines of required keys, so a snippet after them starts at line 3.
const std::string kHead = "name = \"c1\";\nrootfs = { path = \"/var/lib/xc/c1/rootfs\"; };\n";

Result<ContainerConfig> parse(const std::string& snippet) { return parseConfig(kHead + snippet, "test.conf"); }

std::string errorOf(const std::string& snippet) {
    auto r = parse(snippet);
    if (r) return "(no error)";
    EXPECT_EQ(r.error().code(), EINVAL) << r.error().message();
    return r.error().message();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

const char* kFullConfig = R"(name = "web1";
rootfs = { path = "/srv/xc/web1/rootfs"; backend = "overlay"; lower = "/srv/xc/base:/srv/xc/os"; upper = "/srv/xc/web1/overlay/upper"; };
uts = { hostname = "web1.example.org"; };
init = { cmd = [ "/lib/systemd/systemd", "--log-level=info" ]; halt_signal = "SIGRTMIN+3"; reboot_signal = "SIGINT"; };
environment = [ "LANG=C.UTF-8", "TZ=UTC" ];
tty = { count = 4; };
console = { log = "/var/log/xc/web1.console"; buffer_size = "256K"; };
network = (
  { type = "veth"; link = "xcbr0"; name = "eth0"; hwaddr = "00:16:3e:aa:bb:cc"; mtu = 1400;
    ipv4 = "10.0.3.10/24"; gateway = "10.0.3.1"; ipv6 = "fd00::10/64"; gateway6 = "fd00::1";
    host_name = "vethweb1"; },
  { type = "macvlan"; link = "enp1s0"; macvlan_mode = "bridge"; }
);
cgroup = {
  memory = { max = "256M"; high = 200000000; swap_max = "max"; };
  cpu    = { weight = 200; max = "50000 100000"; };
  cpuset = { cpus = "0-1,3"; mems = "0"; };
  pids   = { max = 1024; };
  raw    = [ "memory.swappiness=0", "io.weight=default 50" ];
};
mounts = (
  { source = "/srv/data"; target = "/srv/data"; options = "bind,ro"; optional = true; create = "dir"; },
  { target = "tmp"; type = "tmpfs"; options = "size=64m,mode=1777"; }
);
start  = { auto = true; delay = 5; order = -2; groups = [ "web", "prod" ]; };
security = { cap_drop = [ "sys_module", "CAP_SYS_TIME", "Mac_Admin" ]; seccomp = "/etc/xc/web.seccomp";
             allow_host_network = false; };
idmap  = ( { type = "u"; inside = 0; outside = 100000; count = 65536; },
           { type = "g"; inside = 0; outside = 100000; count = 65536; } );
lxcfs = false;
)";

}  // namespace

TEST(ConfigParse, FullConfigEveryKey) {
    auto r = parseConfig(kFullConfig, "/etc/web1.conf");
    ASSERT_TRUE(r.ok()) << r.error().message();
    const ContainerConfig& c = *r;
    EXPECT_EQ(c.sourceFile, "/etc/web1.conf");
    EXPECT_EQ(c.name, "web1");
    EXPECT_EQ(c.rootfsPath, "/srv/xc/web1/rootfs");
    EXPECT_EQ(c.rootfsBackend, "overlay");
    EXPECT_EQ(c.rootfsLower, (std::vector<std::string>{"/srv/xc/base", "/srv/xc/os"}));
    EXPECT_EQ(c.rootfsUpper, "/srv/xc/web1/overlay/upper");
    EXPECT_EQ(c.hostname, "web1.example.org");
    EXPECT_EQ(c.initCmd, (std::vector<std::string>{"/lib/systemd/systemd", "--log-level=info"}));
    EXPECT_EQ(c.haltSignal, "SIGRTMIN+3");
    EXPECT_EQ(c.rebootSignal, "SIGINT");
    EXPECT_EQ(c.environment, (std::vector<std::string>{"LANG=C.UTF-8", "TZ=UTC"}));
    EXPECT_EQ(c.ttyCount, 4);
    EXPECT_EQ(c.consoleLog, "/var/log/xc/web1.console");
    EXPECT_EQ(c.consoleBufferSize, 256u * 1024);

    ASSERT_EQ(c.network.size(), 2u);
    const NetworkConfig& n0 = c.network[0];
    EXPECT_EQ(n0.type, "veth");
    EXPECT_EQ(n0.link, "xcbr0");
    EXPECT_EQ(n0.name, "eth0");
    EXPECT_EQ(n0.hwaddr, "00:16:3e:aa:bb:cc");
    EXPECT_EQ(n0.mtu, 1400);
    EXPECT_EQ(n0.ipv4, "10.0.3.10/24");
    EXPECT_EQ(n0.gateway, "10.0.3.1");
    EXPECT_EQ(n0.ipv6, "fd00::10/64");
    EXPECT_EQ(n0.gateway6, "fd00::1");
    EXPECT_EQ(n0.hostName, "vethweb1");
    EXPECT_EQ(c.network[1].type, "macvlan");
    EXPECT_EQ(c.network[1].macvlanMode, "bridge");
    EXPECT_EQ(c.network[1].name, "eth1");  // defaulted
    EXPECT_EQ(c.network[1].mtu, 0);

    const CgroupSettings& cg = c.cgroup;
    EXPECT_EQ(cg.memoryMax, 256ull << 20);
    EXPECT_EQ(cg.memoryHigh, 200000000ull);
    EXPECT_EQ(cg.memorySwapMax, UINT64_MAX);
    EXPECT_EQ(cg.cpuWeight, 200u);
    EXPECT_EQ(cg.cpuQuotaUs, 50000);
    EXPECT_EQ(cg.cpuPeriodUs, 100000u);
    EXPECT_EQ(cg.cpusetCpus, "0-1,3");
    EXPECT_EQ(cg.cpusetMems, "0");
    EXPECT_EQ(cg.pidsMax, 1024);
    ASSERT_EQ(cg.raw.size(), 2u);
    EXPECT_EQ(cg.raw[0], std::make_pair(std::string("memory.swappiness"), std::string("0")));
    EXPECT_EQ(cg.raw[1], std::make_pair(std::string("io.weight"), std::string("default 50")));

    ASSERT_EQ(c.mounts.size(), 2u);
    EXPECT_EQ(c.mounts[0].source, "/srv/data");
    EXPECT_EQ(c.mounts[0].target, "srv/data");  // leading '/' dropped
    EXPECT_EQ(c.mounts[0].fstype, "");
    EXPECT_EQ(c.mounts[0].options, "bind,ro");
    EXPECT_TRUE(c.mounts[0].optional);
    EXPECT_EQ(c.mounts[0].create, "dir");
    EXPECT_EQ(c.mounts[1].source, "tmpfs");  // defaults to the type
    EXPECT_EQ(c.mounts[1].fstype, "tmpfs");
    EXPECT_FALSE(c.mounts[1].optional);

    EXPECT_TRUE(c.start.autostart);
    EXPECT_EQ(c.start.delay, 5);
    EXPECT_EQ(c.start.order, -2);
    EXPECT_EQ(c.start.groups, (std::vector<std::string>{"web", "prod"}));

    EXPECT_EQ(c.security.capDrop, (std::vector<std::string>{"sys_module", "sys_time", "mac_admin"}));
    EXPECT_TRUE(c.security.capKeep.empty());
    EXPECT_EQ(c.security.seccomp, "/etc/xc/web.seccomp");
    EXPECT_FALSE(c.security.allowHostNetwork);

    ASSERT_EQ(c.idmap.size(), 2u);
    EXPECT_EQ(c.idmap[0].type, 'u');
    EXPECT_EQ(c.idmap[0].inside, 0u);
    EXPECT_EQ(c.idmap[0].outside, 100000u);
    EXPECT_EQ(c.idmap[0].count, 65536u);
    EXPECT_EQ(c.idmap[1].type, 'g');
    EXPECT_EQ(c.lxcfs, LxcfsMode::Off);
}

TEST(ConfigParse, LxcfsIsTrueFalseOrAuto) {
    EXPECT_EQ(parse("lxcfs = true;\n")->lxcfs, LxcfsMode::On);
    EXPECT_EQ(parse("lxcfs = false;\n")->lxcfs, LxcfsMode::Off);
    EXPECT_EQ(parse("lxcfs = \"auto\";\n")->lxcfs, LxcfsMode::Auto);
    EXPECT_EQ(errorOf("lxcfs = \"on\";\n"), "test.conf:3: lxcfs: expected true, false or \"auto\", got 'on'");
    EXPECT_EQ(errorOf("lxcfs = 1;\n"), "test.conf:3: lxcfs: expected true, false or \"auto\", got an integer");
    EXPECT_EQ(errorOf("lxcfs = { path = \"/x\"; };\n"),
              "test.conf:3: lxcfs: expected true, false or \"auto\", got a group");
}

TEST(ConfigParse, DefaultsWhenAbsent) {
    auto r = parse("");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->hostname, "c1");
    EXPECT_EQ(r->rootfsBackend, "dir");
    EXPECT_EQ(r->initCmd, std::vector<std::string>{"/sbin/init"});
    EXPECT_EQ(r->haltSignal, "");
    EXPECT_EQ(r->ttyCount, 0);
    EXPECT_EQ(r->consoleBufferSize, 128u * 1024);
    EXPECT_FALSE(r->cgroup.memoryMax.has_value());
    EXPECT_FALSE(r->cgroup.pidsMax.has_value());
    EXPECT_EQ(r->security.seccomp, "default");
    EXPECT_TRUE(r->network.empty());
    EXPECT_EQ(r->lxcfs, LxcfsMode::Auto);
}

TEST(ConfigParse, InterfaceNamesDefaultToFreeEthN) {
    auto r = parse("network = ( { type = \"veth\"; }, { type = \"veth\"; name = \"eth0\"; }, { type = \"empty\"; },\n"
                   "            { type = \"veth\"; } );\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->network[0].name, "eth1");
    EXPECT_EQ(r->network[1].name, "eth0");
    EXPECT_EQ(r->network[2].name, "");  // loopback only: no interface to name
    EXPECT_EQ(r->network[3].name, "eth2");
}

TEST(ConfigParse, MaxAndIntegerForms) {
    auto r = parse("cgroup = { memory = { max = \"max\"; high = 4294967296; swap_max = 0; };\n"
                   "  cpu = { max = \"max\"; }; pids = { max = \"max\"; }; };\n"
                   "idmap = ( { type = \"u\"; inside = 0; outside = 3000000000; count = 1; },\n"
                   "          { type = \"g\"; inside = 0; outside = 0x80000000; count = 1; } );\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->cgroup.memoryMax, UINT64_MAX);
    // libconfig 1.5 would read 4294967296 as 0 without the "L" xc adds.
    EXPECT_EQ(r->cgroup.memoryHigh, 4294967296ull);
    EXPECT_EQ(r->cgroup.memorySwapMax, 0u);
    EXPECT_EQ(r->cgroup.cpuQuotaUs, -1);
    EXPECT_EQ(r->cgroup.cpuPeriodUs, 100000u);
    EXPECT_EQ(r->cgroup.pidsMax, -1);
    EXPECT_EQ(r->idmap[0].outside, 3000000000u);
    EXPECT_EQ(r->idmap[1].outside, 0x80000000u);

    auto q = parse("cgroup = { cpu = { max = 20000; }; memory = { max = 1048576L; }; };\n");
    ASSERT_TRUE(q.ok()) << q.error().message();
    EXPECT_EQ(q->cgroup.cpuQuotaUs, 20000);
    EXPECT_EQ(q->cgroup.memoryMax, 1048576u);
}

TEST(ConfigParse, NumbersInStringsAndCommentsAreLeftAlone) {
    auto r = parse("environment = [ \"BIG=4294967296\" ]; # 99999999999999999999999\n"
                   "/* 99999999999999999999999\n   still a comment 5000000000 */ tty = { count = 2; };\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->environment, std::vector<std::string>{"BIG=4294967296"});
    EXPECT_EQ(r->ttyCount, 2);
    EXPECT_EQ(errorOf("cgroup = { memory = { max = 99999999999999999999; }; };\n"),
              "test.conf:3: syntax error: integer 99999999999999999999 does not fit in 64 bits");
}

TEST(ConfigParse, TtyLoginIsACommandAndEmptyByDefault) {
    auto d = parse("tty = { count = 2; };\n");
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_TRUE(d->ttyLogin.empty());
    auto r = parse("tty = { count = 2; login = [ \"/sbin/getty\", \"-L\", \"0\", \"%t\", \"100%%\" ]; };\n");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->ttyLogin, (std::vector<std::string>{"/sbin/getty", "-L", "0", "%t", "100%%"}));
}

TEST(ConfigErrors, ValidatorsNameFileLineAndKey) {
    struct Case {
        const char* snippet;
        const char* key;  // as shown in the message
        const char* detail;
    };
    const Case cases[] = {
        {"uts = { hostname = \"-bad\"; };", "uts.hostname", "invalid hostname"},
        {"uts = { hostname = \"a b\"; };", "uts.hostname", "only letters"},
        {"init = { cmd = [ ]; };", "init.cmd", "must name a program"},
        {"init = { cmd = [ \"sbin/init\" ]; };", "init.cmd", "absolute path"},
        {"init = { halt_signal = \"SIGFOO\"; };", "init.halt_signal", "unknown signal 'SIGFOO'"},
        {"init = { reboot_signal = \"RTMIN+99\"; };", "init.reboot_signal", "unknown signal"},
        {"environment = [ \"1X=2\" ];", "environment", "'1X=2' is not VAR=VALUE"},
        {"environment = [ \"NOEQUALS\" ];", "environment", "is not VAR=VALUE"},
        {"tty = { count = 65; };", "tty.count", "must be between 0 and 64, got 65"},
        {"tty = { login = [ \"getty\" ]; };", "tty.login", "absolute path"},
        {"tty = { login = [ \"/sbin/getty\", \"%d\" ]; };", "tty.login", "'%' must be followed by 't'"},
        {"tty = { login = [ \"/sbin/getty\", \"tty%\" ]; };", "tty.login", "'%' must be followed by 't'"},
        {"console = { log = \"console.log\"; };", "console.log", "must be an absolute path"},
        {"console = { buffer_size = \"2G\"; };", "console.buffer_size", "at most 1G"},
        {"network = ( { type = \"bridge\"; } );", "network[0].type", "must be one of veth, macvlan"},
        {"network = ( { type = \"veth\"; name = \"averyveryverylongname\"; } );", "network[0].name", "1-15 characters"},
        {"network = ( { type = \"veth\"; link = \"br/0\"; } );", "network[0].link", "invalid interface name"},
        {"network = ( { type = \"veth\"; hwaddr = \"01:16:3e:aa:bb:cc\"; } );", "network[0].hwaddr", "multicast"},
        {"network = ( { type = \"veth\"; hwaddr = \"00:16:3e:aa:bb\"; } );", "network[0].hwaddr", "xx:xx"},
        {"network = ( { type = \"macvlan\"; link = \"e\"; macvlan_mode = \"x\"; } );", "network[0].macvlan_mode",
         "must be one of private, vepa, bridge, passthru"},
        {"network = ( { type = \"veth\"; mtu = 67; } );", "network[0].mtu", "between 68 and 65535"},
        {"network = ( { type = \"veth\"; ipv4 = \"10.0.3.10\"; } );", "network[0].ipv4", "ADDR/LEN"},
        {"network = ( { type = \"veth\"; ipv4 = \"10.0.3.300/24\"; } );", "network[0].ipv4", "invalid IPv4 address"},
        {"network = ( { type = \"veth\"; gateway = \"gw\"; } );", "network[0].gateway", "invalid IPv4 address 'gw'"},
        {"network = ( { type = \"veth\"; ipv6 = \"fd00::1/129\"; } );", "network[0].ipv6", "LEN 0-128"},
        {"network = ( { type = \"veth\"; gateway6 = \"zz::1\"; } );", "network[0].gateway6", "invalid IPv6 address"},
        {"network = ( { type = \"veth\"; }, { type = \"veth\"; host_name = \"a b\"; } );", "network[1].host_name",
         "invalid interface name"},
        {"cgroup = { memory = { max = \"lots\"; }; };", "cgroup.memory.max", "bad size 'lots' (use bytes or K, M, G, T)"},
        {"cgroup = { memory = { high = -5; }; };", "cgroup.memory.high", "must not be negative"},
        {"cgroup = { cpu = { weight = 0; }; };", "cgroup.cpu.weight", "between 1 and 10000"},
        {"cgroup = { cpu = { weight = 10001; }; };", "cgroup.cpu.weight", "between 1 and 10000"},
        {"cgroup = { cpu = { max = \"500 100000\"; }; };", "cgroup.cpu.max", "at least 1000"},
        {"cgroup = { cpu = { max = \"max 100\"; }; };", "cgroup.cpu.max", "PERIOD must be between 1000 and 1000000"},
        {"cgroup = { cpu = { max = \"half\"; }; };", "cgroup.cpu.max", "QUOTA must be microseconds"},
        {"cgroup = { cpuset = { cpus = \"3-1\"; }; };", "cgroup.cpuset.cpus", "backwards"},
        {"cgroup = { cpuset = { mems = \"a\"; }; };", "cgroup.cpuset.mems", "bad CPU list"},
        {"cgroup = { pids = { max = 0; }; };", "cgroup.pids.max", "between 1 and"},
        {"cgroup = { pids = { max = \"unlimited\"; }; };", "cgroup.pids.max",
         "expected an integer or \"max\", got a string"},
        {"cgroup = { raw = [ \"cgroup.procs=1\" ]; };", "cgroup.raw", "managed by xc"},
        {"cgroup = { raw = [ \"tasks=1\" ]; };", "cgroup.raw", "CONTROLLER.KEY"},
        {"cgroup = { raw = [ \"../memory.max=1\" ]; };", "cgroup.raw", "CONTROLLER.KEY"},
        {"cgroup = { raw = [ \"memory..max=1\" ]; };", "cgroup.raw", "CONTROLLER.KEY"},
        {"cgroup = { raw = [ \"Memory.max=1\" ]; };", "cgroup.raw", "CONTROLLER.KEY"},
        {"cgroup = { raw = [ \"memory.swappiness\" ]; };", "cgroup.raw", "use FILE=VALUE"},
        {"cgroup = { raw = [ \"cpuset.cpus.procs=1\" ]; };", "cgroup.raw", "managed by xc"},
        {"mounts = ( { source = \"/a\"; target = \"../etc\"; } );", "mounts[0].target", "'..'"},
        {"mounts = ( { source = \"/a\"; target = \"a/../../b\"; } );", "mounts[0].target", "'..'"},
        {"mounts = ( { source = \"/a\"; target = \"/\"; } );", "mounts[0].target", "below the rootfs"},
        {"mounts = ( { source = \"\"; target = \"a\"; } );", "mounts[0].source", "must not be empty"},
        {"mounts = ( { source = \"/a\"; target = \"a\"; create = \"pipe\"; } );", "mounts[0].create", "dir, file"},
        {"mounts = ( { source = \"x\"; target = \"a\"; type = \"bad type\"; } );", "mounts[0].type",
         "invalid filesystem type"},
        {"mounts = ( { source = \"/a\"; target = \"a\"; options = \"bind,,ro\"; } );", "mounts[0].options",
         "bad mount options"},
        {"start = { delay = -1; };", "start.delay", "between 0 and"},
        {"start = { groups = [ \"a b\" ]; };", "start.groups", "bad group name"},
        {"security = { cap_drop = [ \"sys_foo\" ]; };", "security.cap_drop", "unknown capability 'sys_foo'"},
        {"security = { cap_keep = [ \"cap_chown\", \"cap_nothing\" ]; };", "security.cap_keep", "unknown capability"},
        {"security = { seccomp = \"profiles/x\"; };", "security.seccomp", "absolute profile path"},
        {"idmap = ( { type = \"x\"; inside = 0; outside = 1; count = 1; } );", "idmap[0].type", "u, g"},
        {"idmap = ( { type = \"u\"; inside = 0; outside = 1; count = 0; } );", "idmap[0].count", "between 1 and"},
        {"idmap = ( { type = \"u\"; inside = -1; outside = 1; count = 1; } );", "idmap[0].inside", "between 0 and"},
    };
    for (const auto& c : cases) {
        std::string msg = errorOf(std::string(c.snippet) + "\n");
        std::string prefix = std::string("test.conf:3: ") + c.key + ": ";
        EXPECT_EQ(msg.rfind(prefix, 0), 0u) << c.snippet << "\n  got: " << msg;
        EXPECT_TRUE(contains(msg, c.detail)) << c.snippet << "\n  got: " << msg;
    }
}

TEST(ConfigErrors, NameAndRootfs) {
    auto bad = parseConfig("name = \"../x\";\nrootfs = { path = \"/r\"; };\n", "n.conf");
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(contains(bad.error().message(), "n.conf:1: name: invalid container name '../x'"))
        << bad.error().message();
    auto rel = parseConfig("name = \"a\";\nrootfs = { path = \"rootfs\"; };\n", "n.conf");
    ASSERT_FALSE(rel.ok());
    EXPECT_EQ(rel.error().message(), "n.conf:2: rootfs.path: must be an absolute path, got 'rootfs'");
    auto backend = parseConfig("name = \"a\";\nrootfs = { path = \"/r\";\n backend = \"zfs\"; };\n", "n.conf");
    ASSERT_FALSE(backend.ok());
    EXPECT_EQ(backend.error().message(), "n.conf:3: rootfs.backend: must be one of dir, overlay, btrfs, got 'zfs'");
    auto noName = parseConfig("rootfs = { path = \"/r\"; };\n", "n.conf");
    ASSERT_FALSE(noName.ok());
    EXPECT_TRUE(contains(noName.error().message(), "n.conf: name: missing")) << noName.error().message();
    auto noRootfs = parseConfig("name = \"a\";\n", "n.conf");
    ASSERT_FALSE(noRootfs.ok());
    EXPECT_TRUE(contains(noRootfs.error().message(), "rootfs.path: missing")) << noRootfs.error().message();
}

TEST(ConfigErrors, WrongTypes) {
    EXPECT_EQ(errorOf("cgroup = { pids = { max = 1.5; }; };\n"),
              "test.conf:3: cgroup.pids.max: expected an integer or \"max\", got a float");
    EXPECT_EQ(errorOf("tty = 4;\n"), "test.conf:3: tty: expected a group { ... }, got an integer");
    EXPECT_EQ(errorOf("tty = { count = \"4\"; };\n"), "test.conf:3: tty.count: expected an integer, got a string");
    EXPECT_EQ(errorOf("uts = { hostname = 5; };\n"), "test.conf:3: uts.hostname: expected a string, got an integer");
    EXPECT_TRUE(contains(errorOf("network = { type = \"veth\"; };\n"),
                         "test.conf:3: network: expected a list of groups ( { ... }, ... ), got a group"));
    EXPECT_TRUE(contains(errorOf("init = { cmd = \"/sbin/init\"; };\n"),
                         "test.conf:3: init.cmd: expected an array of strings"));
    EXPECT_TRUE(contains(errorOf("start = { groups = [ 1, 2 ]; };\n"), "got an array of integers"));
    EXPECT_TRUE(contains(errorOf("start = { auto = \"yes\"; };\n"), "start.auto: expected a boolean"));
    EXPECT_TRUE(contains(errorOf("network = ( \"eth0\" );\n"), "network: expected a list of groups"));
}

TEST(ConfigErrors, UnknownKeysWithHints) {
    EXPECT_EQ(errorOf("uts = { hostnme = \"x\"; };\n"),
              "test.conf:3: uts.hostnme: unknown key (did you mean 'uts.hostname'?)");
    EXPECT_EQ(errorOf("network = ( { type = \"veth\"; }, {\n type = \"veth\";\n nmae = \"eth3\"; } );\n"),
              "test.conf:5: network[1].nmae: unknown key (did you mean 'network[1].name'?)");
    EXPECT_EQ(errorOf("cpu = { weight = 100; };\n"), "test.conf:3: cpu: unknown key (did you mean 'cgroup.cpu'?)");
    EXPECT_EQ(errorOf("cgroup = { memory = { limit = \"1G\"; }; };\n"),
              "test.conf:3: cgroup.memory.limit: unknown key");
    EXPECT_EQ(errorOf("\n\nzzzzzz = 1;\n"), "test.conf:5: zzzzzz: unknown key");
    // "max" is under memory, cpu and pids: no single guess.
    EXPECT_EQ(errorOf("max = 1;\n"), "test.conf:3: max: unknown key");
    EXPECT_EQ(errorOf("security = { cap_dorp = [ ]; };\n"),
              "test.conf:3: security.cap_dorp: unknown key (did you mean 'security.cap_drop'?)");
}

TEST(ConfigErrors, SyntaxErrorNamesFileAndLine) {
    auto r = parseConfig("name = \"a\";\n\nrootfs = { path = ; };\n", "/etc/xc/x.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "/etc/xc/x.conf:3: syntax error");
    EXPECT_EQ(r.error().code(), EINVAL);
    auto dup = parseConfig("name = \"a\";\nname = \"b\";\n", "d.conf");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().message(), "d.conf:2: syntax error: duplicate setting name");
    auto inc = parseConfig("@include x.conf\n", "i.conf");
    ASSERT_FALSE(inc.ok());
    EXPECT_TRUE(contains(inc.error().message(), "i.conf:1: syntax error: use @include \"PATH\""))
        << inc.error().message();
}

TEST(ConfigErrors, WholeConfigChecks) {
    EXPECT_TRUE(contains(errorOf("network = ( { type = \"veth\"; name = \"eth0\"; },\n"
                                 "  { type = \"veth\"; name = \"eth0\"; } );\n"),
                         "test.conf:4: network[1].name: interface name 'eth0' is used twice"));
    EXPECT_TRUE(contains(errorOf("security = { cap_drop = [ \"chown\" ];\n cap_keep = [ \"kill\" ]; };\n"),
                         "test.conf:4: security.cap_keep: cannot be used together with security.cap_drop"));
    std::string none = errorOf("network = ( { type = \"none\"; } );\n");
    EXPECT_TRUE(contains(none, "test.conf:3: network[0].type:")) << none;
    EXPECT_TRUE(contains(none, "security.allow_host_network = true")) << none;
    auto allowed = parse("network = ( { type = \"none\"; } );\nsecurity = { allow_host_network = true; };\n");
    ASSERT_TRUE(allowed.ok()) << allowed.error().message();
    EXPECT_EQ(allowed->network[0].name, "");
    EXPECT_TRUE(contains(errorOf("security = { allow_host_network = true; };\n"
                                 "network = ( { type = \"none\"; }, { type = \"none\"; } );\n"),
                         "cannot be combined"));
    EXPECT_TRUE(contains(errorOf("network = ( { link = \"xcbr0\"; } );\n"), "test.conf:3: network[0]: missing type"));
    EXPECT_TRUE(contains(errorOf("network = ( { type = \"macvlan\"; } );\n"), "needs a link"));
    EXPECT_TRUE(contains(errorOf("mounts = ( { source = \"/a\"; } );\n"), "mounts[0]: missing target"));
    EXPECT_TRUE(contains(errorOf("mounts = ( { target = \"a\"; } );\n"), "mounts[0]: missing source"));
    EXPECT_TRUE(contains(errorOf("idmap = ( { type = \"u\"; inside = 0; outside = 1; } );\n"),
                         "idmap[0]: missing count"));
    EXPECT_TRUE(contains(errorOf("idmap = ( { type = \"u\"; inside = 0; outside = 100000; count = 65536; } );\n"),
                         "idmap: a user namespace needs both a 'u' and a 'g' mapping"));
    EXPECT_TRUE(contains(errorOf("idmap = ( { type = \"u\"; inside = 0; outside = 4294967295; count = 2; },\n"
                                 "  { type = \"g\"; inside = 0; outside = 1; count = 2; } );\n"),
                         "beyond id 4294967295"));
}

TEST(ConfigInclude, RelativeToIncludingFile) {
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    dir.write("common/limits.conf", "cgroup = { pids = { max = 256; }; };\n@include \"caps.conf\"\n");
    dir.write("common/caps.conf", "security = { cap_drop = [ \"sys_module\" ]; };\n");
    dir.write("env.conf", "environment = [ \"A=1\" ];\n");
    std::string main = dir.write("c1/config", "name = \"c1\";\n"
                                              "rootfs = { path = \"/var/lib/xc/c1/rootfs\"; };\n"
                                              "@include \"../common/limits.conf\"\n"
                                              "  @include \"" + dir.path() + "/env.conf\"  # absolute\n"
                                              "tty = { count = 3; };\n");
    auto r = loadConfig(main);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->cgroup.pidsMax, 256);
    EXPECT_EQ(r->security.capDrop, std::vector<std::string>{"sys_module"});
    EXPECT_EQ(r->environment, std::vector<std::string>{"A=1"});
    EXPECT_EQ(r->ttyCount, 3);
    EXPECT_EQ(r->sourceFile, main);
}

TEST(ConfigInclude, TopLevelIncludesApplyInOrder) {
    TempDir dir;
    dir.write("common.conf", "security = { cap_drop = [ \"sys_module\", \"sys_rawio\" ]; seccomp = \"default\"; };\n"
                             "cgroup = { pids = { max = 100; }; };\n"
                             "network = ( { type = \"veth\"; link = \"xcbr0\"; }, { type = \"veth\"; link = \"br1\"; } );\n");
    // Settings after the include override it: groups key by key, lists whole.
    std::string after = dir.write("after", kHead + "@include \"common.conf\"\n"
                                                   "security = { seccomp = \"none\"; };\n"
                                                   "cgroup = { memory = { max = \"1G\"; }; };\n"
                                                   "network = ( { type = \"veth\"; link = \"br9\"; } );\n");
    auto r = loadConfig(after);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->security.seccomp, "none");
    EXPECT_EQ(r->security.capDrop, (std::vector<std::string>{"sys_module", "sys_rawio"}));
    EXPECT_EQ(r->cgroup.pidsMax, 100);
    EXPECT_EQ(r->cgroup.memoryMax, 1ull << 30);
    ASSERT_EQ(r->network.size(), 1u);
    EXPECT_EQ(r->network[0].link, "br9");
    EXPECT_EQ(r->network[0].name, "eth0");

    // The design's example: the include comes last and overrides.
    std::string before = dir.write("before", kHead + "security = { cap_drop = [ \"mac_admin\" ]; seccomp = \"none\"; };\n"
                                                     "@include \"common.conf\"\n");
    auto b = loadConfig(before);
    ASSERT_TRUE(b.ok()) << b.error().message();
    EXPECT_EQ(b->security.capDrop, (std::vector<std::string>{"sys_module", "sys_rawio"}));
    EXPECT_EQ(b->security.seccomp, "default");
    EXPECT_EQ(b->network.size(), 2u);

    // Inside a group an include is pasted in as text.
    dir.write("mem.conf", "max = \"64M\";\n");
    std::string nested = dir.write("nested", kHead + "cgroup = { memory = {\n@include \"mem.conf\"\n}; };\n");
    auto n = loadConfig(nested);
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(n->cgroup.memoryMax, 64ull << 20);

    // Within one file a key set twice is still an error.
    std::string dup = dir.write("dup", kHead + "tty = { count = 1; };\ntty = { count = 2; };\n");
    EXPECT_EQ(loadConfig(dup).error().message(), dup + ":4: syntax error: duplicate setting name");
}

TEST(ConfigInclude, InstalledCommonConf) {
    std::string common = std::string(XC_SOURCE_DIR) + "/share/config/common.conf";
    auto r = parseConfig(kHead + "security = { cap_drop = [ \"sys_time\" ]; };\n@include \"" + common + "\"\n", "t.conf");
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_FALSE(r->security.capDrop.empty());
    std::string defaults = std::string(XC_SOURCE_DIR) + "/config/default.conf";
    auto built = buildCreateConfig({defaults, "", "", "c1", "/var/lib/xc/c1/rootfs", "dir"});
    ASSERT_TRUE(built.ok()) << built.error().message();
}

TEST(ConfigInclude, ErrorsPointIntoTheIncludedFile) {
    TempDir dir;
    std::string inc = dir.write("inc.conf", "# limits\n\ncgroup = { pids = { max = -4; }; };\n");
    std::string main = dir.write("config", kHead + "@include \"inc.conf\"\ntty = { count = 99; };\n");
    auto r = loadConfig(main);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), inc + ":3: cgroup.pids.max: must be between 1 and 9223372036854775807, got -4");

    dir.write("inc.conf", "tty = {\n count = 1; \n");  // unterminated group
    std::string syntax = loadConfig(main).error().message();
    EXPECT_TRUE(syntax.rfind(main + ":", 0) == 0 || syntax.rfind(inc + ":", 0) == 0) << syntax;
    EXPECT_TRUE(contains(syntax, "syntax error")) << syntax;

    dir.write("inc.conf", "uts = { hostname = \"h\"; };\n");
    auto later = loadConfig(main);  // lines after the include still map to the main file
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.error().message(), main + ":4: tty.count: must be between 0 and 64, got 99");
}

TEST(ConfigInclude, MissingAndLooping) {
    TempDir dir;
    std::string main = dir.write("config", kHead + "@include \"missing.conf\"\n");
    auto r = loadConfig(main);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ENOENT);
    EXPECT_EQ(r.error().message(),
              main + ":3: @include: open " + dir.path() + "/missing.conf: No such file or directory");

    dir.write("a.conf", "@include \"b.conf\"\n");
    dir.write("b.conf", "@include \"a.conf\"\n");
    std::string loop = dir.write("loop", kHead + "@include \"a.conf\"\n");
    auto l = loadConfig(loop);
    ASSERT_FALSE(l.ok());
    EXPECT_TRUE(contains(l.error().message(), dir.path() + "/b.conf:1: @include " + dir.path() + "/a.conf: an include loop"))
        << l.error().message();
}

TEST(ConfigLoad, MissingFile) {
    auto r = loadConfig("/nonexistent/xc/config");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ENOENT);
    EXPECT_EQ(r.error().message(), "open config /nonexistent/xc/config: No such file or directory");
}

TEST(ConfigCreate, MergesGroupsKeyByKeyAndReplacesLists) {
    TempDir dir;
    std::string defaults = dir.write("default.conf",
                                     "cgroup = { memory = { max = \"1G\"; high = \"768M\"; }; pids = { max = 512; }; };\n"
                                     "network = ( { type = \"veth\"; link = \"xcbr0\"; }, { type = \"veth\"; link = \"br1\"; } );\n"
                                     "security = { cap_drop = [ \"sys_module\", \"sys_time\" ]; };\n"
                                     "start = { groups = [ \"a\", \"b\" ]; };\n");
    std::string tmpl = dir.write("template.conf", "uts = { hostname = \"from-template\"; };\ntty = { count = 2; };\n");
    std::string user = dir.write("user.conf",
                                 "name = \"other\";\nrootfs = { path = \"/elsewhere\"; backend = \"dir\"; };\n"
                                 "cgroup = { memory = { max = \"2G\"; }; };\n"
                                 "network = ( { type = \"veth\"; link = \"br9\"; } );\n"
                                 "start = { groups = [ \"c\" ]; };\n");
    CreateInputs in{defaults, tmpl, user, "c7", "/var/lib/xc/c7/rootfs", "overlay", "/var/lib/xc/c7/base",
                    "/var/lib/xc/c7/overlay/upper"};
    auto text = buildCreateConfig(in);
    ASSERT_TRUE(text.ok()) << text.error().message();
    auto c = parseConfig(*text, "built");
    ASSERT_TRUE(c.ok()) << c.error().message() << "\n" << *text;
    EXPECT_EQ(c->name, "c7");
    EXPECT_EQ(c->rootfsPath, "/var/lib/xc/c7/rootfs");
    EXPECT_EQ(c->rootfsBackend, "overlay");
    EXPECT_EQ(c->hostname, "from-template");
    EXPECT_EQ(c->cgroup.memoryMax, 2ull << 30);    // user's value
    EXPECT_EQ(c->cgroup.memoryHigh, 768ull << 20);  // default kept: groups merge key by key
    EXPECT_EQ(c->cgroup.pidsMax, 512);
    ASSERT_EQ(c->network.size(), 1u);  // lists replace whole
    EXPECT_EQ(c->network[0].link, "br9");
    EXPECT_EQ(c->start.groups, std::vector<std::string>{"c"});  // arrays too
    EXPECT_EQ(c->security.capDrop, (std::vector<std::string>{"sys_module", "sys_time"}));
    EXPECT_EQ(c->ttyCount, 2);
    EXPECT_EQ(text->rfind("# xc config of container c7", 0), 0u) << *text;
}

TEST(ConfigCreate, ForcesNameAndHostnameDefault) {
    CreateInputs in{"", "", "", "box", "/var/lib/xc/box/rootfs", ""};
    auto text = buildCreateConfig(in);
    ASSERT_TRUE(text.ok()) << text.error().message();
    auto c = parseConfig(*text, "built");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->name, "box");
    EXPECT_EQ(c->hostname, "box");
    EXPECT_EQ(c->rootfsBackend, "dir");
    EXPECT_TRUE(contains(*text, "name = \"box\";")) << *text;

    EXPECT_FALSE(buildCreateConfig({"", "", "", "../box", "/r", ""}).ok());
    auto badBackend = buildCreateConfig({"", "", "", "box", "/r", "zfs"});
    ASSERT_FALSE(badBackend.ok());
    EXPECT_TRUE(contains(badBackend.error().message(), "rootfs.backend")) << badBackend.error().message();
}

TEST(ConfigCreate, KeepsAllValueTypes) {
    TempDir dir;
    std::string user = dir.write("u.conf", "cgroup = { memory = { max = 5000000000; }; cpu = { max = \"max\"; }; };\n"
                                           "start = { auto = true; order = -3; };\n"
                                           "mounts = ( { source = \"/a\"; target = \"a\"; optional = true; } );\n"
                                           "idmap = ( { type = \"u\"; inside = 0; outside = 0x10000; count = 65536; },\n"
                                           "          { type = \"g\"; inside = 0; outside = 65536; count = 65536; } );\n");
    auto text = buildCreateConfig({"", "", user, "t", "/r", "dir"});
    ASSERT_TRUE(text.ok()) << text.error().message();
    auto c = parseConfig(*text, "built");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->cgroup.memoryMax, 5000000000ull);
    EXPECT_EQ(c->cgroup.cpuQuotaUs, -1);
    EXPECT_TRUE(c->start.autostart);
    EXPECT_EQ(c->start.order, -3);
    EXPECT_TRUE(c->mounts.at(0).optional);
    EXPECT_EQ(c->idmap.at(0).outside, 65536u);
}

TEST(ConfigCreate, InputErrorsNameTheirFile) {
    TempDir dir;
    std::string defaults = dir.write("default.conf", "\nnetwork = ( { type = \"veth\"; lnk = \"xcbr0\"; } );\n");
    auto r = buildCreateConfig({defaults, "", "", "c1", "/r", "dir"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), defaults + ":2: network[0].lnk: unknown key (did you mean 'network[0].link'?)");

    auto missing = buildCreateConfig({"", "", dir.path() + "/nope.conf", "c1", "/r", "dir"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code(), ENOENT);

    // Each input alone is fine; together they break a whole-config rule.
    std::string drop = dir.write("drop.conf", "security = { cap_drop = [ \"sys_time\" ]; };\n");
    std::string keep = dir.write("keep.conf", "security = { cap_keep = [ \"chown\" ]; };\n");
    auto both = buildCreateConfig({drop, "", keep, "c1", "/r", "dir"});
    ASSERT_FALSE(both.ok());
    EXPECT_TRUE(contains(both.error().message(), "new config of c1:")) << both.error().message();
    EXPECT_TRUE(contains(both.error().message(), "cannot be used together")) << both.error().message();
}

TEST(ConfigKeys, TableDescribesEveryKey) {
    const auto& keys = configKeys();
    auto find = [&](const std::string& path) {
        return std::find_if(keys.begin(), keys.end(), [&](const ConfigKeyInfo& k) { return k.path == path; });
    };
    for (const char* p : {"name", "rootfs.path", "uts.hostname", "init.cmd", "init.halt_signal", "environment",
                          "tty.count", "console.log", "network", "network.[].type", "network.[].ipv4",
                          "cgroup.memory.max", "cgroup.cpu.max", "cgroup.raw", "mounts.[].target", "start.auto",
                          "security.cap_drop", "idmap.[].count"})
        EXPECT_NE(find(p), keys.end()) << p;
    EXPECT_EQ(find("cgroup.memory.max")->type, "size or \"max\"");
    EXPECT_EQ(find("network")->type, "list of groups");
    EXPECT_EQ(find("tty.count")->type, "int");
    for (const auto& k : keys) EXPECT_FALSE(k.description.empty()) << k.path;
}

TEST(ParseSize, Table) {
    const std::pair<const char*, uint64_t> good[] = {
        {"0", 0},           {"4096", 4096},         {"1K", 1024},           {"1k", 1024},
        {"256M", 256 << 20}, {"256MB", 256 << 20},   {"256MiB", 256 << 20}, {"1G", 1ull << 30},
        {"1gib", 1ull << 30}, {"2T", 2ull << 40},    {"1.5G", 3ull << 29},  {"0.5K", 512},
        {" 12M ", 12 << 20}, {"100B", 100},
    };
    for (const auto& [text, bytes] : good) {
        auto r = parseSize(text);
        ASSERT_TRUE(r.ok()) << text << ": " << r.error().message();
        EXPECT_EQ(*r, bytes) << text;
    }
    for (const char* bad : {"", "-1", "-1M", "lots", "1X", "M", "1.5", "1 0", "1iB", "1MM", "18446744073709551616",
                            "17179869184G", "0x10", "16EB"}) {
        auto r = parseSize(bad);
        EXPECT_FALSE(r.ok()) << "'" << bad << "' parsed as " << (r ? *r : 0);
        if (!r) {
            EXPECT_EQ(r.error().code(), EINVAL);
        }
    }
    EXPECT_EQ(parseSize("lots").error().message(), "bad size 'lots' (use bytes or K, M, G, T)");
    EXPECT_EQ(*parseSize("18446744073709551615"), UINT64_MAX);
}

TEST(ParseSignal, Table) {
    const std::pair<const char*, int> good[] = {
        {"SIGUSR1", SIGUSR1}, {"usr1", SIGUSR1},      {"USR1", SIGUSR1},          {"SIGPWR", SIGPWR},
        {"sigterm", SIGTERM}, {"KILL", SIGKILL},      {"SIGRTMIN", SIGRTMIN},     {"SIGRTMIN+3", SIGRTMIN + 3},
        {"RTMIN+3", SIGRTMIN + 3}, {"rtmin+3", SIGRTMIN + 3}, {"SIGRTMAX-2", SIGRTMAX - 2}, {"RTMAX", SIGRTMAX},
        {"10", 10},           {"1", 1},               {"64", 64},                 {"SIGINT", SIGINT},
    };
    for (const auto& [text, sig] : good) {
        auto r = parseSignal(text);
        ASSERT_TRUE(r.ok()) << text << ": " << r.error().message();
        EXPECT_EQ(*r, sig) << text;
    }
    for (const char* bad : {"", "0", "65", "-1", "SIGFOO", "SIG", "RTMIN-1", "RTMAX+1", "SIGRTMIN+40", "RTMINX",
                            "USR1X", "1000"})
        EXPECT_FALSE(parseSignal(bad).ok()) << "'" << bad << "'";
    EXPECT_EQ(parseSignal("SIGFOO").error().message(), "unknown signal 'SIGFOO'");
}

TEST(ValidateCpuList, Table) {
    for (const char* good : {"0", "0-3", "0-1,3", "0-3,5,7-8", "4095", "2-2", " 1,2 "})
        EXPECT_TRUE(validateCpuList(good).ok()) << good;
    for (const char* bad : {"", "3-1", "a", "1,", ",1", "1--2", "1-", "-1", "4096", "0-4096", "1 2", "1,,2", "0x1"}) {
        auto st = validateCpuList(bad);
        EXPECT_FALSE(st.ok()) << "'" << bad << "'";
        if (!st) {
            EXPECT_EQ(st.error().code(), EINVAL);
        }
    }
}

// Hardening: a config or include that is not a regular file is refused at
// once (it used to be read to the end: /dev/zero grew to gigabytes, a FIFO
// hung create, start and attach forever).
TEST(ConfigHostile, DevZeroAsConfigIsRefusedAtOnce) {
    auto r = loadConfig("/dev/zero");
    ASSERT_FALSE(r);
    EXPECT_TRUE(contains(r.error().message(), "/dev/zero: not a regular file")) << r.error().message();
}

TEST(ConfigHostile, FifoIncludeIsRefusedWithoutBlocking) {
    TempDir dir;
    std::string fifo = dir.path() + "/fifo.conf";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    std::string top = dir.write("top.conf", kHead + "@include \"fifo.conf\"\n");
    // A blocking open of a FIFO with no writer never returns: the alarm
    // turns that hang into a failure instead of a stuck suite.
    ::alarm(10);
    auto r = loadConfig(top);
    ::alarm(0);
    ASSERT_FALSE(r);
    EXPECT_TRUE(contains(r.error().message(), "top.conf:3: @include: " + fifo + ": not a regular file"))
        << r.error().message();
}

TEST(ConfigHostile, IncludeOfDevZeroAndOversizedFilesAreRefused) {
    TempDir dir;
    std::string zero = dir.write("zero.conf", kHead + "@include \"/dev/zero\"\n");
    auto r = loadConfig(zero);
    ASSERT_FALSE(r);
    EXPECT_TRUE(contains(r.error().message(), "/dev/zero: not a regular file")) << r.error().message();

    std::string big = dir.write("big.conf", kHead + "# " + std::string(2 << 20, 'x') + "\n");
    auto b = loadConfig(big);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code(), EFBIG) << b.error().message();
}

TEST(ConfigHostile, IncludeLoopNamesTheChain) {
    TempDir dir;
    std::string a = dir.write("a.conf", kHead + "@include \"b.conf\"\n");
    dir.write("b.conf", "@include \"a.conf\"\n");
    auto r = loadConfig(a);
    ASSERT_FALSE(r);
    std::string m = r.error().message();
    EXPECT_TRUE(contains(m, "b.conf:1: @include")) << m;
    EXPECT_TRUE(contains(m, "an include loop (" + a + " -> " + dir.path() + "/b.conf -> " + a + ")")) << m;
}

TEST(ConfigParse, RootfsIdmapAndShiftedParseAndAnOverlayRefusesThem) {
    auto r = parseConfig(
        "name = \"c1\";\nrootfs = { path = \"/r\"; idmap = \"shift\"; shifted = \"u:0:100000:65536,g:0:100000:65536\"; };\n",
        "c1.conf");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->rootfsIdmap, "shift");
    ASSERT_EQ(r->rootfsShifted.size(), 2u);
    EXPECT_EQ(r->rootfsShifted[1].type, 'g');
    EXPECT_EQ(r->rootfsShifted[1].outside, 100000u);
    EXPECT_EQ(parseConfig("name = \"c1\";\nrootfs = { path = \"/r\"; };\n", "c1.conf")->rootfsIdmap, "auto");
    auto bad = parseConfig("name = \"c1\";\nrootfs = { path = \"/r\"; idmap = \"shiftfs\"; };\n", "c1.conf");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("rootfs.idmap"), std::string::npos) << bad.error().message();
    auto overlay = parseConfig("name = \"c1\";\nrootfs = { path = \"/r\"; backend = \"overlay\"; lower = \"/l\"; "
                               "upper = \"/u/upper\"; idmap = \"shift\"; };\n",
                               "c1.conf");
    ASSERT_FALSE(overlay);
    EXPECT_NE(overlay.error().message().find("needs backend dir or btrfs"), std::string::npos)
        << overlay.error().message();
}
