// One container's cgroup in every hierarchy of the host: create, limits,
// processes, freezer, kill, destroy.
#include "cgroup/cgroup.hpp"
#include "cgroup/cgroup_clone.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "xc/fd.hpp"
#include "base/fsutil.hpp"
#include "base/number.hpp"
#include "base/scope.hpp"
#include "cgroup/cgroup_files.hpp"
#include "cgroup/cgroup_tree.hpp"
#include "cgroup/devices.hpp"

namespace xc {

namespace {

using Clock = std::chrono::steady_clock;

// v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712).
constexpr uint64_t kV1Unlimited = uint64_t{1} << 62;

bool validRel(const std::string& rel) {
    if (rel.empty() || rel.front() == '/' || rel.back() == '/') return false;
    std::istringstream in(rel);
    std::string part;
    while (std::getline(in, part, '/'))
        if (part.empty() || part == "." || part == "..") return false;
    return true;
}

std::vector<std::string> components(const std::string& rel) {
    std::vector<std::string> out;
    std::istringstream in(rel);
    std::string part;
    while (std::getline(in, part, '/')) out.push_back(part);
    return out;
}

// cpuset.cpus/mems of a new v1 cpuset group start empty, and such a group
// takes no process (ENOSPC): copy the parent's.
Status copyCpusetFromParent(const std::string& parent, const std::string& child) {
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        XC_ASSIGN(std::string cur, cgRead(child + "/" + f));
        if (!cur.empty()) continue;
        XC_ASSIGN(std::string v, cgRead(parent + "/" + f));
        if (!v.empty()) XC_TRY(cgWrite(child + "/" + f, v));
    }
    return {};
}

// cgroup2: a controller reaches a child only when enabled in the parent's
// cgroup.subtree_control.
Status enableControllers(const std::string& parent, const std::vector<std::string>& wanted) {
    if (wanted.empty()) return {};
    XC_ASSIGN(std::string avail, cgRead(parent + "/cgroup.controllers"));
    XC_ASSIGN(std::string enabled, cgRead(parent + "/cgroup.subtree_control"));
    auto has = [](const std::string& list, const std::string& c) {
        std::istringstream in(list);
        std::string w;
        while (in >> w)
            if (w == c) return true;
        return false;
    };
    for (const auto& c : wanted)
        if (has(avail, c) && !has(enabled, c)) XC_TRY(cgWrite(parent + "/cgroup.subtree_control", "+" + c));
    return {};
}

// The value of key in "key value" lines.
std::optional<std::string> fieldOf(const std::string& text, const std::string& key) {
    std::istringstream in(text);
    std::string k, v;
    while (in >> k >> v)
        if (k == key) return v;
    return std::nullopt;
}

// A cgroup2 cgroup.events file, open, to wait for "key value" without an
// inotify instance: kernfs reports a change of the file to poll() as
// POLLPRI on a descriptor that has read it before (each read notes the
// file's event count; a later notification makes it differ). Closing an
// inotify instance waits for an SRCU grace period (~20 ms), closing this
// descriptor does not. The kernel delays a notification that comes within
// ~10 ms of the previous one: the file is also read again at short,
// growing intervals, so that delay does not add to the wait.
class EventsWatch {
public:
    static Result<EventsWatch> open(const std::string& path) {
        EventsWatch w;
        w.path_ = path;
        w.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!w.fd_) return Error::sys("open " + path);
        return w;
    }

    // true once "key value" shows; false when the deadline passed first.
    Result<bool> waitFor(const std::string& key, const std::string& value, Clock::time_point deadline) {
        auto step = std::chrono::microseconds(100);
        for (;;) {
            XC_ASSIGN(std::string text, readAgain());
            auto cur = fieldOf(text, key);
            if (!cur) return Error::msg("read " + path_ + ": no '" + key + "' line", ENOENT);
            if (*cur == value) return true;
            auto now = Clock::now();
            if (now >= deadline) return false;
            auto wait = std::min<Clock::duration>(step, deadline - now);
            step = std::min<std::chrono::microseconds>(step * 2, std::chrono::milliseconds(5));
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
            struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
            struct pollfd p = {fd_.get(), POLLPRI, 0};
            if (::ppoll(&p, 1, &ts, nullptr) < 0 && errno != EINTR) return Error::sys("poll " + path_);
        }
    }

private:
    // The file from its start, in one read: each read shows the file anew
    // and notes its event count, so a second read could note a change whose
    // text the first one did not see. cgroup.events is a few dozen bytes.
    Result<std::string> readAgain() {
        char buf[4096];
        ssize_t n;
        do n = ::pread(fd_.get(), buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) return Error::sys("read " + path_);
        return std::string(buf, static_cast<size_t>(n));
    }

