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

// Sets string keys like setConfigStrings; a key that `text` does not set
// is added beside `anchor` (a key of the same group that `text` sets on
// one line): written right after the anchor's value, on its line (the
// next one added after it, and so on).
Result<std::string> setOrAddConfigStrings(const std::string& text, const std::string& anchor,
                                          const std::vector<std::pair<std::string, std::string>>& values,
                                          const std::string& includeDir, const std::string& shownAs);

// Removes string keys that `text` sets on one line (`key = "value";`);
// keys it does not set are skipped.
Result<std::string> removeConfigStrings(const std::string& text, const std::vector<std::string>& keys,
                                        const std::string& includeDir, const std::string& shownAs);

// Whether `text` itself sets the key (by dotted path).
Result<bool> configSets(const std::string& text, const std::string& key, const std::string& includeDir);

}  // namespace xc
