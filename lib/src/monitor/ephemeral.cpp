// Removal of a stopped ephemeral container by its supervisor (ephemeral.hpp).
#include "monitor/ephemeral.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include "base/fsutil.hpp"
#include "spawn/hooks.hpp"

namespace xc {

void destroyIfEphemeral(const ContainerPaths& p, const ContainerConfig& cfg, const Log& log) {
    if (!pathExists(ephemeralMarker(p))) return;
    if (!cfg.hooks.destroy.empty())
        if (auto st = runHooks("destroy", cfg.hooks.destroy, hookEnvFor(cfg), log); !st)
            log.warn("ephemeral: " + st.error().message() + " (destroyed all the same)");
    std::string trash = p.base() + "/.xc-trash-" + p.name() + "-XXXXXX";
    if (!::mkdtemp(trash.data())) {
        log.error("ephemeral: not destroyed: " + Error::sys("create " + trash).message());
        return;
    }
    // The rename replaces the empty directory mkdtemp reserved.
    if (::rename(p.dir().c_str(), trash.c_str()) < 0) {
        log.error("ephemeral: not destroyed: " + Error::sys("move " + p.dir() + " aside").message());
        ::rmdir(trash.c_str());
        return;
    }
    if (auto st = removeTree(trash); !st)
        log.warn("ephemeral: destroyed, but removing " + trash + " failed: " + st.error().message());
    log.info("ephemeral: destroyed");
}

}  // namespace xc
