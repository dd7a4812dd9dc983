// The config schema: every key xc understands, what it accepts and how it
// lands in ContainerConfig. Validation, unknown-key hints and configKeys()
// all come from this one table, so a key added here is complete.
#include <arpa/inet.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

#include "base/cgroup_files.hpp"
#include "config/config_internal.hpp"
#include "config/config_table.hpp"
#include "base/fsutil.hpp"
#include "xc/paths.hpp"

namespace xc {

namespace config_detail {

Error invalid(const std::string& what) { return Error::msg(what, EINVAL); }

}  // namespace config_detail

namespace {

using config_detail::absolutePath;
using config_detail::integer;
using config_detail::intIn;
using config_detail::invalid;
using config_detail::isString;
using config_detail::Kind;
using config_detail::SchemaEntry;
using config_detail::strings;
using config_detail::text;
using libconfig::Setting;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool allDigits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<uint64_t> sizeValue(const Setting& v) {
    if (isString(v)) return parseSize(text(v));
    int64_t n = integer(v);
    if (n < 0) return invalid("a size must not be negative, got " + std::to_string(n));
    return static_cast<uint64_t>(n);
}

// "max" is UINT64_MAX: no limit.
Result<uint64_t> sizeOrMax(const Setting& v) {
    if (isString(v) && text(v) == "max") return UINT64_MAX;
    return sizeValue(v);
}

// ---- value validators ----

// A value as an error shows it: quoted, control characters escaped, and
// cut to 64 bytes (at a character boundary) with "…" and its size, so that
// a 10 KB hostname or a 50 MB environment string makes a one-line error.
std::string shown(const std::string& v) {
    constexpr size_t kShown = 64;
    size_t cut = v.size() <= kShown ? v.size() : kShown;
    while (cut > 0 && cut < v.size() && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    std::string out = "'";
    for (size_t i = 0; i < cut; ++i) {
        unsigned char c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c != 0x7f) {
            out += static_cast<char>(c);
            continue;
        }
        static const char kHex[] = "0123456789abcdef";
        out += c == '\n' ? std::string("\\n") : std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    }
    if (cut == v.size()) return out + "'";
    return out + "…' (" + std::to_string(v.size()) + " bytes)";
}


Status oneOf(const std::string& v, std::initializer_list<const char*> allowed) {
    std::string list;
    for (const char* a : allowed) {
        if (v == a) return {};
        list += std::string(list.empty() ? "" : ", ") + a;
    }
    return invalid("must be one of " + list + ", got " + shown(v));
}

// What sethostname(2) takes and a container name can be: 1-64 of letters,
// digits, '_', '.' and '-'. Stricter DNS rules (RFC 1123) are the guest's
// business: every valid container name must work as its default hostname.
Status hostname(const std::string& h) {
    auto bad = [&](const std::string& why) { return invalid("invalid hostname " + shown(h) + ": " + why); };
    if (h.empty() || h.size() > 64) return bad("must be 1-64 characters");
    if (h[0] == '-' || h[0] == '.') return bad("must not start with '-' or '.'");
    for (char c : h)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
            return bad("only letters, digits, '_', '.' and '-' are allowed");
    return {};
}

// The kernel's dev_valid_name(): 1-15 bytes, no '/', ':' or white space.
Status ifname(const std::string& n) {
    if (n.empty() || n.size() > 15 || n == "." || n == "..")
        return invalid("invalid interface name " + shown(n) + ": must be 1-15 characters");
    for (char c : n)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c)))
            return invalid("invalid interface name " + shown(n) + ": no '/', ':' or spaces");
    return {};
}

Status hwaddr(const std::string& m) {
    auto bad = [&](const std::string& why) { return invalid("invalid hwaddr " + shown(m) + ": " + why); };
    if (m.size() != 17) return bad("use xx:xx:xx:xx:xx:xx");
    for (size_t i = 0; i < m.size(); ++i) {
        bool sep = i % 3 == 2;
        if (sep ? m[i] != ':' : !std::isxdigit(static_cast<unsigned char>(m[i]))) return bad("use xx:xx:xx:xx:xx:xx");
    }
    if (std::stoi(m.substr(0, 2), nullptr, 16) & 1) return bad("a multicast address (first byte is odd)");
    if (m == "00:00:00:00:00:00") return bad("all zeros");
    return {};
}

