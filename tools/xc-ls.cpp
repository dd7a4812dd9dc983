// xc-ls: list the containers under a base directory.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

#include "common.hpp"
#include "json.hpp"

namespace {

using namespace xc;

struct Filter {
    bool running = false, stopped = false, frozen = false;
    bool accepts(State s) const {
        bool isRunning = s != State::Stopped;
        if (running && !isRunning) return false;
        if (stopped && isRunning) return false;
        return !frozen || s == State::Frozen;
    }
};

// The -F columns, in the order they may be named.
const std::vector<std::string> kColumns = {"NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6", "PID", "DISK"};
const std::vector<std::string> kDefaultColumns = {"NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6"};

struct Row {
    std::string name, state;
    bool autostart = false;
    pid_t pid = -1;
    std::vector<std::string> groups, ipv4, ipv6;
    std::optional<uint64_t> diskBytes;
};

// The -f columns that come from the config and, when it runs, from inside.
void fillColumns(const Container& c, const StateInfo& st, bool disk, Row& r) {
    if (auto cfg = c.config()) {
        r.autostart = cfg->start.autostart;
        r.groups = cfg->start.groups;
    }
    if (disk) {
        if (auto d = c.diskUse()) r.diskBytes = d->bytes;
        else std::fprintf(stderr, "xc-ls: %s: %s\n", c.name().c_str(), d.error().message().c_str());
    }
    if (st.state == State::Stopped) return;
    r.pid = st.initPid;
    auto addrs = c.ipAddresses();
    if (!addrs) return;
    for (const auto& a : *addrs) (a.family == AF_INET ? r.ipv4 : r.ipv6).push_back(a.address);
}

std::vector<Row> collectRows(const Context& ctx, const std::vector<std::string>& names, const Filter& f,
                             bool fancy, bool disk) {
    std::vector<Row> rows;
    for (const auto& n : names) {
        auto c = ctx.container(n);
        if (!c) continue;
        auto st = c->state();
        State s = st ? st->state : State::Stopped;
        if (!f.accepts(s)) continue;
        Row r;
        r.name = n;
        r.state = st ? stateName(s) : "UNKNOWN";
        if (fancy) fillColumns(*c, st ? *st : StateInfo{}, disk, r);
        rows.push_back(r);
    }
    return rows;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
    return out.empty() ? "-" : out;
}

std::string cell(const Row& r, const std::string& col) {
    if (col == "NAME") return r.name;
    if (col == "STATE") return r.state;
    if (col == "AUTOSTART") return r.autostart ? "1" : "0";
    if (col == "GROUPS") return joined(r.groups, ",");
    if (col == "IPV4") return joined(r.ipv4, ", ");
    if (col == "IPV6") return joined(r.ipv6, ", ");
    if (col == "PID") return r.pid > 0 ? std::to_string(r.pid) : "-";
    return r.diskBytes ? tool::humanBytes(*r.diskBytes) : "-";  // DISK
}

void printColumns(const std::vector<Row>& rows, const std::vector<std::string>& cols) {
    std::vector<std::vector<std::string>> cells = {cols};
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (const auto& c : cols) line.push_back(cell(r, c));
        cells.push_back(line);
    }
    std::vector<size_t> w(cols.size(), 0);
    for (const auto& l : cells)
        for (size_t i = 0; i < l.size(); ++i) w[i] = std::max(w[i], l[i].size());
    for (const auto& l : cells) {
        std::string line;
        for (size_t i = 0; i < l.size(); ++i)
            line += i + 1 == l.size() ? l[i] : l[i] + std::string(w[i] - l[i].size() + 1, ' ');
        std::printf("%s\n", line.c_str());
    }
}

void printJson(const std::vector<Row>& rows, bool disk) {
    std::vector<std::string> items;
    for (const auto& r : rows) {
        tool::JsonObject o;
        o.add("name", r.name).add("state", r.state).add("autostart", r.autostart).add("groups", r.groups);
        o.add("ipv4", r.ipv4).add("ipv6", r.ipv6);
        if (r.pid > 0) o.add("pid", static_cast<int64_t>(r.pid));
        else o.addNull("pid");
        if (disk && r.diskBytes) o.add("disk_bytes", *r.diskBytes);
        else if (disk) o.addNull("disk_bytes");
        items.push_back(o.str());
    }
    std::printf("%s\n", tool::jsonArray(items, true).c_str());
}

