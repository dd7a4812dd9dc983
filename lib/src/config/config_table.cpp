// The key-table walk shared by every host file (config_table.hpp).
#include "config/config_table.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace xc::config_detail {

using libconfig::Setting;

namespace {

std::string lastPart(const std::string& path) { return path.substr(path.rfind('.') + 1); }
std::string parentPart(const std::string& path) {
    size_t dot = path.rfind('.');
    return dot == std::string::npos ? "" : path.substr(0, dot);
}

}  // namespace

size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// ---- reading checked values ----

int64_t integer(const Setting& v) {
    if (v.getType() == Setting::TypeInt64) return static_cast<long long>(v);
    return static_cast<int>(v);
}

std::vector<std::string> strings(const Setting& v) {
    std::vector<std::string> out;
    for (int i = 0; i < v.getLength(); ++i) out.push_back(v[i].c_str());
    return out;
}

Result<int64_t> intIn(const Setting& v, int64_t lo, int64_t hi) {
    int64_t n = integer(v);
    if (n < lo || n > hi)
        return invalid("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                       std::to_string(n));
    return n;
}

Status absolutePath(const std::string& p) {
    if (p.empty() || p[0] != '/') return invalid("must be an absolute path, got '" + p + "'");
    return {};
}

// ---- the walk ----

TableWalker::TableWalker(std::string file, std::vector<KeySpec> keys, Apply apply)
    : file_(std::move(file)), keys_(std::move(keys)), apply_(std::move(apply)) {}

Status TableWalker::walkAll(const Parsed& parts) {
    try {
        for (const auto& part : parts) XC_TRY(walk(part));
    } catch (const libconfig::ConfigException& e) {
        return invalid(file_ + ": " + e.what());
    }
    return {};
}

Status TableWalker::walk(const ParsedPart& part) {
    map_ = &part.map;
    return walkGroup(part.config->getRoot(), "", "");
}

Error TableWalker::errorAt(const std::string& shown, const std::string& what) const {
    auto it = seen_.find(shown);
    return invalid((it != seen_.end() ? it->second : file_) + ": " + shown + ": " + what);
}

const KeySpec* TableWalker::findKey(const std::string& path, size_t* index) const {
    for (size_t i = 0; i < keys_.size(); ++i)
        if (path == keys_[i].path) {
            *index = i;
            return &keys_[i];
        }
    return nullptr;
}

// "cgroup" and "cgroup.memory" are groups because keys live below them.
bool TableWalker::isGroupPath(const std::string& path) const {
    for (const auto& k : keys_)
        if (std::strncmp(k.path, path.c_str(), path.size()) == 0 && k.path[path.size()] == '.') return true;
    return false;
}

// " (did you mean 'X'?)" for a near miss of the full path, or for a key
// that exists with the same name under another group (when only one does).
std::string TableWalker::hint(const std::string& path, const std::string& shownParent) const {
    std::set<std::string> known;  // every key path and every group above one
    for (const auto& k : keys_)
        for (std::string p = k.path; !p.empty(); p = parentPart(p))
            if (lastPart(p) != "[]") known.insert(p);
    std::string last = lastPart(path);
    size_t limit = last.size() <= 3 ? 1 : last.size() <= 6 ? 2 : 3;
    std::vector<std::string> best;
    size_t bestDist = limit + 1;
    for (const auto& k : known) {
        size_t dist = editDistance(path, k);
        if (lastPart(k) == last) dist = 0;
        if (dist < bestDist) best.clear(), bestDist = dist;
        if (dist == bestDist) best.push_back(k);
    }
    if (best.size() != 1) return "";
    std::string shown = parentPart(best[0]) == parentPart(path) && !shownParent.empty()
                            ? shownParent + "." + lastPart(best[0])
                            : best[0];
    for (size_t at; (at = shown.find(".[]")) != std::string::npos;) shown.replace(at, 3, "[]");
    return " (did you mean '" + shown + "'?)";
}

Status TableWalker::walkGroup(const Setting& group, const std::string& path, const std::string& shown) {
    for (int i = 0; i < group.getLength(); ++i) {
        const Setting& s = group[i];
        std::string name = s.getName();
        XC_TRY(walkSetting(s, path.empty() ? name : path + "." + name, shown.empty() ? name : shown + "." + name, shown));
    }
    return {};
}

Status TableWalker::walkSetting(const Setting& s, const std::string& path, const std::string& shown,
                                const std::string& parent) {
    seen_[shown] = map_->where(s.getSourceLine());
    size_t index = 0;
    const KeySpec* k = findKey(path, &index);
    if (!k && isGroupPath(path)) {
        if (!s.isGroup()) return errorAt(shown, "expected a group { ... }, got " + describeType(s));
        return walkGroup(s, path, shown);
    }
    if (!k) return errorAt(shown, "unknown key" + hint(path, parent));
    if (!kindAccepts(k->kind, s))
        return errorAt(shown, std::string("expected ") + kindExpected(k->kind) + ", got " + describeType(s));
    if (k->kind == Kind::GroupList) return walkList(index, s, path, shown);
    auto st = apply_(index, s);
    if (!st) return errorAt(shown, st.error().message());
    return {};
}

// A list replaces an earlier one whole: apply() on the list clears it,
// then apply() on each element appends a default one to fill in.
Status TableWalker::walkList(size_t key, const Setting& list, const std::string& path, const std::string& shown) {
    XC_TRY(apply_(key, list));
    auto first = seen_.lower_bound(shown + "["), last = seen_.lower_bound(shown + "\\");  // '\\' follows '['
    seen_.erase(first, last);
    for (int i = 0; i < list.getLength(); ++i) {
        std::string elem = shown + "[" + std::to_string(i) + "]";
        seen_[elem] = map_->where(list[i].getSourceLine());
        XC_TRY(apply_(key, list[i]));
        XC_TRY(walkGroup(list[i], path + ".[]", elem));
    }
    return {};
}

Result<std::string> writeConfigText(const libconfig::Config& config) {
    char* buf = nullptr;
    size_t len = 0;
    FILE* out = ::open_memstream(&buf, &len);
    if (!out) return Error::sys("write config");
    config.write(out);
    std::fclose(out);
    std::string text(buf, len);
    std::free(buf);
    return text;
}

}  // namespace xc::config_detail
