// xc-create: build a container's rootfs with a template and write its config.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "common.hpp"

namespace {

volatile sig_atomic_t gSignal = 0;

// Ctrl-C, a hang-up or a TERM must not kill xc-create before the template
// has cleaned up: xc-create waits for the template to fail, then removes
// the container as after any failure. A terminal's signal reaches the
// template too (one process group); one sent to xc-create alone (kill PID)
// is passed on to its children, the template. Async-signal-safe only.
void onSignal(int sig, siginfo_t* si, void*) {
    if (!gSignal) gSignal = sig;
    if (si && si->si_code > 0) return;  // from the kernel (a terminal): the group has it
    int fd = ::open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    long pid = 0;
    for (ssize_t i = 0; i <= n; ++i) {
        if (i < n && buf[i] >= '0' && buf[i] <= '9') {
            pid = pid * 10 + (buf[i] - '0');
        } else if (pid > 0) {
            ::kill(static_cast<pid_t>(pid), sig);
            pid = 0;
        }
    }
}

void catchTerminatingSignals() {
    struct sigaction sa = {};
    sa.sa_sigaction = onSignal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace

int xc_create_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-create", "Create a system container from a template",
                 "DESCRIPTION\n"
                 "  Runs TEMPLATE to fill <path>/<name>/rootfs and writes <path>/<name>/config:\n"
                 "  /etc/xc/default.conf, then what the template asks for, then the settings of -f,\n"
                 "  each merged over the one before (groups key by key, lists whole). Every input is\n"
                 "  validated first; any failure removes everything the create made.\n"
                 "  TEMPLATE is a name from the template directory (e.g. busybox) or a path.\n"
                 "  Arguments after -- go to the template (see: xc-create -t busybox -n x -- --help).\n\n"
                 "EXAMPLES\n"
                 "  xc-create -n web -t busybox\n"
                 "  xc-create -n db -t busybox -f db.conf -- --ttys 2\n\n"
                 "EXIT STATUS\n  0 created, 1 failed (nothing left behind), 2 usage error");
    CreateOptions o;
    t.app().add_option("-t,--template", o.templateName, "Template name or path")->required();
    t.app().add_option("-f,--config", o.configFile, "Config file merged over the defaults");
    t.app().add_option("-B,--bdev", o.backend, "Backing store: dir (default), overlay (the template's tree, or the image the oci, debian and ubuntu templates share through the layer store, as a read-only base under an upper layer), or btrfs (the rootfs a subvolume; the base must be on btrfs)");
    t.app().add_option("template-args", o.templateArgs, "Arguments for the template (after --)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto c = t.container();
    if (!c) return t.fail(c.error());
    catchTerminatingSignals();
    auto st = c->create(o, t.log());
    if (!st) {
        t.fail(st.error());
        return gSignal ? 128 + gSignal : xc::tool::kExitFailure;
    }
    return 0;
}
