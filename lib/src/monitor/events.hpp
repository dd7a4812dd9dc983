// The supervisor's side of xc/events.hpp: one datagram per state change to
// every watcher of the base. Best effort: a watcher that is gone is
// removed, one that is too slow to read loses the change (logged).
#pragma once

#include <sys/types.h>

#include <string>

#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/state.hpp"

namespace xc {

// The directory of the watchers' sockets: <runDir>/.monitors (no container
// name starts with '.', so it can never be a container's file).
std::string watcherDir(const ContainerPaths& paths);
// "XC-STATE 1 NAME STATE PID TIME_NS"
std::string encodeStateEvent(const std::string& name, State s, pid_t pid, int64_t timeNs);

// Tells every watcher that `paths.name()` is now in state `s`.
void announceState(const ContainerPaths& paths, State s, pid_t initPid, const Log& log);

// The supervisor's announcements: silent until begin() (so a supervisor
// that finds its container already supervised says nothing of it), then
// each change told once (a thaw of a running container is no change).
class StateAnnouncer {
public:
    // Announces STARTING.
    void begin(const ContainerPaths& paths, const Log& log);
    // `initPid` is sent only for states that have an init (not STARTING, STOPPED).
    void tell(State s, pid_t initPid, const Log& log);

private:
    const ContainerPaths* paths_ = nullptr;
    State last_ = State::Stopped;
};

}  // namespace xc
