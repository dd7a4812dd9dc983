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

// The idmap of a new container of a user other than root (uid:gid, named
// `user`): root inside is the user itself, so the files the user's
// template wrote are root's inside and the user's own on the host, and ids
// 1..count are the first `count` of the user's first range in each file
// (fewer if smaller): what newuidmap/newgidmap let the user map. Fails
// with the usermod command that adds a range past every one in the files.
Result<std::vector<IdMap>> userDefaultIdmap(const std::string& subuidFile, const std::string& subgidFile,
                                            const std::string& user, uint32_t uid, uint32_t gid,
                                            uint32_t count = 65536);

// A start past the end of every range in the texts, on a 65536 boundary
// (at least 100000): where a new range of `count` ids overlaps none.
uint64_t freeSubidStart(const std::vector<std::string>& texts);

}  // namespace xc
