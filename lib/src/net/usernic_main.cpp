// The main of the set-uid helper xc-user-nic (tools/monitor/xc-user-nic.cpp
// calls it): makes the process safe to run set-uid before anything else —
// an empty environment (re-executed without one, so that nothing a library
// read at load time came from the caller), fds 0-2 open, every other fd but
// the namespace given closed, umask 077 — then parses the arguments and
// runs usernet::check or usernet::createVeth.
//
//   xc-user-nic create --bridge BR --name IFNAME --netns-fd FD [--hwaddr MAC] [--mtu N]
//   xc-user-nic check --bridge BR
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "net/usernic.hpp"
#include "net/usernet.hpp"
#include "xc/fd.hpp"

extern char** environ;

namespace {

const char* kUsageFormat =
    "usage: xc-user-nic create --bridge BRIDGE --name IFNAME --netns-fd FD [--hwaddr MAC] [--mtu N]\n"
    "       xc-user-nic check --bridge BRIDGE\n"
    "Set-uid-root helper of xc: makes a veth pair for the calling user's container, its host end on\n"
    "BRIDGE and its other end (IFNAME) in the network namespace open on FD (the caller opens it:\n"
    "/proc/PID/ns/net), which must belong to a user namespace the caller made, if %s\n"
    "allows the caller (or one of its groups) one more veth on BRIDGE. Prints the host end's name.\n"
    "check prints 'ALLOWED USED' for the caller on BRIDGE, or why it may not.\n";

int fail(const std::string& what) {
    std::fprintf(stderr, "xc-user-nic: %s\n", what.c_str());
    return 1;
}

bool parseInt(const char* s, long max, long& out) {
    if (!s || !*s) return false;
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > max) return false;
    out = v;
    return true;
}

struct Args {
    std::string cmd;
    xc::usernet::Request r;
    long fd = -1, mtu = 0;
};

// "" when the arguments are good, else the error.
std::string parseArgs(int argc, char** argv, Args& a) {
    for (int i = 2; i < argc; ++i) {
        std::string o = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!v) return o + " needs a value";
        if (o == "--bridge") a.r.bridge = v;
        else if (o == "--name") a.r.name = v;
        else if (o == "--hwaddr") a.r.hwaddr = v;
        else if (o == "--mtu") { if (!parseInt(v, 65535, a.mtu)) return "--mtu: '" + std::string(v) + "' is not a number"; }
        else if (o == "--netns-fd") { if (!parseInt(v, 1 << 20, a.fd) || a.fd < 3) return "--netns-fd: '" + std::string(v) + "' is not an fd above 2"; }
        else return "unknown option '" + o + "'; see xc-user-nic --help";
        ++i;
    }
    if (a.r.bridge.empty()) return "--bridge is required";
    if (a.cmd == "create" && a.r.name.empty()) return "--name is required";
    // An fd the caller opened with its own rights, never a path or pid
    // the helper would open with root's (and no pid to be reused).
    if (a.cmd == "create" && a.fd < 0) return "--netns-fd is required";
    a.r.netnsFd = static_cast<int>(a.fd);
    a.r.mtu = static_cast<int>(a.mtu);
    return "";
}

// Nothing but the namespace fd stays open.
void closeOtherFds(int keep) {
    if (keep >= 3) {
        if (keep > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
        ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
    } else {
        ::syscall(SYS_close_range, 3u, ~0u, 0u);
    }
}

}  // namespace

namespace xc::usernet {

int helperMain(int argc, char** argv) {
    // The caller's environment is never read: run again without one.
    if (environ && environ[0]) {
        char* empty[] = {nullptr};
        ::execve("/proc/self/exe", argv, empty);
        return fail(std::string("re-execute with an empty environment: ") + std::strerror(errno));
    }
    ::umask(077);
    for (int fd = 0; fd < 3; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) != fd) return 1;
    if (argc < 2) return fail("no command given; see xc-user-nic --help");
    Args args;
    args.cmd = argv[1];
    if (args.cmd == "-h" || args.cmd == "--help") {
        std::printf(kUsageFormat, configPath().c_str());
        return 0;
    }
    if (args.cmd == "--version") {
        std::puts("xc-user-nic " XC_VERSION);
        return 0;
    }
    if (::geteuid() != 0)
        return fail("not set-uid root (installed by 'cmake --install' as root with mode 4755; packagers must keep "
                    "the bit): chown root:root " + std::string(argv[0]) + " && chmod 4755 " + argv[0]);
    if (args.cmd != "create" && args.cmd != "check") return fail("unknown command '" + args.cmd + "'; see xc-user-nic --help");
    if (std::string bad = parseArgs(argc, argv, args); !bad.empty()) return fail(bad);
    closeOtherFds(static_cast<int>(args.fd));
    const Caller caller = currentCaller();
    auto out = args.cmd == "check" ? check(caller, args.r.bridge) : createVeth(caller, args.r);
    if (!out) return fail(out.error().messageWithHint());
    std::printf("%s\n", out->c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace xc::usernet
