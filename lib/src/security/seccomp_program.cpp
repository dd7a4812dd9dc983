#include "security/seccomp_program.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "base/fsutil.hpp"
#include "xc/paths.hpp"
#include "xc/fd.hpp"

namespace xc {

namespace {

// The kernel's limit on one classic BPF program (BPF_MAXINSNS).
constexpr size_t kMaxInstructions = 4096;

// A cache file's key text and program: a few KiB (the key, and at most
// kMaxInstructions of 8 bytes).
constexpr size_t kMaxCacheFile = 1 << 20;

Result<SeccompProgram> programFromBytes(const std::string& bytes) {
    if (bytes.size() % sizeof(sock_filter) != 0 || bytes.size() / sizeof(sock_filter) > kMaxInstructions)
        return Error::msg("a seccomp program of " + std::to_string(bytes.size()) + " bytes", EINVAL);
    SeccompProgram p;
    p.code.resize(bytes.size() / sizeof(sock_filter));
    if (!bytes.empty()) std::memcpy(p.code.data(), bytes.data(), bytes.size());
    return p;
}

// "xc-seccomp 1 KEYLEN CODELEN\n" KEY CODE
std::string cacheFileText(const std::string& key, const SeccompProgram& p) {
    std::string code(reinterpret_cast<const char*>(p.code.data()), p.code.size() * sizeof(sock_filter));
    return "xc-seccomp 1 " + std::to_string(key.size()) + " " + std::to_string(code.size()) + "\n" + key + code;
}

// The program of a cache file whose key is `key`; an error for anything else.
Result<SeccompProgram> readCacheFile(const std::string& path, const std::string& key) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return Error::sys("open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat " + path);
    // Written by us alone: a filter that others could write would be theirs.
    if (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
        return Error::msg(path + " is not a private file of ours", EPERM);
    XC_ASSIGN(std::string text, readRegularFd(fd.get(), path, kMaxCacheFile));
    size_t nl = text.find('\n');
    unsigned long keyLen = 0, codeLen = 0;
    if (nl == std::string::npos || std::sscanf(text.c_str(), "xc-seccomp 1 %lu %lu\n", &keyLen, &codeLen) != 2 ||
        text.size() != nl + 1 + keyLen + codeLen || text.compare(nl + 1, keyLen, key) != 0)
        return Error::msg(path + " holds another filter", ESTALE);
    return programFromBytes(text.substr(nl + 1 + keyLen));
}

}  // namespace

std::string seccompKeyText(const std::vector<SeccompRule>& rules) {
    const scmp_version* v = seccomp_version();
    std::string key = "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                      std::to_string(v->micro) + " native " + std::to_string(seccomp_arch_native()) + "\n";
    for (const auto& r : rules) key += r.syscall + " " + std::to_string(r.errnum) + "\n";
    return key;
}

Result<SeccompProgram> compileSeccomp(const std::vector<SeccompRule>& rules) {
    if (rules.empty()) return SeccompProgram{};
    std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
    if (!ctx) return Error::msg("initialise seccomp filter", ENOMEM);
    // Apply the rules to the 32-bit ABIs too, so int 0x80 is no way around.
    for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
        int rc = seccomp_arch_add(ctx.get(), arch);
        if (rc < 0 && rc != -EEXIST && rc != -EINVAL) return Error::sys(-rc, "add seccomp architecture");
    }
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) < 0) return Error::msg("configure seccomp filter", EINVAL);
    for (const auto& r : rules) {
        int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
        if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
        int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(static_cast<uint32_t>(r.errnum)), nr, 0);
        if (rc < 0 && rc != -EDOM) return Error::sys(-rc, "add seccomp rule for " + r.syscall);
    }
    // libseccomp 2.5 exports only to an fd.
    UniqueFd mem(::memfd_create("xc-seccomp", MFD_CLOEXEC));
    if (!mem) return Error::sys("create a memory file for the seccomp filter");
    if (int rc = seccomp_export_bpf(ctx.get(), mem.get()); rc < 0) return Error::sys(-rc, "compile the seccomp filter");
    if (::lseek(mem.get(), 0, SEEK_SET) < 0) return Error::sys("rewind the seccomp filter");
    XC_ASSIGN(std::string bytes, readRegularFd(mem.get(), "the seccomp filter", kMaxCacheFile));
    return programFromBytes(bytes).ctx("compile the seccomp filter");
}

Result<SeccompProgram> cachedSeccomp(const std::vector<SeccompRule>& rules, const std::string& cacheDir) {
    if (rules.empty()) return SeccompProgram{};
    std::string key = seccompKeyText(rules);
    // The hash only names the file; the key text itself is compared.
    std::string path = cacheDir + "/" + hashKey(key) + ".bpf";
    if (auto cached = readCacheFile(path, key)) return cached;
    XC_ASSIGN(SeccompProgram p, compileSeccomp(rules));
    if (makeDirs(cacheDir, 0700)) (void)writeRuntimeFileAtomic(path, cacheFileText(key, p), 0600);
    return p;
}

Status loadSeccomp(const SeccompProgram& program) {
    if (program.empty()) return {};
    struct sock_fprog prog = {static_cast<unsigned short>(program.code.size()),
                              const_cast<sock_filter*>(program.code.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) return Error::sys("load seccomp filter");
    return {};
}

}  // namespace xc
