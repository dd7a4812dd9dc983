// The hidden names of a base's half-made and half-removed containers:
// BASE/.xc-staging-NAME-XXXXXX (a create filling it) and
// BASE/.xc-trash-NAME-XXXXXX (a destroy emptying it). No tool lists them as
// containers; api/staging removes those an interrupted tool left.
#pragma once

#include <cstddef>
#include <string>

#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc::hidden {

constexpr const char* kStaging = ".xc-staging-";
constexpr const char* kTrash = ".xc-trash-";
constexpr size_t kSuffix = 7;  // "-XXXXXX" of mkdtemp

// BASE/PREFIXNAME-XXXXXX, made empty (mkdtemp).
Result<std::string> makeDir(const ContainerPaths& p, const char* prefix);
// Renames BASE/NAME to BASE/.xc-trash-NAME-XXXXXX in one step; returns
// the new path. From then on the container does not exist.
Result<std::string> moveToTrash(const ContainerPaths& p);

}  // namespace xc::hidden
