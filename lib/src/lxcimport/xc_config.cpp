// The imported container's xc config (xc_config.hpp).
#include "lxcimport/xc_config.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "config/config_text.hpp"
#include "xc/config.hpp"
#include "xc/config_editor.hpp"

namespace xc::lxcimport {

namespace {

// One element of a group list ("network.1"), as its settings gave it.
struct Element {
    std::string list;
    std::vector<std::pair<std::string, std::string>> keys;  // field, value
    std::set<size_t> rows;
};

bool isElementKey(const std::string& key, std::string& list, std::string& index, std::string& field) {
    for (const char* l : {"network.", "mounts.", "idmap."}) {
        if (key.compare(0, std::string(l).size(), l) != 0) continue;
        std::string rest = key.substr(std::string(l).size());
        size_t dot = rest.find('.');
        if (dot == std::string::npos) return false;
        list = std::string(l, std::string(l).size() - 1);
        index = rest.substr(0, dot);
        field = rest.substr(dot + 1);
        return true;
    }
    return false;
}

// A field's value as libconfig text: the schema's integers and booleans bare.
std::string literal(const std::string& field, const std::string& v) {
    static const std::set<std::string> kInts = {"mtu", "inside", "outside", "count"};
    bool digits = !v.empty() && v.size() <= 10 && std::all_of(v.begin(), v.end(), ::isdigit);
    if (kInts.count(field) && digits) return v;
    if (field == "optional" && (v == "true" || v == "false")) return v;
    return config_detail::quoteConfigString(v);
}

std::string renderList(const std::string& list, const std::vector<const Element*>& elems) {
    if (elems.empty()) return "";
    std::string out = list + " = (\n";
    for (size_t i = 0; i < elems.size(); ++i) {
        out += "  {";
        for (const auto& [f, v] : elems[i]->keys) out += " " + f + " = " + literal(f, v) + ";";
        out += i + 1 < elems.size() ? " },\n" : " }\n";
    }
    return out + ");\n";
}

void refuse(Mapping& m, const std::set<size_t>& rows, const std::string& why) {
    for (size_t r : rows) {
        m.rows[r].reason = "xc refuses it: " + why;
        m.rows[r].xc.clear();
    }
}

// Scalars and string lists, one set() each.
Status setScalars(Mapping& m, ConfigEditor& ed, std::vector<Element>& elements) {
    std::map<std::string, size_t> at;  // "network.3" -> elements index
    for (const auto& s : m.settings) {
        std::string list, index, field;
        if (!isElementKey(s.key, list, index, field)) {
            if (!m.rows[s.row].imported()) continue;
            if (auto st = ed.set(s.key, s.value); !st) refuse(m, {s.row}, st.error().message());
            continue;
        }
        auto it = at.find(list + "." + index);
        if (it == at.end()) {
            it = at.emplace(list + "." + index, elements.size()).first;
            elements.push_back({list, {}, {}});
        }
        elements[it->second].keys.push_back({field, s.value.text});
        elements[it->second].rows.insert(s.row);
    }
    return {};
}

}  // namespace

Result<std::string> buildXcConfig(Mapping& m, const std::string& name, const std::string& rootfsPath,
                                  const std::string& configPath) {
    CreateInputs in;
    in.name = name;
    in.rootfsPath = rootfsPath;
    in.backend = "dir";
    XC_ASSIGN(std::string base, buildCreateConfig(in));
    XC_ASSIGN(ConfigEditor ed, ConfigEditor::fromText(base, configPath));
    std::vector<Element> elements;
    XC_TRY(setScalars(m, ed, elements));
    // Interfaces and mounts one element at a time; a refused one is left out.
    std::map<std::string, std::vector<const Element*>> accepted;
    std::string text = ed.text();
    for (const char* list : {"network", "mounts"}) {
        for (const auto& e : elements) {
            if (e.list != list) continue;
            auto trial = accepted;
            trial[list].push_back(&e);
            std::string lists = renderList("network", trial["network"]) + renderList("mounts", trial["mounts"]);
            if (auto ok = parseConfig(text + lists, configPath); !ok)
                refuse(m, e.rows, ok.error().message());
            else
                accepted = std::move(trial);
        }
    }
    std::vector<const Element*> idmaps;
    std::set<size_t> idmapRows;
    for (const auto& e : elements)
        if (e.list == "idmap") idmaps.push_back(&e), idmapRows.insert(e.rows.begin(), e.rows.end());
    text += renderList("network", accepted["network"]) + renderList("mounts", accepted["mounts"]) +
            renderList("idmap", idmaps);
    // The whole file once more, as the loader will read it.
    if (auto ok = parseConfig(text, configPath); !ok) {
        if (!idmaps.empty()) refuse(m, idmapRows, ok.error().message());
        return std::move(ok).error().wrap("the imported config");
    }
    return text;
}

}  // namespace xc::lxcimport
