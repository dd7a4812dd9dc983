// xc-config: read and edit a container's config by key, and apply it to
// the running container.
#include <cstdio>

#include "common.hpp"
#include "xc/config_editor.hpp"

namespace {

using namespace xc;

std::string orUnset(const std::string& v) { return v.empty() ? "(unset)" : v; }

int get(const tool::Tool& t, ConfigEditor& ed, const std::vector<std::string>& args) {
    if (args.size() != 1) return t.fail("get takes one KEY"), tool::kExitUsage;
    auto v = ed.get(args[0]);
    if (!v) return t.fail(v.error().wrap("get " + args[0]));
    if (v->isList)
        for (const auto& item : v->items) std::printf("%s\n", item.c_str());
    else if (!v->text.empty())
        std::printf("%s\n", v->text.c_str());
    return 0;
}

int edit(const tool::Tool& t, ConfigEditor& ed, const std::string& action, const std::vector<std::string>& args) {
    if (args.empty() || (action == "unset" && args.size() != 1))
        return t.fail(action + " takes " + (action == "set" ? "KEY VALUE..." : "one KEY")), tool::kExitUsage;
    const std::string& key = args[0];
    Status st;
    if (action == "unset") {
        st = ed.clear(key);
    } else {
        auto cur = ed.get(key);
        if (!cur) return t.fail(cur.error().wrap("set " + key));
        std::vector<std::string> values(args.begin() + 1, args.end());
        if (cur->isList) st = ed.set(key, ConfigValue::list(values));
        else if (values.size() == 1) st = ed.set(key, ConfigValue::scalar(values[0]));
        else return t.fail("set " + key + ": takes one VALUE"), tool::kExitUsage;
    }
    if (!st) return t.fail(st.error());
    if (auto saved = ed.save(); !saved) return t.fail(saved.error());
    return 0;
}

int apply(const tool::Tool& t, Container& c) {
    auto r = c.applyConfig();
    if (!r) return t.fail(r.error().wrap("apply"));
    auto print = [](const char* what, const std::vector<ConfigChange>& changes, const char* note) {
        for (const auto& ch : changes)
            std::printf("%s: %s: %s -> %s%s\n", what, ch.key.c_str(), orUnset(ch.started).c_str(),
                        orUnset(ch.file).c_str(), note);
    };
    print("applied", r->applied, "");
    print("needs a restart", r->needsRestart, "");
    print("no restart needed", r->readWhenUsed, " (read from the config when used)");
    if (r->applied.empty() && r->needsRestart.empty() && r->readWhenUsed.empty())
        std::printf("nothing changed since the start\n");
    return 0;
}

}  // namespace

int xc_config_main(int argc, char** argv) {
    tool::Tool t("xc-config", "Read and edit a container's config by key; apply it to the running container",
                 "DESCRIPTION\n"
                 "  get KEY           prints the value in effect (a list: one item a line)\n"
                 "  set KEY VALUE...  checks the value with the config's schema, then writes it into\n"
                 "                    the file in place, keeping its comments and layout (a list key\n"
                 "                    takes its items)\n"
                 "  unset KEY         removes a key, group or list element from the file\n"
                 "  apply             applies the file to the running container: changed cgroup\n"
                 "                    limits at once, every other change listed as needing a restart\n"
                 "  KEY is a dotted path: cgroup.memory.max, uts.hostname, network.0.ipv4.\n\n"
                 "EXAMPLES\n"
                 "  xc-config -n web set cgroup.memory.max 512M && xc-config -n web apply\n"
                 "  xc-config -n web get network.0.ipv4\n"
                 "  xc-config -n web set start.groups web db\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error");
    std::string action;
    std::vector<std::string> args;
    t.app().add_option("action", action, "get, set, unset or apply")
        ->required()
        ->check(CLI::IsMember({"get", "set", "unset", "apply"}));
    t.app().add_option("args", args, "KEY [VALUE...]");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (!c->defined()) return t.fail(c->notRunningError());
    if (action == "apply") {
        if (!args.empty()) return t.fail("apply takes no arguments"), tool::kExitUsage;
        return apply(t, *c);
    }
    auto ed = ConfigEditor::load(c->paths().configFile());
    if (!ed) return t.fail(ed.error());
    return action == "get" ? get(t, *ed, args) : edit(t, *ed, action, args);
}