Status ipAddress(int family, const std::string& a) {
    unsigned char buf[16];
    if (inet_pton(family, a.c_str(), buf) != 1)
        return invalid("invalid " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address " + shown(a));
    return {};
}

// "ADDR/LEN": the prefix length is required so the route is explicit.
Status cidr(int family, const std::string& a) {
    std::string kind = family == AF_INET ? "IPv4" : "IPv6";
    size_t slash = a.find('/');
    std::string len = slash == std::string::npos ? "" : a.substr(slash + 1);
    int maxLen = family == AF_INET ? 32 : 128;
    if (!allDigits(len) || len.size() > 3 || std::stoi(len) > maxLen)
        return invalid("invalid " + kind + " address " + shown(a) + ": use ADDR/LEN with LEN 0-" + std::to_string(maxLen));
    return ipAddress(family, a.substr(0, slash));
}

bool identifier(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// What execve(2) takes: each string at most MAX_ARG_STRLEN (32 pages)
// with its NUL, and arguments and environment together (strings, NULs
// and pointers) at most a quarter of the stack limit, 2 MiB with the
// default 8 MiB. Checked here so that the config fails, not the exec.
constexpr size_t kMaxArgStrlen = 131072;
constexpr size_t kMaxEnvTotal = 2u << 20;

Status environment(const std::vector<std::string>& vars) {
    size_t total = 0;
    for (const auto& v : vars) {
        size_t eq = v.find('=');
        if (eq == std::string::npos || !identifier(v.substr(0, eq)))
            return invalid(shown(v) + " is not VAR=VALUE with VAR a name of letters, digits and '_'");
        if (v.size() + 1 > kMaxArgStrlen)
            return invalid(shown(v) + " is longer than the kernel takes for one environment string (" +
                           std::to_string(kMaxArgStrlen - 1) + " bytes, MAX_ARG_STRLEN)");
        total += v.size() + 1 + sizeof(char*);
    }
    if (total > kMaxEnvTotal)
        return invalid(std::to_string(vars.size()) + " strings of " + std::to_string(total) +
                       " bytes in all: more than the kernel takes for the environment of a program (" +
                       std::to_string(kMaxEnvTotal) + " bytes with the default 8 MiB stack limit)");
    return {};
}

Result<std::pair<std::string, std::string>> cgroupRaw(const std::string& entry) {
    size_t eq = entry.find('=');
    std::string file = entry.substr(0, eq);
    auto bad = [&](const std::string& why) { return invalid("raw entry " + shown(entry) + ": " + why); };
    if (eq == std::string::npos) return bad("use FILE=VALUE, e.g. \"memory.swappiness=0\"");
    std::string value = entry.substr(eq + 1);
    bool chars = std::all_of(file.begin(), file.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; });
    size_t dot = file.find('.');
    if (!chars || dot == 0 || dot == std::string::npos || file.back() == '.' || file.find("..") != std::string::npos)
        return bad("FILE must be CONTROLLER.KEY of [a-z0-9_.]");
    if (isManagedCgroupFile(file)) return bad(shown(file) + " is managed by xc and cannot be set");
    if (value.empty()) return bad("empty value");
    for (char c : value)
        if (c == '\n' || c == '\0') return bad("VALUE must be one line");
    return std::make_pair(file, value);
}

// Capability names as of Linux 6.x (CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE = 40).
const char* const kCapabilities[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
    "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
    "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
    "checkpoint_restore",
};

// Lower case without "cap_", as SecuritySettings stores them.
Result<std::vector<std::string>> capabilities(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) {
        std::string c = lower(n);
        if (c.rfind("cap_", 0) == 0) c = c.substr(4);
        if (std::find(std::begin(kCapabilities), std::end(kCapabilities), c) == std::end(kCapabilities))
            return invalid("unknown capability " + shown(n));
        out.push_back(c);
    }
    return out;
}

// A path inside the rootfs: relative, without "..". A leading '/' is
// accepted and dropped since users think of it as the container's '/'.
Result<std::string> mountTarget(const std::string& t) {
    std::string rel = t;
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    if (rel.empty()) return invalid("target must name a path below the rootfs, got " + shown(t));
    size_t start = 0;
    while (start <= rel.size()) {
        size_t slash = rel.find('/', start);
        if (rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start) == "..")
            return invalid("target must not contain '..', got " + shown(t));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return rel;
}

Status fstype(const std::string& t) {
    bool ok = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
    return ok ? Status{} : invalid("invalid filesystem type " + shown(t));
}

