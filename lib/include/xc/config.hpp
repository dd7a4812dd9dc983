// A container's configuration: the libconfig file parsed, validated against
// one schema table (config_schema.cpp) and turned into plain values.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xc/result.hpp"

namespace xc {

struct NetworkConfig {
    std::string type;  // veth | macvlan | phys | empty | none
    std::string link;  // host bridge / parent interface
    std::string name;  // interface name inside (default eth0, eth1, ...)
    std::string hwaddr;
    std::string macvlanMode;  // private | vepa | bridge | passthru
    int mtu = 0;              // 0: kernel default
    std::string ipv4;         // "10.0.3.10/24" or "" (DHCP inside)
    std::string gateway;      // IPv4 gateway
    std::string ipv6;         // "fd00::10/64"
    std::string gateway6;
    std::string hostName;     // host-side veth name; "" = derived from the container

    // Type "none": no interface of its own, the host's network stack.
    bool hostNetwork() const { return type == "none"; }
    // An interface inside the container ("empty" and "none" have none).
    bool hasInterface() const { return type != "none" && type != "empty"; }
};

struct MountEntry {
    std::string source;   // host path (bind) or fs source
    std::string target;   // relative to the rootfs
    std::string fstype;   // "" for bind mounts
    std::string options;  // "bind,ro,nosuid,..." comma separated
    bool optional = false;  // a missing source is skipped instead of failing
    std::string create;     // "", "dir" or "file": make the target if missing
};

struct IdMap {
    char type = 'u';  // 'u' or 'g'
    uint32_t inside = 0;
    uint32_t outside = 0;
    uint32_t count = 0;
};

// One cgroup vocabulary for v1 and v2 (cgroup.hpp maps it to files).
struct CgroupSettings {
    std::optional<uint64_t> memoryMax;   // bytes
    std::optional<uint64_t> memoryHigh;  // bytes (v2 only; soft limit on v1)
    std::optional<uint64_t> memorySwapMax;  // bytes of swap on top of memory.max
    std::optional<uint64_t> cpuWeight;      // 1-10000
    std::optional<int64_t> cpuQuotaUs;      // -1 = max
    std::optional<uint64_t> cpuPeriodUs;    // with cpuQuotaUs
    std::optional<std::string> cpusetCpus;  // "0-1,3"
    std::optional<std::string> cpusetMems;
    std::optional<int64_t> pidsMax;         // -1 = max
    std::vector<std::pair<std::string, std::string>> raw;  // FILE, VALUE as given
};

struct StartSettings {
    bool autostart = false;
    int delay = 0;
    int order = 0;
    std::vector<std::string> groups;
};

// hooks: command lines for /bin/sh -c, per point of the life cycle, in
// the order and namespaces LXC runs its lxc.hook.* (spawn/hooks.hpp).
struct HookSettings {
    std::vector<std::string> preStart, startHost, mount, start, stop, postStop, clone, destroy;
    int timeoutSec = 30;  // hooks.timeout: each command's limit
    bool empty() const {
        return preStart.empty() && startHost.empty() && mount.empty() && start.empty() && stop.empty() &&
               postStop.empty() && clone.empty() && destroy.empty();
    }
};

struct SecuritySettings {
    std::vector<std::string> capDrop;  // lower-case names without "cap_"
    std::vector<std::string> capKeep;  // exclusive with capDrop
    std::string seccomp = "default";   // "default", "none" or a profile path
    bool allowHostNetwork = false;     // needed for network type "none"
    bool privileged = false;           // no user namespace (no idmap): root is the host's root
    bool idmapIsolated = false;        // xc-create gives it a block of root's ids no other container maps
    bool nesting = false;              // an unmasked proc at /dev/.xc-nesting/proc, for containers inside
};

// lxcfs: its /proc and /sys files bound over the container's (key "lxcfs").
enum class LxcfsMode {
    Auto,  // when lxcfs is mounted (xc.conf's lxcfs.path, /var/lib/lxcfs)
    On,    // required: the start fails without it
    Off,
};

struct ContainerConfig {
    std::string sourceFile;
    std::string name;
    std::string rootfsPath;
    std::string rootfsBackend = "dir";  // dir | overlay | btrfs
    // overlay: the read-only lower layers, top first (rootfs.lower, the
    // paths joined by ':'), and the writable upper layer, whose work dir
    // is the directory "work" beside it (rootfs.upper). rootfs.path is then
    // the empty mount point.
    std::vector<std::string> rootfsLower;
    std::string rootfsUpper;
    // How an unprivileged container's root sees the rootfs as its own
    // (rootfs.idmap): "auto" (an idmapped mount where the kernel and the
    // filesystem allow it; xc-create shifts the owners once where they do
    // not), "mount" (only an idmapped mount) or "shift" (the owners
    // rewritten once on disk). rootfs.shifted, written by xc, is the map
    // the owners on disk are stored in (empty: as the container sees them).
    std::string rootfsIdmap = "auto";
    std::vector<IdMap> rootfsShifted;
    std::string hostname;               // default: the name
    std::vector<std::string> initCmd = {"/sbin/init"};
    std::string haltSignal;    // "" = detect (SIGRTMIN+3 for systemd, else SIGPWR)
    std::string rebootSignal;  // "" = derived from the halt signal
    std::string initCwd;       // init's working directory inside; "" = /
    // The user and group init runs as, inside (init.user "UID[:GID]"); -1 = root.
    int64_t initUid = -1, initGid = -1;
    std::vector<std::string> environment;  // VAR=VALUE
    int ttyCount = 0;
    // tty.login: started by the supervisor on a tty on demand; empty = none.
    std::vector<std::string> ttyLogin;
    std::string consoleLog;                  // file, "" = none
    uint64_t consoleLogSize = 1024 * 1024;    // rotated before it grows past this; 0 = never
    unsigned consoleLogCount = 2;             // rotated files kept: consoleLog.1 ... .N
    uint64_t consoleBufferSize = 128 * 1024;  // bytes of ring buffer
    std::vector<NetworkConfig> network;
    CgroupSettings cgroup;
    std::vector<MountEntry> mounts;
    StartSettings start;
    HookSettings hooks;
    SecuritySettings security;
    std::vector<IdMap> idmap;
    LxcfsMode lxcfs = LxcfsMode::Auto;

