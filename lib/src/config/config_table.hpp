// The one reader of xc's host files (container configs, xc.conf,
// xc-net.conf): libconfig text with @include expanded, walked against a key
// table. Every file so gets the same errors: "FILE:LINE: KEY: what", type
// errors from the key's kind, and "did you mean" for unknown keys.
#pragma once

#include <libconfig.h++>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config_internal.hpp"

namespace xc::config_detail {

// Where each line of an expanded text came from.
class SourceMap {
public:
    explicit SourceMap(std::string shownAs = "") : shownAs_(std::move(shownAs)) {}
    void add(const std::string& file, int line) {
        if (files_.empty() || files_.back() != file) files_.push_back(file);
        lines_.emplace_back(files_.size() - 1, line);
    }
    // "FILE:LINE" of a line of the expanded text (1-based).
    std::string where(unsigned line) const {
        if (line == 0 || lines_.empty()) return shownAs_;
        if (line > lines_.size()) line = static_cast<unsigned>(lines_.size());
        const auto& [file, orig] = lines_[line - 1];
        return files_[file] + ":" + std::to_string(orig);
    }

private:
    std::string shownAs_;
    std::vector<std::string> files_;
    std::vector<std::pair<size_t, int>> lines_;
};

struct ParsedPart {
    std::unique_ptr<libconfig::Config> config;  // libconfig::Config cannot move
    SourceMap map;
};
// A file's segments (split at top-level @include), parsed, in the order they apply.
using Parsed = std::vector<ParsedPart>;

// Syntax errors come back as "FILE:LINE: syntax error: ...".
Result<Parsed> readConfigText(const std::string& text, const std::string& shownAs);
Result<Parsed> readConfigFile(const std::string& path);
// Optimal string alignment distance: a swap of two letters counts as one
// edit (for "did you mean").
size_t editDistance(const std::string& a, const std::string& b);

// A parsed tree written back as libconfig text (libconfig's own writer).
Result<std::string> writeConfigText(const libconfig::Config& config);

// One key of a table: a dotted path ("[]" for every element of a group
// list) and what it accepts.
struct KeySpec {
    const char* path;
    Kind kind;
};

// Walks parsed trees against a key table, calling `apply` with the index of
// the key for each value whose type the kind accepts. Later trees override
// earlier ones. Remembers where each key was set for whole-file checks.
class TableWalker {
public:
    // Stores a checked value; returns a message-only error (the walker adds
    // "FILE:LINE: KEY: ").
    using Apply = std::function<Status(size_t key, const libconfig::Setting& value)>;
    TableWalker(std::string file, std::vector<KeySpec> keys, Apply apply);

    // Every part in order; libconfig's exceptions become errors.
    Status walkAll(const Parsed& parts);
    Status walk(const ParsedPart& part);

    bool has(const std::string& shown) const { return seen_.count(shown) != 0; }
    // "FILE:LINE: KEY: what" for a key seen during the walk (else "FILE: KEY: what").
    Error errorAt(const std::string& shown, const std::string& what) const;

private:
    const KeySpec* findKey(const std::string& path, size_t* index) const;
    bool isGroupPath(const std::string& path) const;
    std::string hint(const std::string& path, const std::string& shownParent) const;
    Status walkGroup(const libconfig::Setting& group, const std::string& path, const std::string& shown);
    Status walkSetting(const libconfig::Setting& s, const std::string& path, const std::string& shown,
                       const std::string& parent);
    Status walkList(size_t key, const libconfig::Setting& list, const std::string& path, const std::string& shown);

    std::string file_;
    std::vector<KeySpec> keys_;
    Apply apply_;
    const SourceMap* map_ = nullptr;
    std::map<std::string, std::string> seen_;  // shown key -> "FILE:LINE"
};

// A key table entry that stores into a T.
template <class T>
struct KeyEntry {
    const char* path;
    Kind kind;
    const char* description;
    Status (*apply)(const libconfig::Setting& value, T& into);
};

template <class T>
TableWalker walkerFor(const std::string& file, const std::vector<KeyEntry<T>>& table, T& into) {
    std::vector<KeySpec> keys;
    for (const auto& e : table) keys.push_back({e.path, e.kind});
    return TableWalker(file, std::move(keys),
                       [&table, &into](size_t i, const libconfig::Setting& v) { return table[i].apply(v, into); });
}

// Reads a whole file (or text shown as `shownAs`) into `into` through `table`;
// `check` runs after the walk for whole-file rules (it may be empty).
template <class T>
Status readTable(const Result<Parsed>& parsed, const std::string& shownAs, const std::vector<KeyEntry<T>>& table,
                 T& into, const std::function<Status(const TableWalker&)>& check = {}) {
    if (!parsed) return parsed.error();
    TableWalker w = walkerFor(shownAs, table, into);
    XC_TRY(w.walkAll(*parsed));
    return check ? check(w) : Status{};
}

// Reading values whose type the walker has already checked.
inline std::string text(const libconfig::Setting& v) { return v.c_str(); }
inline bool isString(const libconfig::Setting& v) { return v.getType() == libconfig::Setting::TypeString; }
int64_t integer(const libconfig::Setting& v);
std::vector<std::string> strings(const libconfig::Setting& v);
// An integer in [lo, hi] ("must be between LO and HI, got N").
Result<int64_t> intIn(const libconfig::Setting& v, int64_t lo, int64_t hi);
// "must be an absolute path, got 'x'"
Status absolutePath(const std::string& p);

}  // namespace xc::config_detail
