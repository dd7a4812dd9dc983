// The host report of xc-checkconfig: each section from the probe of the
// module that owns its concept, in the order the report shows them.
#include "xc/hostprobe.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "base/probe.hpp"
#include "cgroup/probe.hpp"
#include "cgroup/user_delegation.hpp"
#include "config/unsupported.hpp"
#include "mount/probe.hpp"
#include "net/probe.hpp"
#include "process/probe.hpp"
#include "pty/probe.hpp"
#include "security/probe.hpp"
#include "spawn/probe.hpp"
#include "xc/settings.hpp"
#include "xc/fd.hpp"

namespace xc {

using S = ProbeItem::Status;

namespace {

// 1 if an ELF file of class Ehdr/Phdr has no program interpreter (static
// or static-pie), 0 if it has one, -1 if it cannot be read.
template <class Ehdr, class Phdr>
int elfClassIsStatic(int fd) {
    Ehdr eh;
    if (::pread(fd, &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return -1;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Phdr ph;
        if (::pread(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) !=
            static_cast<ssize_t>(sizeof ph))
            return -1;
        if (ph.p_type == PT_INTERP) return 0;
    }
    return 1;
}

// Whether an ELF file is statically linked (host byte order only: the
// binary has to run here anyway); -1 if it is not an ELF file we can read.
int elfIsStatic(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return -1;
    unsigned char ident[EI_NIDENT];
    if (::pread(fd.get(), ident, sizeof ident, 0) != static_cast<ssize_t>(sizeof ident) ||
        std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return -1;
    if (ident[EI_CLASS] == ELFCLASS64) return elfClassIsStatic<Elf64_Ehdr, Elf64_Phdr>(fd.get());
    if (ident[EI_CLASS] == ELFCLASS32) return elfClassIsStatic<Elf32_Ehdr, Elf32_Phdr>(fd.get());
    return -1;
}

// The busybox template copies the host's busybox: it must be static.
void probeBusybox(ProbeList& out) {
    const std::string bb = "/bin/busybox";
    const std::string fix = "apt-get install busybox-static";
    struct stat st {};
    if (::stat(bb.c_str(), &st) != 0) {
        out.add("busybox", S::Missing, bb + " not found (the busybox template copies it)", fix);
        return;
    }
    const int s = elfIsStatic(bb);
    if (s == 1)
        out.add("busybox", S::Ok, bb + ", statically linked");
    else if (s == 0)
        out.add("busybox", S::Warn, bb + " is dynamically linked: it will not run in a busybox container (no libc there)",
                fix);
    else
        out.add("busybox", S::Warn, bb + " is not an ELF file xc can read", fix);
}

// The oci template fetches docker:// images with skopeo; local layouts and
// archives need nothing.
void probeSkopeo(ProbeList& out) {
    if (const std::string p = findExecutable("skopeo"); !p.empty())
        out.add("skopeo", S::Ok, p + " (the oci template's docker:// images)");
    else
        out.add("skopeo", S::Info, "not installed; the oci template needs it for docker:// images only",
                "apt-get install skopeo");
}

void probeKernel(ProbeList& out, const struct utsname* u) {
    out.section("Kernel");
    out.add("version", S::Info, u ? std::string(u->release) + " (" + u->machine + ")" : "uname failed");
    probeUnprivilegedUserns(out);
}

// What the config schema accepts but this xc refuses: not faults of the host.
void listUnsupported(ProbeList& out) {
    out.section("Not supported by this xc yet");
    for (const auto& f : unsupportedFeatures()) out.add(f.name, S::Unsupported, f.detail);
}

}  // namespace

std::vector<ProbeItem> probeHost(const std::string& base) {
    std::vector<ProbeItem> items;
    ProbeList out(items);
    struct utsname u {};
    const bool haveUname = ::uname(&u) == 0;
    probeKernel(out, haveUname ? &u : nullptr);
    probeNamespaces(out);
    out.section("Syscalls");
    probeProcessSyscalls(out);
    probeMountSyscalls(out);
    probeCloseRange(out);
    probeCgroups(out);
    probeFilesystems(out, haveUname ? u.release : "");
    // Where xc.conf says lxcfs is (its default when xc.conf is broken).
    const HostPaths host = HostPaths::fromEnvironment();
    auto settings = loadGlobalSettings(host);
    probeLxcfs(out, settings ? settings->lxcfsPath : GlobalSettings().lxcfsPath);
    probeNetwork(out);
    probeSecurity(out);
    probeUnprivileged(out, host, base.empty() ? resolveBase("", settings ? settings->path : "") : base);
    {
        std::vector<unsigned> gids = {static_cast<unsigned>(::getgid())};
        gid_t more[256];
        int n = ::getgroups(256, more);
        for (int i = 0; i < n; ++i) gids.push_back(more[i]);
        probeUserNic(out, ::getuid(), gids);
    }
    out.section("Limits");
    probePtyLimits(out);
    out.section("Tools");
    probeBusybox(out);
    probeSkopeo(out);
    probeIdmapPrograms(out);
    probeNetworkPrograms(out);
    listUnsupported(out);
    return items;
}

Result<CgroupDelegation> delegateCgroupTo(const std::string& user) {
    XC_ASSIGN(UserDelegation d, delegateToUser(user));
    return CgroupDelegation{d.group, d.session};
}

Status undelegateCgroupOf(const std::string& user) { return undelegateUser(user); }

}  // namespace xc
