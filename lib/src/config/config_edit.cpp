// Value edits on the config text (config_edit.hpp).
#include "config/config_edit.hpp"

#include <libconfig.h++>

#include <cctype>

namespace xc {

namespace {

// "network.0.hwaddr" -> "network.[0].hwaddr" (libconfig's path syntax).
std::string libconfigPath(const std::string& dotted) {
    std::string out, part;
    auto flush = [&] {
        bool num = !part.empty();
        for (char c : part) num = num && std::isdigit(static_cast<unsigned char>(c));
        out += (out.empty() ? "" : ".") + (num ? "[" + part + "]" : part);
        part.clear();
    };
    for (char c : dotted) {
        if (c == '.') flush();
        else part.push_back(c);
    }
    flush();
    return out;
}

std::string lastName(const std::string& dotted) {
    size_t dot = dotted.rfind('.');
    return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

// Escapes a value for a libconfig string.
std::string quoted(const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

Status parse(libconfig::Config& cfg, const std::string& text, const std::string& includeDir,
             const std::string& shownAs) {
    cfg.setOptions(libconfig::Setting::OptionSemicolonSeparators);
    cfg.setIncludeDir(includeDir.c_str());
    try {
        cfg.readString(text);
    } catch (const libconfig::ParseException& e) {
        return Error::msg(shownAs + ":" + std::to_string(e.getLine()) + ": " + e.getError(), EINVAL);
    }
    return {};
}

// The end of the value that starts at p: a quoted string, or an integer
// (digits, an optional sign and libconfig's L suffix); npos if neither.
size_t valueEnd(const std::string& text, size_t p, size_t end, bool isString) {
    if (isString) {
        if (p >= end || text[p] != '"') return std::string::npos;
        size_t q = p + 1;
        while (q < end && text[q] != '"') q += text[q] == '\\' ? 2 : 1;
        return q >= end ? std::string::npos : q + 1;
    }
    size_t q = p;
    if (q < end && (text[q] == '-' || text[q] == '+')) ++q;
    size_t digits = q;
    while (q < end && std::isdigit(static_cast<unsigned char>(text[q]))) ++q;
    if (q == digits) return std::string::npos;
    if (q < end && text[q] == 'L') ++q;
    return q;
}

// Whether `at` is inside a quoted string of the line that starts at `start`.
bool insideQuotes(const std::string& text, size_t start, size_t at) {
    bool in = false;
    for (size_t i = start; i < at; ++i) {
        if (in && text[i] == '\\') ++i;
        else if (text[i] == '"') in = !in;
    }
    return in;
}

// Replaces the value (a quoted string, or an integer) after `key =` (or
// `key :`) on line `lineNo`.
Status replaceOnLine(std::string& text, int lineNo, const std::string& key, const std::string& value,
                     bool isString, const std::string& where) {
    size_t start = 0;
    for (int l = 1; l < lineNo && start != std::string::npos; ++l) {
        start = text.find('\n', start);
        if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) return Error::msg(where + ": line not found", EINVAL);
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    for (size_t pos = start; pos < end;) {
        size_t k = text.find(key, pos);
        if (k == std::string::npos || k >= end) break;
        pos = k + key.size();
        if (insideQuotes(text, start, k)) continue;  // in another key's value
        bool wordStart = k == 0 || !(std::isalnum(static_cast<unsigned char>(text[k - 1])) || text[k - 1] == '_');
        size_t p = pos;
        while (p < end && (text[p] == ' ' || text[p] == '\t')) ++p;
        if (!wordStart || p >= end || (text[p] != '=' && text[p] != ':')) continue;
        ++p;
        while (p < end && (text[p] == ' ' || text[p] == '\t')) ++p;
        size_t q = valueEnd(text, p, end, isString);
        if (q == std::string::npos) break;
        text.replace(p, q - p, isString ? quoted(value) : value);
        return {};
    }
    return Error::msg(where + ": the value is not on the key's line; edit it by hand", EINVAL);
}

}  // namespace

Result<bool> configSets(const std::string& text, const std::string& key, const std::string& includeDir) {
    libconfig::Config cfg;
    XC_TRY(parse(cfg, text, includeDir, "config"));
    std::string path = libconfigPath(key);
    if (!cfg.exists(path)) return false;
    return cfg.lookup(path).getSourceFile() == nullptr;
}

namespace {

// One edit per key: a string value, or an integer one (`ints`).
Result<std::string> setConfigValues(const std::string& text,
                                    const std::vector<std::pair<std::string, std::string>>& values, bool ints,
                                    const std::string& includeDir, const std::string& shownAs) {
    std::string out = text;
    for (const auto& [key, value] : values) {
        // Parsed again each time: an edit may shift nothing but the line's
        // own columns, yet a value with a newline would move lines.
        libconfig::Config cfg;
        XC_TRY(parse(cfg, out, includeDir, shownAs));
        std::string path = libconfigPath(key);
        if (!cfg.exists(path)) return Error::msg(shownAs + ": " + key + " is not set", ENOENT);
        const libconfig::Setting& s = cfg.lookup(path);
        std::string where = shownAs + ":" + std::to_string(s.getSourceLine()) + ": " + key;
        if (s.getSourceFile() != nullptr)
            return Error::msg(where + ": set in an included file (" + s.getSourceFile() + ")", EINVAL);
        const bool isInt = s.getType() == libconfig::Setting::TypeInt || s.getType() == libconfig::Setting::TypeInt64;
        if (ints ? !isInt : s.getType() != libconfig::Setting::TypeString)
            return Error::msg(where + (ints ? ": not an integer" : ": not a string"), EINVAL);
        XC_TRY(replaceOnLine(out, static_cast<int>(s.getSourceLine()), lastName(key), value, !ints, where));
    }
    return out;
}

}  // namespace

Result<std::string> setConfigStrings(const std::string& text,
                                     const std::vector<std::pair<std::string, std::string>>& values,
                                     const std::string& includeDir, const std::string& shownAs) {
    return setConfigValues(text, values, false, includeDir, shownAs);
}

Result<std::string> setConfigInts(const std::string& text, const std::vector<std::pair<std::string, uint64_t>>& values,
                                  const std::string& includeDir, const std::string& shownAs) {
    std::vector<std::pair<std::string, std::string>> asText;
    for (const auto& [k, v] : values) asText.emplace_back(k, std::to_string(v));
    return setConfigValues(text, asText, true, includeDir, shownAs);
}

namespace {

// Inserts ` key = "value";` after the value of `anchor` on its line.
Result<std::string> insertAfter(const std::string& text, const std::string& anchor, const std::string& key,
                                const std::string& value, const std::string& includeDir, const std::string& shownAs) {
    libconfig::Config cfg;
    XC_TRY(parse(cfg, text, includeDir, shownAs));
    std::string path = libconfigPath(anchor);
    if (!cfg.exists(path)) return Error::msg(shownAs + ": " + anchor + " is not set", ENOENT);
    const libconfig::Setting& s = cfg.lookup(path);
    std::string where = shownAs + ":" + std::to_string(s.getSourceLine()) + ": " + anchor;
    if (s.getSourceFile() != nullptr || s.getType() != libconfig::Setting::TypeString)
        return Error::msg(where + ": not a string set in the file itself", EINVAL);
    // The anchor's value replaced by itself marks where it ends.
    const std::string mark = "\x01xc-anchor\x01";
    std::string out = text;
    XC_TRY(replaceOnLine(out, static_cast<int>(s.getSourceLine()), lastName(anchor), mark, true, where));
    size_t at = out.find(quoted(mark));
    std::string v = s.c_str();
    out.replace(at, quoted(mark).size(), quoted(v));
    size_t p = at + quoted(v).size();
    while (p < out.size() && (out[p] == ' ' || out[p] == '\t')) ++p;
    std::string add = " " + lastName(key) + " = " + quoted(value) + ";";
    if (p < out.size() && (out[p] == ';' || out[p] == ','))
        out.insert(p + 1, add);
    else
        out.insert(at + quoted(v).size(), ";" + add);
    return out;
}

}  // namespace

Result<std::string> setOrAddConfigStrings(const std::string& text, const std::string& anchor,
                                          const std::vector<std::pair<std::string, std::string>>& values,
                                          const std::string& includeDir, const std::string& shownAs) {
    std::string out = text;
    std::string at = anchor;  // each added key after the one added before it
    for (const auto& kv : values) {
        XC_ASSIGN(bool has, configSets(out, kv.first, includeDir));
        if (has) {
            XC_ASSIGN(out, setConfigStrings(out, {kv}, includeDir, shownAs));
        } else {
            XC_ASSIGN(out, insertAfter(out, at, kv.first, kv.second, includeDir, shownAs));
            at = kv.first;
        }
    }
    return out;
}

Result<std::string> removeConfigStrings(const std::string& text, const std::vector<std::string>& keys,
                                        const std::string& includeDir, const std::string& shownAs) {
    std::string out = text;
    const std::string mark = "\x01xc-removed\x01";
    for (const auto& key : keys) {
        XC_ASSIGN(bool has, configSets(out, key, includeDir));
        if (!has) continue;
        XC_ASSIGN(out, setConfigStrings(out, {{key, mark}}, includeDir, shownAs));
        // From the key's name back on the line to after its terminator.
        size_t v = out.find(quoted(mark));
        size_t lineStart = out.rfind('\n', v);
        lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
        size_t k = out.rfind(lastName(key), v);
        if (k == std::string::npos || k < lineStart) return Error::msg(shownAs + ": " + key + ": cannot remove it", EINVAL);
        size_t end = v + quoted(mark).size();
        while (end < out.size() && (out[end] == ' ' || out[end] == '\t')) ++end;
        if (end < out.size() && (out[end] == ';' || out[end] == ',')) ++end;
        while (k > lineStart && (out[k - 1] == ' ' || out[k - 1] == '\t')) --k;
        out.erase(k, end - k);
        // A line left empty goes too.
        size_t lineEnd = out.find('\n', lineStart);
        bool blank = true;
        for (size_t i = lineStart; i < (lineEnd == std::string::npos ? out.size() : lineEnd); ++i)
            blank = blank && (out[i] == ' ' || out[i] == '\t');
        if (blank && lineEnd != std::string::npos) out.erase(lineStart, lineEnd - lineStart + 1);
    }
    return out;
}

}  // namespace xc
