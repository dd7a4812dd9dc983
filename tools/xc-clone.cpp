// xc-clone: a full copy of a stopped container, or (-R) its rename.
#include "common.hpp"

int xc_clone_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-clone", "Copy or rename a system container",
                 "DESCRIPTION\n"
                 "  Copies the stopped container ORIG to NEW: the whole rootfs (owners, modes,\n"
                 "  timestamps, xattrs, ACLs, file capabilities, device nodes, hard links, holes)\n"
                 "  and its config with NEW's name, rootfs path, hostname and new hardware\n"
                 "  addresses; inside NEW, /etc/hostname and /etc/hosts follow the new hostname\n"
                 "  and /etc/machine-id is emptied. The copy is built hidden and appears in one\n"
                 "  rename: a failure or a kill leaves no NEW. With -s, NEW is a snapshot clone:\n"
                 "  an overlay whose lower layer is ORIG's rootfs and whose writes go to NEW's own\n"
                 "  upper layer, made at once whatever the rootfs's size; ORIG then stays stopped\n"
                 "  and cannot be destroyed (xc-destroy -s) while NEW depends on it; a full copy\n"
                 "  of NEW (xc-clone without -s) breaks the dependency. A btrfs ORIG's snapshot\n"
                 "  clone is a btrfs snapshot of its subvolume instead: as instant, and with no\n"
                 "  dependency (a copy without -s onto the same btrfs is one too). With -e, NEW is an\n"
                 "  ephemeral snapshot clone: started at once, destroyed when it stops (one whose\n"
                 "  supervisor was killed is destroyed by the next xc-ls or xc-clone). A running\n"
                 "  ORIG is refused unless -a: then it is frozen for a full copy and thawed after,\n"
                 "  also on failure. With -R, renames ORIG to NEW.\n"
                 "  Here -o is the origin; the log file is --logfile.\n\n"
                 "EXAMPLES\n  xc-clone -o web -n web2\n  xc-clone -e -o web -n web-tmp\n  xc-clone -a -o web -n web-backup\n  xc-clone -s -o web -n web-try\n  xc-clone -R -o web2 -n web-test\n\n"
                 "EXIT STATUS\n  0 done, 1 failed (nothing left behind), 2 usage error",
                 true, false);
    std::string origin;
    bool renameIt = false, snapshot = false, allowRunning = false, ephemeral = false;
    std::string backend;
    t.app().add_option("-o,--orig", origin, "The container to copy or rename")->required();
    t.app().add_flag("-R,--rename", renameIt, "Rename ORIG to NEW instead of copying it");
    t.app().add_flag("-s,--snapshot", snapshot, "Snapshot clone: an overlay over ORIG's rootfs (ORIG then stays stopped), or a btrfs snapshot of a btrfs ORIG");
    t.app().add_option("-B,--backingstorage", backend, "Backing store of NEW: dir, overlay or btrfs (default: ORIG's; with -s overlay, or a btrfs snapshot of a btrfs ORIG)");
    t.app().add_flag("-a,--allow-running", allowRunning, "Copy a running origin, frozen for the copy and thawed after");
    t.app().add_flag("-e,--ephemeral", ephemeral,
                     "Ephemeral: a snapshot clone started at once and destroyed when it stops");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (renameIt && (snapshot || ephemeral || allowRunning || !backend.empty()))
        return t.fail("-R renames: -s, -e, -a and -B do not go with it");
    if (ephemeral && allowRunning) return t.fail("-e is a snapshot clone: -a does not go with it");
    // What interrupted commands and killed supervisors of ephemeral clones left.
    (void)cleanInterrupted(t.host(), t.base(), t.log());
    if (auto st = validateName(origin); !st) return t.fail("-o: " + st.error().message());
    auto orig = t.context().container(origin);
    if (!orig) return t.fail(orig.error());
    Status st = renameIt ? orig->rename(t.containerName(), t.log())
                         : orig->clone(CloneOptions{t.containerName(), snapshot || ephemeral, backend, "", ephemeral,
                                                    allowRunning},
                                       t.log());
    if (!st) {
        // The error is about the origin unless it names the new container.
        std::fprintf(stderr, "xc-clone: %s: %s\n", origin.c_str(), st.error().messageWithHint().c_str());
        t.log().error(origin + ": " + st.error().messageWithHint());
        return tool::kExitFailure;
    }
    return 0;
}
