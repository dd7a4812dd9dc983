// Snapshot-clone dependencies (depends.hpp).
#include "api/depends.hpp"

#include <algorithm>

#include "xc/container.hpp"

namespace xc {

storage::Layout layoutOf(const ContainerConfig& cfg) {
    storage::Layout l;
    l.backend = cfg.rootfsBackend;
    l.rootfs = cfg.rootfsPath;
    l.lower = cfg.rootfsLower;
    l.upper = cfg.rootfsUpper;
    return l;
}

std::vector<Dependent> dependentsOf(const HostPaths& host, const ContainerPaths& origin, const ContainerConfig& cfg) {
    std::vector<Dependent> out;
    storage::Layout own = layoutOf(cfg);
    const std::string writable = own.overlay() ? own.upper : own.rootfs;
    const std::string under = origin.dir() + "/";
    auto names = listContainers(origin.base());
    if (!names) return out;
    for (const auto& n : *names) {
        if (n == origin.name()) continue;
        auto c = Container::open(host, origin.base(), n);
        if (!c) continue;
        auto other = c->config();
        if (!other || other->rootfsBackend != "overlay") continue;
        Dependent d{n, false};
        bool uses = false;
        for (const auto& l : other->rootfsLower) {
            bool w = l == writable;
            d.onWritable = d.onWritable || w;
            uses = uses || w || l == own.rootfs || l.rfind(under, 0) == 0;
        }
        if (uses) out.push_back(d);
    }
    std::sort(out.begin(), out.end(), [](const Dependent& a, const Dependent& b) { return a.name < b.name; });
    return out;
}

std::string dependentNames(const std::vector<Dependent>& deps, bool onlyWritable) {
    std::string out;
    for (const auto& d : deps)
        if (!onlyWritable || d.onWritable) out += (out.empty() ? "" : ", ") + d.name;
    return out;
}

}  // namespace xc
