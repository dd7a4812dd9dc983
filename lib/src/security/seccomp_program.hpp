// A seccomp rule list compiled once into the classic BPF the kernel loads.
// libseccomp takes 1-3 ms to build a filter for three ABIs; a start and
// every attach load the same filter, so the program is compiled where
// there is time (before the fork) and kept in a cache of the caller's own,
// RUNROOT/seccomp, keyed by the rule text and libseccomp's version.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "security/security.hpp"
#include "xc/result.hpp"

namespace xc {

struct SeccompProgram {
    std::vector<sock_filter> code;
    bool empty() const { return code.empty(); }
};

// The rules as the cache compares them: one "SYSCALL ERRNO" per line, after
// a line naming the libseccomp version and this build's architecture.
std::string seccompKeyText(const std::vector<SeccompRule>& rules);

// The filter for `rules` (empty when there are none), built by libseccomp
// for the native ABI and the 32-bit ones, so int 0x80 is no way around.
Result<SeccompProgram> compileSeccomp(const std::vector<SeccompRule>& rules);

// compileSeccomp, through the cache in `cacheDir` (made 0700 if missing).
// A cache file is used only when it is a regular file of the caller's uid
// that nobody else may write, whose key text is exactly this one and whose
// program has a whole number of instructions; anything else is compiled
// afresh (and the cache rewritten). Failing to write the cache is no error.
Result<SeccompProgram> cachedSeccomp(const std::vector<SeccompRule>& rules, const std::string& cacheDir);

// Loads the program for this process and its children (no_new_privs not
// needed: the caller is privileged). Allocates nothing: safe after fork.
Status loadSeccomp(const SeccompProgram& program);

}  // namespace xc
