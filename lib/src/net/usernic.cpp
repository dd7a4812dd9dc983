#include "net/usernic.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fsutil.hpp"
#include "net/netlink.hpp"
#include "net/usernet.hpp"
#include "xc/fd.hpp"

namespace xc::usernet {

namespace {

std::string readAt(int dirfd, const char* name) {
    UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    std::string out;
    if (!fd) return out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

Status writeAt(int dirfd, const char* name, const std::string& data) {
    std::string tmp = std::string(name) + ".new";
    UniqueFd fd(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return Error::sys("write " + recordsFile());
    // The helper runs with the caller's gid: the files are root's alone.
    (void)::fchown(fd.get(), 0, 0);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::sys("write " + recordsFile());
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) < 0 || ::renameat(dirfd, tmp.c_str(), dirfd, name) < 0) return Error::sys("write " + recordsFile());
    return {};
}

// /run/xc/usernic, root's and closed to others, opened without following
// a link at any step; its "lock" file held exclusively.
struct Store {
    UniqueFd dir, lock;
    std::vector<Record> records;

    static Result<Store> open() {
        Store s;
        UniqueFd run(::open("/run", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!run) return Error::sys("open /run");
        if (::mkdirat(run.get(), "xc", 0755) < 0 && errno != EEXIST) return Error::sys("create /run/xc");
        UniqueFd xc(::openat(run.get(), "xc", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!xc) return Error::sys("open /run/xc");
        if (::mkdirat(xc.get(), "usernic", 0700) < 0 && errno != EEXIST) return Error::sys("create " + recordsDir());
        s.dir.reset(::openat(xc.get(), "usernic", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s.dir) return Error::sys("open " + recordsDir());
        (void)::fchown(s.dir.get(), 0, 0);
        struct stat st {};
        if (::fstat(s.dir.get(), &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
            return Error::msg(recordsDir() + " is not root's own directory: remove it", EPERM);
        s.lock.reset(::openat(s.dir.get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!s.lock) return Error::sys("open " + recordsDir() + "/lock");
        (void)::fchown(s.lock.get(), 0, 0);
        while (::flock(s.lock.get(), LOCK_EX) < 0)
            if (errno != EINTR) return Error::sys("lock " + recordsDir() + "/lock");
        XC_ASSIGN(s.records, parseRecords(readAt(s.dir.get(), "allocations")));
        return s;
    }

    // Drops the records whose host veth is gone (it goes with the
    // container's network namespace); saved when something was dropped.
    Status pruneWith(const nl::Socket& host) {
        auto before = records.size();
        Status failed;
        records = prune(records, [&](const Record& r) {
            auto l = nl::findLink(host, r.ifname);
            if (!l) {
                failed = std::move(l).error();
                return true;  // keep what cannot be checked
            }
            return l->has_value() && (*l)->kind == "veth";
        });
        XC_TRY(std::move(failed));
        return records.size() == before ? Status() : save();
    }

    Status save() { return writeAt(dir.get(), "allocations", formatRecords(records)); }
};

Result<std::vector<Entry>> loadEntries() {
    UniqueFd fd(::open(configPath().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::vector<Entry>();
        return Error::sys("read " + configPath());
    }
    // Only root may say who gets what.
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return Error::sys("read " + configPath());
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
        return Error::msg(configPath() + " is not a file only root may write; nothing is allowed until it is", EPERM)
            .withHint("as root: chown root:root " + configPath() + " && chmod 644 " + configPath());
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    if (n < 0) return Error::sys("read " + configPath());
    return parse(text, configPath());
}

Result<int> bridgeIndex(const nl::Socket& host, const std::string& bridge, int* mtu) {
    XC_ASSIGN(auto br, nl::findLink(host, bridge));
    if (!br) return Error::msg("bridge '" + bridge + "' does not exist; root makes it with 'xc-net start'", ENODEV);
    if (br->kind != "bridge")
        return Error::msg("'" + bridge + "' is not a bridge (it is " + (br->kind.empty() ? "a device" : "a " + br->kind) + ")", EINVAL);
    if (mtu) *mtu = br->mtu;
    return br->index;
}

// A name no link has (40 random bits: a clash is rare; the kernel's
// EEXIST is the last word when the lookup itself fails).
std::string freshHostName(const nl::Socket& host) {
    std::string name;
    for (int tries = 0; tries < 16; ++tries) {
        uint64_t r = 0;
        if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) r = static_cast<uint64_t>(::getpid()) ^ (r << 13);
        name = hostName(r);
        auto l = nl::findLink(host, name);
        if (!l || !l->has_value()) break;
    }
    return name;
}

}  // namespace

Caller currentCaller() {
    Caller c;
    c.uid = ::getuid();
    std::vector<gid_t> gids = {::getgid()};
    int n = ::getgroups(0, nullptr);
    if (n > 0) {
        std::vector<gid_t> more(static_cast<size_t>(n));
        n = ::getgroups(n, more.data());
        if (n > 0) gids.insert(gids.end(), more.begin(), more.begin() + n);
    }
    auto passwd = readFile("/etc/passwd");
    auto group = readFile("/etc/group");
    c.user = passwd ? userName(*passwd, c.uid) : "";
    if (group) c.groups = groupNames(*group, gids);
    return c;
}

Result<uint64_t> checkNetnsOwner(int netnsFd, uid_t uid) {
    struct statfs sfs {};
    struct stat st {};
    if (::fstatfs(netnsFd, &sfs) < 0 || ::fstat(netnsFd, &st) < 0) return Error::sys("look at the network namespace fd");
    if (sfs.f_type != NSFS_MAGIC) return Error::msg("the fd given is not a namespace (/proc/PID/ns/net)", EINVAL);
    int type = ::ioctl(netnsFd, NS_GET_NSTYPE);
    if (type != CLONE_NEWNET) return Error::msg("the namespace given is not a network namespace", EINVAL);
    UniqueFd userns(::ioctl(netnsFd, NS_GET_USERNS));
    if (!userns) return Error::sys("find the user namespace that owns the network namespace");
    uid_t owner = 0;
    if (::ioctl(userns.get(), NS_GET_OWNER_UID, &owner) < 0) return Error::sys("find the owner of the network namespace's user namespace");
    if (owner != uid)
        return Error::msg("the network namespace belongs to a user namespace of uid " + std::to_string(owner) +
                              ", not of the caller (uid " + std::to_string(uid) + ")",
                          EPERM);
    return static_cast<uint64_t>(st.st_ino);
}

Result<std::string> check(const Caller& c, const std::string& bridge) {
    XC_ASSIGN(auto entries, loadEntries());
    XC_ASSIGN(nl::Socket host, nl::Socket::open());
    XC_TRY(bridgeIndex(host, bridge, nullptr));
    XC_ASSIGN(Store s, Store::open());
    XC_TRY(s.pruneWith(host));
    XC_TRY(checkQuota(entries, s.records, c.uid, c.user, c.groups, bridge, configPath()));
    return std::to_string(allowance(entries, c.user, c.groups, bridge)) + " " + std::to_string(used(s.records, c.uid, bridge));
}

Result<std::string> createVeth(const Caller& c, const Request& r) {
    if (r.name.empty() || r.name.size() > 15 || r.name.find_first_of("/: \t\n") != std::string::npos)
        return Error::msg("'" + r.name + "' is not an interface name", EINVAL);
    if (!r.hwaddr.empty()) XC_TRY(parseHwaddr(r.hwaddr));
    if (r.mtu != 0 && (r.mtu < 68 || r.mtu > 65535)) return Error::msg("mtu " + std::to_string(r.mtu) + " is out of range", EINVAL);
    XC_ASSIGN(uint64_t ino, checkNetnsOwner(r.netnsFd, c.uid));
    XC_ASSIGN(auto entries, loadEntries());
    XC_ASSIGN(nl::Socket host, nl::Socket::open());
    int brMtu = 0;
    XC_ASSIGN(int bridge, bridgeIndex(host, r.bridge, &brMtu));
    XC_ASSIGN(Store s, Store::open());
    XC_TRY(s.pruneWith(host));
    XC_TRY(checkQuota(entries, s.records, c.uid, c.user, c.groups, r.bridge, configPath()));

    // Recorded before it is made: a crash in between leaves a record whose
    // interface does not exist, which the next call prunes; never a veth
    // the quota does not count.
    Record rec{c.uid, r.bridge, freshHostName(host), ino};
    s.records.push_back(rec);
    XC_TRY(s.save());
    nl::VethSpec v;
    v.hostName = rec.ifname;
    v.master = bridge;
    v.mtu = r.mtu ? r.mtu : (brMtu > 0 && brMtu != 1500 ? brMtu : 0);
    v.peerName = r.name;
    v.peerHwaddr = r.hwaddr;
    v.peerNetnsFd = r.netnsFd;
    Status made = nl::createVeth(host, v);
    if (made) {
        auto l = nl::findLink(host, rec.ifname);
        if (!l || !l->has_value() || (*l)->master != bridge) {
            if (l && l->has_value()) (void)nl::deleteLink(host, (*l)->index);
            made = Error::msg("attach " + rec.ifname + " to bridge " + r.bridge + ": the kernel did not take it", EIO);
        } else if (!(*l)->up()) {
            made = nl::setLinkUp(host, (*l)->index, true);
            if (!made) (void)nl::deleteLink(host, (*l)->index);
        }
    }
    if (!made) {
        s.records.pop_back();
        (void)s.save();
        return std::move(made).error().wrap("make a veth on " + r.bridge + " for '" + r.name + "'");
    }
    return rec.ifname;
}

}  // namespace xc::usernet
