// xc-freeze: freeze every process of a container.
#include "common.hpp"

int xc_freeze_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-freeze", "Freeze every process of a running container",
                 "DESCRIPTION\n"
                 "  Freezes the container's cgroup and waits until the kernel reports it frozen.\n"
                 "  If that takes longer than -t seconds the container is thawed again and the\n"
                 "  command fails. xc-unfreeze thaws it.\n\n"
                 "EXAMPLES\n  xc-freeze -n web\n\n"
                 "EXIT STATUS\n  0 frozen, 1 failed, 2 usage error");
    double timeoutSec = 10;
    t.app().add_option("-t,--timeout", timeoutSec, "Seconds to wait for the frozen state (default 10)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    tool::Tool::preferShortWaits();
    auto c = t.container();
    if (!c) return t.fail(c.error());
    auto ms = std::chrono::milliseconds(static_cast<long long>(timeoutSec * 1000));
    if (auto st = c->freeze(ms); !st) return t.fail(st.error());
    return 0;
}
