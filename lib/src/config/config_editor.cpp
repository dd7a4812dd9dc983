// Key-by-key edits of a container config (xc/config_editor.hpp).
//
// The file is kept as segments: its @include lines as written, and the
// runs of its own settings between them. An edit changes one segment's
// text in place (config_text.hpp: a value replaced, a key inserted into
// its group or removed with its line), so the admin's comments and layout
// stay; the whole text, includes expanded, must then load like any
// config, else the edit is undone.
#include "xc/config_editor.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/fsutil.hpp"
#include "config/config_table.hpp"
#include "config/config_text.hpp"

namespace xc {

using config_detail::Kind;
using libconfig::Setting;

namespace {

bool isIndex(const std::string& s) {
    if (s.empty() || s.size() > 6) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

std::vector<std::string> split(const std::string& key) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t dot = key.find('.', start);
        out.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) return out;
        start = dot + 1;
    }
}

// "network.0.ipv4" -> "network.[].ipv4", the schema's form.
std::string schemaForm(const std::string& key) {
    std::string out;
    for (const auto& c : split(key)) out += (out.empty() ? "" : ".") + (isIndex(c) ? std::string("[]") : c);
    return out;
}

enum class KeyClass { Leaf, List, Group };

struct KeyInfo {
    KeyClass cls = KeyClass::Leaf;
    Kind kind = Kind::String;
};

// "; close matches: a, b" (schema keys a few edits away, or with the same
// last part), "" if none.
std::string closeMatches(const std::string& form) {
    std::string last = form.substr(form.rfind('.') + 1);
    size_t limit = form.size() <= 6 ? 2 : 3;
    std::string out;
    int n = 0;
    for (const auto& e : config_detail::schemaTable()) {
        std::string p = e.path;
        std::string pLast = p.substr(p.rfind('.') + 1);
        if (config_detail::editDistance(form, p) > limit && pLast != last) continue;
        if (n++ == 6) break;
        for (size_t at; (at = p.find("[]")) != std::string::npos;) p.replace(at, 2, "N");
        out += (out.empty() ? "; close matches: " : ", ") + p;
    }
    return out;
}

Result<KeyInfo> classify(const std::string& key) {
    std::string form = schemaForm(key);
    for (const auto& part : split(key))
        if (part.empty()) return Error::msg("config key '" + key + "': an empty part", EINVAL);
    bool group = false;
    for (const auto& e : config_detail::schemaTable()) {
        if (form == e.path) return KeyInfo{e.kind == Kind::GroupList ? KeyClass::List : KeyClass::Leaf, e.kind};
        if (std::strncmp(e.path, form.c_str(), form.size()) == 0 && e.path[form.size()] == '.') group = true;
    }
    if (group) return KeyInfo{KeyClass::Group, Kind::String};
    return Error::msg("unknown config key '" + key + "'" + closeMatches(form) +
                          " (see xc.container.conf(5) or get_keys())",
                      EINVAL);
}

bool isIncludeLine(const std::string& line) {
    size_t p = line.find_first_not_of(" \t");
    return p != std::string::npos && line.compare(p, 8, "@include") == 0;
}


// The setting at `parts` under `root`, or nullptr. `decided`: a list on the
// way (lists replace whole, so no earlier tree can have the key instead).
const Setting* find(const Setting& root, const std::vector<std::string>& parts, bool* decided) {
    const Setting* s = &root;
    for (const auto& p : parts) {
        if (s->isList() || s->isArray()) {
            if (decided) *decided = true;
            if (!isIndex(p) || std::stoul(p) >= static_cast<unsigned>(s->getLength())) return nullptr;
            s = &(*s)[static_cast<int>(std::stoul(p))];
        } else if (s->isGroup()) {
            if (!s->exists(p)) return nullptr;
            s = &(*s)[p.c_str()];
        } else {
            return nullptr;
        }
    }
    return s;
}

std::string scalarText(const Setting& s) {
    switch (s.getType()) {
    case Setting::TypeString: return s.c_str();
    case Setting::TypeInt: return std::to_string(static_cast<int>(s));
    case Setting::TypeInt64: return std::to_string(static_cast<long long>(s));
    case Setting::TypeBoolean: return static_cast<bool>(s) ? "true" : "false";
    case Setting::TypeFloat: return std::to_string(static_cast<double>(s));
    default: return "";
    }
}

