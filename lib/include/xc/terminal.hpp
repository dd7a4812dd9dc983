// Terminal helpers that tools share with the library: the escape prefix of
// xc-console and xc-start -F.
#pragma once

#include <string>

#include "xc/result.hpp"

namespace xc {

// The escape character of xc-console: "a", "^a", "^A", "C-a" and "ctrl-a"
// all mean Ctrl-a (1); a single control character stands for itself.
Result<int> parseEscapeChar(const std::string& text);
// "Ctrl+a" for 1.
std::string escapeName(int c);

}  // namespace xc
