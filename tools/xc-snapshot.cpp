// xc-snapshot: take, list, restore and destroy snapshots of a container.
#include <cstdio>

#include "common.hpp"
#include "json.hpp"

namespace {

void printList(const std::vector<xc::SnapshotInfo>& snaps, bool json) {
    if (json) {
        std::vector<std::string> items;
        for (const auto& s : snaps)
            items.push_back(xc::tool::JsonObject()
                                .add("name", s.name)
                                .add("time", s.time)
                                .add("comment", s.comment)
                                .add("size", static_cast<uint64_t>(s.sizeBytes))
                                .str());
        std::printf("%s\n", xc::tool::jsonArray(items).c_str());
        return;
    }
    if (snaps.empty()) {
        std::printf("No snapshots\n");
        return;
    }
    for (const auto& s : snaps) {
        std::string comment = s.comment;
        for (auto& c : comment)
            if (c == '\n') c = ' ';
        while (!comment.empty() && comment.back() == ' ') comment.pop_back();
        std::printf("%-8s %s %10s  %s\n", s.name.c_str(), s.time.c_str(), xc::tool::humanBytes(s.sizeBytes).c_str(),
                    comment.c_str());
    }
}

}  // namespace

int xc_snapshot_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-snapshot", "Take, list, restore or destroy snapshots of a system container",
                 "DESCRIPTION\n"
                 "  Without an action, takes a snapshot of the container, named snap0, snap1, ...\n"
                 "  (printed), under <path>/<name>/snaps: a copy of its config and of its own\n"
                 "  files (a dir container's rootfs, an overlay's upper layer), with the time and\n"
                 "  the -c comment. The container must be stopped, or frozen for the snapshot\n"
                 "  (xc-freeze, then xc-snapshot, then xc-unfreeze). -L lists the snapshots\n"
                 "  (name, time, size, comment; --json: a JSON array, see xc-snapshot(1)); -r\n"
                 "  restores one into the stopped container (its config stays as it is), or with\n"
                 "  -N into a new container; -d destroys one. Snapshots, restores and destroys\n"
                 "  are built hidden and appear in one rename: a failure or a kill leaves\n"
                 "  nothing half made. xc-destroy removes a container with snapshots only with -s.\n\n"
                 "EXAMPLES\n  xc-snapshot -n web -c 'before the upgrade'\n  xc-snapshot -n web -L\n"
                 "  xc-snapshot -n web -r snap0\n  xc-snapshot -n web -r snap0 -N web-old\n  xc-snapshot -n web -d snap0\n\n"
                 "EXIT STATUS\n  0 done, 1 failed (nothing changed), 2 usage error");
    std::string comment, restore, newName, destroy;
    bool list = false, json = false;
    t.app().add_option("-c,--comment", comment, "Comment to keep with the new snapshot");
    t.app().add_flag("-L,--list", list, "List the snapshots");
    t.app().add_flag("--json", json, "With -L: print the list as JSON");
    t.app().add_option("-r,--restore", restore, "Restore snapshot SNAP (snap0, ...)");
    t.app().add_option("-N,--newname", newName, "With -r: restore into a new container NEWNAME");
    t.app().add_option("-d,--destroy", destroy, "Destroy snapshot SNAP");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    int actions = (list ? 1 : 0) + (restore.empty() ? 0 : 1) + (destroy.empty() ? 0 : 1);
    if (actions > 1) {
        std::fprintf(stderr, "xc-snapshot: -L, -r and -d are one action each\n");
        return tool::kExitUsage;
    }
    if ((json && !list) || (!newName.empty() && restore.empty()) || (!comment.empty() && actions)) {
        std::fprintf(stderr, "xc-snapshot: --json goes with -L, -N with -r, -c with taking a snapshot\n");
        return tool::kExitUsage;
    }
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (list) {
        auto snaps = c->snapshots();
        if (!snaps) return t.fail(snaps.error());
        printList(*snaps, json);
        return 0;
    }
    if (!restore.empty()) {
        if (auto st = c->restoreSnapshot(restore, newName, t.log()); !st) return t.fail(st.error());
        return 0;
    }
    if (!destroy.empty()) {
        if (auto st = c->destroySnapshot(destroy, t.log()); !st) return t.fail(st.error());
        return 0;
    }
    auto name = c->snapshot(comment, t.log());
    if (!name) return t.fail(name.error());
    std::printf("%s\n", name->c_str());
    return 0;
}
