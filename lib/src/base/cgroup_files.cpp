#include "base/cgroup_files.hpp"

namespace xc {

bool isManagedCgroupFile(const std::string& file) {
    static const char* const kManaged[] = {
        "cgroup.procs",          "cgroup.threads",      "tasks",                "cgroup.subtree_control",
        "cgroup.type",           "cgroup.kill",         "cgroup.freeze",        "freezer.state",
        "cgroup.clone_children", "cgroup.sane_behavior", "cgroup.event_control", "release_agent",
        "notify_on_release",
    };
    for (const char* f : kManaged)
        if (file == f) return true;
    size_t dot = file.rfind('.');
    if (dot == std::string::npos) return false;
    std::string key = file.substr(dot + 1);
    return key == "procs" || key == "tasks" || key == "threads";
}

}  // namespace xc
