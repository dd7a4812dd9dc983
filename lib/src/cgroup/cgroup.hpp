// cgroups: one interface over v1, hybrid and v2 hosts.
//
// CgroupLayout says which hierarchies the host has; Cgroup is one
// container's group in each of them; mapCgroupKey/mapCgroupSettings turn
// xc's one vocabulary (memory.max, cpu.weight, cpu.max, cpuset.cpus,
// cpuset.mems, pids.max, ...) into the files of the hierarchy that holds
// the controller, v1 or v2.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xc/config.hpp"
#include "xc/result.hpp"

namespace xc {

enum class CgroupMode { V1, Hybrid, V2 };
const char* cgroupModeName(CgroupMode m);

struct CgroupHierarchy {
    std::string mountPoint;               // /sys/fs/cgroup/memory, /sys/fs/cgroup/unified
    std::vector<std::string> controllers; // v1: from mount options ("cpu", "name=systemd"); v2: cgroup.controllers
    bool unified = false;                 // cgroup2
    bool has(const std::string& controller) const;
};

// Which mechanism freezes a group: cgroup2 cgroup.freeze or the v1 freezer.
// Picked once per layout so that freeze, thaw and freezerState agree.
enum class CgroupFreezer { None, Unified, V1 };

class CgroupLayout {
public:
    // Reads /proc/self/mountinfo (and cgroup.controllers of a cgroup2 mount);
    // for a caller other than root, delegatedTo(its euid) of that.
    static Result<CgroupLayout> detect();
    // The host's layout whoever calls (xc-checkconfig's report).
    static Result<CgroupLayout> detectHost();
    // For tests: mountinfo text plus, for a cgroup2 mount, its controllers.
    static CgroupLayout fromMountinfo(const std::string& mountinfo, const std::string& v2Controllers);

    CgroupMode mode() const { return mode_; }
    const std::vector<CgroupHierarchy>& hierarchies() const { return hierarchies_; }
    // The hierarchy that holds a controller (v1 preferred on hybrid hosts,
    // since that is where it limits); nullptr if none.
    const CgroupHierarchy* forController(const std::string& controller) const;
    const CgroupHierarchy* unified() const;  // nullptr on a pure v1 host
    // The layout a caller other than root uses: only the cgroup2 group
    // delegated to uid, as if mounted there (user_delegation.cpp).
    Result<CgroupLayout> delegatedTo(uid_t uid) const;
    // A delegated layout: no device program (it needs CAP_SYS_ADMIN over
    // the host; a user namespace cannot make device nodes anyway).
    bool delegated() const { return delegated_; }

