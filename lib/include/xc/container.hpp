// The library's face: one container, by name, under a base directory.
// Tools are thin mains over this class.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"
#include "xc/state.hpp"

namespace xc {

struct CreateOptions {
    std::string templateName;                // "busybox" or a path to an executable
    std::vector<std::string> templateArgs;   // after "--"
    std::string configFile;                  // -f: merged over default.conf
    std::string backend = "dir";             // -B
};

struct StartOptions {
    bool foreground = false;            // -F
    std::string configFile;             // -f: use this config instead
    std::vector<std::string> cmd;       // overrides init.cmd
    std::string logFile;                // the supervisor's log
    LogLevel logLevel = LogLevel::Error;
    std::chrono::milliseconds timeout{30000};  // until RUNNING
};

struct StopOptions {
    std::chrono::milliseconds timeout{60000};
    bool kill = false;    // -k
    bool reboot = false;  // -r
};

struct AttachOptions {
    std::vector<std::string> cmd;        // empty: the user's shell from the container's /etc/passwd
    bool keepEnv = false;                // --keep-env: the caller's environment
    std::vector<std::string> setEnv;     // -v VAR=VALUE
    uid_t uid = 0;
    gid_t gid = 0;
    bool gidSet = false;
    std::string cwd;                     // "" = the user's home, else /
};

// How an attached command ended: its exit status, or (status 126/127) the
// reason it could not be run at all.
struct AttachExit {
    int status = 0;  // 128+N if killed by signal N
    std::optional<Error> execError;
};

struct StateInfo {
    State state = State::Stopped;
    pid_t initPid = -1;
};

struct Stats {
    uint64_t cpuNs = 0;
    uint64_t memoryBytes = 0;
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

    Status create(const CreateOptions& o, const Log& log);
    Status start(const StartOptions& o);
    Status stop(const StopOptions& o);
    Status freeze(std::chrono::milliseconds timeout);
    Status thaw();
    // Runs a command inside and waits for it.
    Result<AttachExit> attach(const AttachOptions& o);
    Status destroy(bool force);

    Result<StateInfo> state() const;
    Result<Stats> stats() const;
    Result<std::string> cgroupGet(const std::string& key) const;
    Status cgroupSet(const std::string& key, const std::string& value);
    Result<std::string> consoleLog() const;
    // Waits until the container is in one of `states`; ETIMEDOUT after timeout (<0: forever).
    Status waitFor(const std::vector<State>& states, std::chrono::milliseconds timeout) const;

private:
    Container(const HostPaths& host, const std::string& base, const std::string& name)
        : host_(host), paths_(host, base, name) {}
    Status requireRunning() const;

    HostPaths host_;
    ContainerPaths paths_;
};

// Names of the containers defined under a base directory, sorted.
Result<std::vector<std::string>> listContainers(const std::string& base);

}  // namespace xc
