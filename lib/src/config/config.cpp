// Reading container configs: @include expansion, libconfig parsing, the
// schema walk (config_schema.cpp holds the keys), whole-config checks, and
// the merge that builds a new container's config at create time.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "config/config_table.hpp"
#include "base/fsutil.hpp"
#include "xc/paths.hpp"

namespace xc {

namespace {

using namespace config_detail;
using libconfig::Setting;

constexpr int kMaxIncludeDepth = 10;
// A config file is a few KiB; these caps turn /dev/zero-sized input into an
// error instead of gigabytes of memory.
constexpr size_t kMaxConfigFileBytes = 1 << 20;
constexpr size_t kMaxExpandedBytes = 4 << 20;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// strchr() would also match the terminating NUL.
bool isOneOf(char c, const char* set) { return c != '\0' && std::strchr(set, c) != nullptr; }

// ---- @include expansion ----
//
// libconfig 1.5 prepends its include directory even to absolute paths and
// resolves relative ones against a single directory, so includes are
// expanded here, each relative to the including file, and every line of
// the expanded text remembers where it came from for error messages.
//
// An @include between top-level settings splits the text into segments
// that are parsed apart and applied in order, later ones overriding
// (groups key by key, lists whole), so a config may include common.conf
// and still set keys of its groups. An @include inside a group or list is
// pasted in as text, as libconfig does.

struct Segment {
    std::string text;
    SourceMap map;
};

struct Expansion {
    std::string shownAs;
    std::vector<Segment> segments;
    std::vector<std::string> stack;  // real paths of the files being expanded
    size_t totalBytes = 0;           // of every file read so far
    void newSegment() { segments.push_back({std::string(), SourceMap(shownAs)}); }
};

// The lexer's state at a line start: inside a /* comment */ or a "string",
// and how many groups, lists and arrays are open.
struct LexState {
    bool inComment = false;
    bool inString = false;
    int depth = 0;
};

// One integer literal at `i`. libconfig 1.5 silently truncates decimal
// literals beyond 32 bits ("4294967296" reads as 0), so those get the "L"
// suffix that makes them 64-bit; beyond 64 bits is an error.
Status widenInteger(std::string& line, size_t& i) {
    size_t start = i;
    if (line[i] == '+' || line[i] == '-') ++i;
    bool hex = line.compare(i, 2, "0x") == 0 || line.compare(i, 2, "0X") == 0;
    size_t digits = hex ? i + 2 : i;
    size_t j = digits;
    while (j < line.size() && (hex ? std::isxdigit(static_cast<unsigned char>(line[j])) : isDigit(line[j]))) ++j;
    if (!hex && j < line.size() && (line[j] == '.' || line[j] == 'e' || line[j] == 'E')) {  // a float
        while (j < line.size() && (isDigit(line[j]) || isOneOf(line[j], ".eE") ||
                                   ((line[j] == '+' || line[j] == '-') && (line[j - 1] == 'e' || line[j - 1] == 'E'))))
            ++j;
        i = j;
        return {};
    }
    std::string literal = line.substr(start, j - start);
    errno = 0;
    unsigned long long magnitude = std::strtoull(line.substr(digits, j - digits).c_str(), nullptr, hex ? 16 : 10);
    bool negative = line[start] == '-';
    if (errno == ERANGE || (!hex && magnitude > (negative ? 1ULL << 63 : (1ULL << 63) - 1)))
        return invalid("integer " + literal + " does not fit in 64 bits");
    bool suffixed = j < line.size() && line[j] == 'L';
    bool wide = hex ? magnitude > 0x7fffffffULL : magnitude > (negative ? 1ULL << 31 : (1ULL << 31) - 1);
    if (wide && !suffixed) line.insert(j, "L");
    while (j < line.size() && line[j] == 'L') ++j;
    i = j;
    return {};
}

// Scans one line as libconfig's lexer does, so only integers in code (not
// in strings, comments or names) are rewritten.
Status rewriteLine(std::string& line, LexState& st) {
    size_t i = 0;
    while (i < line.size()) {
        char c = line[i];
        char next = i + 1 < line.size() ? line[i + 1] : '\0';
        if (st.inComment) {
            size_t end = line.find("*/", i);
            if (end == std::string::npos) return {};
            st.inComment = false;
            i = end + 2;
        } else if (st.inString) {
            if (c == '"') st.inString = false;
            i += c == '\\' ? 2 : 1;
        } else if (c == '"') {
            st.inString = true;
            ++i;
        } else if (c == '#' || (c == '/' && next == '/')) {
            return {};
        } else if (c == '/' && next == '*') {
            st.inComment = true;
            i += 2;
        } else if (isOneOf(c, "{([])}")) {
            st.depth += isOneOf(c, "{([") ? 1 : -1;
            ++i;
        } else if (isAlpha(c) || c == '*') {  // a setting name or true/false
            while (i < line.size() && (isAlpha(line[i]) || isDigit(line[i]) || isOneOf(line[i], "-_*"))) ++i;
        } else if (isDigit(c) || ((c == '-' || c == '+') && isDigit(next))) {
            XC_TRY(widenInteger(line, i));
        } else if (c == '.' && isDigit(next)) {  // a float such as .5
            for (++i; i < line.size() && (isDigit(line[i]) || isOneOf(line[i], "eE+-")); ++i) {
            }
        } else {
            ++i;
        }
    }
    return {};
}

// The quoted path of an `@include "PATH"` line, or "" if it is not one.
Result<std::string> includePath(const std::string& line) {
    size_t at = line.find_first_not_of(" \t\r");
    if (at == std::string::npos || line.compare(at, 8, "@include") != 0) return std::string();
    size_t open = line.find_first_not_of(" \t\r", at + 8);
    size_t close = open == std::string::npos ? open : line.find('"', open + 1);
    bool spaced = at + 8 < line.size() && (line[at + 8] == ' ' || line[at + 8] == '\t');
    if (!spaced || close == std::string::npos || line[open] != '"' || close == open + 1)
        return invalid("syntax error: use @include \"PATH\"");
    size_t rest = line.find_first_not_of(" \t\r", close + 1);
    if (rest != std::string::npos && line[rest] != '#' && line.compare(rest, 2, "//") != 0)
        return invalid("syntax error: text after @include \"PATH\"");
    return line.substr(open + 1, close - open - 1);
}

Status expand(const std::string& text, const std::string& file, int depth, Expansion& x);

Status expandInclude(const std::string& path, const std::string& where, int depth, Expansion& x) {
    char* real = ::realpath(path.c_str(), nullptr);
    std::string canonical = real ? real : path;
    std::free(real);
    for (const auto& open : x.stack)
        if (open == canonical) {
            std::string chain;
            for (const auto& f : x.stack) chain += f + " -> ";
            return invalid(where + ": @include " + path + ": an include loop (" + chain + canonical + ")");
        }
    if (x.stack.size() >= kMaxIncludeDepth)
        return invalid(where + ": @include " + path + ": nested more than " + std::to_string(kMaxIncludeDepth) + " deep");
    auto text = readRegularFile(path, kMaxConfigFileBytes);
    if (!text) return std::move(text).error().wrap(where + ": @include");
    x.totalBytes += text->size();
    if (x.totalBytes > kMaxExpandedBytes)
        return invalid(where + ": @include " + path + ": the includes add up to more than " +
                       std::to_string(kMaxExpandedBytes) + " bytes");
    x.stack.push_back(canonical);
    if (depth == 0) x.newSegment();
    Status st = expand(*text, path, depth, x);
    if (depth == 0) x.newSegment();
    x.stack.pop_back();
    return st;
}

// `depth` is the nesting at which the text is pasted (0: top level).
Status expand(const std::string& text, const std::string& file, int depth, Expansion& x) {
    LexState st;
    st.depth = depth;
    int lineNo = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        std::string where = file + ":" + std::to_string(++lineNo);
        if (!st.inComment && !st.inString) {
            auto inc = includePath(line);
            if (!inc) return std::move(inc).error().wrap(where);
            if (!inc->empty()) {
                std::string path = (*inc)[0] == '/' ? *inc : parentPath(file) + "/" + *inc;
                XC_TRY(expandInclude(path, where, st.depth, x));
                continue;
            }
        }
        auto rewritten = rewriteLine(line, st);
        if (!rewritten) return Error::msg(where + ": syntax error: " + rewritten.error().what(), EINVAL);
        x.segments.back().text += line + "\n";
        x.segments.back().map.add(file, lineNo);
    }
    return {};
}

// ---- parsing ----

Result<ParsedPart> parseSegment(Segment& seg, const std::string& shownAs) {
    ParsedPart p{std::make_unique<libconfig::Config>(), std::move(seg.map)};
    try {
        p.config->readString(seg.text);
    } catch (const libconfig::ParseException& e) {
        std::string why = e.getError() ? e.getError() : "syntax error";
        std::string msg = p.map.where(static_cast<unsigned>(e.getLine())) + ": syntax error";
        return invalid(why == "syntax error" ? msg : msg + ": " + why);
    } catch (const libconfig::ConfigException& e) {
        return invalid(shownAs + ": " + e.what());
    }
    return p;
}

// ---- whole-config checks and defaults ----

std::string indexed(const char* list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

Status checkNetworkEntries(ContainerConfig& c, const TableWalker& w) {
    std::set<std::string> used;
    for (const auto& n : c.network) used.insert(n.name);
    for (size_t i = 0; i < c.network.size(); ++i) {
        NetworkConfig& n = c.network[i];
        std::string key = indexed("network", i);
        if (n.type.empty()) return w.errorAt(key, "missing type (veth, macvlan, phys, empty or none)");
        if ((n.type == "macvlan" || n.type == "phys") && n.link.empty())
            return w.errorAt(key, "type \"" + n.type + "\" needs a link (the host interface)");
        bool hasInterface = n.hasInterface();
        // Unnamed interfaces take the first free eth<N>, in list order.
        for (int k = 0; hasInterface && n.name.empty(); ++k)
            if (used.insert("eth" + std::to_string(k)).second) n.name = "eth" + std::to_string(k);
    }
    std::set<std::string> names;
    for (size_t i = 0; i < c.network.size(); ++i) {
        const std::string& name = c.network[i].name;
        if (!name.empty() && !names.insert(name).second)
            return w.errorAt(indexed("network", i) + ".name", "interface name '" + name + "' is used twice");
    }
    return {};
}

Status checkHostNetwork(const ContainerConfig& c, const TableWalker& w) {
    for (size_t i = 0; i < c.network.size(); ++i) {
        if (!c.network[i].hostNetwork()) continue;
        std::string key = indexed("network", i) + ".type";
        if (!c.security.allowHostNetwork)
            return w.errorAt(key, "type \"none\" shares the host's network; set security.allow_host_network = true to allow it");
        if (c.network.size() > 1)
            return w.errorAt(key, "type \"none\" (the host's network) cannot be combined with other interfaces");
    }
    return {};
}

Status checkMounts(ContainerConfig& c, const TableWalker& w) {
    for (size_t i = 0; i < c.mounts.size(); ++i) {
        MountEntry& m = c.mounts[i];
        std::string key = indexed("mounts", i);
        if (m.target.empty()) return w.errorAt(key, "missing target");
        if (m.source.empty() && m.fstype.empty()) return w.errorAt(key, "missing source (a bind mount needs one)");
        if (m.source.empty()) m.source = m.fstype;  // e.g. tmpfs, proc
    }
    return {};
}

Status checkIdmaps(const ContainerConfig& c, const TableWalker& w) {
    bool users = false, groups = false;
    for (size_t i = 0; i < c.idmap.size(); ++i) {
        std::string key = indexed("idmap", i);
        for (const char* field : {"type", "inside", "outside", "count"})
            if (!w.has(key + "." + field)) return w.errorAt(key, std::string("missing ") + field);
        const IdMap& m = c.idmap[i];
        if (uint64_t(m.inside) + m.count > (1ULL << 32) || uint64_t(m.outside) + m.count > (1ULL << 32))
            return w.errorAt(key, "the range goes beyond id 4294967295");
        (m.type == 'u' ? users : groups) = true;
    }
    if (c.security.privileged && c.security.idmapIsolated)
        return w.errorAt("security.idmap_isolated",
                         "a privileged container (security.privileged = true) has no ids to isolate");
    if (c.security.privileged && c.security.nesting)
        return w.errorAt("security.nesting", "refused for a privileged container: a container nested in it would "
                                             "have the host's root (nesting needs security.privileged = false)");
    if (c.security.privileged && !c.idmap.empty())
        return w.errorAt("idmap", "security.privileged = true, so there is no user namespace to map ids in: remove "
                                  "the idmap, or set privileged = false");
    if (users != groups)
        return w.errorAt("idmap", std::string("a user namespace needs both a 'u' and a 'g' mapping; there is no '") +
                                      (users ? 'g' : 'u') + "' one");
    return {};
}

// Checks that hold for every file, including create-time inputs.
Status checkEntries(ContainerConfig& c, const TableWalker& w) {
    XC_TRY(checkNetworkEntries(c, w));
    XC_TRY(checkMounts(c, w));
    return checkIdmaps(c, w);
}

// The overlay keys go with backend "overlay", and it needs them.
Status checkBackend(const ContainerConfig& c, const TableWalker& w) {
    if (c.rootfsBackend == "overlay") {
        // An overlay's lower layers are shared (an origin, an image layer):
        // rewriting their owners for one container would change them for all.
        if (c.rootfsIdmap == "shift" || !c.rootfsShifted.empty())
            return w.errorAt("rootfs.idmap", "\"shift\" needs backend dir or btrfs: an overlay's lower layers are "
                                             "shared, and its root is seen through idmapped layers");
        if (c.rootfsLower.empty()) return w.errorAt("rootfs.lower", "missing: backend \"overlay\" needs its lower layers");
        if (c.rootfsUpper.empty()) return w.errorAt("rootfs.upper", "missing: backend \"overlay\" needs its upper layer");
        return {};
    }
    if (!c.rootfsLower.empty()) return w.errorAt("rootfs.lower", "only with rootfs.backend = \"overlay\"");
    if (!c.rootfsUpper.empty()) return w.errorAt("rootfs.upper", "only with rootfs.backend = \"overlay\"");
    return {};
}

// Checks across keys that different input files may set: only the final
// config has to satisfy them.
Status checkComplete(ContainerConfig& c, const TableWalker& w, const std::string& file) {
    if (c.name.empty()) return invalid(file + ": name: missing (the container's name)");
    if (c.rootfsPath.empty()) return invalid(file + ": rootfs.path: missing (where the root file system is)");
    if (c.hostname.empty()) c.hostname = c.name;
    XC_TRY(checkBackend(c, w));
    if (!c.security.capDrop.empty() && !c.security.capKeep.empty())
        return w.errorAt("security.cap_keep", "cannot be used together with security.cap_drop; use one of them");
    return checkHostNetwork(c, w);
}

Result<ContainerConfig> validate(const Parsed& parts, const std::string& file, bool complete) {
    ContainerConfig c;
    c.sourceFile = file;
    TableWalker w = walkerFor(file, schemaTable(), c);
    XC_TRY(w.walkAll(parts));
    XC_TRY(checkEntries(c, w));
    if (complete) XC_TRY(checkComplete(c, w, file));
    return c;
}

// ---- merging for create ----

void copyInto(Setting& dst, const Setting& src);

void copyChildren(Setting& dst, const Setting& src) {
    for (int i = 0; i < src.getLength(); ++i) {
        const Setting& s = src[i];
        copyInto(src.isGroup() ? dst.add(s.getName(), s.getType()) : dst.add(s.getType()), s);
    }
}

// `dst` already has `src`'s type; libconfig++ has no copy of its own.
void copyInto(Setting& dst, const Setting& src) {
    switch (src.getType()) {
    case Setting::TypeInt: dst = static_cast<int>(src); break;
    case Setting::TypeInt64: dst = static_cast<long long>(src); break;
    case Setting::TypeFloat: dst = static_cast<double>(src); break;
    case Setting::TypeString: dst = src.c_str(); break;
    case Setting::TypeBoolean: dst = static_cast<bool>(src); break;
    case Setting::TypeGroup:
    case Setting::TypeArray:
    case Setting::TypeList: copyChildren(dst, src); break;
    default: break;
    }
    if (src.isScalar()) dst.setFormat(src.getFormat());
}

// Groups merge key by key; anything else (scalars, arrays, lists) replaces.
void mergeGroup(Setting& dst, const Setting& src) {
    for (int i = 0; i < src.getLength(); ++i) {
        const Setting& s = src[i];
        const char* name = s.getName();
        if (dst.exists(name)) {
            Setting& d = dst[name];
            if (d.isGroup() && s.isGroup()) {
                mergeGroup(d, s);
                continue;
            }
            if (d.isScalar() && d.getType() == s.getType()) {  // in place keeps the key's position
                copyInto(d, s);
                continue;
            }
            dst.remove(name);
        }
        copyInto(dst.add(name, s.getType()), s);
    }
}

Setting& groupIn(Setting& parent, const char* name) {
    if (parent.exists(name) && parent[name].isGroup()) return parent[name];
    if (parent.exists(name)) parent.remove(name);
    return parent.add(name, Setting::TypeGroup);
}

void setString(Setting& group, const char* name, const std::string& value) {
    if (group.exists(name) && group[name].getType() != Setting::TypeString) group.remove(name);
    if (!group.exists(name)) group.add(name, Setting::TypeString);
    group[name] = value;
}


void addIdmap(Setting& root, const std::vector<IdMap>& maps) {
    Setting& list = root.add("idmap", Setting::TypeList);
    for (const auto& m : maps) {
        Setting& g = list.add(Setting::TypeGroup);
        g.add("type", Setting::TypeString) = std::string(1, m.type);
        // Plain ints where they fit, so the file reads as one writes it.
        auto put = [&g](const char* key, uint32_t v) {
            if (v <= INT32_MAX)
                g.add(key, Setting::TypeInt) = static_cast<int>(v);
            else
                g.add(key, Setting::TypeInt64) = static_cast<long long>(v);
        };
        put("inside", m.inside);
        put("outside", m.outside);
        put("count", m.count);
    }
}

// Merges the inputs into `out`, each validated alone first.
Status mergeInputs(libconfig::Config& out, const CreateInputs& in, std::string& from) {
    for (const std::string* file : {&in.defaults, &in.templateConf, &in.userConf}) {
        if (file->empty()) continue;
        XC_ASSIGN(Parsed p, readConfigFile(*file));
        XC_TRY(validate(p, *file, false));
        for (const auto& part : p) mergeGroup(out.getRoot(), part.config->getRoot());
        from += (from.empty() ? "" : ", ") + *file;
    }
    return {};
}

}  // namespace

namespace config_detail {

namespace {

// `file`: the file the text was read from, if any (the root of include loops).
Result<Parsed> expandAndParse(const std::string& text, const std::string& shownAs, const std::string& file) {
    Expansion x{shownAs, {}, {}};
    x.totalBytes = text.size();
    if (!file.empty()) {
        char* real = ::realpath(file.c_str(), nullptr);
        x.stack.push_back(real ? real : file);
        std::free(real);
    }
    x.newSegment();
    XC_TRY(expand(text, shownAs, 0, x));
    Parsed parts;
    for (auto& seg : x.segments) {
        if (seg.text.empty()) continue;
        XC_ASSIGN(ParsedPart part, parseSegment(seg, shownAs));
        parts.push_back(std::move(part));
    }
    return parts;
}

}  // namespace

Result<Parsed> readConfigText(const std::string& text, const std::string& shownAs) {
    return expandAndParse(text, shownAs, "");
}

Result<Parsed> readConfigFile(const std::string& path) {
    auto text = readRegularFile(path, kMaxConfigFileBytes);
    if (!text && text.error().what() == "open " + path) return Error::sys(text.error().code(), "open config " + path);
    if (!text) return std::move(text).error().wrap("read config");
    return expandAndParse(*text, path, path);
}

}  // namespace config_detail

Result<ContainerConfig> loadConfig(const std::string& path) {
    XC_ASSIGN(Parsed p, readConfigFile(path));
    return validate(p, path, true);
}

Result<ContainerConfig> parseConfig(const std::string& text, const std::string& shownAs) {
    XC_ASSIGN(Parsed p, readConfigText(text, shownAs));
    return validate(p, shownAs, true);
}

Result<std::string> buildCreateConfig(const CreateInputs& in) {
    XC_TRY(validateName(in.name));
    libconfig::Config out;
    out.setOptions(Setting::OptionSemicolonSeparators);
    std::string text, from;
    try {
        // Seeded first so these keys lead the file; inputs may override uts.
        Setting& root = out.getRoot();
        setString(root, "name", in.name);
        setString(groupIn(root, "rootfs"), "path", in.rootfsPath);
        setString(groupIn(root, "uts"), "hostname", in.name);
        XC_TRY(mergeInputs(out, in, from));
        // A privileged container asked for keeps no idmap of the defaults.
        if (root.exists("security") && root["security"].exists("privileged") &&
            static_cast<bool>(root["security"]["privileged"]) && root.exists("idmap"))
            root.remove("idmap");
        else if (!root.exists("idmap") && !in.defaultIdmap.empty())
            addIdmap(root, in.defaultIdmap);
        setString(root, "name", in.name);
        Setting& rootfs = groupIn(root, "rootfs");
        setString(rootfs, "path", in.rootfsPath);
        if (!in.backend.empty()) setString(rootfs, "backend", in.backend);
        if (!in.lower.empty()) setString(rootfs, "lower", in.lower);
        if (!in.upper.empty()) setString(rootfs, "upper", in.upper);
        XC_ASSIGN(text, writeConfigText(out));
    } catch (const libconfig::ConfigException& e) {
        return invalid("build config of " + in.name + ": " + e.what());
    }
    text = "# xc config of container " + in.name + (from.empty() ? "" : ", from " + from) + "\n" + text;
    XC_TRY(parseConfig(text, "new config of " + in.name));
    return text;
}

const std::vector<ConfigKeyInfo>& configKeys() {
    static const std::vector<ConfigKeyInfo> keys = [] {
        std::vector<ConfigKeyInfo> out;
        for (const auto& e : schemaTable()) out.push_back({e.path, kindName(e.kind), e.description});
        return out;
    }();
    return keys;
}

}  // namespace xc
