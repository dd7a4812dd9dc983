// What clone.cpp shares with snapshot.cpp: a full copy from any source
// (a container, or one of its snapshots) and the locks around it.
#pragma once

#include <string>

#include "base/lock.hpp"
#include "storage/overlay.hpp"
#include "xc/container.hpp"

namespace xc {

// The run lock of a container that must stay stopped while we work; EBUSY
// ("is running; stop it first") if it runs.
Result<RunLock> lockStopped(const Container& c);
// The run lock of a name a clone makes, with what interrupted commands
// left of it gone; EEXIST if it exists.
Result<RunLock> lockNewName(const Container& c, const Log& log);

// Where a clone copies from: the layers and the config file to start from.
struct CloneSource {
    storage::Layout layout;
    std::string configFile;
};

// A full copy (or with o.snapshot, a snapshot clone) of `src` as o.newName,
// staged and renamed into place; `origin` names the source (its base, its
// name for the clone hooks). The caller holds what keeps `src` unchanged.
// With `keepLock`, the new container's run lock is handed over to it
// (else released); o.ephemeral writes the new container's marker.
Status cloneFromSource(const Container& origin, const CloneSource& src, const CloneOptions& o, const Log& log,
                       RunLock* keepLock = nullptr);

}  // namespace xc
