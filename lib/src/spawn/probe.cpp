#include "spawn/probe.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/subid.hpp"
#include "process/process.hpp"
#include "spawn/userns.hpp"

namespace xc {

using S = ProbeItem::Status;

namespace {

// The nearest existing directory at or above path (the base may not exist yet).
std::string existingAncestor(std::string path) {
    struct stat st;
    while (path.size() > 1 && (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
        path = path.substr(0, std::max<size_t>(1, path.rfind('/')));
    return path;
}

}  // namespace

Status tryIdmappedMount(const std::string& dir) {
    XC_ASSIGN(Process child, cloneChild(CLONE_NEWUSER));
    if (child.pid() == 0) {
        for (;;) ::pause();
    }
    XC_TRY(writeIdMaps(child.pid(), {IdMap{'u', 0, 100000, 1}, IdMap{'g', 0, 100000, 1}}));
    XC_TRY(idmappedTree(dir, child.pid()));
    return {};  // the child is killed and reaped here
}

void probeUnprivileged(ProbeList& out, const HostPaths& host, const std::string& base) {
    out.section("Unprivileged containers");
    auto map = rootDefaultIdmap(host.subuidFile(), host.subgidFile());
    if (map) {
        const IdMap &u = (*map)[0], &g = (*map)[1];
        out.add("root's ids", S::Ok,
                "uids " + std::to_string(u.outside) + "-" + std::to_string(u.outside + u.count - 1) + ", gids " +
                    std::to_string(g.outside) + "-" + std::to_string(g.outside + g.count - 1) +
                    ": the idmap xc-create gives new containers",
                "", true);
    } else {
        out.add("root's ids", S::Missing, map.error().message(),
                "add the line root:1000000:65536 to " + host.subuidFile() + " and " + host.subgidFile() +
                    " (overlapping no user's range)",
                true);
    }
    const std::string dir = existingAncestor(base);
    auto st = tryIdmappedMount(dir);
    if (st)
        out.add("idmapped mounts", S::Ok,
                "the file system of " + dir + " takes them: an unprivileged rootfs is never rewritten", "", false);
    else  // not required: the owners are shifted once instead
        out.add("idmapped mounts", S::Warn,
                dir + ": " + st.error().message() +
                    "; xc-create shifts the owners of an unprivileged rootfs here once instead (rootfs.shifted)",
                "to keep files owned as the container sees them, keep containers on ext4, xfs, btrfs or tmpfs "
                "(Linux 6.3+)",
                false);
}

}  // namespace xc
