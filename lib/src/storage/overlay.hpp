// The overlay backend: a container's root is an overlayfs of read-only
// lower layers (another container's rootfs or layers for a snapshot
// clone, the container's own base for xc-create -B overlay) under the
// container's own upper layer and work dir (BASE/NAME/overlay/upper and
// .../work). It is mounted with the fd-based mount API only: by the
// container's first process inside its own mount namespace for a start,
// or detached (never attached anywhere) by a tool that has to read or edit
// the merged tree on the host (a copy, the clone's new identity). Nothing
// stays mounted on the host.
//
// An unprivileged container's layers are idmapped mounts made on the host
// (the kernel idmaps a mount only from the filesystem's own namespace) and
// passed to the child, which attaches them in its mount namespace and
// mounts the overlay as its namespace's root: the overlay then acts with
// the container root's credentials, which the idmapped layers map to the
// on-disk ids. The overlay always uses the "userxattr" option (its
// whiteouts and opaque dirs are user.overlay.* xattrs), so one layer
// serves privileged and unprivileged mounts alike.
#pragma once

#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc::storage {

struct Layout {
    std::string backend = "dir";     // "dir" | "overlay" | "btrfs" (a subvolume: as dir to a start)
    std::string rootfs;              // dir: the tree; overlay: the mount point
    std::vector<std::string> lower;  // overlay: read-only layers, top first
    std::string upper;               // overlay: the writable layer
    bool overlay() const { return backend == "overlay"; }
    bool btrfs() const { return backend == "btrfs"; }
    std::string layerDir() const;    // the parent of upper: holds upper/ and work/
    std::string work() const;        // layerDir()/work
    // The paths to idmap (lower..., layerDir) for an unprivileged start.
    std::vector<std::string> idmapPaths() const;
    static std::vector<std::string> join(std::vector<std::string> a, const std::vector<std::string>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }
};

// The layers of an overlay, opened and ready for mountOverlay.
struct OverlayLayers {
    std::vector<UniqueFd> lower;
    UniqueFd upper, work;
    std::string shown;  // for errors: "overlay of LOWER under UPPER"
};

// Opens the layers of `l`. With `idmapped` (one detached mount per
// idmapPaths() entry, in that order) each is first attached over its own
// path in the caller's mount namespace (a private one: the child's).
Result<OverlayLayers> openLayers(const Layout& l, std::vector<UniqueFd> idmapped);

// An overlay's fsconfig parameters, in the order they are set: one
// "lowerdir+" per lower layer (top first), "upperdir", "workdir" (each
// with its path: mountOverlay sets them by fd, opened from those paths)
// and the flags ("userxattr"). The start plan prints these and the start
// mounts with them.
using FsParams = std::vector<std::pair<std::string, std::string>>;
FsParams overlayParams(const Layout& l);

// fsopen("overlay") + fsconfig of `params` (overlayParams: each layer by
// its fd in `layers`, the flags as they are) + fsmount: the detached root
// of the merged tree. The overlay acts with the caller's credentials.
Result<UniqueFd> mountOverlay(const OverlayLayers& layers, const FsParams& params);

// Both, on the host, for a tool: the merged tree of a stopped container,
// mounted nowhere (it goes when the fd is closed).
Result<UniqueFd> mountDetached(const Layout& l);

// The same for layers still being made (a clone in its staging directory),
// with the "volatile" option: the kernel neither fsyncs copied-up files nor
// syncs the whole upper filesystem when the mount goes (which flushes every
// other dirty file on it too: 3 ms of a snapshot clone after a copy). It
// marks the work dir for that; clearVolatileMark removes the mark once the
// fd and every fd opened through it are closed, else the layers never
// mount again. Durability is then a copy's: the page cache's, as for the
// files xc-clone copies.
Result<UniqueFd> mountDetachedVolatile(const Layout& l);
Status clearVolatileMark(const Layout& l);

// Which xattrs carry the layers' whiteouts and opaque dirs.
enum class Whiteouts {
    Kernel,  // trusted.overlay.*: LXC's and other root-made overlays
    User,    // user.overlay.* ("userxattr"): xc's own layers
};

// A read-only overlay of `layers` (top first), mounted nowhere: no upper
// and no work dir, so nothing in the layers is written and nothing is
// synced when it goes. For reading a stopped overlay's merged tree (an
// xc container's upper and lowers for a copy, or another tool's overlay
// for xc-import-lxc).
Result<UniqueFd> mountReadOnlyStack(const std::vector<std::string>& layers, Whiteouts whiteouts);

// Makes DIR (0700), DIR/upper and DIR/work; upper gets the owner and mode
// of `top` (the top lower layer: they are the merged root's).
Status makeLayerDirs(const std::string& dir, const std::string& top);

}  // namespace xc::storage
