// The mapping's state (lxc_state.hpp): the whole-config pass, scalars and
// lists, interfaces and cgroup keys.
#include "lxcimport/lxc_state.hpp"

#include <algorithm>
#include <cctype>

#include "base/fsutil.hpp"
#include "xc/config.hpp"

namespace xc::lxcimport {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

bool allDigits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> words(const std::string& s, const char* seps) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = s.find_first_not_of(seps, pos)) != std::string::npos) {
        size_t end = s.find_first_of(seps, pos);
        out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        pos = end;
    }
    return out;
}

// lxc.net.N.SUB -> N, SUB; false if N is not a number.
bool splitNetKey(const std::string& key, int& index, std::string& sub) {
    std::string rest = key.substr(std::string("lxc.net.").size());
    size_t dot = rest.find('.');
    std::string n = rest.substr(0, dot);
    if (!allDigits(n) || n.size() > 4) return false;
    index = std::stoi(n);
    sub = dot == std::string::npos ? "" : rest.substr(dot + 1);
    return true;
}

bool xcMakes(const std::string& type) {
    return type == "veth" || type == "macvlan" || type == "phys" || type == "empty" || type == "none";
}

// LXC's default prefix for an IPv4 address without one: by its class.
std::string withPrefix(const std::string& a, bool v6) {
    if (a.find('/') != std::string::npos) return a;
    if (v6) return a + "/64";
    int first = allDigits(a.substr(0, a.find('.'))) ? std::stoi(a.substr(0, a.find('.'))) : 0;
    return a + (first < 128 ? "/8" : first < 192 ? "/16" : "/24");
}

std::string archName(const std::string& a) {
    if (a == "amd64" || a == "x86_64") return "x86_64";
    if (a == "i386" || a == "i686" || a == "x86") return "i686";
    if (a == "arm64" || a == "aarch64") return "aarch64";
    if (a == "armhf" || a == "armel" || a == "armv7l" || a == "arm") return "armv7l";
    if (a == "ppc64el" || a == "ppc64le") return "ppc64le";
    return a;
}

}  // namespace

Status State::prepare(const std::vector<LxcEntry>& entries) {
    std::string rootfs = in_.lxcDir + "/rootfs", rootfsMount;
    for (const auto& e : entries) {
        int index;
        std::string sub;
        if (e.key == "lxc.rootfs.path" && !e.value.empty()) rootfs = e.value;
        if (e.key == "lxc.rootfs.mount") rootfsMount = e.value;
        if (e.key == "lxc.hook.version") hookVersion_ = e.value == "1" ? 1 : 0;
        if (e.key == "lxc.idmap" && !e.value.empty()) hasIdmap_ = true;
        if (startsWith(e.key, "lxc.net.") && splitNetKey(e.key, index, sub)) {
            hasNet_ = true;
            if (sub == "type") netTypes_[index] = e.value;
        }
    }
    XC_ASSIGN(m_.rootfs, parseRootfsPath(rootfs));
    int next = 0;
    for (const auto& [index, type] : netTypes_)
        if (xcMakes(type)) netIndex_[index] = next++;
    // Absolute mount targets name the rootfs as LXC mounts it.
    rootPrefixes_ = {rootfsMount, "/usr/lib/x86_64-linux-gnu/lxc/rootfs", "/usr/lib/x86_64-linux-gnu/lxc",
                     "/usr/lib/lxc/rootfs", "/usr/lib/lxc"};
    if (m_.rootfs.backend == "dir") rootPrefixes_.insert(rootPrefixes_.begin(), m_.rootfs.path);
    return {};
}

std::string State::rootfsNote() const {
    if (m_.rootfs.backend == "dir") return "the tree " + m_.rootfs.path + " becomes rootfs/";
    return "the overlay of " + m_.rootfs.upper + " over " + m_.rootfs.lower + ", merged into one tree in rootfs/";
}

void State::scalar(MapRow& row, const std::string& key, const std::string& value) {
    scalars_.push_back({key, ConfigValue::scalar(value), rowIndex()});
    row.xc = shownSetting(key, ConfigValue::scalar(value));
}

