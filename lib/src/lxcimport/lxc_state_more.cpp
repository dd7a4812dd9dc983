// The mapping's state (lxc_state.hpp): mounts, hooks, idmaps, security,
// environment and console keys.
#include <algorithm>
#include <map>

#include "base/fsutil.hpp"
#include "lxcimport/lxc_state.hpp"

namespace xc::lxcimport {

namespace {

// LXC's hook types and xc's: where and when each runs (spawn/hooks.hpp).
const std::map<std::string, std::string> kHooks = {
    {"pre-start", "hooks.pre_start"}, {"start-host", "hooks.start_host"}, {"mount", "hooks.mount"},
    {"autodev", "hooks.mount"},       {"start", "hooks.start"},           {"stop", "hooks.stop"},
    {"post-stop", "hooks.post_stop"}, {"clone", "hooks.clone"},           {"destroy", "hooks.destroy"},
};

}  // namespace

// An fstab line as xc mount keys into `row` (its index `index`).
void State::addMount(MapRow& row, size_t index, const std::string& line) {
    MountMapped mm = mapMountEntry(line, rootPrefixes_);
    if (!mm.reason.empty()) {
        row.reason = mm.reason;
        return;
    }
    std::string prefix = "mounts." + std::to_string(mounts_++) + ".", shown, note;
    for (auto& [k, v] : mm.keys) {
        std::string target = k == "source" ? in_.linkTarget(v.text) : "";
        if (!target.empty()) {
            note = " (" + v.text + " is a symbolic link to " + target + " on this host)";
            v.text = target;
        }
        mountKeys_.push_back({prefix + k, v, index});
        shown += (shown.empty() ? "" : "; ") + shownSetting(k, v);
    }
    row.xc = prefix.substr(0, prefix.size() - 1) + " = { " + shown + "; }" + note;
}

void State::mountEntry(MapRow& row) {
    if (row.lxc.value.empty()) {
        row.reason = "an empty value (LXC clears the mount entries before it); the entries are imported as listed";
        return;
    }
    addMount(row, rowIndex(), row.lxc.value);
}

// Each line of the fstab file is a row of its own (after this one).
void State::mountFstab(MapRow& row) {
    std::string path = row.lxc.value;
    if (!path.empty() && path[0] != '/') path = in_.lxcDir + "/" + path;
    auto t = in_.read(path);
    if (!t || t->isDir) {
        row.reason = "cannot read " + path + (t ? std::string(": a directory") : ": " + t.error().message());
        return;
    }
    row.xc = "(the lines of " + path + ", below)";
    size_t pos = 0;
    for (int n = 1; pos < t->text.size(); ++n) {
        size_t nl = t->text.find('\n', pos);
        std::string line = trim(t->text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? t->text.size() : nl + 1;
        if (line.empty() || line[0] == '#') continue;
        MapRow r;
        r.lxc = {"lxc.mount.fstab", line, path + ":" + std::to_string(n), ""};
        // The row goes to extra_; its settings point at the index it will
        // have once the table appends it.
        addMount(r, m_.rows.size() + extra_.size(), line);
        extra_.push_back(std::move(r));
    }
}

// An LXC hook is a shell command given "NAME lxc TYPE" (hook version 0)
// and LXC_* variables; the xc command line gives it the same from xc's
// $1 and XC_* variables.
void State::hook(MapRow& row) {
    std::string type = row.lxc.key.substr(std::string("lxc.hook.").size());
    auto it = kHooks.find(type);
    if (it == kHooks.end()) {
        row.reason = type == "pre-mount" ? "xc runs no hook before the root file system is mounted (hooks.mount runs "
                                           "after it)"
                                         : "no such LXC hook";
        return;
    }
    const std::string& key = it->second;
    auto list = lists_.find(key);
    if (list == lists_.end()) {
        listOrder_.push_back(key);
        list = lists_.emplace(key, std::make_pair(std::vector<std::string>{}, rowIndex())).first;
    }
    if (row.lxc.value.empty()) {
        list->second.first.clear();
        row.xc = key + " = [ ] (an empty value clears the list, as in LXC)";
        return;
    }
    std::string cmd = "LXC_NAME=\"$XC_NAME\" LXC_CONFIG_FILE=\"$XC_CONFIG_FILE\" LXC_ROOTFS_PATH=\"$XC_ROOTFS_PATH\" "
                      "LXC_ROOTFS_MOUNT=\"$XC_ROOTFS_MOUNT\" LXC_HOOK_TYPE=" +
                      type + " LXC_HOOK_SECTION=lxc " + row.lxc.value;
    if (hookVersion_ == 0) cmd += " \"$1\" lxc " + type;
    list->second.first.push_back(cmd);
    std::string shown = shownSetting(key, ConfigValue::list({cmd}));
    row.xc = key + " +=" + shown.substr(key.size() + 2);
}

void State::consoleBuffer(MapRow& row) {
    if (row.lxc.value == "auto" || row.lxc.value.empty()) {
        row.reason = "xc keeps a console buffer of a fixed size (console.buffer_size, 128K by default)";
        return;
    }
    scalar(row, "console.buffer_size", row.lxc.value);
}

void State::idmap(MapRow& row) {
    if (row.lxc.value.empty()) {
        row.reason = "an empty value (LXC clears the idmaps before it); the idmaps are imported as listed";
        return;
    }
    auto keys = mapIdmap(row.lxc.value);
    if (!keys) {
        row.reason = keys.error().message();
        return;
    }
    std::string prefix = "idmap." + std::to_string(idmaps_++) + ".", shown;
    for (const auto& [k, v] : *keys) {
        idmapKeys_.push_back({prefix + k, v, rowIndex()});
        shown += (shown.empty() ? "" : "; ") + shownSetting(k, v);
    }
    row.xc = prefix.substr(0, prefix.size() - 1) + " = { " + shown + "; }";
}

void State::capKeep(MapRow& row) {
    if (row.lxc.value == "none") {
        row.reason = "xc cannot keep no capability at all (security.cap_keep needs at least one name)";
        return;
    }
    listItem(row, "security.cap_keep", " \t");
}

void State::seccomp(MapRow& row) {
    const std::string& v = row.lxc.value;
    if (v.empty()) {
        row.reason = "an empty profile (no filter in LXC); xc keeps its default filter";
        return;
    }
    std::string base = v.substr(v.rfind('/') + 1);
    if (base == "common.seccomp") {
        scalar(row, "security.seccomp", "default");
        row.xc += " (xc's default refuses what LXC's common profile does: kernel modules, kexec, open_by_handle_at, "
                  "and more)";
        return;
    }
    row.reason = "LXC's seccomp policy language is not xc's profile format; xc keeps its default filter (write the "
                 "profile as SYSCALL [ERRNO] lines, as share/security/seccomp.default, and set security.seccomp)";
}

void State::environment(MapRow& row) {
    const std::string& v = row.lxc.value;
    if (!v.empty() && v.find('=') == std::string::npos) {
        row.reason = "takes the host's value of " + v + " at lxc-start; xc passes nothing of the host's environment";
        return;
    }
    listItem(row, "environment", nullptr);
}

}  // namespace xc::lxcimport