bool isInteger(const std::string& t) {
    size_t i = t.size() > 1 && (t[0] == '-' || t[0] == '+') ? 1 : 0;
    if (i == t.size() || t.size() - i > 18) return false;
    for (; i < t.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    return true;
}

// A scalar as the schema's kind reads it; a text the kind cannot take is
// stored as a string, so that the loader's own type error reports it.
void assignScalar(Setting& parent, const std::string& name, Kind kind, const std::string& t) {
    if (parent.isGroup() && parent.exists(name)) parent.remove(name);
    std::string lower;
    for (char c : t) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    bool boolKind = kind == Kind::Bool || kind == Kind::BoolOrAuto;
    bool intKind = kind == Kind::Int || kind == Kind::Size || kind == Kind::SizeOrMax || kind == Kind::IntOrMax ||
                   kind == Kind::StringOrInt;
    if (boolKind && (lower == "true" || lower == "false" || lower == "1" || lower == "0")) {
        parent.add(name, Setting::TypeBoolean) = lower == "true" || lower == "1";
    } else if (intKind && isInteger(t)) {
        long long v = std::stoll(t);
        if (v >= INT32_MIN && v <= INT32_MAX) parent.add(name, Setting::TypeInt) = static_cast<int>(v);
        else parent.add(name, Setting::TypeInt64) = v;
    } else {
        parent.add(name, Setting::TypeString) = t;
    }
}

// The group or list element `parts` names, made on the way if missing.
Result<Setting*> makePath(Setting& root, const std::vector<std::string>& parts, const std::string& key) {
    Setting* s = &root;
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        bool nextIsIndex = i + 1 < parts.size() && isIndex(parts[i + 1]);
        if (s->isList()) {
            if (!isIndex(p)) return Error::msg(key + ": '" + p + "' is not a list index", EINVAL);
            unsigned idx = static_cast<unsigned>(std::stoul(p));
            unsigned len = static_cast<unsigned>(s->getLength());
            if (idx > len)
                return Error::msg(key + ": the list has " + std::to_string(len) + " elements; add element " +
                                      std::to_string(len) + " first",
                                  EINVAL);
            s = idx == len ? &s->add(Setting::TypeGroup) : &(*s)[static_cast<int>(idx)];
        } else if (s->isGroup()) {
            if (!s->exists(p)) s->add(p, nextIsIndex ? Setting::TypeList : Setting::TypeGroup);
            s = &(*s)[p.c_str()];
        } else {
            return Error::msg(key + ": '" + p + "' is set to a value, not a group", EINVAL);
        }
        if (!(s->isGroup() || s->isList()))
            return Error::msg(key + ": '" + p + "' is set to " + config_detail::describeType(*s) + ", not a group",
                              EINVAL);
    }
    return s;
}

Status setLeaf(Setting& parent, const std::string& name, Kind kind, const ConfigValue& v, const std::string& key) {
    if (kind != Kind::StringList) {
        if (v.isList) return Error::msg(key + ": takes one value, not a list", EINVAL);
        assignScalar(parent, name, kind, v.text);
        return {};
    }
    if (v.isList || !parent.exists(name) || !parent[name.c_str()].isArray()) {
        if (parent.exists(name)) parent.remove(name);
        parent.add(name, Setting::TypeArray);
    }
    Setting& arr = parent[name.c_str()];
    if (v.isList)
        for (const auto& item : v.items) arr.add(Setting::TypeString) = item;
    else
        arr.add(Setting::TypeString) = v.text;
    return {};
}

// A segment's own settings as a tree (an empty segment: an empty tree).
Status parseSegment(libconfig::Config& cfg, const std::string& text, const std::string& path) {
    cfg.setOptions(Setting::OptionSemicolonSeparators);
    XC_ASSIGN(config_detail::Parsed parts, config_detail::readConfigText(text, path));
    if (parts.empty()) return {};
    if (parts.size() > 1) return Error::msg(path + ": an @include inside a group; edit this file by hand", EINVAL);
    std::string own;
    XC_ASSIGN(own, config_detail::writeConfigText(*parts[0].config));
    try {
        cfg.readString(own);
    } catch (const libconfig::ConfigException& e) {
        return Error::msg(path + ": " + e.what(), EINVAL);
    }
    return {};
}

}  // namespace

