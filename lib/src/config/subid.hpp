// /etc/subuid and /etc/subgid (subuid(5)): which host ids a user may map
// into user namespaces. New unprivileged containers of root take their
// ids from root's own delegation, so they never overlap a user's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/result.hpp"

namespace xc {

struct SubidRange {
    uint32_t start = 0;
    uint32_t count = 0;
};

// The ranges of the user `name` (or its numeric `uid`) in the text of a
// subuid/subgid file, in file order; lines that do not parse are skipped,
// as shadow's tools do.
std::vector<SubidRange> subidRangesOf(const std::string& text, const std::string& name, uint32_t uid);

// The idmap of a new unprivileged container of root: the first `count`
// ids of root's first range in each file (fewer if the range is smaller).
// Fails naming the file when root has no range there.
Result<std::vector<IdMap>> rootDefaultIdmap(const std::string& subuidFile, const std::string& subgidFile,
                                            uint32_t count = 65536);

}  // namespace xc
