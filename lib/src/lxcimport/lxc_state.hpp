// The mapping's state while the table (lxc_map.cpp) walks an LXC config:
// interfaces by index, mounts and idmaps by count, lists that LXC builds
// up line by line, and the cgroup v1 pairs that make one xc key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lxcimport/lxc_map.hpp"

namespace xc::lxcimport {

class State {
public:
    State(const MapInput& in, Mapping& m) : in_(in), m_(m) {}

    // What the handlers need to know of the whole config first: the
    // rootfs, each interface's type, the hook version, whether an idmap
    // and an interface are set at all.
    Status prepare(const std::vector<LxcEntry>& entries);
    // The keys made of several LXC lines, the notes, the order to set them.
    void finish();
    // Rows a handler adds after its own (one per line of an fstab file).
    std::vector<MapRow> takeExtraRows() { return std::move(extra_); }

    void scalar(MapRow& row, const std::string& key, const std::string& value);
    void list(MapRow& row, const std::string& key, const std::vector<std::string>& items);
    // Appends the value's words to a list; an empty value clears it (as LXC).
    void listItem(MapRow& row, const std::string& key, const char* seps);

    void arch(MapRow& row);
    std::string rootfsNote() const;
    void netReset(MapRow& row);
    void net(MapRow& row);
    void cgroup(MapRow& row, bool v2);
    void mountEntry(MapRow& row);
    void mountFstab(MapRow& row);
    void hook(MapRow& row);
    void consoleBuffer(MapRow& row);
    void idmap(MapRow& row);
    void capKeep(MapRow& row);
    void seccomp(MapRow& row);
    void environment(MapRow& row);

private:
    size_t rowIndex() const { return m_.rows.size() - 1; }
    void netKey(MapRow& row, int x, const std::string& sub);
    void netAddress(MapRow& row, int x, const std::string& sub);
    void cgroupV1(MapRow& row, const std::string& file);
    void cgroupV2(MapRow& row, const std::string& file);
    void cgroupKey(MapRow& row, const std::string& key, const std::string& value);
    void raw(MapRow& row, const std::string& file);
    void addMount(MapRow& row, size_t index, const std::string& line);
    void finishCpu();
    void finishSwap();
    void finishNotes();
    MapRow note(const std::string& what, const std::string& xc, const std::string& reason);

    const MapInput& in_;
    Mapping& m_;
    std::vector<MapRow> extra_;
    std::vector<std::string> rootPrefixes_;  // where absolute mount targets may point
    std::map<int, std::string> netTypes_;    // LXC index -> type
    std::map<int, int> netIndex_;            // LXC index -> xc index (the types xc makes)
    std::map<int, bool> ipv4Done_, ipv6Done_;
    int hookVersion_ = 0;
    bool hasIdmap_ = false, hasNet_ = false;
    int mounts_ = 0, idmaps_ = 0;

    std::vector<XcSetting> scalars_, mountKeys_, idmapKeys_;
    std::map<int, std::vector<XcSetting>> netKeys_;
    std::vector<std::string> listOrder_;
    std::map<std::string, std::pair<std::vector<std::string>, size_t>> lists_;  // key -> items, first row

    struct Pending {
        std::string value;
        size_t row = 0;
    };
    std::optional<Pending> quota_, period_, memory_, memsw_;
};

}  // namespace xc::lxcimport