Result<ConfigEditor> ConfigEditor::load(const std::string& path) {
    XC_ASSIGN(std::string text, readRegularFile(path, 1 << 20).ctx("read config"));
    return fromText(text, path);
}

Result<ConfigEditor> ConfigEditor::fromText(const std::string& text, const std::string& path) {
    ConfigEditor ed;
    ed.path_ = path;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
        pos = nl == std::string::npos ? text.size() : nl + 1;
        if (isIncludeLine(line)) ed.segments_.push_back({true, line});
        else if (ed.segments_.empty() || ed.segments_.back().include) ed.segments_.push_back({false, line});
        else ed.segments_.back().text += line;
    }
    XC_TRY(parseConfig(ed.text(), path));
    return ed;
}

std::string ConfigEditor::text() const {
    std::string out;
    for (const auto& s : segments_) out += s.text;
    return out;
}

Result<ConfigValue> ConfigEditor::get(const std::string& key) const {
    XC_ASSIGN(KeyInfo info, classify(key));
    if (info.cls != KeyClass::Leaf)
        return Error::msg("config key '" + key + "' is a " + (info.cls == KeyClass::List ? "list" : "group") +
                              " (its keys: get_keys(\"" + key + "\"))",
                          EISDIR);
    XC_ASSIGN(config_detail::Parsed parts, config_detail::readConfigText(text(), path_));
    std::vector<std::string> names = split(key);
    ConfigValue out;
    out.isList = info.kind == Kind::StringList;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        bool decided = false;
        const Setting* s = find(it->config->getRoot(), names, &decided);
        if (!s) {
            if (decided) break;
            continue;
        }
        if (s->isArray() || s->isList()) {
            out.isList = true;
            for (int i = 0; i < s->getLength(); ++i) out.items.push_back(scalarText((*s)[i]));
        } else {
            out.text = scalarText(*s);
        }
        break;
    }
    return out;
}

size_t ConfigEditor::targetSegment(const std::string& top) {
    size_t last = segments_.size();
    for (size_t i = 0; i < segments_.size(); ++i) {
        if (segments_[i].include) continue;
        last = i;
        libconfig::Config cfg;
        if (parseSegment(cfg, segments_[i].text, path_) && cfg.getRoot().exists(top)) return i;
    }
    if (last == segments_.size() || last + 1 != segments_.size()) {
        segments_.push_back({false, ""});
        return segments_.size() - 1;
    }
    return last;
}

Status ConfigEditor::commit(std::vector<Segment> next) {
    std::string joined;
    for (const auto& s : next) joined += s.text;
    XC_TRY(parseConfig(joined, path_));
    segments_ = std::move(next);
    modified_ = true;
    return {};
}

namespace {

// A scalar as the schema's kind reads it, as libconfig text (a text the
// kind cannot take is written as a string, so that the loader's own type
// error reports it).
std::string scalarLiteral(Kind kind, const std::string& t) {
    std::string lower;
    for (char c : t) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    bool boolKind = kind == Kind::Bool || kind == Kind::BoolOrAuto;
    bool intKind = kind == Kind::Int || kind == Kind::Size || kind == Kind::SizeOrMax || kind == Kind::IntOrMax ||
                   kind == Kind::StringOrInt;
    if (boolKind && (lower == "true" || lower == "false" || lower == "1" || lower == "0"))
        return lower == "true" || lower == "1" ? "true" : "false";
    if (intKind && isInteger(t)) {
        long long v = std::stoll(t);
        return std::to_string(v) + (v >= INT32_MIN && v <= INT32_MAX ? "" : "L");
    }
    return config_detail::quoteConfigString(t);
}

std::string listLiteral(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : " ") + config_detail::quoteConfigString(items[i]);
    return out + (items.empty() ? "]" : " ]");
}

// "a = { b = LITERAL; };" for the parts from `k` on; a list index (only 0:
// the list is new) makes a list of one group.
Result<std::string> nestedSetting(const std::vector<std::string>& parts, size_t k, const std::string& literal,
                                  const std::string& key) {
    std::string value;
    if (k + 1 == parts.size()) {
        value = literal;
    } else if (isIndex(parts[k + 1])) {
        if (parts[k + 1] != "0" || k + 2 >= parts.size())
            return Error::msg(key + ": the list has 0 elements; add element 0 first", EINVAL);
        XC_ASSIGN(std::string inner, nestedSetting(parts, k + 2, literal, key));
        value = "( { " + inner + " } )";
    } else {
        XC_ASSIGN(std::string inner, nestedSetting(parts, k + 1, literal, key));
        value = "{ " + inner + " }";
    }
    return parts[k] + " = " + value + ";";
}

