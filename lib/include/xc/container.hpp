// The library's face: one container, by name, under a base directory.
// Tools are thin mains over this class.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xc/attach.hpp"
#include "xc/config.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"
#include "xc/state.hpp"

namespace xc {

class RunLock;

struct CreateOptions {
    std::string templateName;                // "busybox" or a path to an executable
    std::vector<std::string> templateArgs;   // after "--"
    std::string configFile;                  // -f: merged over default.conf
    std::string backend = "dir";             // -B: dir, overlay or btrfs
};

// xc-clone (clone.cpp).
struct CloneOptions {
    std::string newName;   // -n
    bool snapshot = false; // -s: an overlay over the origin's rootfs, or a btrfs snapshot of it
    std::string backend;   // -B: "" = the origin's (for -s, overlay unless the origin is btrfs)
    std::string newBase;   // the clone's base directory; "": the origin's
    // -e: a snapshot clone (needs `snapshot`) started at once and destroyed
    // when it stops; a start that fails destroys it too.
    bool ephemeral = false;
    // -a: a running origin is frozen for the copy and thawed after (also on
    // failure); one frozen already stays frozen. Not with `snapshot`.
    bool allowRunning = false;
};

// One snapshot of a container (xc-snapshot, snapshot.cpp).
struct SnapshotInfo {
    std::string name;      // "snap0"
    std::string time;      // when it was taken, UTC: "2026-12-02T05:30:00Z"
    std::string comment;   // "" if none
    uint64_t sizeBytes = 0;  // disk it uses (allocated blocks, hard links once)
};

struct StartOptions {
    std::string configFile;             // -f: use this config instead
    std::vector<std::string> cmd;       // overrides init.cmd
    std::string logFile;                // the supervisor's log
    LogLevel logLevel = LogLevel::Error;
    // Until RUNNING. A start that fails or times out is rolled back (the
    // supervisor, ABORTING meanwhile, kills what it started and removes
    // the runtime state); the error says so, or names the real state if
    // that was not possible.
    std::chrono::milliseconds timeout{30000};
    // Told, before anything runs, what the admin should know of this start
    // (a privileged container); the tools print it as a warning.
    std::function<void(const std::string&)> warn;
};

// The start plan (xc-start --dry-run): what a start of the container would
// do on this host, in sections ("namespaces", "mounts", "cgroup limits",
// ...), each a list of items, each item its fields in order. It is printed
// from the object the supervisor executes.
struct PlanItem {
    std::vector<std::pair<std::string, std::string>> fields;
};
struct PlanSection {
    std::string name;
    std::vector<PlanItem> items;
};

struct StopOptions {
    std::chrono::milliseconds timeout{60000};
    bool kill = false;    // -k
    bool reboot = false;  // -r
};

// xc-console and xc-start -F (console.cpp).
struct ConsoleOptions {
    int tty = 0;              // 0: /dev/console, N: /dev/ttyN
    int escape = 1;           // prefix character (Ctrl-a); -1: none
    bool force = false;       // take the tty over from another client
    bool replay = false;      // first this boot's console output so far
    bool banner = true;       // "Connected to ..." on stderr
    bool followReboot = true; // reattach when the container reboots
    bool detachOnEof = true;  // end of input detaches; else input just stops
    int inFd = 0, outFd = 1;
};

// How a console session ended.
struct ConsoleExit {
    enum class End { Detached, Stopped, TakenOver, Signal } end = End::Detached;
    int signal = 0;           // End::Signal: which
    bool stopRequested = false;  // End::Stopped: by xc-stop, a signal or a halt inside
    int initStatus = -1;      // End::Stopped: the init's wait status, -1 unknown
    bool initFailed() const;  // the init died on its own (not a halt or poweroff)
    std::string initStatusText() const;  // "exited with status 1", "killed by signal 9 (Killed)"
};

// How an attached command ended: its exit status, or (status 126/127) the
// reason it could not be run at all.
struct AttachExit {
    int status = 0;  // 128+N if killed by signal N
    std::optional<Error> execError;
};

// A command attachStart() started, or why it could not run.
struct AttachStarted {
    pid_t pid = -1;                   // the caller's child, to reap
    std::optional<Error> execError;   // not run (pid -1): not found, not executable...
    int status = 0;                   // with execError: 126 or 127, as a shell says
};

struct StateInfo {
    State state = State::Stopped;
    pid_t initPid = -1;
};

// What a running container uses (its cgroup, v1 or cgroup2). A figure
// the host does not account is unset: memory+swap without swap
// accounting, block I/O without a blkio/io controller, pids without pids.
struct Stats {
    uint64_t cpuNs = 0;
    uint64_t memoryBytes = 0;
    std::optional<uint64_t> memorySwapBytes;            // memory + swap
    std::optional<uint64_t> ioReadBytes, ioWriteBytes;  // block I/O
    std::optional<uint64_t> pids;                       // processes and threads
};

// An address of an interface inside a running container (container_net.cpp).
struct NetAddress {
    std::string interface;  // "eth0"
    int family = 0;         // AF_INET or AF_INET6
    std::string address;    // "10.0.3.57"
    int prefix = 0;
    int scope = 0;          // RT_SCOPE_UNIVERSE (0), RT_SCOPE_LINK (253), RT_SCOPE_HOST (254)
};

// Traffic of one interface, from the container's point of view.
struct NetLinkStats {
    std::string link;       // host-side veth (macvlan: parent; phys: the device)
    std::string interface;  // name inside
    uint64_t txBytes = 0, rxBytes = 0;
};

// Disk space a tree takes: allocated blocks (st_blocks) of every file,
// directory and symlink in it, on its own file system only, each hard-linked
// inode once; symlinks are never followed (diskuse.cpp).
struct DiskUse {
    std::string path;    // the tree measured
    uint64_t bytes = 0;  // st_blocks * 512
    uint64_t files = 0;  // inodes counted
};
Result<DiskUse> measureDiskUse(const std::string& dir);

// One key that differs between the config file and what the running
// container was started with (xc-config apply). An empty side: not set.
struct ConfigChange {
    std::string key;      // "cgroup.memory.max", "network.0.ipv4"
    std::string started;  // the value it runs with ("[a, b]" for a list)
    std::string file;     // the value in the config file
};

struct ApplyReport {
    std::vector<ConfigChange> applied;       // cgroup limits, written to the running container
    std::vector<ConfigChange> needsRestart;  // namespaces, rootfs, network, security, ...: at the next start
    std::vector<ConfigChange> readWhenUsed;  // start.*, hooks.clone, hooks.destroy: read from the file when used
};

class Container {
public:
    // Refuses a bad name before any path is built from it.
    static Result<Container> open(const HostPaths& host, const std::string& base, const std::string& name);

