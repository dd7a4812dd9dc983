// The one list of cgroup files that xc manages itself: they move
// processes, change the tree, freeze, or run programs on the host, so
// neither a config's cgroup.raw entry nor xc-cgroup / Container::cgroupSet
// may write them. (It lives in base, under both config, which validates
// raw entries, and cgroup, which maps keys, since cgroup depends on config.)
#pragma once

#include <string>

namespace xc {

// True for cgroup.procs, cgroup.threads, tasks, cgroup.subtree_control,
// cgroup.type, cgroup.kill, cgroup.freeze, freezer.state,
// cgroup.clone_children, cgroup.sane_behavior, cgroup.event_control,
// release_agent, notify_on_release, and any "*.procs", "*.tasks" or
// "*.threads".
bool isManagedCgroupFile(const std::string& file);

}  // namespace xc
