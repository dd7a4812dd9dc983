// The tools' JSON writer.
#include "json.hpp"

#include <cstdio>

namespace xc::tool {

namespace {

// The JSON escape of one ASCII byte.
void appendAscii(std::string& out, unsigned char c) {
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
    }
    if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
    } else {
        out += static_cast<char>(c);
    }
}

// The length of the well-formed UTF-8 sequence at p[i] (no overlong forms,
// no surrogates, <= U+10FFFF), or 0.
size_t utf8Length(const unsigned char* p, size_t i, size_t n) {
    const unsigned char c = p[i];
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    }
    bool good = len > 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
    for (size_t k = 2; good && k < len; ++k) good = p[i + k] >= 0x80 && p[i + k] <= 0xBF;
    return good ? len : 0;
}

}  // namespace

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            appendAscii(out, p[i]);
            ++i;
        } else if (size_t len = utf8Length(p, i, n)) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\\ufffd";  // one per bad byte
            ++i;
        }
    }
    out += '"';
    return out;
}

JsonObject& JsonObject::member(const std::string& key, const std::string& json) {
    if (!body_.empty()) body_ += ", ";
    body_ += jsonString(key) + ": " + json;
    return *this;
}

JsonObject& JsonObject::add(const std::string& key, const std::string& value) { return member(key, jsonString(value)); }
JsonObject& JsonObject::add(const std::string& key, uint64_t value) { return member(key, std::to_string(value)); }
JsonObject& JsonObject::add(const std::string& key, int64_t value) { return member(key, std::to_string(value)); }
JsonObject& JsonObject::add(const std::string& key, bool value) { return member(key, value ? "true" : "false"); }
JsonObject& JsonObject::addNull(const std::string& key) { return member(key, "null"); }
JsonObject& JsonObject::addRaw(const std::string& key, const std::string& json) { return member(key, json); }

JsonObject& JsonObject::add(const std::string& key, const std::vector<std::string>& strings) {
    std::vector<std::string> items;
    for (const auto& s : strings) items.push_back(jsonString(s));
    return member(key, jsonArray(items));
}

std::string jsonArray(const std::vector<std::string>& items, bool multiline) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (multiline) out += i ? ",\n  " : "\n  ";
        else if (i) out += ", ";
        out += items[i];
    }
    out += multiline && !items.empty() ? "\n]" : "]";
    return out;
}

}  // namespace xc::tool
