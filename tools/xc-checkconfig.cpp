// xc-checkconfig: what the host kernel offers a container manager, what is
// missing, and how to get it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "checkconfig_report.hpp"
#include "common.hpp"
#include "xc/hostprobe.hpp"

int xc_checkconfig_main(int argc, char** argv) {
    using namespace xc;
    using namespace xc::tool;
    tool::Tool t("xc-checkconfig", "Check what the host offers xc: kernel features, cgroups, links, tools",
                 "DESCRIPTION\n"
                 "  Probes the running kernel rather than reading its config: namespaces from\n"
                 "  /proc/self/ns; the syscalls xc uses (clone3 with CLONE_PIDFD, pidfd_open,\n"
                 "  openat2 with RESOLVE_IN_ROOT, fsopen, mount_setattr, close_range), each called\n"
                 "  in a harmless way; the cgroup layout (v1, hybrid or v2), its hierarchies and\n"
                 "  controllers, cgroup.freeze, cgroup.kill and swap accounting; filesystems from\n"
                 "  /proc/filesystems, and lxcfs where xc.conf's lxcfs.path says (/var/lib/lxcfs);\n"
                 "  veth, bridge and macvlan links, created through rtnetlink in\n"
                 "  the network namespace of a short-lived child, so nothing is left on the host;\n"
                 "  seccomp, capabilities and no_new_privs; and the host programs templates and\n"
                 "  networking use (busybox-static, skopeo, newuidmap/newgidmap, dnsmasq, nft).\n"
                 "  One line per item, grouped by section: 'enabled', 'missing' or 'warning' with\n"
                 "  what was found, and for what is missing a '-> fix:' line (package, sysctl or\n"
                 "  kernel option). Items marked required are what privileged containers cannot\n"
                 "  run without. A last section lists what the config schema accepts but this xc\n"
                 "  does not support yet ('not supported by this xc yet'; none in this version):\n"
                 "  limits of this version, not faults of the host.\n"
                 "  Colours only on a terminal (not with --no-color or NO_COLOR set).\n"
                 "  Run it as root: several probes need privileges. Run by another user, its\n"
                 "  Cgroups section also says which cgroup2 group is delegated to that user.\n\n"
                 "NON-ROOT USERS\n"
                 "  Where systemd does not delegate a cgroup to a user (user@UID.service), root\n"
                 "  makes one: --delegate USER creates <cgroup2>/xc.users/USER with its\n"
                 "  directory, cgroup.procs, cgroup.subtree_control and cgroup.threads owned by\n"
                 "  USER (cgroup v2's delegation rules) and a leaf 'session' in it; root then\n"
                 "  starts USER's sessions in that leaf (echo PID > .../session/cgroup.procs, as\n"
                 "  a login hook does). --undelegate USER removes it again. A user's veths\n"
                 "  come from the set-uid helper xc-user-nic within /etc/xc/usernet; run by\n"
                 "  the user, this says whether the helper is set-uid and which bridges it may use.\n\n"
                 "EXAMPLES\n"
                 "  xc-checkconfig\n"
                 "  xc-checkconfig --no-color | grep -A1 missing\n"
                 "  xc-checkconfig --json\n"
                 "  xc-checkconfig --delegate alice\n\n"
                 "EXIT STATUS\n"
                 "  0 every required feature is available, 1 a required feature is missing (the\n"
                 "  last line says how many), 2 usage error",
                 /*needsName=*/false);
    bool json = false, noColor = false;
    t.app().add_flag("--json", json, "Print the items as a JSON array (section, name, status: ok|missing|warn|info|unsupported, required, detail, fix)");
    t.app().add_flag("--no-color", noColor, "Never colour the output");
    std::string delegate, undelegate;
    t.app().add_option("--delegate", delegate, "As root: make a cgroup2 group for USER's containers (see NON-ROOT USERS)")
        ->type_name("USER");
    t.app().add_option("--undelegate", undelegate, "As root: remove the group --delegate made for USER")
        ->type_name("USER");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (!delegate.empty()) {
        auto d = delegateCgroupTo(delegate);
        if (!d) return t.fail(d.error());
        std::printf("delegated %s to %s; start %s's sessions in %s (as root: echo PID > %s/cgroup.procs)\n",
                    d->group.c_str(), delegate.c_str(), delegate.c_str(), d->session.c_str(), d->session.c_str());
        return tool::kExitOk;
    }
    if (!undelegate.empty()) {
        if (auto st = undelegateCgroupOf(undelegate); !st) return t.fail(st.error());
        return tool::kExitOk;
    }

    const std::vector<ProbeItem> items = probeHost(t.base());
    const std::string text =
        json ? probeItemsJson(items)
             : formatProbeItems(items, !noColor && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) return t.fail("write output: " + Error::sys("stdout").message());
    return countRequiredMissing(items) == 0 ? tool::kExitOk : tool::kExitFailure;
}
