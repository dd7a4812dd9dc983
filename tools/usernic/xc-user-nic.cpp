// xc-user-nic: the set-uid-root helper that gives a non-root user's
// container a veth on a host bridge, within the quota /etc/xc/usernet
// allows (LXC's lxc-user-nic). Its own small executable, never part of the
// multicall binary; the checks and the work are the library's
// (lib/src/net/usernic.cpp). This main only makes the process safe to run
// set-uid: an empty environment (re-executed without one, so that nothing
// a library read at load time came from the caller), fds 0-2 open, every
// other fd but the namespace given closed, umask 077.
//
//   xc-user-nic create --bridge BR --name IFNAME --netns-fd FD [--hwaddr MAC] [--mtu N]
//   xc-user-nic check --bridge BR
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "net/usernic.hpp"
#include "xc/fd.hpp"

extern char** environ;

namespace {

const char* kUsage =
    "usage: xc-user-nic create --bridge BRIDGE --name IFNAME --netns-fd FD [--hwaddr MAC] [--mtu N]\n"
    "       xc-user-nic check --bridge BRIDGE\n"
    "Set-uid-root helper of xc: makes a veth pair for the calling user's container, its host end on\n"
    "BRIDGE and its other end (IFNAME) in the network namespace open on FD (the caller opens it:\n"
    "/proc/PID/ns/net), which must belong to a user namespace the caller made, if " XC_USERNET_PATH "\n"
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

}  // namespace

int main(int argc, char** argv) {
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
    std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (cmd == "--version") {
        std::puts("xc-user-nic " XC_VERSION);
        return 0;
    }
    if (::geteuid() != 0)
        return fail("not set-uid root (installed by 'cmake --install' as root with mode 4755; packagers must keep "
                    "the bit): chown root:root " + std::string(argv[0]) + " && chmod 4755 " + argv[0]);
    if (cmd != "create" && cmd != "check") return fail("unknown command '" + cmd + "'; see xc-user-nic --help");

    xc::usernet::Request r;
    long fd = -1, mtu = 0;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!v) return fail(a + " needs a value");
        if (a == "--bridge") r.bridge = v;
        else if (a == "--name") r.name = v;
        else if (a == "--hwaddr") r.hwaddr = v;
        else if (a == "--mtu") { if (!parseInt(v, 65535, mtu)) return fail("--mtu: '" + std::string(v) + "' is not a number"); }
        else if (a == "--netns-fd") { if (!parseInt(v, 1 << 20, fd) || fd < 3) return fail("--netns-fd: '" + std::string(v) + "' is not an fd above 2"); }
        else return fail("unknown option '" + a + "'; see xc-user-nic --help");
        ++i;
    }
    if (r.bridge.empty()) return fail("--bridge is required");
    // Nothing but the namespace fd stays open.
    int keep = static_cast<int>(fd);
    if (keep >= 3) {
        if (keep > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
        ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
    } else {
        ::syscall(SYS_close_range, 3u, ~0u, 0u);
    }
    const xc::usernet::Caller caller = xc::usernet::currentCaller();

    if (cmd == "check") {
        auto st = xc::usernet::check(caller, r.bridge);
        if (!st) return fail(st.error().messageWithHint());
        std::printf("%s\n", st->c_str());
        return 0;
    }
    if (r.name.empty()) return fail("--name is required");
    // An fd the caller opened with its own rights, never a path or pid
    // the helper would open with root's (and no pid to be reused).
    if (fd < 0) return fail("--netns-fd is required");
    r.netnsFd = keep;
    r.mtu = static_cast<int>(mtu);
    auto made = xc::usernet::createVeth(caller, r);
    if (!made) return fail(made.error().messageWithHint());
    std::printf("%s\n", made->c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}
