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

// Replaces the quoted string after `key =` (or `key :`) on line `lineNo`.
Status replaceOnLine(std::string& text, int lineNo, const std::string& key, const std::string& value,
                     const std::string& where) {
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
        bool wordStart = k == 0 || !(std::isalnum(static_cast<unsigned char>(text[k - 1])) || text[k - 1] == '_');
        size_t p = pos;
        while (p < end && (text[p] == ' ' || text[p] == '\t')) ++p;
        if (!wordStart || p >= end || (text[p] != '=' && text[p] != ':')) continue;
        ++p;
        while (p < end && (text[p] == ' ' || text[p] == '\t')) ++p;
        if (p >= end || text[p] != '"') break;
        size_t q = p + 1;
        while (q < end && text[q] != '"') q += text[q] == '\\' ? 2 : 1;
        if (q >= end) break;
        text.replace(p, q + 1 - p, quoted(value));
        return {};
    }
    return Error::msg(where + ": the value is not a string on the key's line; edit it by hand", EINVAL);
}

}  // namespace

Result<bool> configSets(const std::string& text, const std::string& key, const std::string& includeDir) {
    libconfig::Config cfg;
    XC_TRY(parse(cfg, text, includeDir, "config"));
    std::string path = libconfigPath(key);
    if (!cfg.exists(path)) return false;
    return cfg.lookup(path).getSourceFile() == nullptr;
}

Result<std::string> setConfigStrings(const std::string& text,
                                     const std::vector<std::pair<std::string, std::string>>& values,
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
        if (s.getType() != libconfig::Setting::TypeString) return Error::msg(where + ": not a string", EINVAL);
        XC_TRY(replaceOnLine(out, static_cast<int>(s.getSourceLine()), lastName(key), value, where));
    }
    return out;
}

}  // namespace xc
