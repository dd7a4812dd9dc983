// xc-cgroup: read or set a cgroup value of a running container.
#include <cstdio>

#include "common.hpp"

int xc_cgroup_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-cgroup", "Read or set a cgroup value of a running container",
                 "DESCRIPTION\n"
                 "  KEY is xc's one vocabulary for cgroup v1 and v2: memory.max, memory.high,\n"
                 "  memory.swap.max, cpu.weight, cpu.max, cpuset.cpus, cpuset.mems, pids.max (read\n"
                 "  also memory.current, pids.current), mapped to the file of whichever hierarchy\n"
                 "  holds the controller; any other controller file name is used as-is.\n\n"
                 "EXAMPLES\n"
                 "  xc-cgroup -n web memory.max\n"
                 "  xc-cgroup -n web memory.max 512M\n"
                 "  xc-cgroup -n web cpu.max '50000 100000'\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error");
    std::string key, value;
    bool haveValue = false;
    t.app().add_option("key", key, "cgroup key")->required();
    auto* v = t.app().add_option("value", value, "New value (omit to read)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    haveValue = v->count() > 0;
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (haveValue) {
        if (auto st = c->cgroupSet(key, value); !st) return t.fail(st.error());
        return 0;
    }
    auto r = c->cgroupGet(key);
    if (!r) return t.fail(r.error());
    std::printf("%s\n", r->c_str());
    return 0;
}
