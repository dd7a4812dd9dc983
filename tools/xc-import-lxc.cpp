// xc-import-lxc: an LXC container made into an xc container.
#include <cstdio>

#include "common.hpp"
#include "xc/import_lxc.hpp"

int xc_import_lxc_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-import-lxc", "Import an LXC container as an xc container",
                 "DESCRIPTION\n"
                 "  Reads the LXC container NAME of LXCPATH (its config in LXC 2.x-5.x syntax, includes\n"
                 "  followed) and makes the xc container NEW (default NAME) in the xc base (--xc-path,\n"
                 "  else $XC_PATH, else /var/lib/xc). Every LXC setting is listed: the xc key it became\n"
                 "  (network, cgroup v1 and v2 limits, mounts and fstab files, autostart, hooks, ttys,\n"
                 "  idmap, capabilities, seccomp, hostname, init, environment, signals, console log), or\n"
                 "  'not imported' and why. The rootfs (dir, or an overlayfs snapshot, which is flattened)\n"
                 "  is copied keeping owners, modes, xattrs, devices and hard links; with --move it is\n"
                 "  renamed when on the same file system and the LXC container is removed, only after\n"
                 "  the import succeeded. --dry-run prints the list and changes nothing. A failure\n"
                 "  leaves no xc container and the LXC container as it was.\n\n"
                 "EXAMPLES\n  xc-import-lxc -n web --dry-run\n  xc-import-lxc -n web --new-name web2\n"
                 "  xc-import-lxc -P /srv/lxc -n db --move\n\n"
                 "EXIT STATUS\n  0 done, 1 failed (nothing made), 2 usage error",
                 true, true, "--xc-path");
    LxcImportOptions o;
    bool copy = false;
    t.app().add_option("-P,--lxcpath", o.lxcPath, "LXC's base directory (default: /var/lib/lxc)");
    t.app().add_option("--new-name", o.newName, "Name of the xc container (default: NAME)");
    auto* copyFlag = t.app().add_flag("--copy", copy, "Copy the rootfs; the LXC container stays as it is (default)");
    t.app().add_flag("--move", o.move, "Move the rootfs and remove the LXC container once imported")->excludes(copyFlag);
    t.app().add_flag("--dry-run", o.dryRun, "Print what each LXC setting would become; change nothing");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    o.lxcName = t.containerName();
    auto r = importLxcContainer(t.context(), o);
    if (!r) return t.fail(r.error());
    size_t skipped = 0;
    for (const auto& l : r->lines) {
        if (!o.dryRun && l.imported()) continue;
        skipped += !l.imported();
        std::printf("%s\n", formatImportLine(l).c_str());
    }
    if (o.dryRun) {
        std::printf("rootfs: %s\n", r->rootfs.c_str());
        return tool::kExitOk;
    }
    std::printf("imported %s as %s (rootfs %s); %zu LXC settings not imported\n", o.lxcName.c_str(),
                (o.newName.empty() ? o.lxcName : o.newName).c_str(), r->rootfs.c_str(), skipped);
    return tool::kExitOk;
}