// -F NAME,STATE,...: known names, each once; upper or lower case.
Result<std::vector<std::string>> parseColumns(const std::string& text) {
    std::vector<std::string> cols;
    size_t at = 0;
    while (at <= text.size()) {
        size_t comma = text.find(',', at);
        std::string c = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (std::find(kColumns.begin(), kColumns.end(), c) == kColumns.end())
            return Error::msg("unknown column '" + c + "' in -F (known: " + joined(kColumns, ",") + ")", EINVAL);
        if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return cols;
}

// Names as ls prints them: one per line into a pipe or with -1, else
// packed into lines of at most 78 columns.
void printNames(const std::vector<Row>& rows, bool onePerLine) {
    if (onePerLine || !::isatty(STDOUT_FILENO)) {
        for (const auto& r : rows) std::printf("%s\n", r.name.c_str());
        return;
    }
    std::string line;
    for (const auto& r : rows) {
        if (!line.empty() && line.size() + r.name.size() + 2 > 78) {
            std::printf("%s\n", line.c_str());
            line.clear();
        }
        line += (line.empty() ? "" : "  ") + r.name;
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
}

}  // namespace

int xc_ls_main(int argc, char** argv) {
    tool::Tool t("xc-ls", "List containers",
                 "DESCRIPTION\n"
                 "  Lists the containers under the base directory (-P). -f prints the columns\n"
                 "  NAME STATE AUTOSTART GROUPS IPV4 IPV6; -F picks the columns (and implies -f)\n"
                 "  from NAME, STATE, AUTOSTART, GROUPS, IPV4, IPV6, PID and DISK (the space the\n"
                 "  container's own layer takes, as xc-info's Disk use); -1 one name per line;\n"
                 "  --json a JSON array of objects (see xc-ls(1)). What an\n"
                 "  interrupted xc-create or xc-destroy left (hidden .xc-staging-NAME-* and\n"
                 "  .xc-trash-NAME-* directories) is never listed; it is removed, with a line\n"
                 "  on stderr, unless another command holds that container.\n\n"
                 "EXAMPLES\n  xc-ls\n  xc-ls -f --running\n  xc-ls -f -F NAME,STATE,DISK\n  xc-ls --json\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error",
                 false);
    bool fancy = false, one = false, json = false;
    std::string columnText;
    Filter f;
    t.app().add_flag("-f,--fancy", fancy, "Print columns");
    t.app().add_option("-F,--fancy-format", columnText, "Columns of -f, comma-separated (NAME,STATE,...,PID,DISK)");
    t.app().add_flag("-1,--line", one, "One name per line");
    t.app().add_flag("--json", json, "A JSON array of objects");
    t.app().add_flag("--running", f.running, "Only running containers (RUNNING or FROZEN)");
    t.app().add_flag("--stopped", f.stopped, "Only stopped containers");
    t.app().add_flag("--frozen", f.frozen, "Only frozen containers");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    std::vector<std::string> cols = kDefaultColumns;
    if (!columnText.empty()) {
        auto c = parseColumns(columnText);
        if (!c) {
            std::fprintf(stderr, "xc-ls: %s\n", c.error().message().c_str());
            return tool::kExitUsage;
        }
        cols = *c;
        fancy = true;
    }
    bool disk = std::find(cols.begin(), cols.end(), "DISK") != cols.end() && (fancy || json);
    // What interrupted creates and destroys left is hidden and never listed;
    // it is removed here (each under its container's lock), and said so.
    if (auto cleaned = cleanInterrupted(t.host(), t.base(), t.log()))
        for (const auto& line : *cleaned) std::fprintf(stderr, "xc-ls: %s\n", line.c_str());
    auto names = t.context().containerNames();
    if (!names) return t.fail(names.error());
    auto rows = collectRows(t.context(), *names, f, fancy || json, disk);
    if (json) printJson(rows, disk);
    else if (fancy) printColumns(rows, cols);
    else printNames(rows, one);
    return 0;
}
