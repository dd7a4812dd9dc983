// xc-wait: wait until a container reaches a state.
#include <sstream>

#include "common.hpp"

int xc_wait_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-wait", "Wait for a container to reach a state",
                 "DESCRIPTION\n"
                 "  Returns once the container is in one of the states given with -s, which takes\n"
                 "  one state or several joined by '|' (STOPPED, STARTING, RUNNING, STOPPING,\n"
                 "  ABORTING, FREEZING, FROZEN).\n\n"
                 "EXAMPLES\n  xc-wait -n web -s RUNNING\n  xc-wait -n web -s 'STOPPED|FROZEN' -t 10\n\n"
                 "EXIT STATUS\n  0 reached, 1 timed out or failed, 2 usage error");
    std::string states;
    double timeoutSec = -1;
    t.app().add_option("-s,--state", states, "State(s) to wait for, e.g. 'RUNNING|FROZEN'")->required();
    t.app().add_option("-t,--timeout", timeoutSec, "Seconds to wait (default: forever)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    std::vector<State> want;
    std::stringstream ss(states);
    std::string word;
    while (std::getline(ss, word, '|')) {
        auto s = parseState(word);
        if (!s) return t.fail(s.error());
        want.push_back(*s);
    }
    auto c = t.container();
    if (!c) return t.fail(c.error());
    auto ms = std::chrono::milliseconds(timeoutSec < 0 ? -1 : static_cast<long long>(timeoutSec * 1000));
    if (auto st = c->waitFor(want, ms); !st) return t.fail(st.error());
    return 0;
}
