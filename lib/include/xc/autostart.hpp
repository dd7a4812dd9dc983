// xc-autostart (as lxc-autostart): the containers marked start.auto, in
// start.order, started at boot and stopped at shutdown (autostart.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "xc/context.hpp"
#include "xc/result.hpp"

namespace xc {

enum class AutostartAction { Start, Stop, Kill, Reboot };

struct AutostartOptions {
    AutostartAction action = AutostartAction::Start;
    // -a: every container with start.auto, whatever its groups.
    bool all = false;
    // -g: the groups selected; "" is the empty group (containers without
    // start.groups). Unset (empty list) means { "" }, as LXC.
    std::vector<std::string> groups;
    std::chrono::milliseconds stopTimeout{60000};   // -t: -s and -r wait this long, then kill
    std::chrono::milliseconds startTimeout{30000};  // each start, until RUNNING
    // Waits start.delay after each start (false: the tests of the plan).
    bool honourDelay = true;
};

// -g's arguments, each comma-separated and concatenated; an empty element
// (a leading, trailing or doubled comma, or an empty argument) is the
// empty group. Refuses a group name start.groups could not hold.
Result<std::vector<std::string>> parseAutostartGroups(const std::vector<std::string>& args);

struct AutostartEntry {
    std::string name;
    int order = 0;
    int delay = 0;  // seconds waited after its start
    std::vector<std::string> groups;
};

// What the action would do, in the order it would do it: the containers
// with start.auto whose groups were selected, sorted by start.order (lower
// first; ties by name), reversed for Stop and Kill; for Start only those
// not running, for the others only those running. `problems` gets one
// error per container whose config could not be read (it is left out).
Result<std::vector<AutostartEntry>> autostartPlan(const Context& ctx, const AutostartOptions& o,
                                                  std::vector<Error>* problems = nullptr);

// Does it, one container after the other; a failure is reported and the
// rest goes on. `report` is called after each container with how it went.
// Returns the number of containers that failed.
size_t runAutostart(const Context& ctx, const AutostartOptions& o, const std::vector<AutostartEntry>& plan,
                    const std::function<void(const AutostartEntry&, const Status&)>& report);

}  // namespace xc