    const std::string& name() const { return paths_.name(); }
    const ContainerPaths& paths() const { return paths_; }
    const HostPaths& host() const { return host_; }
    bool defined() const;
    Result<ContainerConfig> config() const;
    // Why an operation that needs the container running cannot go on:
    // "no such container under BASE" (ENOENT) if it is not defined, else
    // "is not running" (ESRCH). The one wording every tool and call uses.
    Error notRunningError() const;

    Status create(const CreateOptions& o, const Log& log);
    Status start(const StartOptions& o);
    // The plan start(o) would execute, computed the same way; makes and
    // locks nothing, needs no privilege beyond reading the config.
    Result<std::vector<PlanSection>> startPlan(const StartOptions& o) const;
    Status stop(const StopOptions& o);
    Status freeze(std::chrono::milliseconds timeout);
    Status thaw();
    // Runs a command inside and waits for it.
    Result<AttachExit> attach(const AttachOptions& o);
    // Starts a command inside (o.pty must be Never) and returns once it
    // runs: the pid of the caller's child that exits as the command does
    // (its code, or the same signal); the caller reaps it (waitpid). It
    // dies with the thread that started it.
    Result<AttachStarted> attachStart(const AttachOptions& o);
    // xc-attach's way where no pty is used (attachUsesPty false): this
    // process itself enters and becomes the command's waiter, so no fork
    // and no wait stand between the caller and the command; the process
    // exits as the command does (its code, 128+N for signal N). Returns
    // only a failure before it entered; a later one is printed on stderr
    // as "PREFIX: message" and the process exits 1 (126/127: the command
    // could not be run).
    Status attachInPlace(const AttachOptions& o, const std::string& reportPrefix);
    // Refuses a running container unless `force` (then killed first), and
    // one that another command is starting, creating or destroying. The
    // directory is renamed away first, so a killed destroy leaves either
    // the whole container or none of it. One that snapshot clones depend
    // on is refused (the error lists them) unless `withDependents`: then
    // they are destroyed first (with `force` too). So is one with
    // snapshots (xc-snapshot): they go with it only with `withDependents`.
    Status destroy(bool force, const Log& log = Log(), bool withDependents = false);
    // A full copy of this stopped container as o.newName: the rootfs copied
    // whole (storage/copytree.hpp) into a hidden staging directory renamed
    // into place, so a failure or a kill leaves no NEW. The new config is
    // this one's text with its own name, rootfs.path, uts.hostname (when it
    // was the origin's name) and new hardware addresses; inside, the
    // hostname in /etc/hostname and /etc/hosts follows and /etc/machine-id
    // is emptied (clone.cpp).
    Status clone(const CloneOptions& o, const Log& log);
    // Renames this stopped container: its directory, the config's name,
    // rootfs.path and uts.hostname (as clone), /etc/hostname inside, and
    // its log file (clone.cpp).
    Status rename(const std::string& newName, const Log& log);