void State::list(MapRow& row, const std::string& key, const std::vector<std::string>& items) {
    scalars_.push_back({key, ConfigValue::list(items), rowIndex()});
    row.xc = shownSetting(key, ConfigValue::list(items));
}

void State::listItem(MapRow& row, const std::string& key, const char* seps) {
    auto it = lists_.find(key);
    if (it == lists_.end()) {
        listOrder_.push_back(key);
        it = lists_.emplace(key, std::make_pair(std::vector<std::string>{}, rowIndex())).first;
    }
    if (row.lxc.value.empty()) {
        it->second.first.clear();
        row.xc = key + " = [ ] (an empty value clears the list, as in LXC)";
        return;
    }
    std::vector<std::string> add = seps ? words(row.lxc.value, seps) : std::vector<std::string>{row.lxc.value};
    it->second.first.insert(it->second.first.end(), add.begin(), add.end());
    std::string shown = shownSetting(key, ConfigValue::list(add));
    row.xc = key + " +=" + shown.substr(key.size() + 2);
}

void State::arch(MapRow& row) {
    std::string want = archName(row.lxc.value), host = archName(in_.hostArch);
    if (want == host) {
        row.xc = "(nothing to set: the host's architecture, " + host + ")";
        return;
    }
    row.reason = "the host is " + host + " and xc sets no personality: the container would run as " + host;
}

void State::netReset(MapRow& row) {
    if (!row.lxc.value.empty()) {
        row.reason = "not lxc.net.N.KEY";
        return;
    }
    row.reason = "a reset of the interfaces set before it; the interfaces are imported as the config lists them";
}

void State::net(MapRow& row) {
    int index;
    std::string sub;
    if (!splitNetKey(row.lxc.key, index, sub) || sub.empty()) {
        row.reason = "not lxc.net.N.KEY";
        return;
    }
    auto it = netIndex_.find(index);
    if (it == netIndex_.end()) {
        auto t = netTypes_.find(index);
        row.reason = t == netTypes_.end() ? "interface " + std::to_string(index) + " has no lxc.net." +
                                                std::to_string(index) + ".type"
                                          : "interface " + std::to_string(index) + " is of type '" + t->second +
                                                "', which xc does not make (veth, macvlan, phys, empty, none)";
        return;
    }
    netKey(row, it->second, sub);
}

void State::netKey(MapRow& row, int x, const std::string& sub) {
    static const std::map<std::string, std::string> kSame = {
        {"type", "type"}, {"link", "link"}, {"name", "name"}, {"mtu", "mtu"},
        {"veth.pair", "host_name"}, {"macvlan.mode", "macvlan_mode"}, {"hwaddr", "hwaddr"}};
    std::string prefix = "network." + std::to_string(x) + ".";
    auto same = kSame.find(sub);
    if (sub == "hwaddr" && row.lxc.value.find_first_of("xX") != std::string::npos) {
        row.xc = "(nothing to set: a pattern; xc gives the interface a random 00:16:3e address once)";
    } else if (same != kSame.end()) {
        netKeys_[x].push_back({prefix + same->second, ConfigValue::scalar(row.lxc.value), rowIndex()});
        row.xc = shownSetting(prefix + same->second, ConfigValue::scalar(row.lxc.value));
        if (sub == "type" && row.lxc.value == "none") {
            scalars_.push_back({"security.allow_host_network", ConfigValue::scalar("true"), rowIndex()});
            row.xc += ", security.allow_host_network = true (the host's network, as in LXC)";
        }
    } else if (sub == "flags") {
        if (row.lxc.value == "up")
            row.xc = "(nothing to set: xc brings every interface up)";
        else
            row.reason = "xc always brings the interface up";
    } else if (startsWith(sub, "ipv4.") || startsWith(sub, "ipv6.")) {
        netAddress(row, x, sub);
    } else if (startsWith(sub, "script.")) {
        row.reason = "xc runs no per-interface scripts; a hooks.start_host command can do the same";
    } else {
        row.reason = "xc has no such interface setting";
    }
}