Status mountOptions(const std::string& o) {
    size_t start = 0;
    while (start <= o.size()) {
        size_t comma = o.find(',', start);
        std::string opt = o.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        bool printable = std::all_of(opt.begin(), opt.end(), [](char c) { return std::isgraph(static_cast<unsigned char>(c)); });
        if (opt.empty() || !printable) return invalid("bad mount options " + shown(o) + ": empty option or white space");
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return {};
}

Status startGroups(const std::vector<std::string>& groups) {
    for (const auto& g : groups) {
        bool ok = !g.empty() && std::all_of(g.begin(), g.end(), [](char c) {
            return std::isgraph(static_cast<unsigned char>(c)) && c != ',';
        });
        if (!ok) return invalid("bad group name " + shown(g) + ": no commas or white space");
    }
    return {};
}

Status hookCommands(const std::vector<std::string>& cmds) {
    for (const auto& c : cmds)
        if (c.find_first_not_of(" \t\n") == std::string::npos) return invalid("an empty hook command");
    return {};
}

Status initCmd(const std::vector<std::string>& cmd) {
    if (cmd.empty()) return invalid("must name a program, e.g. [ \"/sbin/init\" ]");
    if (cmd[0].empty() || cmd[0][0] != '/') return invalid("program must be an absolute path, got " + shown(cmd[0]));
    return {};
}

// tty.login: a program by absolute path; in the arguments "%t" is the
// tty's name and "%%" a percent sign, any other '%' is a mistake.
Status ttyLogin(const std::vector<std::string>& cmd) {
    if (cmd.empty()) return {};
    if (cmd[0].empty() || cmd[0][0] != '/') return invalid("program must be an absolute path, got " + shown(cmd[0]));
    for (const auto& a : cmd)
        for (size_t i = a.find('%'); i != std::string::npos; i = a.find('%', i + 2))
            if (i + 1 >= a.size() || (a[i + 1] != 't' && a[i + 1] != '%'))
                return invalid("in " + shown(a) + ": '%' must be followed by 't' (the tty's name) or '%'");
    return {};
}

Status seccomp(const std::string& s) {
    if (s == "default" || s == "none" || (!s.empty() && s[0] == '/')) return {};
    return invalid("must be \"default\", \"none\" or an absolute profile path, got " + shown(s));
}

// A group list's apply: called with the list (a later list replaces an
// earlier one, so start over), then with each element (append a default).
template <class T>
Status startOrAppend(const Setting& v, std::vector<T>& list) {
    if (v.isGroup())
        list.emplace_back();
    else
        list.clear();
    return {};
}

// rootfs.lower: "/a:/b" -> {"/a", "/b"}, each absolute.
Result<std::vector<std::string>> layerList(const std::string& s) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t colon = s.find(':', pos);
        std::string p = s.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        XC_TRY(absolutePath(p));
        out.push_back(p);
        if (colon == std::string::npos) return out;
        pos = colon + 1;
    }
}

NetworkConfig& net(ContainerConfig& c) { return c.network.back(); }
MountEntry& mnt(ContainerConfig& c) { return c.mounts.back(); }
IdMap& idm(ContainerConfig& c) { return c.idmap.back(); }

// Each table entry's apply function; `v` is the value, `c` the config.
#define APPLY [](const Setting& v, ContainerConfig& c) -> Status

// A string key validated by `check` and stored in `field`.
// "UID" or "UID:GID", each below 2^32-1 (the kernel's "no id").
Status initUser(const std::string& s, int64_t& uid, int64_t& gid) {
    auto id = [](const std::string& t, int64_t& out) {
        if (t.empty() || t.size() > 10 || t.find_first_not_of("0123456789") != std::string::npos) return false;
        out = std::stoll(t);
        return out < 4294967295LL;
    };
    size_t colon = s.find(':');
    bool ok = id(s.substr(0, colon), uid);
    gid = 0;
    if (ok && colon != std::string::npos) ok = id(s.substr(colon + 1), gid);
    if (!ok) return invalid("\"" + s + "\" is not UID or UID:GID (numbers inside the container)");
    return {};
}

#define STRING_INTO(field, check) \
    APPLY {                       \
        std::string s = text(v);  \
        XC_TRY(check);            \
        field = s;                \
        return {};                \
    }

