#include "xc/state.hpp"

#include <algorithm>
#include <cctype>

namespace xc {

namespace {
const char* const kNames[] = {"STOPPED", "STARTING", "RUNNING", "STOPPING", "ABORTING", "FREEZING", "FROZEN"};
}

const char* stateName(State s) { return kNames[static_cast<int>(s)]; }

Result<State> parseState(const std::string& text) {
    std::string up = text;
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
    for (int i = 0; i <= static_cast<int>(State::Frozen); ++i)
        if (up == kNames[i]) return static_cast<State>(i);
    return Error::msg("unknown state '" + text + "' (use STOPPED, STARTING, RUNNING, STOPPING, ABORTING, "
                      "FREEZING or FROZEN)", EINVAL);
}

}  // namespace xc
