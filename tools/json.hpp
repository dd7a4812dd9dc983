// The tools' one JSON writer (xc-checkconfig, xc-info, xc-ls, xc-monitor,
// xc-top --json): string literals and flat objects, keys in the order given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xc::tool {

// A JSON string literal (with the quotes): ", \\ and control characters
// escaped, invalid UTF-8 bytes replaced by U+FFFD.
std::string jsonString(const std::string& s);

// {"key": value, ...} built field by field; each add* appends one member.
class JsonObject {
public:
    JsonObject& add(const std::string& key, const std::string& value);  // a string
    JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    JsonObject& add(const std::string& key, uint64_t value);
    JsonObject& add(const std::string& key, int64_t value);
    JsonObject& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
    JsonObject& add(const std::string& key, bool value);
    JsonObject& addNull(const std::string& key);
    // `json` is already JSON text (an object or an array).
    JsonObject& addRaw(const std::string& key, const std::string& json);
    JsonObject& add(const std::string& key, const std::vector<std::string>& strings);
    std::string str() const { return "{" + body_ + "}"; }

private:
    JsonObject& member(const std::string& key, const std::string& json);
    std::string body_;
};

// [a, b, ...] of JSON texts, one per line when `multiline`.
std::string jsonArray(const std::vector<std::string>& items, bool multiline = false);

}  // namespace xc::tool