const std::vector<SchemaEntry> kSchema = {
    {"name", Kind::String, "container name: 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-'",
     STRING_INTO(c.name, validateName(s))},
    {"rootfs.path", Kind::String, "absolute path of the root file system", STRING_INTO(c.rootfsPath, absolutePath(s))},
    {"rootfs.backend", Kind::String, "storage backend: dir, overlay or btrfs (the rootfs a subvolume)",
     STRING_INTO(c.rootfsBackend, oneOf(s, {"dir", "overlay", "btrfs"}))},
    {"rootfs.lower", Kind::String, "overlay: the read-only lower layers, absolute paths joined by ':', top first",
     APPLY { XC_ASSIGN(c.rootfsLower, layerList(text(v))); return {}; }},
    {"rootfs.upper", Kind::String, "overlay: the writable upper layer; its work dir is \"work\" beside it",
     STRING_INTO(c.rootfsUpper, absolutePath(s))},
    {"rootfs.idmap", Kind::String,
     "how an unprivileged root owns the rootfs: auto, mount (an idmapped mount) or shift (owners rewritten once)",
     STRING_INTO(c.rootfsIdmap, oneOf(s, {"auto", "mount", "shift"}))},
    {"rootfs.shifted", Kind::String, "written by xc: the idmap the rootfs's owners are stored in on disk",
     APPLY { XC_ASSIGN(c.rootfsShifted, parseIdmapText(text(v))); return {}; }},
    {"uts.hostname", Kind::String, "host name inside (default: the container name)", STRING_INTO(c.hostname, hostname(s))},
    {"init.cmd", Kind::StringList, "PID 1's command line; the program is an absolute path",
     APPLY { c.initCmd = strings(v); return initCmd(c.initCmd); }},
    {"init.halt_signal", Kind::String, "signal that asks init to power off (SIGPWR, SIGUSR1, SIGRTMIN+3, ...)",
     STRING_INTO(c.haltSignal, parseSignal(s))},
    {"init.reboot_signal", Kind::String, "signal that asks init to reboot (default: from the halt signal)",
     STRING_INTO(c.rebootSignal, parseSignal(s))},
    {"init.cwd", Kind::String, "init's working directory inside the container (an absolute path)",
     STRING_INTO(c.initCwd, absolutePath(s))},
    {"init.user", Kind::String, "user init runs as inside, numeric: \"UID\" (group 0) or \"UID:GID\"",
     APPLY { return initUser(text(v), c.initUid, c.initGid); }},
    {"environment", Kind::StringList, "VAR=VALUE pairs set for init",
     APPLY { c.environment = strings(v); return environment(c.environment); }},
    {"tty.count", Kind::Int, "number of ttys (0-64) for xc-console -t",
     APPLY { XC_ASSIGN(c.ttyCount, intIn(v, 0, 64)); return {}; }},
    {"tty.login", Kind::StringList,
     "command the supervisor starts on a tty when xc-console first attaches to it, and again while one is attached "
     "(\"%t\" in it: the tty's name, e.g. tty1); the ttys are then made on first use, each a pty only once used; "
     "empty: they are made at start and the guest's init runs its own gettys",
     APPLY { c.ttyLogin = strings(v); return ttyLogin(c.ttyLogin); }},
    {"console.log", Kind::String, "file that records the console output", STRING_INTO(c.consoleLog, absolutePath(s))},
    {"console.log_size", Kind::Size,
     "size console.log may reach: before a write would pass it, the file is rotated (0: never, else at least 4K)",
     APPLY {
         XC_ASSIGN(c.consoleLogSize, sizeValue(v));
         if (c.consoleLogSize != 0 && c.consoleLogSize < 4096) return invalid("must be 0 (never rotate) or at least 4K");
         return {};
     }},
    {"console.log_count", Kind::Int,
     "rotated console logs kept, FILE.1 (the newest) to FILE.N (0-100; 0: the log restarts empty)",
     APPLY {
         XC_ASSIGN(int64_t n, intIn(v, 0, 100));
         c.consoleLogCount = static_cast<unsigned>(n);
         return {};
     }},
    {"console.buffer_size", Kind::Size, "bytes of console history kept for xc-console (up to 1G)",
     APPLY {
         XC_ASSIGN(c.consoleBufferSize, sizeValue(v));
         if (c.consoleBufferSize > (1ULL << 30)) return invalid("must be at most 1G");
         return {};
     }},

    {"network", Kind::GroupList, "network interfaces, in order", APPLY { return startOrAppend(v, c.network); }},
    {"network.[].type", Kind::String, "veth, macvlan, phys, empty (loopback only) or none (the host's network)",
     STRING_INTO(net(c).type, oneOf(s, {"veth", "macvlan", "phys", "empty", "none"}))},
    {"network.[].link", Kind::String, "host bridge (veth) or parent interface (macvlan, phys)",
     STRING_INTO(net(c).link, ifname(s))},
    {"network.[].name", Kind::String, "interface name inside (default eth0, eth1, ...)", STRING_INTO(net(c).name, ifname(s))},
    {"network.[].hwaddr", Kind::String, "MAC address xx:xx:xx:xx:xx:xx (unicast)", STRING_INTO(net(c).hwaddr, hwaddr(s))},
    {"network.[].macvlan_mode", Kind::String, "private, vepa, bridge or passthru",
     STRING_INTO(net(c).macvlanMode, oneOf(s, {"private", "vepa", "bridge", "passthru"}))},
    {"network.[].mtu", Kind::Int, "MTU (68-65535)", APPLY { XC_ASSIGN(net(c).mtu, intIn(v, 68, 65535)); return {}; }},
    {"network.[].ipv4", Kind::String, "static IPv4 address ADDR/LEN (default: DHCP inside)",
     STRING_INTO(net(c).ipv4, cidr(AF_INET, s))},
    {"network.[].gateway", Kind::String, "IPv4 default gateway", STRING_INTO(net(c).gateway, ipAddress(AF_INET, s))},
    {"network.[].ipv6", Kind::String, "static IPv6 address ADDR/LEN", STRING_INTO(net(c).ipv6, cidr(AF_INET6, s))},
    {"network.[].gateway6", Kind::String, "IPv6 default gateway", STRING_INTO(net(c).gateway6, ipAddress(AF_INET6, s))},
    {"network.[].host_name", Kind::String, "host-side veth name (default: derived from the container)",
     STRING_INTO(net(c).hostName, ifname(s))},

    {"cgroup.memory.max", Kind::SizeOrMax, "hard memory limit",
     APPLY { XC_ASSIGN(c.cgroup.memoryMax, sizeOrMax(v)); return {}; }},
    {"cgroup.memory.high", Kind::SizeOrMax, "memory throttling threshold (soft limit on cgroup v1)",
     APPLY { XC_ASSIGN(c.cgroup.memoryHigh, sizeOrMax(v)); return {}; }},
    {"cgroup.memory.swap_max", Kind::SizeOrMax, "swap allowed on top of memory.max",
     APPLY { XC_ASSIGN(c.cgroup.memorySwapMax, sizeOrMax(v)); return {}; }},
    {"cgroup.cpu.weight", Kind::Int, "CPU share (1-10000, 100 is the default)",
     APPLY { XC_ASSIGN(c.cgroup.cpuWeight, intIn(v, 1, 10000)); return {}; }},
    {"cgroup.cpu.max", Kind::StringOrInt, "\"QUOTA PERIOD\" in microseconds (QUOTA may be \"max\"; PERIOD 100000 if left out)",
     APPLY {
         XC_ASSIGN(CpuMax m, parseCpuMax(isString(v) ? text(v) : std::to_string(integer(v))));
         c.cgroup.cpuQuotaUs = m.quotaUs;
         c.cgroup.cpuPeriodUs = m.periodUs;
         return {};
     }},
    {"cgroup.cpuset.cpus", Kind::String, "CPUs the container may use, e.g. \"0-1,3\"",
     STRING_INTO(c.cgroup.cpusetCpus, validateCpuList(s))},
    {"cgroup.cpuset.mems", Kind::String, "memory nodes the container may use, e.g. \"0\"",
     STRING_INTO(c.cgroup.cpusetMems, validateCpuList(s))},
    {"cgroup.pids.max", Kind::IntOrMax, "maximum number of processes (at least 1) or \"max\"",
     APPLY {
         if (isString(v)) {
             if (text(v) != "max") return invalid("expected an integer or \"max\", got a string (" + shown(text(v)) + ")");
             c.cgroup.pidsMax = -1;
             return {};
         }
         XC_ASSIGN(c.cgroup.pidsMax, intIn(v, 1, INT64_MAX));
         return {};
     }},
    {"cgroup.raw", Kind::StringList, "\"CONTROLLER.KEY=VALUE\" cgroup files written as given",
     APPLY {
         c.cgroup.raw.clear();
         for (const auto& e : strings(v)) {
             XC_ASSIGN(auto kv, cgroupRaw(e));
             c.cgroup.raw.push_back(std::move(kv));
         }
         return {};
     }},

    {"mounts", Kind::GroupList, "extra mounts, in order", APPLY { return startOrAppend(v, c.mounts); }},
    {"mounts.[].source", Kind::String, "host path (bind mounts) or file system source",
     APPLY {
         if (text(v).empty()) return invalid("must not be empty");
         mnt(c).source = text(v);
         return {};
     }},
    {"mounts.[].target", Kind::String, "path inside the rootfs, e.g. \"srv/data\"",
     APPLY { XC_ASSIGN(mnt(c).target, mountTarget(text(v))); return {}; }},
    {"mounts.[].type", Kind::String, "file system type (left out for bind mounts)", STRING_INTO(mnt(c).fstype, fstype(s))},
    {"mounts.[].options", Kind::String, "comma-separated mount options, e.g. \"bind,ro\"",
     STRING_INTO(mnt(c).options, mountOptions(s))},
    {"mounts.[].optional", Kind::Bool, "skip the mount when the source is missing",
     APPLY { mnt(c).optional = static_cast<bool>(v); return {}; }},
    {"mounts.[].create", Kind::String, "make a missing target: dir or file", STRING_INTO(mnt(c).create, oneOf(s, {"dir", "file"}))},

    {"start.auto", Kind::Bool, "start the container when the host boots", APPLY { c.start.autostart = static_cast<bool>(v); return {}; }},
    {"start.delay", Kind::Int, "seconds to wait after starting this container",
     APPLY { XC_ASSIGN(c.start.delay, intIn(v, 0, INT_MAX)); return {}; }},
    {"start.order", Kind::Int, "autostart order: a lower order starts earlier (and stops later)",
     APPLY { XC_ASSIGN(c.start.order, intIn(v, INT_MIN, INT_MAX)); return {}; }},
    {"start.groups", Kind::StringList, "autostart groups", APPLY { c.start.groups = strings(v); return startGroups(c.start.groups); }},

    {"hooks.pre_start", Kind::StringList, "on the host, before the container's namespaces exist; a failure aborts the start",
     APPLY { c.hooks.preStart = strings(v); return hookCommands(c.hooks.preStart); }},
    {"hooks.start_host", Kind::StringList,
     "on the host, once the container's namespaces exist and its network is up, before its root is built; a failure "
     "aborts the start",
     APPLY { c.hooks.startHost = strings(v); return hookCommands(c.hooks.startHost); }},
    {"hooks.mount", Kind::StringList,
     "in the container's mount namespace once its root and mounts are set up, before pivot_root (the host's "
     "programs); a failure aborts the start",
     APPLY { c.hooks.mount = strings(v); return hookCommands(c.hooks.mount); }},
    {"hooks.start", Kind::StringList,
     "inside the container, confined as its init, just before the init is executed (the container's /bin/sh); a "
     "failure aborts the start",
     APPLY { c.hooks.start = strings(v); return hookCommands(c.hooks.start); }},
    {"hooks.stop", Kind::StringList,
     "on the host once the container's processes are gone, its namespaces still open (XC_NET_NS, ...); also after "
     "a crash of the init",
     APPLY { c.hooks.stop = strings(v); return hookCommands(c.hooks.stop); }},
    {"hooks.post_stop", Kind::StringList, "on the host after the container stopped (network and namespaces gone)",
     APPLY { c.hooks.postStop = strings(v); return hookCommands(c.hooks.postStop); }},
    {"hooks.clone", Kind::StringList, "on the host after xc-clone made this container, with the new one's name and rootfs",
     APPLY { c.hooks.clone = strings(v); return hookCommands(c.hooks.clone); }},
    {"hooks.destroy", Kind::StringList, "on the host before xc-destroy removes the container; a failure keeps it",
     APPLY { c.hooks.destroy = strings(v); return hookCommands(c.hooks.destroy); }},
    {"hooks.timeout", Kind::Int, "seconds each hook command may run (1-3600) before it is killed and counts as failed",
     APPLY { XC_ASSIGN(c.hooks.timeoutSec, intIn(v, 1, 3600)); return {}; }},

    {"security.cap_drop", Kind::StringList, "capabilities to drop (sys_module or CAP_SYS_MODULE)",
     APPLY { XC_ASSIGN(c.security.capDrop, capabilities(strings(v))); return {}; }},
    {"security.cap_keep", Kind::StringList, "capabilities to keep, dropping all others",
     APPLY { XC_ASSIGN(c.security.capKeep, capabilities(strings(v))); return {}; }},
    {"security.seccomp", Kind::String, "\"default\", \"none\" or an absolute profile path",
     STRING_INTO(c.security.seccomp, seccomp(s))},
    {"security.privileged", Kind::Bool,
     "no user namespace: root in the container is the host's root (xc-create then writes no idmap)",
     APPLY { c.security.privileged = static_cast<bool>(v); return {}; }},
    {"security.idmap_isolated", Kind::Bool,
     "xc-create maps this container to a block of 65536 of root's ids that no other container in its base maps",
     APPLY { c.security.idmapIsolated = static_cast<bool>(v); return {}; }},
    {"security.nesting", Kind::Bool,
     "let the container run containers: a fully visible proc at /dev/.xc-nesting/proc (unprivileged containers only)",
     APPLY { c.security.nesting = static_cast<bool>(v); return {}; }},
    {"security.allow_host_network", Kind::Bool, "allow network type \"none\" (the host's network stack)",
     APPLY { c.security.allowHostNetwork = static_cast<bool>(v); return {}; }},

    {"lxcfs", Kind::BoolOrAuto,
     "bind lxcfs's /proc/meminfo, cpuinfo, stat, uptime, loadavg, diskstats, swaps and "
     "/sys/devices/system/cpu/online over the container's, so they show its limits: true (the start fails "
     "without lxcfs), false, or \"auto\" (when lxcfs is mounted)",
     APPLY {
         if (!isString(v)) {
             c.lxcfs = static_cast<bool>(v) ? LxcfsMode::On : LxcfsMode::Off;
             return {};
         }
         if (text(v) != "auto") return invalid("expected true, false or \"auto\", got " + shown(text(v)));
         c.lxcfs = LxcfsMode::Auto;
         return {};
     }},

    {"idmap", Kind::GroupList, "user namespace id mappings", APPLY { return startOrAppend(v, c.idmap); }},
    {"idmap.[].type", Kind::String, "u (user ids) or g (group ids)",
     APPLY {
         XC_TRY(oneOf(text(v), {"u", "g"}));
         idm(c).type = text(v)[0];
         return {};
     }},
    {"idmap.[].inside", Kind::Int, "first id inside", APPLY { XC_ASSIGN(idm(c).inside, intIn(v, 0, UINT32_MAX)); return {}; }},
    {"idmap.[].outside", Kind::Int, "first id on the host", APPLY { XC_ASSIGN(idm(c).outside, intIn(v, 0, UINT32_MAX)); return {}; }},
    {"idmap.[].count", Kind::Int, "number of ids", APPLY { XC_ASSIGN(idm(c).count, intIn(v, 1, UINT32_MAX)); return {}; }},
};