// Sets `names` to `literal` in a segment's text, touching nothing else.
Status spliceSet(std::string& text, const std::vector<std::string>& names, const std::string& literal,
                 const std::string& key) {
    using config_detail::TextNode;
    XC_ASSIGN(TextNode root, config_detail::scanConfigText(text));
    size_t found = 0;
    const TextNode* node = config_detail::findTextNode(root, names, &found);
    if (found == names.size()) {
        if (node->type == TextNode::Group || node->type == TextNode::List)
            return Error::msg(key + ": is set to a group in the file, not a value", EINVAL);
        text.replace(node->valueBegin, node->valueEnd - node->valueBegin, literal);
        return {};
    }
    if (node->type == TextNode::Scalar || node->type == TextNode::Array)
        return Error::msg(key + ": '" + names[found - 1] + "' is set to a value, not a group", EINVAL);
    std::string entry;
    if (node->type == TextNode::List) {
        if (!isIndex(names[found])) return Error::msg(key + ": '" + names[found] + "' is not a list index", EINVAL);
        size_t len = node->children.size();
        if (std::stoul(names[found]) != len)
            return Error::msg(key + ": the list has " + std::to_string(len) + " elements; add element " +
                                  std::to_string(len) + " first",
                              EINVAL);
        if (found + 1 >= names.size()) return Error::msg(key + ": the last part must be a key name", EINVAL);
        XC_ASSIGN(std::string inner, nestedSetting(names, found + 1, literal, key));
        entry = "{ " + inner + " }";
    } else {
        if (isIndex(names[found])) return Error::msg(key + ": '" + names[found - 1] + "' is not a list", EINVAL);
        XC_ASSIGN(entry, nestedSetting(names, found, literal, key));
    }
    config_detail::insertIntoNode(text, *node, entry);
    return {};
}

}  // namespace

// The new text goes where the key's group already is in the file's own
// settings, in place: the admin's comments and layout stay.
Status ConfigEditor::set(const std::string& key, const ConfigValue& value) {
    XC_ASSIGN(KeyInfo info, classify(key).ctx("set " + key));
    if (info.cls != KeyClass::Leaf)
        return Error::msg("set " + key + ": is a " + std::string(info.cls == KeyClass::List ? "list" : "group") +
                              "; set one of its keys (get_keys(\"" + key + "\"))",
                          EISDIR);
    std::vector<std::string> names = split(key);
    std::vector<Segment> saved = segments_;
    size_t target = targetSegment(names[0]);
    std::vector<Segment> next = segments_;
    segments_ = std::move(saved);
    std::string literal;
    if (info.kind != Kind::StringList) {
        if (value.isList) return Error::msg("set " + key + ": takes one value, not a list", EINVAL);
        literal = scalarLiteral(info.kind, value.text);
    } else if (value.isList) {
        literal = listLiteral(value.items);
    } else {
        // One string appends to the list this segment sets.
        libconfig::Config cfg;
        XC_TRY(parseSegment(cfg, next[target].text, path_).ctx("set " + key));
        std::vector<std::string> items;
        const Setting* s = find(cfg.getRoot(), names, nullptr);
        if (s && s->isArray())
            for (int i = 0; i < s->getLength(); ++i) items.push_back(scalarText((*s)[i]));
        items.push_back(value.text);
        literal = listLiteral(items);
    }
    XC_TRY(spliceSet(next[target].text, names, literal, "set " + key));
    return commit(std::move(next)).ctx("set " + key);
}