    UniqueFd fd_;
    std::string path_;
};

// Back-off sleeps for v1 polling: 200us doubling up to 10ms.
class Backoff {
public:
    // Sleeps the next step (never past the deadline); false if it has passed.
    bool sleep(Clock::time_point deadline) {
        auto now = Clock::now();
        if (now >= deadline) return false;
        auto d = std::min<Clock::duration>(step_, deadline - now);
        struct timespec ts;
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        ts.tv_sec = static_cast<time_t>(ns / 1000000000);
        ts.tv_nsec = static_cast<long>(ns % 1000000000);
        while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
        step_ = std::min<Clock::duration>(step_ * 2, std::chrono::milliseconds(10));
        return true;
    }
    bool atCap() const { return step_ >= std::chrono::milliseconds(10); }

private:
    Clock::duration step_ = std::chrono::microseconds(200);
};

Result<FreezerState> parseV1State(const std::string& s, const std::string& path) {
    if (s == "THAWED") return FreezerState::Thawed;
    if (s == "FREEZING") return FreezerState::Freezing;
    if (s == "FROZEN") return FreezerState::Frozen;
    return Error::msg("read " + path + ": unknown freezer state '" + s + "'", EINVAL);
}

}  // namespace

// ---- create / destroy ----------------------------------------------------

namespace {

// Below the payload, the container's own tree (cgroup2, counted from the
// limits level, so the container cannot raise them): deep and wide enough
// for systemd and nested containers, not for a nest that only serves to
// exhaust the kernel.
constexpr int kMaxDepthInside = 32;
constexpr int kMaxGroupsInside = 4096;

// The groups of `parts` in one hierarchy (parents as needed, the last one
// new), each recorded in `rollback`. A concurrent destroy may remove a
// shared parent ("xc") between our mkdirs (ENOENT): the hierarchy starts
// over a few times.
Status makeGroupIn(const CgroupHierarchy& h, const std::vector<std::string>& parts,
                   const std::vector<std::string>& enable, Rollback& rollback) {
    const bool cpuset = !h.unified && h.has("cpuset");
    for (int attempt = 0;; ++attempt) {
        std::string path = h.mountPoint;
        bool vanished = false;
        for (size_t i = 0; i < parts.size(); ++i) {
            const std::string parent = path;
            path += "/" + parts[i];
            const bool leaf = i + 1 == parts.size();
            if (h.unified) XC_TRY(enableControllers(parent, enable));
            if (::mkdir(path.c_str(), 0755) == 0) {
                rollback.add("remove " + path, [path] { ::rmdir(path.c_str()); });
            } else if (errno == EEXIST) {
                if (leaf) return Error::msg("cgroup " + path + " already exists", EEXIST);
            } else if (errno == ENOENT && attempt < 3) {
                vanished = true;
                break;
            } else {
                int e = errno;
                return Error::sys(e, "create cgroup " + path);
            }
            if (cpuset) XC_TRY(copyCpusetFromParent(parent, path));
        }
        if (!vanished) return {};
    }
}

// The payload below the limits level `dir`, which must still be there: a
// limits level made again would lack its policy.
Status makePayloadIn(const CgroupHierarchy& h, const std::string& dir, const std::vector<std::string>& enable,
                     Rollback& rollback) {
    const std::string path = dir + "/" + Cgroup::kPayload;
    if (h.unified) XC_TRY(enableControllers(dir, enable));  // for the container's own sub-groups
    if (::mkdir(path.c_str(), 0755) < 0) {
        int e = errno;
        return Error::sys(e, "create cgroup " + path);
    }
    rollback.add("remove " + path, [path] { ::rmdir(path.c_str()); });
    if (!h.unified && h.has("cpuset")) XC_TRY(copyCpusetFromParent(dir, path));
    return {};
}

}  // namespace

