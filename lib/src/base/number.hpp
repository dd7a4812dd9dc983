// Whole-string number parsing that never throws (std::sto* throw on bad
// input and on overflow; nothing may escape the library).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace xc {

// The value of all of `text` in `base`, or nullopt (empty, a stray
// character, a sign where T has none, out of range).
template <class T>
std::optional<T> parseNumber(std::string_view text, int base = 10) {
    if (text.empty()) return std::nullopt;
    if (text.front() == '+') text.remove_prefix(1);
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

inline std::optional<uint64_t> parseU64(std::string_view text) { return parseNumber<uint64_t>(text); }
inline std::optional<int64_t> parseI64(std::string_view text) { return parseNumber<int64_t>(text); }
inline std::optional<int> parseInt(std::string_view text) { return parseNumber<int>(text); }

}  // namespace xc
