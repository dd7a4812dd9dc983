// Container states, as xc-info -s and xc-wait name them.
#pragma once

#include <string>

#include "xc/result.hpp"

namespace xc {

enum class State { Stopped, Starting, Running, Stopping, Aborting, Freezing, Frozen };

const char* stateName(State s);  // "STOPPED", ...
Result<State> parseState(const std::string& text);

}  // namespace xc