bool inPart(const CgroupHierarchy& h, CgroupPart part) {
    const bool first = h.unified || h.has("memory");
    switch (part) {
    case CgroupPart::All: return true;
    case CgroupPart::First: return first;
    case CgroupPart::Last: return !first;
    }
    return false;
}

Result<Cgroup> Cgroup::create(const CgroupLayout& layout, const std::string& relPath, CgroupPart part) {
    if (!validRel(relPath)) return Error::msg("cgroup path '" + relPath + "' is not a relative path", EINVAL);
    if (layout.hierarchies().empty()) return Error::msg("create cgroup " + relPath + ": no cgroup hierarchy", ENOENT);
    Cgroup cg(layout, relPath);
    XC_TRY(cg.createPart(part));
    return cg;
}

Status Cgroup::createPart(CgroupPart part) {
    if (!validRel(rel_)) return Error::msg("cgroup path '" + rel_ + "' is not a relative path", EINVAL);
    // cgroup2 controllers we limit through unified: all on v2, on hybrid
    // only those that no v1 hierarchy holds.
    std::vector<std::string> enable;
    if (const CgroupHierarchy* u = layout_.unified())
        for (const char* c : {"memory", "cpu", "cpuset", "pids"})
            if (layout_.forController(c) == u) enable.push_back(c);

    // The limits level first, with its device policy and nesting bounds,
    // then the payload below it: the v1 devices controller refuses
    // "deny all" once a group has children, and the payload inherits the
    // list when it is made.
    const auto parts = components(rel_);
    Rollback rollback;  // each directory made, removed newest first unless the whole group is made
    for (const auto& h : layout_.hierarchies())
        if (inPart(h, part)) XC_TRY(makeGroupIn(h, parts, enable, rollback));
    XC_TRY(applyDevicePolicy(part));
    if (part != CgroupPart::Last) XC_TRY(boundNesting());
    for (const auto& h : layout_.hierarchies())
        if (inPart(h, part)) XC_TRY(makePayloadIn(h, dirFor(h), enable, rollback));
    rollback.commit();
    return {};
}

Status Cgroup::applyDevicePolicy(CgroupPart part) {
    const auto& rules = defaultDeviceRules();
    const CgroupHierarchy* h = layout_.forController("devices");
    if (h && !h->unified && inPart(*h, part)) {
        const std::string dir = dirFor(*h);
        XC_TRY(cgWrite(dir + "/devices.deny", "a"));
        for (const auto& line : deviceRulesV1(rules)) XC_TRY(cgWrite(dir + "/devices.allow", line));
    }
    // cgroup2 has no devices files: its policy is a program on the group.
    // On a hybrid host both hold, each on its own hierarchy. A user's
    // group gets none: loading one needs CAP_SYS_ADMIN over the host, and
    // its user namespace has only the host's nodes, with their modes.
    if (const CgroupHierarchy* u = layout_.unified(); u && !layout_.delegated() && part != CgroupPart::First) {
        const std::string dir = dirFor(*u);
        XC_ASSIGN(UniqueFd fd, openGroupDir(dir));
        XC_TRY(attachDeviceProgram(fd.get(), deviceProgram(rules), "cgroup " + dir));
    }
    return {};
}

Status Cgroup::boundNesting() {
    const CgroupHierarchy* u = layout_.unified();
    if (!u) return {};  // v1 has no such bound
    const std::string dir = dirFor(*u);
    XC_TRY(cgWrite(dir + "/cgroup.max.depth", std::to_string(kMaxDepthInside + 1)));
    return cgWrite(dir + "/cgroup.max.descendants", std::to_string(kMaxGroupsInside + 1));
}

bool Cgroup::exists() const {
    if (!validRel(rel_)) return false;
    for (const auto& h : layout_.hierarchies())
        if (pathExists(dirFor(h))) return true;
    return false;
}

