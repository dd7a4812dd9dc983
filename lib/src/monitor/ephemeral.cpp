// Removal of a stopped ephemeral container by its supervisor (ephemeral.hpp).
#include "monitor/ephemeral.hpp"

#include "base/fsutil.hpp"
#include "base/hidden.hpp"
#include "spawn/hooks.hpp"
#include "storage/btrfs.hpp"

namespace xc {

void destroyIfEphemeral(const ContainerPaths& p, const ContainerConfig& cfg, const Log& log) {
    if (!pathExists(ephemeralMarker(p))) return;
    if (!cfg.hooks.destroy.empty())
        if (auto st = runHooks("destroy", cfg.hooks.destroy, hookEnvFor(cfg), log); !st)
            log.warn("ephemeral: " + st.error().message() + " (destroyed all the same)");
    // As xc-destroy does: one rename, and the container is gone.
    auto trash = hidden::moveToTrash(p);
    if (!trash) {
        log.error("ephemeral: not destroyed: " + trash.error().message());
        return;
    }
    if (auto st = storage::removeTree(*trash); !st)
        log.warn("ephemeral: destroyed, but removing " + *trash + " failed: " + st.error().message());
    log.info("ephemeral: destroyed");
}

}  // namespace xc