#undef STRING_INTO
#undef APPLY

}  // namespace

namespace config_detail {

const std::vector<SchemaEntry>& schemaTable() { return kSchema; }

const char* kindName(Kind kind) {
    switch (kind) {
    case Kind::String: return "string";
    case Kind::Int: return "int";
    case Kind::Bool: return "bool";
    case Kind::Size: return "size";
    case Kind::SizeOrMax: return "size or \"max\"";
    case Kind::IntOrMax: return "int or \"max\"";
    case Kind::StringOrInt: return "string or int";
    case Kind::BoolOrAuto: return "bool or \"auto\"";
    case Kind::StringList: return "string list";
    case Kind::GroupList: return "list of groups";
    }
    return "?";
}

const char* kindExpected(Kind kind) {
    switch (kind) {
    case Kind::String: return "a string";
    case Kind::Int: return "an integer";
    case Kind::Bool: return "a boolean (true or false)";
    case Kind::Size: return "a size (bytes, or a string such as \"256M\")";
    case Kind::SizeOrMax: return "a size (bytes, or a string such as \"256M\") or \"max\"";
    case Kind::IntOrMax: return "an integer or \"max\"";
    case Kind::StringOrInt: return "a string or an integer";
    case Kind::BoolOrAuto: return "true, false or \"auto\"";
    case Kind::StringList: return "an array of strings [ \"...\", ... ]";
    case Kind::GroupList: return "a list of groups ( { ... }, ... )";
    }
    return "?";
}

bool kindAccepts(Kind kind, const Setting& v) {
    Setting::Type t = v.getType();
    bool isInt = t == Setting::TypeInt || t == Setting::TypeInt64;
    switch (kind) {
    case Kind::String: return t == Setting::TypeString;
    case Kind::Int: return isInt;
    case Kind::Bool: return t == Setting::TypeBoolean;
    case Kind::BoolOrAuto: return t == Setting::TypeBoolean || t == Setting::TypeString;
    case Kind::Size:
    case Kind::SizeOrMax:
    case Kind::IntOrMax:
    case Kind::StringOrInt: return isInt || t == Setting::TypeString;
    case Kind::StringList:
        if (t != Setting::TypeArray && t != Setting::TypeList) return false;
        for (int i = 0; i < v.getLength(); ++i)
            if (v[i].getType() != Setting::TypeString) return false;
        return true;
    case Kind::GroupList:
        // An empty array "[ ]" is read as an empty list too.
        if (t == Setting::TypeArray) return v.getLength() == 0;
        if (t != Setting::TypeList) return false;
        for (int i = 0; i < v.getLength(); ++i)
            if (v[i].getType() != Setting::TypeGroup) return false;
        return true;
    }
    return false;
}

std::string describeType(const Setting& v) {
    switch (v.getType()) {
    case Setting::TypeInt:
    case Setting::TypeInt64: return "an integer";
    case Setting::TypeFloat: return "a float";
    case Setting::TypeString: return "a string";
    case Setting::TypeBoolean: return "a boolean";
    case Setting::TypeGroup: return "a group";
    case Setting::TypeArray: {
        if (v.getLength() == 0 || v[0].getType() == Setting::TypeString) return "an array";
        std::string elem = describeType(v[0]);  // "an integer" -> "an array of integers"
        return "an array of " + elem.substr(elem.find(' ') + 1) + "s";
    }
    case Setting::TypeList: return "a list";
    default: return "nothing";
    }
}

}  // namespace config_detail

