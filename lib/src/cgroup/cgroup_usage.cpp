// A container's resource use (xc-top, xc-info): one reader over v1,
// hybrid and cgroup2 hosts.
#include <sstream>

#include "base/fsutil.hpp"
#include "base/number.hpp"
#include "cgroup/cgroup.hpp"

namespace xc {

namespace {

std::optional<uint64_t> readU64(const std::string& path) {
    auto s = readFile(path);
    if (!s) return std::nullopt;
    auto v = parseU64(trim(*s));
    if (!v) return std::nullopt;
    return *v;
}

// The group's directory in the hierarchy of `controller`, and whether that
// is cgroup2; "" when the host has no such hierarchy.
std::pair<std::string, bool> groupDir(const Cgroup& cg, const char* controller) {
    const CgroupHierarchy* h = cg.layout().forController(controller);
    if (!h) return {"", false};
    return {cg.dirFor(*h), h->unified};
}

}  // namespace

namespace {

// Calls `each` with the rest of every line of `text` that starts with a
// device ("8:0"): the line shape blkio's v1 files and cgroup2's io.stat share.
template <typename Each>
void forEachDeviceLine(const std::string& text, Each each) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream rest(line);
        std::string dev;
        if (rest >> dev && dev.find(':') != std::string::npos) each(rest);
    }
}

}  // namespace

bool sumBlkioV1(const std::string& text, uint64_t& read, uint64_t& write) {
    bool any = false;
    read = write = 0;
    forEachDeviceLine(text, [&](std::istringstream& rest) {
        std::string op, n;
        if (!(rest >> op >> n)) return;
        auto v = parseU64(n);
        if (!v) return;
        if (op == "Read") read += *v, any = true;
        else if (op == "Write") write += *v, any = true;
    });
    return any;
}

bool sumIoStatV2(const std::string& text, uint64_t& read, uint64_t& write) {
    bool any = false;
    read = write = 0;
    forEachDeviceLine(text, [&](std::istringstream& rest) {
        std::string kv;
        while (rest >> kv) {
            auto eq = kv.find('=');
            if (eq == std::string::npos) continue;
            auto v = parseU64(kv.substr(eq + 1));
            if (!v) continue;
            if (kv.compare(0, eq, "rbytes") == 0) read += *v, any = true;
            else if (kv.compare(0, eq, "wbytes") == 0) write += *v, any = true;
        }
    });
    return any;
}

Result<CgroupUsage> Cgroup::usage() const {
    CgroupUsage u;
    XC_ASSIGN(u.cpuNs, cpuUsageNs());
    XC_ASSIGN(u.memoryBytes, memoryUsage());
    if (auto [dir, v2] = groupDir(*this, "memory"); !dir.empty()) {
        if (!v2) {
            u.memorySwapBytes = readU64(dir + "/memory.memsw.usage_in_bytes");
        } else if (auto swap = readU64(dir + "/memory.swap.current")) {
            u.memorySwapBytes = u.memoryBytes + *swap;
        }
    }
    auto [iodir, iov2] = groupDir(*this, "blkio");
    if (iodir.empty()) std::tie(iodir, iov2) = groupDir(*this, "io");
    if (!iodir.empty()) {
        uint64_t r = 0, w = 0;
        bool ok = false;
        if (iov2) {
            auto text = readFile(iodir + "/io.stat");
            ok = text.ok();
            if (ok) sumIoStatV2(*text, r, w);  // empty: no I/O yet
        } else {
            // Counted for every bio at the throttle layer, with or without
            // limits; the scheduler's (bfq) files exist only under bfq.
            for (const char* f : {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"}) {
                auto text = readFile(iodir + "/" + f);
                if (!text) continue;
                ok = true;
                sumBlkioV1(*text, r, w);
                break;
            }
        }
        if (ok) u.ioReadBytes = r, u.ioWriteBytes = w;
    }
    if (auto [dir, v2] = groupDir(*this, "pids"); !dir.empty()) u.pids = readU64(dir + "/pids.current");
    return u;
}

}  // namespace xc