    // The container shares the host's network namespace: the one place
    // that says so (the config allows a "none" entry only alone and with
    // security.allow_host_network).
    bool hostNetwork() const {
        for (const auto& n : network)
            if (n.hostNetwork()) return true;
        return false;
    }
};

// Parses and validates a config file (with @include). Errors name the
// file, the line and the key: "/var/lib/xc/c1/config:12: cgroup.memory.max:
// bad size 'lots' (use bytes or K, M, G, T)".
Result<ContainerConfig> loadConfig(const std::string& path);
// Same, from text (tests; the name shown in errors is `shownAs`).
Result<ContainerConfig> parseConfig(const std::string& text, const std::string& shownAs);

// Builds a new container's config file text at create: `defaults` (the
// host's default.conf, may be ""), then `templateConf` (settings the
// template asked for, may be ""), then `userConf` (xc-create -f, may be ""),
// each merged over the previous one (groups merge key by key, lists and
// arrays replace whole), then name, rootfs.path/backend and uts.hostname
// (unless set) forced. Each input is validated; the result is too.
struct CreateInputs {
    std::string defaults, templateConf, userConf;  // file paths, "" = absent
    std::string name;
    std::string rootfsPath;
    std::string backend;  // "dir" | "overlay" | "btrfs"
    std::string lower, upper;  // overlay: rootfs.lower and rootfs.upper
    // Written when the merged inputs name no idmap and no privileged
    // container: root's own subordinate ids (see subid.hpp).
    std::vector<IdMap> defaultIdmap;
};
Result<std::string> buildCreateConfig(const CreateInputs& in);

// Value parsers shared with the tools (xc-cgroup) and tests.
// rootfs.shifted's value: "u:0:100000:65536,g:0:100000:65536" (type,
// inside, outside, count per map), "" for none.
std::string idmapText(const std::vector<IdMap>& maps);
Result<std::vector<IdMap>> parseIdmapText(const std::string& text);
bool sameIdmap(const std::vector<IdMap>& a, const std::vector<IdMap>& b);

Result<uint64_t> parseSize(const std::string& text);  // "256M", "1G", "4096", "1.5G"
Status validateCpuList(const std::string& text);      // "0-3,5,7-8"
// cpu.max "QUOTA [PERIOD]": QUOTA in us (at least 1000) or "max" (or -1);
// PERIOD 1000-1000000 us, 100000 if left out. quotaUs == -1: no limit.
struct CpuMax {
    int64_t quotaUs = -1;
    uint64_t periodUs = 100000;
};
Result<CpuMax> parseCpuMax(const std::string& text);
Result<int> parseSignal(const std::string& text);      // "SIGUSR1", "USR1", "SIGRTMIN+3", "10"

// Every schema key with its type and description (for docs, --help and hints).
struct ConfigKeyInfo {
    std::string path;  // "cgroup.memory.max", "network.[].type"
    std::string type;  // "string", "int", "bool", "size", "string list", ...
    std::string description;
};
const std::vector<ConfigKeyInfo>& configKeys();

}  // namespace xc
