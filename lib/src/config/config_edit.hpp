// Edits of a container's config file that keep the admin's text: comments,
// order and layout stay; only the quoted value of each changed key is
// replaced on its line (xc-clone, rename).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xc/result.hpp"

namespace xc {

// Sets string keys by dotted path ("name", "rootfs.path",
// "network.0.hwaddr"). Each key must be set in `text` itself (not in an
// @include), as a string on one line; else an error names the key and the
// line. A key that `text` does not set is ENOENT (the caller decides).
// `includeDir` resolves relative @include paths; `shownAs` names the file.
Result<std::string> setConfigStrings(const std::string& text,
                                     const std::vector<std::pair<std::string, std::string>>& values,
                                     const std::string& includeDir, const std::string& shownAs);

// The same for integer keys ("idmap.0.outside"): the number is replaced.
Result<std::string> setConfigInts(const std::string& text, const std::vector<std::pair<std::string, uint64_t>>& values,
                                  const std::string& includeDir, const std::string& shownAs);

// Whether `text` itself sets the key (by dotted path).
Result<bool> configSets(const std::string& text, const std::string& key, const std::string& includeDir);

}  // namespace xc