// ---- value parsers shared with the tools ----

Result<uint64_t> parseSize(const std::string& input) {
    std::string t = trim(input);
    auto bad = [&] { return invalid("bad size " + shown(input) + " (use bytes or K, M, G, T)"); };
    auto tooBig = [&] { return invalid("size " + shown(input) + " is too large"); };
    size_t i = 0;
    uint64_t whole = 0;
    for (; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i)
        if (__builtin_mul_overflow(whole, 10u, &whole) || __builtin_add_overflow(whole, unsigned(t[i] - '0'), &whole))
            return tooBig();
    bool haveWhole = i > 0;
    uint64_t frac = 0, fracScale = 1;
    bool haveFrac = false;
    if (i < t.size() && t[i] == '.') {
        for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i, haveFrac = true) {
            if (fracScale >= 1000000000000000000ULL) continue;  // beyond byte precision for any unit
            frac = frac * 10 + unsigned(t[i] - '0');
            fracScale *= 10;
        }
    }
    if (!haveWhole && !haveFrac) return bad();

    std::string unit = lower(t.substr(i));
    static const std::pair<const char*, uint64_t> kUnits[] = {
        {"", 1}, {"b", 1}, {"k", 1ULL << 10}, {"m", 1ULL << 20}, {"g", 1ULL << 30}, {"t", 1ULL << 40}};
    uint64_t mult = 0;
    for (const auto& [name, m] : kUnits) {
        std::string n = name;
        bool withLetter = !n.empty() && n != "b";
        if (unit == n || (withLetter && (unit == n + "b" || unit == n + "ib"))) mult = m;
    }
    if (mult == 0) return bad();
    if (haveFrac && mult == 1) return invalid("bad size " + shown(input) + ": a fraction needs a unit (K, M, G, T)");

    uint64_t bytes;
    if (__builtin_mul_overflow(whole, mult, &bytes)) return tooBig();
    uint64_t fracBytes = static_cast<uint64_t>(static_cast<unsigned __int128>(frac) * mult / fracScale);
    if (__builtin_add_overflow(bytes, fracBytes, &bytes)) return tooBig();
    return bytes;
}

