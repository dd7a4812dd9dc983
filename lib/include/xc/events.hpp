// State changes of the containers of a base, as they happen (xc-monitor).
//
// Each supervisor pushes one datagram per state change to every watcher of
// its base: a watcher binds a unix datagram socket in the base's run
// directory (/run/xc/<key>/.monitors/<pid>), a supervisor sends to each
// socket there (and removes those whose watcher is gone). Nothing polls;
// a supervisor started after the watcher finds it there at its first change.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "xc/fd.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"
#include "xc/state.hpp"

namespace xc {

struct StateEvent {
    std::string name;
    State state = State::Stopped;
    pid_t initPid = -1;           // -1 when there is none (STOPPED, STARTING)
    int64_t timeNs = 0;           // CLOCK_REALTIME of the change, at the supervisor
};

class StateWatcher {
public:
    // Binds this process's socket under the base's run directory; from the
    // return on, every change of every container of the base reaches it.
    static Result<StateWatcher> open(const HostPaths& host, const std::string& base);
    StateWatcher(StateWatcher&& o) noexcept;
    StateWatcher& operator=(StateWatcher&&) = delete;
    ~StateWatcher();  // removes the socket

    int fd() const { return fd_.get(); }
    // The next change; ETIMEDOUT after `timeout` (< 0: wait forever), EINTR
    // when a signal arrived. Datagrams from anyone but root (or our own uid)
    // and malformed ones are skipped.
    Result<StateEvent> next(std::chrono::milliseconds timeout);

private:
    StateWatcher() = default;
    UniqueFd fd_;
    std::string path_;
};

// "2026-12-02T05:30:00.123456Z"
std::string formatEventTime(int64_t timeNs);

}  // namespace xc