void State::netAddress(MapRow& row, int x, const std::string& sub) {
    bool v6 = sub[3] == '6';
    std::string prefix = "network." + std::to_string(x) + ".";
    std::string field = sub.substr(5);
    std::vector<std::string> w = words(row.lxc.value, " \t");
    if (w.empty()) {
        row.reason = "empty";
        return;
    }
    if (field == "address") {
        bool& done = v6 ? ipv6Done_[x] : ipv4Done_[x];
        if (done) {
            row.reason = std::string("xc gives an interface one ") + (v6 ? "IPv6" : "IPv4") + " address";
            return;
        }
        done = true;
        std::string key = prefix + (v6 ? "ipv6" : "ipv4");
        netKeys_[x].push_back({key, ConfigValue::scalar(withPrefix(w[0], v6)), rowIndex()});
        row.xc = shownSetting(key, ConfigValue::scalar(withPrefix(w[0], v6)));
    } else if (field == "gateway") {
        if (w[0] == "auto" || w[0] == "dev") {
            row.reason = "'" + w[0] + "' is resolved by LXC at start; set " + prefix + (v6 ? "gateway6" : "gateway") +
                         " to the bridge's address";
            return;
        }
        std::string key = prefix + (v6 ? "gateway6" : "gateway");
        netKeys_[x].push_back({key, ConfigValue::scalar(w[0]), rowIndex()});
        row.xc = shownSetting(key, ConfigValue::scalar(w[0]));
    } else {
        row.reason = "xc has no such address setting";
    }
}

// ---- cgroup: v1 and v2 keys into xc's one vocabulary ----

void State::cgroup(MapRow& row, bool v2) {
    std::string file = row.lxc.key.substr(v2 ? 12 : 11);  // after "lxc.cgroup2." / "lxc.cgroup."
    if (row.lxc.value.empty()) {
        row.reason = "an empty value (LXC clears the cgroup settings before it); xc sets none";
        return;
    }
    if (v2)
        cgroupV2(row, file);
    else
        cgroupV1(row, file);
}

void State::cgroupKey(MapRow& row, const std::string& key, const std::string& value) {
    std::string v = value == "-1" ? "max" : value;
    scalars_.push_back({key, ConfigValue::scalar(v), rowIndex()});
    row.xc = shownSetting(key, ConfigValue::scalar(v));
}

void State::raw(MapRow& row, const std::string& file) {
    std::string entry = file + "=" + row.lxc.value;
    scalars_.push_back({"cgroup.raw", ConfigValue::scalar(entry), rowIndex()});
    row.xc = "cgroup.raw += [ \"" + entry + "\" ] (written as given)";
}

void State::cgroupV1(MapRow& row, const std::string& file) {
    static const std::map<std::string, std::string> kDirect = {
        {"memory.limit_in_bytes", "cgroup.memory.max"}, {"memory.soft_limit_in_bytes", "cgroup.memory.high"},
        {"cpuset.cpus", "cgroup.cpuset.cpus"},          {"cpuset.mems", "cgroup.cpuset.mems"},
        {"pids.max", "cgroup.pids.max"}};
    if (auto it = kDirect.find(file); it != kDirect.end()) {
        cgroupKey(row, it->second, row.lxc.value);
        if (file == "memory.limit_in_bytes") memory_ = Pending{row.lxc.value, rowIndex()};
    } else if (file == "cpu.shares") {
        if (!allDigits(row.lxc.value) || row.lxc.value.size() > 7) {
            row.reason = "not a number of shares";
            return;
        }
        uint64_t w = sharesToWeight(std::stoull(row.lxc.value));
        cgroupKey(row, "cgroup.cpu.weight", std::to_string(w));
        row.xc += " (shares " + row.lxc.value + " as a weight: 1 + (shares - 2) * 9999 / 262142)";
    } else if (file == "cpu.cfs_quota_us") {
        quota_ = Pending{row.lxc.value, rowIndex()};
    } else if (file == "cpu.cfs_period_us") {
        period_ = Pending{row.lxc.value, rowIndex()};
    } else if (file == "memory.memsw.limit_in_bytes") {
        memsw_ = Pending{row.lxc.value, rowIndex()};
    } else {
        raw(row, file);
    }
}