    // The freezer used by Cgroup::freeze/thaw/freezerState: unified
    // cgroup.freeze where a cgroup2 hierarchy exists (measured faster than
    // the v1 freezer on hybrid hosts), else the v1 freezer hierarchy.
    CgroupFreezer freezer() const { return freezer_; }
    // Tests and measurements: force one mechanism (must exist in the layout).
    void setFreezer(CgroupFreezer f) { freezer_ = f; }

private:
    CgroupMode mode_ = CgroupMode::V2;
    std::vector<CgroupHierarchy> hierarchies_;
    CgroupFreezer freezer_ = CgroupFreezer::None;
    bool delegated_ = false;
};

// One file write that a vocabulary key turns into.
struct CgroupWrite {
    std::string controller;  // which hierarchy: "memory", "cpu", ..., "" = unified core file
    std::string file;        // file name inside the cgroup dir
    std::string value;
    bool optional = false;   // skipped when the file does not exist on this host (v1 memsw, v2 swap)
};

// Vocabulary helpers (exposed for tests and xc-cgroup).
// cpu.weight (1..10000) <-> v1 cpu.shares: shares = weight*1024/100 clamped
// to [2, 262144]; the reverse rounds, so weight -> shares -> weight is exact.
uint64_t cpuSharesFromWeight(uint64_t weight);
uint64_t cpuWeightFromShares(uint64_t shares);
// cpu.max values are read by parseCpuMax and CPU lists checked by
// validateCpuList (xc/config.hpp): one parser for the config and the keys.
// A memory value of key: bytes or a size ("256M", "1.5G"); "max" or "-1"
// give UINT64_MAX.
Result<uint64_t> parseCgroupBytes(const std::string& key, const std::string& value);

// Maps one vocabulary key (or a raw file name such as "memory.swappiness")
// and value onto the hierarchy that holds its controller. Values are
// checked ("256M" is a size, cpu.max is "QUOTA|max [PERIOD]", ...).
Result<std::vector<CgroupWrite>> mapCgroupKey(const CgroupLayout& layout, const std::string& key,
                                              const std::string& value);
// All of a container's settings, in an order the kernel accepts
// (e.g. cpuset before tasks, memory before memsw).
Result<std::vector<CgroupWrite>> mapCgroupSettings(const CgroupLayout& layout, const CgroupSettings& s);
// For reads: the file that holds a vocabulary key's current value.
Result<CgroupWrite> mapCgroupRead(const CgroupLayout& layout, const std::string& key);
// The vocabulary's keys (xc-cgroup's KEY, its shell completion): the ones
// mapCgroupKey checks and maps, then the read-only ones.
std::vector<std::string> cgroupVocabulary();

enum class FreezerState { Thawed, Freezing, Frozen };

// What a container's processes use, read from whichever hierarchy holds
// each controller (v1 or cgroup2). A figure this host does not account is
// unset (no swap accounting, no blkio/io controller, no pids controller).
struct CgroupUsage {
    uint64_t cpuNs = 0;
    uint64_t memoryBytes = 0;
    std::optional<uint64_t> memorySwapBytes;  // memory + swap: v1 memsw.usage, v2 current + swap.current
    std::optional<uint64_t> ioReadBytes, ioWriteBytes;  // v1 blkio throttle stats, v2 io.stat
    std::optional<uint64_t> pids;
};
// Parsers of the stat files (exposed for tests): v1 blkio's "MAJ:MIN Read N"
// lines and v2 io.stat's "MAJ:MIN rbytes=N wbytes=N ..." lines, summed
// over the devices; false when the text has none of them.
bool sumBlkioV1(const std::string& text, uint64_t& read, uint64_t& write);
bool sumIoStatV2(const std::string& text, uint64_t& read, uint64_t& write);

// Which of a group's parts a step covers. A start makes the first part,
// the groups that account the memory of the init's set-up (cgroup2, where
// the init is born, and v1 memory), before the clone, and the last part
// (every other v1 group, the device list and the cgroup2 device program)
// while the init's first process builds its mounts on the other CPU: the
// v1 cpuset group alone costs ~3 ms where it is a host's first (the
// kernel's cpuset static keys, text patching with IPIs), the device
// program ~0.5 ms (its verifier).
enum class CgroupPart { All, First, Last };
bool inPart(const CgroupHierarchy& h, CgroupPart part);

// A container's cgroup, `relPath` ("xc/c1") in every hierarchy: the
// limits level, which holds the limits, the device policy and the stats,
// and below it the payload ("xc/c1/payload"), which holds the processes
// and is the root of the container's cgroup namespace. The container can
// write only what it sees, the payload and below: the kernel holds every
// group under its parent's limits and device list, so nothing written
// inside (remounted read-write or not) reaches past them.
class Cgroup {
public:
    static constexpr const char* kPayload = "payload";

    Cgroup() = default;
    Cgroup(CgroupLayout layout, std::string relPath) : layout_(std::move(layout)), rel_(std::move(relPath)) {}

    // Makes the limits level in every hierarchy (parents too; cpuset.cpus/
    // mems copied down on v1) with the default device policy (v1 list,
    // cgroup2 device program) and, on cgroup2, bounds on the depth and
    // number of groups inside; then the payload below it. A failure
    // removes what it made. With a part, only its hierarchies: createPart
    // makes the others later.
    static Result<Cgroup> create(const CgroupLayout& layout, const std::string& relPath,
                                 CgroupPart part = CgroupPart::All);
    Status createPart(CgroupPart part);