Status ConfigEditor::clear(const std::string& key) {
    XC_TRY(classify(key).ctx("clear " + key));
    std::vector<std::string> names = split(key);
    std::vector<std::string> parentPath(names.begin(), names.end() - 1);
    std::vector<Segment> next = segments_;
    bool changed = false;
    for (auto& seg : next) {
        if (seg.include) continue;
        XC_ASSIGN(config_detail::TextNode root, config_detail::scanConfigText(seg.text).ctx("clear " + key));
        size_t found = 0;
        const config_detail::TextNode* node = config_detail::findTextNode(root, names, &found);
        if (found != names.size()) continue;
        const config_detail::TextNode* parent = config_detail::findTextNode(root, parentPath, &found);
        config_detail::removeNode(seg.text, *parent, *node);
        changed = true;
    }
    if (!changed) return {};
    return commit(std::move(next)).ctx("clear " + key);
}

namespace {

using Values = std::vector<std::pair<std::string, ConfigValue>>;

void putValue(Values& out, const std::string& key, ConfigValue v) {
    for (auto& kv : out)
        if (kv.first == key) {
            kv.second = std::move(v);
            return;
        }
    out.emplace_back(key, std::move(v));
}

// A later tree's group merges key by key; its list replaces the list whole.
void collectValues(const Setting& group, const std::string& prefix, Values& out) {
    for (int i = 0; i < group.getLength(); ++i) {
        const Setting& c = group[i];
        std::string key = prefix.empty() ? std::string(c.getName()) : prefix + "." + c.getName();
        if (c.isGroup()) {
            collectValues(c, key, out);
        } else if (c.isList()) {
            std::string sub = key + ".";
            out.erase(std::remove_if(out.begin(), out.end(),
                                     [&](const auto& kv) { return kv.first.compare(0, sub.size(), sub) == 0; }),
                      out.end());
            for (int e = 0; e < c.getLength(); ++e)
                if (c[e].isGroup()) collectValues(c[e], key + "." + std::to_string(e), out);
        } else if (c.isArray()) {
            ConfigValue v = ConfigValue::list({});
            for (int e = 0; e < c.getLength(); ++e) v.items.push_back(scalarText(c[e]));
            putValue(out, key, std::move(v));
        } else {
            putValue(out, key, ConfigValue::scalar(scalarText(c)));
        }
    }
}

}  // namespace

Result<std::vector<std::pair<std::string, ConfigValue>>> ConfigEditor::values() const {
    XC_ASSIGN(config_detail::Parsed parts, config_detail::readConfigText(text(), path_));
    Values out;
    for (const auto& part : parts) collectValues(part.config->getRoot(), "", out);
    return out;
}

Result<std::string> ConfigEditor::flattened() const {
    XC_ASSIGN(Values vals, values());
    libconfig::Config cfg;
    cfg.setOptions(Setting::OptionSemicolonSeparators);
    try {
        for (const auto& [key, v] : vals) {
            XC_ASSIGN(KeyInfo info, classify(key));
            std::vector<std::string> names = split(key);
            XC_ASSIGN(Setting * parent,
                      makePath(cfg.getRoot(), std::vector<std::string>(names.begin(), names.end() - 1), key));
            XC_TRY(setLeaf(*parent, names.back(), info.kind, v, key));
        }
        return config_detail::writeConfigText(cfg);
    } catch (const libconfig::ConfigException& e) {
        return Error::msg(path_ + ": write the config in effect: " + e.what(), EINVAL);
    }
}

Result<std::vector<std::string>> ConfigEditor::keys(const std::string& prefix) const {
    std::vector<std::string> out;
    if (prefix.empty()) {
        for (const auto& e : config_detail::schemaTable()) out.push_back(e.path);
        return out;
    }
    XC_ASSIGN(KeyInfo info, classify(prefix));
    if (info.cls == KeyClass::Leaf) return std::vector<std::string>{prefix};
    std::string form = schemaForm(prefix) + (info.cls == KeyClass::List ? ".[]" : "");
    std::string shown = prefix + (info.cls == KeyClass::List ? ".[]" : "");
    for (const auto& e : config_detail::schemaTable())
        if (std::strncmp(e.path, form.c_str(), form.size()) == 0 && e.path[form.size()] == '.')
            out.push_back(shown + (e.path + form.size()));
    return out;
}

Status ConfigEditor::save(const std::string& to) {
    const std::string& file = to.empty() ? path_ : to;
    struct stat st {};
    mode_t mode = ::stat(file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    XC_TRY(writeFileAtomic(file, text(), mode).ctx("save config " + file));
    if (file == path_) modified_ = false;
    return {};
}

}  // namespace xc