    // Snapshots (snapshot.cpp), stored under BASE/NAME/snaps as LXC
    // does: snapN/ with `config` (a copy of the config file), `ts`,
    // `comment`, and a copy of the container's own files: rootfs/ for a
    // dir container, overlay/upper for an overlay one (its lower layers are
    // read-only and shared). Each is built in a hidden staging directory
    // renamed into place, so a failure or a kill leaves no half-made snapN.
    // A snapshot is taken of a stopped container (held stopped meanwhile)
    // or of a frozen one (xc-freeze; it must still be frozen when the copy
    // is done, else the snapshot is dropped). Returns the new name.
    Result<std::string> snapshot(const std::string& comment, const Log& log);
    // Oldest first.
    Result<std::vector<SnapshotInfo>> snapshots() const;
    // newName "": the stopped container's files become the snapshot's
    // again (its config stays as it is now); the copy is built beside them
    // and swapped in with one rename, so a failure or a kill leaves the
    // container's files as they were. Refused while snapshot clones depend
    // on it. Else a new container newName, a full copy of the snapshot with
    // the snapshot's config (as clone() makes one).
    Status restoreSnapshot(const std::string& snap, const std::string& newName, const Log& log);
    Status destroySnapshot(const std::string& snap, const Log& log);

    Result<StateInfo> state() const;
    Result<Stats> stats() const;
    // The disk use of the container's own layer: the rootfs of a dir
    // container, the upper layer of an overlay one (diskuse.cpp).
    Result<DiskUse> diskUse() const;
    // Global addresses of the running container's interfaces (not lo), read
    // inside its network namespace; IPv4 first.
    Result<std::vector<NetAddress>> ipAddresses() const;
    // Every address of every interface inside (lo too), any scope.
    Result<std::vector<NetAddress>> allAddresses() const;
    // The names of the interfaces inside the running container (lo too),
    // in the kernel's order.
    Result<std::vector<std::string>> interfaces() const;
    // Traffic of each interface of the network list that exists.
    Result<std::vector<NetLinkStats>> networkStats() const;
    // Applies the config file to the running container (config_apply.cpp):
    // the file is loaded and checked whole, compared key by key with the
    // config in effect at its start (its supervisor's copy,
    // ContainerPaths::startedConfigFile), changed cgroup limits are
    // written at once through the cgroup vocabulary (cgroupSet's), and
    // every other change is reported. What was applied counts as started
    // with from then on; what needs a restart is reported until then.
    Result<ApplyReport> applyConfig();
    Result<std::string> cgroupGet(const std::string& key) const;
    Status cgroupSet(const std::string& key, const std::string& value);
    Result<std::string> consoleLog() const;
    // The whole console ring buffer (console.buffer_size), any size (console.cpp).
    Result<std::string> consoleHistory() const;
    // xc-console --show-log: the console's recorded history, to outFd. With
    // console.log set, its rotated files oldest first, then the file itself,
    // whether the container runs or not (the names from the config it
    // started with while it runs); without, a running container's buffer
    // (consoleHistory) (console.cpp).
    Status copyConsoleHistory(int outFd) const;
    // Attaches the terminal on o.inFd/o.outFd to the console or a tty until
    // detach, stop, take-over or a signal (console.cpp).
    Result<ConsoleExit> console(const ConsoleOptions& o);
    // xc-start -F: starts the container under its supervisor as usual, then
    // attaches to its console with this boot's output replayed. Detaching
    // leaves it running; a SIGTERM, SIGINT or SIGHUP stops it (console.cpp).
    Result<ConsoleExit> startAttached(const StartOptions& so, ConsoleOptions co);
    // Where to read about a failed or stopped container, as an Error hint:
    // "see console log FILE, log FILE" naming the console log file if
    // configured and the supervisor's log (`logFile` if it was given with
    // -o), each only if it exists; "" if neither does (console.cpp).
    std::string logHint(const std::string& logFile = "") const;
    // Waits until the container is in one of `states`; ETIMEDOUT after timeout (<0: forever).
    Status waitFor(const std::vector<State>& states, std::chrono::milliseconds timeout) const;

private:
    Container(const HostPaths& host, const std::string& base, const std::string& name)
        : host_(host), paths_(host, base, name) {}
    Status requireRunning() const;
    // start() once the run lock is held (by `lock`, which the supervisor
    // takes over).
    Status startLocked(RunLock& lock, const ContainerConfig& cfg, const StartOptions& o);
    // xc-clone -e: the new clone started with the run lock its clone held.
    static Status startEphemeralClone(Container& dst, RunLock lock, const Log& log);
    Error undefinedError() const;

    HostPaths host_;
    ContainerPaths paths_;
};

// Names of the containers defined under a base directory, sorted.
Result<std::vector<std::string>> listContainers(const std::string& base);

// Removes what interrupted creates and destroys left under `base` (hidden
// BASE/.xc-staging-NAME-* and BASE/.xc-trash-NAME-* directories), each
// under NAME's run lock; names another command holds, or whose lock cannot
// be taken, are left alone. Also ephemeral containers (xc-clone -e) whose
// supervisor was killed: nobody runs them, and they are destroyed. Returns one line per directory removed (also
// logged at NOTICE).
Result<std::vector<std::string>> cleanInterrupted(const HostPaths& host, const std::string& base, const Log& log);

}  // namespace xc
