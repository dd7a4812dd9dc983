// The owners of an unprivileged container's files on disk. Where the
// kernel or the filesystem gives no idmapped mount (or rootfs.idmap =
// "shift" asks for it), the owners are rewritten once, from the ids the
// container sees to their host ids under its idmap (and back when it
// becomes privileged or idmapped again), and the map they are stored in
// is recorded as rootfs.shifted in its config.
//
// A shift that is interrupted (a crash, a kill, a full disk) is resumed by
// the next start, create or clone: BASE/NAME/.shifting holds its two maps
// until it is done, and an owner already in the target range is taken as
// shifted (the maps a shift accepts keep the two ranges apart).
#pragma once

#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/log.hpp"
#include "xc/result.hpp"

namespace xc {

// The map the owners must be stored in for the next start of `cfg`: its
// idmap where it is shifted ("shift", or "auto" already shifted once),
// else none (as the container sees them: an idmapped mount, or a
// privileged container). A user's container is never shifted.
std::vector<IdMap> ownersWanted(const ContainerConfig& cfg);

// Whether a shift of the rootfs of the container directory `dir` was
// interrupted (its owners are half shifted until a start finishes it).
bool shiftInterrupted(const std::string& dir);

// Whether settleOwners(cfg, ..., dir, ..., want) will rewrite owners (a
// shift to do, or an interrupted one to finish): worth telling the admin.
bool shiftAhead(const ContainerConfig& cfg, const std::string& dir, const std::vector<IdMap>& want);

// Brings the owners of `rootfs` (the tree of `cfg`, in the container
// directory `dir`: BASE/NAME, or its staging directory) to `want`, first
// finishing an interrupted shift, then records it in `configFile`
// (rootfs.shifted, removed when `want` is empty) and in `cfg`. Nothing to
// do costs one stat.
Status settleOwners(ContainerConfig& cfg, const std::string& rootfs, const std::string& dir,
                    const std::string& configFile, const std::vector<IdMap>& want, const Log& log);

// The same for a container being made (xc-create, xc-clone) in its
// staging directory `stage` (config and rootfs inside): shifted where its
// rootfs.idmap asks for it ("shift"), where it is shifted already under
// another map (a clone with a block of its own), or where the filesystem
// takes no idmapped mount ("auto"). An overlay is never shifted; a user's
// own container neither.
Status settleStagedOwners(const std::string& stage, const std::string& rootfs, const Log& log);

}  // namespace xc