void State::cgroupV2(MapRow& row, const std::string& file) {
    static const std::map<std::string, std::string> kDirect = {
        {"memory.max", "cgroup.memory.max"},   {"memory.high", "cgroup.memory.high"},
        {"memory.swap.max", "cgroup.memory.swap_max"}, {"cpu.max", "cgroup.cpu.max"},
        {"cpu.weight", "cgroup.cpu.weight"},   {"cpuset.cpus", "cgroup.cpuset.cpus"},
        {"cpuset.mems", "cgroup.cpuset.mems"}, {"pids.max", "cgroup.pids.max"}};
    if (auto it = kDirect.find(file); it != kDirect.end())
        cgroupKey(row, it->second, row.lxc.value);
    else
        raw(row, file);
}

void State::finishCpu() {
    if (!quota_) {
        if (period_) m_.rows[period_->row].reason = "a period without cpu.cfs_quota_us sets no limit";
        return;
    }
    std::string quota = quota_->value == "-1" ? "max" : quota_->value;
    std::string value = quota + " " + (period_ ? period_->value : "100000");
    scalars_.push_back({"cgroup.cpu.max", ConfigValue::scalar(value), quota_->row});
    m_.rows[quota_->row].xc = shownSetting("cgroup.cpu.max", ConfigValue::scalar(value)) + " (quota and period)";
    if (period_) m_.rows[period_->row].xc = "(with cpu.cfs_quota_us: cgroup.cpu.max = \"" + value + "\")";
}

// memsw is memory + swap; xc's swap_max is the swap alone.
void State::finishSwap() {
    if (!memsw_) return;
    MapRow& row = m_.rows[memsw_->row];
    if (memsw_->value == "-1" || memsw_->value == "max") {
        scalars_.push_back({"cgroup.memory.swap_max", ConfigValue::scalar("max"), memsw_->row});
        row.xc = "cgroup.memory.swap_max = \"max\"";
        return;
    }
    auto both = parseSize(memsw_->value);
    auto mem = memory_ ? parseSize(memory_->value) : Result<uint64_t>(Error::msg("none", EINVAL));
    if (!both || !mem || *both < *mem) {
        row.reason = "memory+swap without a memory.limit_in_bytes below it: no swap limit xc can express";
        return;
    }
    std::string swap = std::to_string(*both - *mem);
    scalars_.push_back({"cgroup.memory.swap_max", ConfigValue::scalar(swap), memsw_->row});
    row.xc = "cgroup.memory.swap_max = " + swap + " (memory+swap less memory.limit_in_bytes)";
}

MapRow State::note(const std::string& what, const std::string& xc, const std::string& reason) {
    MapRow r;
    r.lxc.key = what;
    r.xc = xc;
    r.reason = reason;
    return r;
}

void State::finishNotes() {
    if (!hasIdmap_) {
        m_.rows.push_back(note("(no lxc.idmap)", "security.privileged = true (a privileged container, as in LXC)", ""));
        scalars_.push_back({"security.privileged", ConfigValue::scalar("true"), m_.rows.size() - 1});
    }
    if (!hasNet_) {
        m_.rows.push_back(note("(no lxc.net.*)",
                               "network.0.type = \"none\", security.allow_host_network = true (LXC shares the host's "
                               "network when none is configured)",
                               ""));
        size_t r = m_.rows.size() - 1;
        netKeys_[0].push_back({"network.0.type", ConfigValue::scalar("none"), r});
        scalars_.push_back({"security.allow_host_network", ConfigValue::scalar("true"), r});
    } else if (netIndex_.empty()) {
        m_.rows.push_back(note("(no interface xc makes)", "network.0.type = \"empty\" (loopback only)", ""));
        netKeys_[0].push_back({"network.0.type", ConfigValue::scalar("empty"), m_.rows.size() - 1});
    }
}

void State::finish() {
    finishCpu();
    finishSwap();
    finishNotes();
    auto& out = m_.settings;
    out = scalars_;
    for (const auto& [x, keys] : netKeys_) out.insert(out.end(), keys.begin(), keys.end());
    out.insert(out.end(), mountKeys_.begin(), mountKeys_.end());
    out.insert(out.end(), idmapKeys_.begin(), idmapKeys_.end());
    for (const auto& key : listOrder_) {
        const auto& [items, row] = lists_[key];
        if (!items.empty()) out.push_back({key, ConfigValue::list(items), row});
    }
}

}  // namespace xc::lxcimport