    const CgroupLayout& layout() const { return layout_; }
    const std::string& relPath() const { return rel_; }
    std::string dirFor(const CgroupHierarchy& h) const { return h.mountPoint + "/" + rel_; }
    std::string payloadDirFor(const CgroupHierarchy& h) const { return dirFor(h) + "/" + kPayload; }
    bool exists() const;  // in any hierarchy

    // Limits, reads, freezer, kill and stats act on the limits level (the
    // whole tree); a v1 cpuset change is carried down to the payload.
    Status apply(const CgroupSettings& s);
    // The writes mapCgroupSettings made for this group's layout (the start
    // plan's list), in order.
    Status applyWrites(const std::vector<CgroupWrite>& writes, CgroupPart part = CgroupPart::All);
    // The file a write goes to: <hierarchy>/<relPath>/<file>.
    Result<std::string> fileFor(const CgroupWrite& w) const;
    // Writes pid into cgroup.procs of the payload in every hierarchy (of `part`).
    Status addProcess(pid_t pid, CgroupPart part = CgroupPart::All);
    // Gives the payload group (cgroup2 and name=systemd) to uid:gid, the
    // host ids of an unprivileged container's root (see delegate.cpp).
    Status delegatePayload(uid_t uid, gid_t gid) const;

    Result<std::string> get(const std::string& key) const;
    Status set(const std::string& key, const std::string& value);

    // Freezes every process and waits until the kernel says frozen (v2:
    // cgroup.events through inotify; v1: freezer.state with back-off
    // sleeps). A timeout thaws again and returns ETIMEDOUT.
    Status freeze(std::chrono::milliseconds timeout);
    Status thaw();
    Result<FreezerState> freezerState() const;

    // Kills every process (cgroup.kill, else freeze + SIGKILL each + thaw).
    Status killAll();
    Result<bool> populated() const;
    Result<std::vector<pid_t>> pids() const;
    // Waits (without a busy loop) until no process is left.
    Status waitEmpty(std::chrono::milliseconds timeout);
    // Removes the group, its sub-groups (depth first, fd-relative: any
    // depth the container nested) and empty parents.
    Status destroy();

    Result<uint64_t> cpuUsageNs() const;
    Result<uint64_t> memoryUsage() const;
    // CPU and memory (errors if unreadable), the rest where the host has it (cgroup_usage.cpp).
    Result<CgroupUsage> usage() const;

private:
    Status applyDevicePolicy(CgroupPart part);
    Status boundNesting();

    CgroupLayout layout_;
    std::string rel_;
};

// A cgroup this process made, owned: unless released, the owner's end (or
// remove()) kills what is left in it, waits for it to empty and removes
// it, so no early return leaves a container's group behind. The Cgroup
// stays usable after removal (its operations then fail with ENOENT).
class OwnedCgroup {
public:
    OwnedCgroup() = default;
    // Cgroup::create, owned.
    static Result<OwnedCgroup> create(const CgroupLayout& layout, const std::string& relPath,
                                      CgroupPart part = CgroupPart::All);
    OwnedCgroup(OwnedCgroup&& o) noexcept : cg_(std::move(o.cg_)), owned_(std::exchange(o.owned_, false)) {}
    OwnedCgroup& operator=(OwnedCgroup&& o) noexcept;
    OwnedCgroup(const OwnedCgroup&) = delete;
    OwnedCgroup& operator=(const OwnedCgroup&) = delete;
    ~OwnedCgroup() { (void)remove(); }

    Cgroup& operator*() { return cg_; }
    const Cgroup& operator*() const { return cg_; }
    Cgroup* operator->() { return &cg_; }
    const Cgroup* operator->() const { return &cg_; }
    bool owned() const { return owned_; }

    // Kills every process left, waits up to `wait` for the group to empty
    // and removes it now. Nothing is owned afterwards, whatever the result.
    Status remove(std::chrono::milliseconds wait = std::chrono::milliseconds(5000));
    // Keeps the group: it is no longer removed here.
    Cgroup release() {
        owned_ = false;
        return cg_;
    }

private:
    explicit OwnedCgroup(Cgroup cg) : cg_(std::move(cg)), owned_(true) {}
    Cgroup cg_;
    bool owned_ = false;
};

}  // namespace xc
