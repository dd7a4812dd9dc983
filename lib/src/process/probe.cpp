// Probes of namespaces and process syscalls: each called for real, in ways
// that change nothing (a clone3 child that exits at once, close_range over
// an empty range, a user namespace made in a child).
#include "process/probe.hpp"

#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "process/process.hpp"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace xc {

using S = ProbeItem::Status;

Result<std::string> reportFromChild(unsigned long long flags, const std::function<std::string()>& fn,
                                    std::chrono::milliseconds limit) {
    XC_ASSIGN(auto chans, Channel::pair());
    XC_ASSIGN(Process child, cloneChild(flags));
    if (child.pid() == 0) {
        chans.first.close();
        // "=" first: an empty report is still a message, not an EOF.
        (void)chans.second.send("=" + fn());
        ::_exit(0);
    }
    chans.second.close();
    struct pollfd p {chans.first.fd(), POLLIN, 0};
    int n;
    while ((n = ::poll(&p, 1, static_cast<int>(limit.count()))) < 0 && errno == EINTR) {
    }
    if (n < 0) return Error::sys("wait for the probe child");
    if (n == 0) return Error::msg("the probe child did not report within " + std::to_string(limit.count()) + " ms",
                                  ETIMEDOUT);
    XC_ASSIGN(Channel::Message m, chans.first.recv());
    if (m.eof || m.data.empty() || m.data[0] != '=') return Error::msg("the probe child ended without a report", EPIPE);
    (void)child.wait(limit);
    return m.data.substr(1);
}

void probeNamespaces(ProbeList& out) {
    out.section("Namespaces");
    struct Ns {
        const char* name;
        const char* config;
        bool required;
        const char* use;
    };
    static const Ns kNs[] = {
        {"pid", "CONFIG_PID_NS", true, ""},
        {"mnt", "CONFIG_NAMESPACES", true, ""},
        {"uts", "CONFIG_UTS_NS", true, ""},
        {"ipc", "CONFIG_IPC_NS", true, ""},
        {"net", "CONFIG_NET_NS", true, ""},
        {"cgroup", "CONFIG_CGROUPS (Linux 4.6+)", true, ""},
        {"user", "CONFIG_USER_NS", false, "for unprivileged containers with idmap, which this xc does not support yet"},
        {"time", "CONFIG_TIME_NS (Linux 5.6+)", false, "optional"},
    };
    for (const auto& ns : kNs) {
        const std::string path = std::string("/proc/self/ns/") + ns.name;
        char link[128];
        if (::readlink(path.c_str(), link, sizeof link - 1) >= 0) {
            out.add(ns.name, S::Ok, ns.use, "", ns.required);
        } else if (int e = errno; e == ENOENT) {
            out.add(ns.name, S::Missing, path + " does not exist", std::string("rebuild the kernel with ") + ns.config + "=y",
                    ns.required);
        } else {
            out.add(ns.name, S::Warn, "cannot read " + path + ": " + errnoText(e), "", ns.required);
        }
    }
}

void probeProcessSyscalls(ProbeList& out) {
    // clone3 with CLONE_PIDFD: a real child that exits at once.
    if (auto child = cloneChild(0); !child) {
        syscallItem(out, "clone3", child.error().code(), "", "5.3", true);
    } else if (child->pid() == 0) {
        ::_exit(0);
    } else if (child->pidfd() < 0) {
        out.add("clone3", S::Missing, "clone3 made a child but CLONE_PIDFD gave no pidfd", "Linux 5.3 or newer", true);
    } else {
        (void)child->wait();
        syscallItem(out, "clone3", 0, "CLONE_PIDFD gives a pidfd", "5.3", true);
    }

    auto self = openPidfd(::getpid());
    syscallItem(out, "pidfd_open", self ? 0 : self.error().code(), "", "5.3", true);
}

void probeCloseRange(ProbeList& out) {
    // close_range over an empty range; CLOSE_RANGE_CLOEXEC came later (5.11).
    long r = ::syscall(SYS_close_range, ~0U, ~0U, 0);
    int err = r < 0 ? errno : 0;
    std::string detail;
    if (err == 0) {
        long c = ::syscall(SYS_close_range, ~0U, ~0U, 1U << 2 /* CLOSE_RANGE_CLOEXEC */);
        detail = c == 0 ? "with CLOSE_RANGE_CLOEXEC" : "without CLOSE_RANGE_CLOEXEC (Linux 5.11+)";
    }
    syscallItem(out, "close_range", err, detail, "5.9", false);
}

namespace {

// In a child: 0 if an unprivileged user (nobody, when run as root) can
// make a user namespace, else the errno.
std::string tryUnprivilegedUserns() {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                             ::setresuid(65534, 65534, 65534) != 0))
        return std::to_string(errno ? errno : EPERM);
    return std::to_string(::unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
}

}  // namespace

void probeUnprivilegedUserns(ProbeList& out) {
    bool haveClone = false, haveApparmor = false;
    const std::string clone = readTrimmed("/proc/sys/kernel/unprivileged_userns_clone", &haveClone);
    const std::string apparmor = readTrimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &haveApparmor);
    const std::string maxNs = readTrimmed("/proc/sys/user/max_user_namespaces");
    std::vector<std::string> facts;
    if (!maxNs.empty()) facts.push_back("max_user_namespaces=" + maxNs);
    if (haveClone) facts.push_back("unprivileged_userns_clone=" + clone);
    if (haveApparmor) facts.push_back("apparmor_restrict_unprivileged_userns=" + apparmor);
    const std::string sysctls = facts.empty() ? "" : "; " + joinWords(facts, ", ");

    const std::string name = "unprivileged userns";
    auto report = reportFromChild(0, tryUnprivilegedUserns);
    if (!report) {
        out.add(name, S::Warn, "could not probe: " + errnoText(report.error().code()) + sysctls);
        return;
    }
    const int res = std::atoi(report->c_str());
    if (res == 0) {
        out.add(name, S::Ok, "an unprivileged user can create one" + sysctls);
        return;
    }
    std::string fix;
    if (haveClone && clone == "0")
        fix = "sysctl -w kernel.unprivileged_userns_clone=1";
    else if (maxNs == "0")
        fix = "sysctl -w user.max_user_namespaces=15000";
    else if (haveApparmor && apparmor == "1")
        fix = "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0";
    else if (res == EINVAL)
        fix = "rebuild the kernel with CONFIG_USER_NS=y";
    out.add(name, S::Warn,
            "refused: " + errnoText(res) + sysctls +
                "; needed for unprivileged containers with idmap, which this xc does not support yet",
            fix);
}

}  // namespace xc