Status validateCpuList(const std::string& input) {
    auto bad = [&](const std::string& why) { return invalid("bad CPU list " + shown(input) + ": " + why); };
    auto number = [](const std::string& s, int& out) {
        if (!allDigits(s) || s.size() > 4) return false;
        out = std::stoi(s);
        return out < 4096;
    };
    std::string t = trim(input);
    if (t.empty()) return bad("empty");
    size_t start = 0;
    while (start <= t.size()) {
        size_t comma = t.find(',', start);
        std::string item = t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t dash = item.find('-');
        int lo, hi;
        if (!number(item.substr(0, dash), lo) || !number(dash == std::string::npos ? item : item.substr(dash + 1), hi))
            return bad("use N or N-M items separated by commas, numbers below 4096");
        if (lo > hi) return bad("range " + item + " is backwards");
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return {};
}

Result<CpuMax> parseCpuMax(const std::string& v) {
    auto bad = [&](const std::string& why) { return invalid("bad cpu.max " + shown(v) + ": " + why); };
    std::string t = trim(v);
    size_t sp = t.find_first_of(" \t");
    std::string quota = t.substr(0, sp);
    std::string period = sp == std::string::npos ? "" : trim(t.substr(sp));
    CpuMax m;
    if (quota.empty()) return bad("use \"QUOTA [PERIOD]\" in microseconds, QUOTA may be \"max\"");
    if (quota != "max" && quota != "-1") {
        if (!allDigits(quota) || quota.size() > 12) return bad("QUOTA must be microseconds or \"max\"");
        m.quotaUs = std::stoll(quota);
        if (m.quotaUs < 1000) return bad("QUOTA must be at least 1000 microseconds");
    }
    if (!period.empty()) {
        if (!allDigits(period) || period.size() > 8) return bad("PERIOD must be microseconds");
        m.periodUs = std::stoull(period);
        if (m.periodUs < 1000 || m.periodUs > 1000000) return bad("PERIOD must be between 1000 and 1000000 microseconds");
    }
    return m;
}

Result<int> parseSignal(const std::string& input) {
    static const std::pair<const char*, int> kSignals[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},   {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},   {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT}, {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
    };
    auto unknown = [&] { return invalid("unknown signal " + shown(input)); };
    std::string t = upper(trim(input));
    if (allDigits(t)) {
        int n = t.size() <= 3 ? std::stoi(t) : 0;
        if (n < 1 || n > SIGRTMAX) return unknown();
        return n;
    }
    if (t.rfind("SIG", 0) == 0) t = t.substr(3);
    // Real-time signals: glibc reserves the first few, so SIGRTMIN is read at run time.
    for (const char* base : {"RTMIN", "RTMAX"}) {
        if (t.rfind(base, 0) != 0) continue;
        std::string rest = t.substr(5);
        bool fromMin = std::string(base) == "RTMIN";
        if (rest.empty()) return fromMin ? int(SIGRTMIN) : int(SIGRTMAX);
        if (rest[0] != (fromMin ? '+' : '-') || !allDigits(rest.substr(1)) || rest.size() > 3) return unknown();
        int off = std::stoi(rest.substr(1));
        int sig = fromMin ? SIGRTMIN + off : SIGRTMAX - off;
        if (sig < SIGRTMIN || sig > SIGRTMAX) return unknown();
        return sig;
    }
    for (const auto& [name, sig] : kSignals)
        if (t == name) return sig;
    return unknown();
}

}  // namespace xc
