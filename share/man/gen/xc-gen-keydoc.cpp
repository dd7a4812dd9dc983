// xc-gen-keydoc: the key reference of xc.container.conf(5), generated from
// the config schema table (lib/src/config/config_schema.cpp) that the parser
// itself walks, so the manual lists exactly the keys xc accepts. Built and
// run at build time; not installed.
//
//   xc-gen-keydoc TEMPLATE OUTPUT   TEMPLATE with its line ".\" <key reference>"
//                                   replaced by the reference (roff), as OUTPUT
//   xc-gen-keydoc --keys            every key, one per line (for the tests
//                                   and the shell completion)
//   xc-gen-keydoc --cgroup-keys     xc-cgroup's vocabulary, one key a line
//   xc-gen-keydoc --roff            the reference alone, on stdout
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "config/config_internal.hpp"
#include "config/config_table.hpp"

namespace {

using xc::config_detail::Kind;
using xc::config_detail::SchemaEntry;

const char* const kMarker = ".\\\" <key reference>";

// Text for a roff line: backslashes and minus signs escaped, and a leading
// '.' or '\'' kept from being read as a request.
std::string roff(const std::string& text) {
    std::string out = "\\&";
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else if (c == '\'')
            out += "\\(aq";
        else
            out += c;
    }
    return out;
}

// Text ending in a full stop (only one: "eth0, eth1, ..." stays as it is).
std::string sentence(const std::string& text) { return text.empty() || text.back() == '.' ? text : text + "."; }

std::string groupOf(const std::string& path) { return path.substr(0, path.find('.')); }

// What each group holds, for its subsection's first line.
const char* groupIntro(const std::string& group) {
    if (group == "network")
        return "A list of groups, one per interface, made in order: network = ( { type = \"veth\"; ... }, ... );";
    if (group == "mounts") return "A list of groups, one per mount, made in order: mounts = ( { source = ...; target = ...; }, ... );";
    if (group == "idmap") return "A list of groups, one per id range: idmap = ( { type = \"u\"; inside = 0; outside = 100000; count = 65536; }, ... );";
    if (group == "cgroup")
        return "One vocabulary for cgroup v1 and v2 (see CGROUP KEYS below). A key left out is not written: the "
               "kernel's default (no limit) applies.";
    return nullptr;
}

void valueTypes(std::ostream& out) {
    out << ".SS \"Value types\"\n";
    std::set<int> seen;
    for (const SchemaEntry& e : xc::config_detail::schemaTable()) {
        if (!seen.insert(static_cast<int>(e.kind)).second) continue;
        out << ".TP\n\\fI" << roff(xc::config_detail::kindName(e.kind)).substr(2) << "\\fR\n"
            << roff(xc::config_detail::kindExpected(e.kind)) << "\n";
    }
}

void keyReference(std::ostream& out) {
    valueTypes(out);
    std::string group;
    for (const SchemaEntry& e : xc::config_detail::schemaTable()) {
        std::string path = e.path;
        if (groupOf(path) != group) {
            group = groupOf(path);
            out << ".SS " << group << "\n";
            if (const char* intro = groupIntro(group)) out << roff(intro) << "\n";
        }
        const char* def = xc::config_detail::keyDefault(e.path);
        out << ".TP\n"
            << "\\fB" << roff(path).substr(2) << "\\fR (" << roff(xc::config_detail::kindName(e.kind)).substr(2)
            << ")\n"
            << roff(sentence(e.description)) << "\n"
            << ".br\n"
            << roff(sentence(std::string("Default: ") + (def ? def : "unset"))) << "\n";
    }
}

// A default for a key the schema lacks is a stale entry in config_defaults.cpp.
bool checkDefaults() {
    std::set<std::string> keys;
    for (const SchemaEntry& e : xc::config_detail::schemaTable()) keys.insert(e.path);
    bool ok = true;
    for (const std::string& k : xc::config_detail::keysWithDefaults()) {
        if (!keys.count(k)) {
            std::fprintf(stderr, "xc-gen-keydoc: config_defaults.cpp: '%s' is not a key of the schema\n", k.c_str());
            ok = false;
        }
    }
    return ok;
}

int generate(const std::string& templ, const std::string& output) {
    std::ifstream in(templ);
    if (!in) {
        std::fprintf(stderr, "xc-gen-keydoc: %s: cannot read\n", templ.c_str());
        return 1;
    }
    std::ostringstream page;
    std::string line;
    bool replaced = false;
    while (std::getline(in, line)) {
        if (line == kMarker) {
            keyReference(page);
            replaced = true;
        } else {
            page << line << "\n";
        }
    }
    if (!replaced) {
        std::fprintf(stderr, "xc-gen-keydoc: %s: no line '%s' to replace\n", templ.c_str(), kMarker);
        return 1;
    }
    std::string tmp = output + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << page.str();
        if (!out.flush()) {
            std::fprintf(stderr, "xc-gen-keydoc: %s: cannot write\n", tmp.c_str());
            return 1;
        }
    }
    if (std::rename(tmp.c_str(), output.c_str()) != 0) {
        std::perror(("xc-gen-keydoc: rename to " + output).c_str());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!checkDefaults()) return 1;
    if (args.size() == 1 && args[0] == "--keys") {
        for (const SchemaEntry& e : xc::config_detail::schemaTable()) std::cout << e.path << "\n";
        return 0;
    }
    if (args.size() == 1 && args[0] == "--cgroup-keys") {
        for (const std::string& k : xc::cgroupVocabulary()) std::cout << k << "\n";
        return 0;
    }
    if (args.size() == 1 && args[0] == "--roff") {
        keyReference(std::cout);
        return 0;
    }
    if (args.size() == 2) return generate(args[0], args[1]);
    std::fprintf(stderr, "usage: xc-gen-keydoc TEMPLATE OUTPUT | --keys | --cgroup-keys | --roff\n");
    return 2;
}