Status Cgroup::destroy() {
    if (!validRel(rel_)) return Error::msg("destroy cgroup: bad path '" + rel_ + "'", EINVAL);
    Status first;
    const auto parts = components(rel_);
    const std::string parentRel = rel_.substr(0, rel_.size() - parts.back().size());
    for (const auto& h : layout_.hierarchies()) {
        // Whatever the container nested inside goes through descriptors:
        // no path longer than the host's own is ever built.
        auto parent = openGroupDir(h.mountPoint + "/" + parentRel);
        if (!parent && parent.error().code() == ENOENT) continue;
        // The usual shape first, a group and its payload group with nothing
        // nested: two rmdirs instead of a walk that reads every directory.
        // Anything else (sub-groups the container made, processes left) is
        // the walk's, which says what stays.
        const std::string payload = parts.back() + "/" + kPayload;
        bool removed = parent && (::unlinkat(parent->get(), payload.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) &&
                       ::unlinkat(parent->get(), parts.back().c_str(), AT_REMOVEDIR) == 0;
        Status st = removed  ? Status()
                    : parent ? removeGroupTree(parent->get(), parts.back(), dirFor(h))
                             : Status(std::move(parent).error());
        if (!st) {
            if (first) first = std::move(st);
            continue;
        }
        // Empty parents ("xc", "xc-abc"): others may still use them.
        std::string up = rel_;
        for (size_t i = parts.size() - 1; i > 0; --i) {
            up = up.substr(0, up.rfind('/'));
            std::string dir = h.mountPoint + "/" + up;
            if (::rmdir(dir.c_str()) == 0) continue;
            int e = errno;
            if (e != EBUSY && e != ENOTEMPTY && e != ENOENT && first) first = Error::sys(e, "remove cgroup " + dir);
            break;
        }
    }
    return first;
}

// ---- limits and reads ------------------------------------------------------

namespace {

Result<std::string> writePath(const Cgroup& cg, const CgroupWrite& w) {
    const CgroupHierarchy* h = cg.layout().forController(w.controller);
    if (!h)
        return Error::msg("cgroup file " + w.file + ": this host has no " +
                              (w.controller.empty() ? std::string("cgroup2") : w.controller) + " hierarchy",
                          ENOENT);
    return cg.dirFor(*h) + "/" + w.file;
}

// v1 cpuset: a group's CPUs and nodes must stay within its parent's, and
// a new group's are copied once, so the payload follows the limits level:
// narrowed first when the limits level narrows (else EBUSY), widened after.
Status writeCpusetDown(const std::string& dir, const std::string& file, const std::string& value) {
    const std::string payload = dir + "/" + Cgroup::kPayload + "/" + file;
    Status st = cgWrite(dir + "/" + file, value);
    if (!st && st.error().code() == EBUSY && pathExists(payload)) {
        XC_TRY(cgWrite(payload, value));
        return cgWrite(dir + "/" + file, value);
    }
    XC_TRY(std::move(st));
    return pathExists(payload) ? cgWrite(payload, value) : okStatus();
}

// The file the last write went to, kept open: v1 takes one device rule per
// write, and a start writes about twenty to devices.allow in a row (an
// open and a close less for each).
struct LastFile {
    std::string path;
    UniqueFd fd;
};

Status doWrite(const Cgroup& cg, const CgroupWrite& w, LastFile& last) {
    XC_ASSIGN(std::string path, writePath(cg, w));
    if (w.optional && !pathExists(path)) return {};
    const CgroupHierarchy* h = cg.layout().forController(w.controller);
    if (h && !h->unified && (w.file == "cpuset.cpus" || w.file == "cpuset.mems"))
        return writeCpusetDown(cg.dirFor(*h), w.file, w.value);
    if (!last.fd || last.path != path) {
        last.fd.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        last.path = path;
    }
    return cgWriteFd(last.fd.get(), path, w.value);
}

}  // namespace

Status Cgroup::apply(const CgroupSettings& s) {
    XC_ASSIGN(auto writes, mapCgroupSettings(layout_, s));
    return applyWrites(writes);
}

Status Cgroup::applyWrites(const std::vector<CgroupWrite>& writes, CgroupPart part) {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    LastFile last;
    for (const auto& w : writes) {
        const CgroupHierarchy* h = layout_.forController(w.controller);
        if (!h || inPart(*h, part)) XC_TRY(doWrite(*this, w, last));  // (no hierarchy: doWrite says so)
    }
    return {};
}

Result<std::string> Cgroup::fileFor(const CgroupWrite& w) const { return writePath(*this, w); }

Status Cgroup::addProcess(pid_t pid, CgroupPart part) {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const std::string p = std::to_string(pid);
    for (const auto& h : layout_.hierarchies())
        if (inPart(h, part)) XC_TRY(cgWrite(payloadDirFor(h) + "/cgroup.procs", p));
    return {};
}

Status addProcessExceptUnified(const Cgroup& cg, pid_t pid, CgroupPart part) {
    if (!validRel(cg.relPath())) return Error::msg("cgroup: bad path '" + cg.relPath() + "'", EINVAL);
    const std::string p = std::to_string(pid);
    for (const auto& h : cg.layout().hierarchies())
        if (!h.unified && inPart(h, part)) XC_TRY(cgWrite(cg.payloadDirFor(h) + "/cgroup.procs", p));
    return {};
}

Result<UniqueFd> openUnifiedPayload(const Cgroup& cg) {
    if (!validRel(cg.relPath())) return Error::msg("cgroup: bad path '" + cg.relPath() + "'", EINVAL);
    const CgroupHierarchy* u = cg.layout().unified();
    if (!u) return UniqueFd();
    const std::string dir = cg.payloadDirFor(*u);
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::sys("open cgroup " + dir);
    return fd;
}

Status Cgroup::set(const std::string& key, const std::string& value) {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const CgroupHierarchy* mem = layout_.forController("memory");
    if (mem && !mem->unified && (key == "memory.max" || key == "memory.swap.max")) {
        // v1 limits memory+swap in memsw: keep swap on top of memory.
        const std::string dir = dirFor(*mem);
        const std::string limitFile = dir + "/memory.limit_in_bytes", memswFile = dir + "/memory.memsw.limit_in_bytes";
        const bool haveMemsw = pathExists(memswFile);
        if (key == "memory.swap.max") {
            if (!haveMemsw)
                return Error::msg("cgroup memory.swap.max: no swap accounting on this host (no " + memswFile + ")",
                                  ENOENT);
            XC_ASSIGN(uint64_t swap, parseCgroupBytes(key, value));
            CgroupSettings s;
            XC_ASSIGN(uint64_t limit, cgReadU64(limitFile));
            if (limit < kV1Unlimited) s.memoryMax = limit;
            s.memorySwapMax = swap;
            XC_ASSIGN(auto writes, mapCgroupSettings(layout_, s));
            for (const auto& w : writes)
                if (w.file == "memory.memsw.limit_in_bytes") XC_TRY(cgWrite(memswFile, w.value));
            return {};
        }
        XC_ASSIGN(auto ws, mapCgroupKey(layout_, key, value));
        if (haveMemsw) {
            XC_ASSIGN(uint64_t oldLimit, cgReadU64(limitFile));
            XC_ASSIGN(uint64_t memsw, cgReadU64(memswFile));
            if (memsw < kV1Unlimited) {
                const uint64_t swap = memsw > oldLimit ? memsw - oldLimit : 0;
                const bool toMax = ws[0].value == "-1";
                auto parsed = parseU64(ws[0].value);
                if (!toMax && !parsed)
                    return Error::msg("cgroup " + key + ": unexpected value '" + ws[0].value + "'", EINVAL);
                const uint64_t newLimit = toMax ? UINT64_MAX : *parsed;
                const std::string newMemsw = toMax ? "-1" : std::to_string(newLimit + swap);
                // memsw may never be below the memory limit: raise it first.
                if (newLimit > oldLimit) {
                    XC_TRY(cgWrite(memswFile, newMemsw));
                    return cgWrite(limitFile, ws[0].value);
                }
                XC_TRY(cgWrite(limitFile, ws[0].value));
                return cgWrite(memswFile, newMemsw);
            }
        }
        return cgWrite(limitFile, ws[0].value);
    }
    XC_ASSIGN(auto writes, mapCgroupKey(layout_, key, value));
    LastFile last;
    for (const auto& w : writes) XC_TRY(doWrite(*this, w, last));
    return {};
}

Result<std::string> Cgroup::get(const std::string& key) const {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    XC_ASSIGN(CgroupWrite r, mapCgroupRead(layout_, key));
    XC_ASSIGN(std::string path, writePath(*this, r));
    const CgroupHierarchy* h = layout_.forController(r.controller);
    const bool v1 = h && !h->unified;
    const std::string dir = path.substr(0, path.rfind('/'));
    auto bytes = [](uint64_t v) { return v >= kV1Unlimited ? std::string("max") : std::to_string(v); };
    if (v1 && (key == "memory.max" || key == "memory.high" || key == "memory.current")) {
        XC_ASSIGN(uint64_t v, cgReadU64(path));
        return bytes(v);
    }
    if (v1 && key == "memory.swap.max") {
        XC_ASSIGN(uint64_t memsw, cgReadU64(path));
        XC_ASSIGN(uint64_t limit, cgReadU64(dir + "/memory.limit_in_bytes"));
        if (memsw >= kV1Unlimited) return std::string("max");
        return std::to_string(memsw > limit ? memsw - limit : 0);
    }
    if (v1 && key == "cpu.weight") {
        XC_ASSIGN(uint64_t shares, cgReadU64(path));
        return std::to_string(cpuWeightFromShares(shares));
    }
    if (v1 && key == "cpu.max") {
        XC_ASSIGN(int64_t quota, cgReadI64(path));
        XC_ASSIGN(uint64_t period, cgReadU64(dir + "/cpu.cfs_period_us"));
        return (quota < 0 ? std::string("max") : std::to_string(quota)) + " " + std::to_string(period);
    }
    if (key == "cpu.stat") {
        if (v1) return cgRead(path);
        XC_ASSIGN(std::string usec, keyedField(path, "usage_usec"));
        auto us = parseU64(usec);
        if (!us) return Error::msg("read " + path + ": usage_usec is not a number: '" + usec + "'", EINVAL);
        return std::to_string(*us * 1000);
    }
    return cgRead(path);
}

Result<uint64_t> Cgroup::cpuUsageNs() const {
    XC_ASSIGN(std::string v, get("cpu.stat"));
    if (auto n = parseU64(v)) return *n;
    return Error::msg("cpu usage of cgroup " + rel_ + ": not a number: '" + v + "'", EINVAL);
}

Result<uint64_t> Cgroup::memoryUsage() const {
    XC_ASSIGN(CgroupWrite r, mapCgroupRead(layout_, "memory.current"));
    XC_ASSIGN(std::string path, writePath(*this, r));
    return cgReadU64(path);
}

// ---- processes -------------------------------------------------------------

namespace {

// The hierarchy whose cgroup.procs lists a container's processes: unified
// if present (every process joins it), else pids, freezer, any v1.
const CgroupHierarchy* procsHierarchy(const CgroupLayout& l) {
    if (const CgroupHierarchy* u = l.unified()) return u;
    for (const char* c : {"pids", "freezer"})
        if (const CgroupHierarchy* h = l.forController(c)) return h;
    return l.hierarchies().empty() ? nullptr : &l.hierarchies().front();
}

}  // namespace

Result<std::vector<pid_t>> Cgroup::pids() const {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const CgroupHierarchy* h = procsHierarchy(layout_);
    if (!h) return Error::msg("cgroup " + rel_ + ": no cgroup hierarchy", ENOENT);
    std::vector<pid_t> out;
    XC_ASSIGN(UniqueFd dir, openGroupDir(dirFor(*h)));
    XC_TRY(collectGroupPids(dir.get(), out, dirFor(*h)));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<bool> Cgroup::populated() const {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    if (const CgroupHierarchy* u = layout_.unified()) {
        XC_ASSIGN(std::string v, keyedField(dirFor(*u) + "/cgroup.events", "populated"));
        return v != "0";
    }
    XC_ASSIGN(auto p, pids());
    return !p.empty();
}

Status Cgroup::waitEmpty(std::chrono::milliseconds timeout) {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const auto deadline = Clock::now() + timeout;
    auto timedOut = [&] {
        return Error::msg(
            "cgroup " + rel_ + ": processes still running after " + std::to_string(timeout.count()) + " ms", ETIMEDOUT);
    };
    if (const CgroupHierarchy* u = layout_.unified()) {
        XC_ASSIGN(auto watch, EventsWatch::open(dirFor(*u) + "/cgroup.events"));
        XC_ASSIGN(bool empty, watch.waitFor("populated", "0", deadline));
        if (!empty) return timedOut();
        return {};
    }
    Backoff backoff;
    for (;;) {
        XC_ASSIGN(auto p, pids());
        if (p.empty()) return {};
        if (!backoff.sleep(deadline)) return timedOut();
    }
}

Status Cgroup::killAll() {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    if (const CgroupHierarchy* u = layout_.unified()) {
        const std::string kill = dirFor(*u) + "/cgroup.kill";
        if (pathExists(kill)) {
            XC_TRY(cgWrite(kill, "1"));
            // A v1-frozen task does not die until thawed (v2 ones do).
            auto fs = freezerState();
            return fs && *fs != FreezerState::Thawed ? thaw() : okStatus();
        }
    }
    // No cgroup.kill: freeze so nothing forks while we kill, SIGKILL every
    // process, thaw so the kills take effect. A failed freeze still kills.
    const bool canFreeze = layout_.freezer() != CgroupFreezer::None;
    if (canFreeze) (void)freeze(std::chrono::milliseconds(1000));
    Status result;
    for (int round = 0; round < 3; ++round) {
        auto p = pids();
        if (!p) {
            result = std::move(p).error();
            break;
        }
        if (p->empty()) break;
        for (pid_t pid : *p)
            if (::kill(pid, SIGKILL) < 0 && errno != ESRCH && result)
                result = Error::sys("kill " + std::to_string(pid));
        if (canFreeze) break;  // frozen: nothing new can appear
    }
    if (canFreeze) {
        Status t = thaw();
        if (!t && result) result = std::move(t);
    }
    return result;
}

// ---- freezer ---------------------------------------------------------------

namespace {

const CgroupHierarchy* freezerHierarchy(const CgroupLayout& l, CgroupFreezer kind) {
    if (kind == CgroupFreezer::Unified) return l.unified();
    if (kind == CgroupFreezer::V1) {
        const CgroupHierarchy* h = l.forController("freezer");
        return h && !h->unified ? h : nullptr;
    }
    return nullptr;
}

CgroupFreezer otherFreezer(CgroupFreezer k) {
    return k == CgroupFreezer::Unified ? CgroupFreezer::V1 : k == CgroupFreezer::V1 ? CgroupFreezer::Unified : k;
}

Result<FreezerState> stateOf(const std::string& dir, CgroupFreezer kind) {
    if (kind == CgroupFreezer::V1) {
        const std::string path = dir + "/freezer.state";
        XC_ASSIGN(std::string s, cgRead(path));
        return parseV1State(s, path);
    }
    XC_ASSIGN(std::string want, cgRead(dir + "/cgroup.freeze"));
    XC_ASSIGN(std::string frozen, keyedField(dir + "/cgroup.events", "frozen"));
    if (frozen == "1") return FreezerState::Frozen;  // itself or an ancestor
    return want == "1" ? FreezerState::Freezing : FreezerState::Thawed;
}

Status thawOf(const std::string& dir, CgroupFreezer kind) {
    if (kind == CgroupFreezer::V1) return cgWrite(dir + "/freezer.state", "THAWED");
    return cgWrite(dir + "/cgroup.freeze", "0");
}

}  // namespace

Status Cgroup::freeze(std::chrono::milliseconds timeout) {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const CgroupFreezer kind = layout_.freezer();
    const CgroupHierarchy* h = freezerHierarchy(layout_, kind);
    if (!h) return Error::msg("freeze cgroup " + rel_ + ": this host has no freezer", ENOTSUP);
    const std::string dir = dirFor(*h);
    const auto deadline = Clock::now() + timeout;
    bool frozen = false;
    if (kind == CgroupFreezer::Unified) {
        // Open first (an error comes before the freeze). Each read re-arms
        // the wait, so a change after it cannot slip by unseen.
        XC_ASSIGN(auto watch, EventsWatch::open(dir + "/cgroup.events"));
        XC_TRY(cgWrite(dir + "/cgroup.freeze", "1"));
        XC_ASSIGN(frozen, watch.waitFor("frozen", "1", deadline));
    } else {
        const std::string path = dir + "/freezer.state";
        XC_TRY(cgWrite(path, "FROZEN"));
        Backoff backoff;
        for (;;) {
            XC_ASSIGN(std::string s, cgRead(path));
            XC_ASSIGN(FreezerState st, parseV1State(s, path));
            if (st == FreezerState::Frozen) {
                frozen = true;
                break;
            }
            // Tasks that were busy (in a syscall, vfork) get asked again.
            if (backoff.atCap()) XC_TRY(cgWrite(path, "FROZEN"));
            if (!backoff.sleep(deadline)) break;
        }
    }
    if (frozen) return {};
    Status t = thawOf(dir, kind);
    std::string msg = "freeze " + dir + ": timed out after " + std::to_string(timeout.count()) + " ms; ";
    if (!t) return Error::msg(msg + "thawing again failed too: " + t.error().message(), ETIMEDOUT);
    return Error::msg(msg + "thawed again", ETIMEDOUT);
}

Status Cgroup::thaw() {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const CgroupFreezer kind = layout_.freezer();
    const CgroupHierarchy* h = freezerHierarchy(layout_, kind);
    if (!h) return Error::msg("thaw cgroup " + rel_ + ": this host has no freezer", ENOTSUP);
    XC_TRY(thawOf(dirFor(*h), kind));
    // Someone (another tool, an older xc) may have frozen through the other
    // mechanism: a thaw clears both, so freezerState and thaw agree.
    const CgroupFreezer other = otherFreezer(kind);
    if (const CgroupHierarchy* o = freezerHierarchy(layout_, other)) {
        auto st = stateOf(dirFor(*o), other);
        if (st && *st != FreezerState::Thawed) XC_TRY(thawOf(dirFor(*o), other));
    }
    return {};
}

Result<FreezerState> Cgroup::freezerState() const {
    if (!validRel(rel_)) return Error::msg("cgroup: bad path '" + rel_ + "'", EINVAL);
    const CgroupFreezer kind = layout_.freezer();
    const CgroupHierarchy* h = freezerHierarchy(layout_, kind);
    if (!h) return Error::msg("freezer state of cgroup " + rel_ + ": this host has no freezer", ENOTSUP);
    XC_ASSIGN(FreezerState st, stateOf(dirFor(*h), kind));
    if (st != FreezerState::Thawed) return st;
    const CgroupFreezer other = otherFreezer(kind);
    if (const CgroupHierarchy* o = freezerHierarchy(layout_, other)) {
        auto ost = stateOf(dirFor(*o), other);
        if (ost && *ost != FreezerState::Thawed) return *ost;
    }
    return st;
}

// ---------------------------------------------------------------- owner

Result<OwnedCgroup> OwnedCgroup::create(const CgroupLayout& layout, const std::string& relPath, CgroupPart part) {
    XC_ASSIGN(Cgroup cg, Cgroup::create(layout, relPath, part));
    return OwnedCgroup(std::move(cg));
}

OwnedCgroup& OwnedCgroup::operator=(OwnedCgroup&& o) noexcept {
    if (this != &o) {
        (void)remove();
        cg_ = std::move(o.cg_);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

Status OwnedCgroup::remove(std::chrono::milliseconds wait) {
    if (!owned_) return {};
    owned_ = false;
    if (!cg_.exists()) return {};
    // Once the group is gone, whatever the kill or the wait said no longer
    // matters; if it stays, the first cause is the one to report.
    Status killed = cg_.killAll();
    Status emptied = killed ? cg_.waitEmpty(wait) : Status{};
    Status removed = cg_.destroy();
    if (removed) return {};
    if (!killed) return std::move(killed).error().wrap("remove cgroup " + cg_.relPath());
    if (!emptied) return std::move(emptied).error().wrap("remove cgroup " + cg_.relPath());
    return removed;
}

}  // namespace xc
