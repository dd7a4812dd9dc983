// xc-destroy: remove a container's files.
#include "common.hpp"

int xc_destroy_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-destroy", "Destroy a system container",
                 "DESCRIPTION\n"
                 "  Removes <path>/<name> (config and rootfs). A running container is refused\n"
                 "  unless -f, which kills it first (waiting for a start in progress to end).\n"
                 "  The directory is moved aside in one rename before anything is removed: an\n"
                 "  interrupted destroy leaves the whole container or none of it. A container\n"
                 "  that snapshot clones (xc-clone -s) depend on is refused, naming them, unless\n"
                 "  -s, which destroys them first; so is one with snapshots (xc-snapshot), which\n"
                 "  go with it only with -s.\n\n"
                 "EXAMPLES\n  xc-destroy -n web\n  xc-destroy -n web -f\n  xc-destroy -n web -s\n\n"
                 "EXIT STATUS\n  0 destroyed, 1 failed, 2 usage error");
    bool force = false, snapshots = false;
    t.app().add_flag("-f,--force", force, "Kill the container first if it runs");
    t.app().add_flag("-s,--snapshots", snapshots, "Destroy its snapshot clones and snapshots with it");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (auto st = c->destroy(force, t.log(), snapshots); !st) return t.fail(st.error());
    return 0;
}
