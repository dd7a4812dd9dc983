#include "net/usernet.hpp"

#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>

#ifndef XC_INSTALL_SYSCONFDIR
#define XC_INSTALL_SYSCONFDIR "/etc/xc"
#endif

namespace xc::usernet {

std::string configPath() { return std::string(XC_INSTALL_SYSCONFDIR) + "/usernet"; }
std::string recordsDir() { return "/run/xc/usernic"; }
std::string recordsFile() { return recordsDir() + "/allocations"; }

namespace {

std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream ss(line);
    std::string w;
    while (ss >> w) out.push_back(w);
    return out;
}

bool validName(const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '$')) return false;
    return true;
}

bool validIfname(const std::string& s) {
    if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
    for (char c : s)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c)))
            return false;
    return true;
}

bool parseCount(const std::string& s, long long max, long long& out) {
    if (s.empty() || s.size() > 18) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = std::stoll(s);
    return out <= max;
}

}  // namespace

Result<std::vector<Entry>> parse(const std::string& text, const std::string& shownAs) {
    std::vector<Entry> out;
    std::istringstream in(text);
    std::string line;
    int no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        auto w = words(line);
        if (w.empty()) continue;
        std::string at = shownAs + ":" + std::to_string(no) + ": ";
        if (w.size() != 4)
            return Error::msg(at + "expected 'USER|@GROUP veth BRIDGE COUNT', got " + std::to_string(w.size()) + " fields", EINVAL);
        Entry e;
        e.line = no;
        e.isGroup = w[0][0] == '@';
        e.who = e.isGroup ? w[0].substr(1) : w[0];
        if (!validName(e.who)) return Error::msg(at + "'" + w[0] + "' is not a user or @group name", EINVAL);
        if (w[1] != "veth") return Error::msg(at + "type '" + w[1] + "' is not supported (only veth)", EINVAL);
        e.type = w[1];
        if (!validIfname(w[2])) return Error::msg(at + "'" + w[2] + "' is not an interface name", EINVAL);
        e.bridge = w[2];
        long long n = 0;
        if (!parseCount(w[3], 100000, n)) return Error::msg(at + "count '" + w[3] + "' is not a number from 0 to 100000", EINVAL);
        e.count = static_cast<int>(n);
        out.push_back(std::move(e));
    }
    return out;
}

int allowance(const std::vector<Entry>& entries, const std::string& user, const std::vector<std::string>& groups,
              const std::string& bridge) {
    std::set<std::string> gs(groups.begin(), groups.end());
    long long sum = 0;
    for (const auto& e : entries) {
        if (e.bridge != bridge || e.type != "veth") continue;
        if (e.isGroup ? gs.count(e.who) > 0 : (!user.empty() && e.who == user)) sum += e.count;
    }
    return static_cast<int>(std::min<long long>(sum, 1000000));
}

std::string missingLineHint(const std::string& user, const std::string& bridge) {
    return "add the line '" + user + " veth " + bridge + " 1' (or '@GROUP veth " + bridge + " N') to " + configPath();
}

Result<std::vector<Record>> parseRecords(const std::string& text) {
    std::vector<Record> out;
    std::istringstream in(text);
    std::string line;
    int no = 0;
    while (std::getline(in, line)) {
        ++no;
        auto w = words(line);
        if (w.empty()) continue;
        long long uid = 0, ino = 0;
        if (w.size() != 4 || !parseCount(w[0], 0xfffffffeLL, uid) || !validIfname(w[1]) || !validIfname(w[2]) ||
            !parseCount(w[3], 0x7fffffffffffffffLL, ino))
            return Error::msg(recordsFile() + ":" + std::to_string(no) + ": malformed record", EINVAL);
        out.push_back({static_cast<uid_t>(uid), w[1], w[2], static_cast<uint64_t>(ino)});
    }
    return out;
}

std::string formatRecords(const std::vector<Record>& records) {
    std::string out;
    for (const auto& r : records)
        out += std::to_string(r.uid) + " " + r.bridge + " " + r.ifname + " " + std::to_string(r.netnsInode) + "\n";
    return out;
}

std::vector<Record> prune(const std::vector<Record>& records, const std::function<bool(const Record&)>& alive) {
    std::vector<Record> out;
    for (const auto& r : records)
        if (alive(r)) out.push_back(r);
    return out;
}

int used(const std::vector<Record>& records, uid_t uid, const std::string& bridge) {
    int n = 0;
    for (const auto& r : records)
        if (r.uid == uid && r.bridge == bridge) ++n;
    return n;
}

Status checkQuota(const std::vector<Entry>& entries, const std::vector<Record>& records, uid_t uid,
                  const std::string& user, const std::vector<std::string>& groups, const std::string& bridge,
                  const std::string& shownAs) {
    const std::string who = user.empty() ? "uid " + std::to_string(uid) : user;
    int allowed = allowance(entries, user, groups, bridge);
    if (allowed == 0)
        return Error::msg(who + " may not put a veth on bridge " + bridge + ": " + shownAs + " has no line for " + who +
                              " or its groups on " + bridge,
                          EPERM)
            .withHint(missingLineHint(user.empty() ? "USER" : user, bridge));
    int n = used(records, uid, bridge);
    if (n >= allowed)
        return Error::msg(who + " already has " + std::to_string(n) + " of the " + std::to_string(allowed) +
                              " veths " + shownAs + " allows on bridge " + bridge,
                          EDQUOT)
            .withHint("stop a container that uses one, or raise the count in " + shownAs);
    return {};
}

namespace {

// Each "name:x:id:..." line of /etc/passwd or /etc/group, as (name, id).
template <typename Fn>
void forEachIdLine(const std::string& text, Fn fn) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto a = line.find(':');
        if (a == std::string::npos) continue;
        auto b = line.find(':', a + 1);
        auto c = b == std::string::npos ? b : line.find(':', b + 1);
        if (c == std::string::npos) continue;
        long long v = 0;
        if (parseCount(line.substr(b + 1, c - b - 1), 0xffffffffLL, v))
            if (!fn(line.substr(0, a), static_cast<uint32_t>(v))) return;
    }
}

}  // namespace

std::string userName(const std::string& passwdText, uid_t uid) {
    std::string found;
    forEachIdLine(passwdText, [&](const std::string& name, uint32_t id) {
        if (id != uid) return true;
        found = name;
        return false;
    });
    return found;
}

std::vector<std::string> groupNames(const std::string& groupText, const std::vector<gid_t>& gids) {
    std::set<gid_t> want(gids.begin(), gids.end());
    std::vector<std::string> out;
    forEachIdLine(groupText, [&](const std::string& name, uint32_t id) {
        if (want.count(id)) out.push_back(name);
        return true;
    });
    return out;
}

std::string hostName(uint64_t random) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "xcu%010llx", static_cast<unsigned long long>(random & 0xffffffffffULL));
    return buf;
}

bool isHostName(const std::string& ifname) {
    if (ifname.size() != 13 || ifname.rfind("xcu", 0) != 0) return false;
    for (size_t i = 3; i < ifname.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(ifname[i])) || std::isupper(static_cast<unsigned char>(ifname[i]))) return false;
    return true;
}

}  // namespace xc::usernet
