// Hidden staging and trash directories of creates and destroys, and the
// removal of those an interrupted one left (see staging.hpp).
#include "api/staging.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fsutil.hpp"
#include "base/hidden.hpp"
#include "base/lock.hpp"
#include "monitor/runlock.hpp"
#include "base/scope.hpp"
#include "monitor/ephemeral.hpp"
#include "monitor/ipc.hpp"
#include "storage/btrfs.hpp"
#include "xc/container.hpp"

namespace xc::staging {

namespace {

using hidden::kStaging;
using hidden::kSuffix;
using hidden::kTrash;

// The container name in a leftover's name, "" if it is none.
std::string leftoverName(const std::string& entry) {
    for (const char* prefix : {kStaging, kTrash}) {
        std::string pre = prefix;
        if (entry.rfind(pre, 0) != 0 || entry.size() <= pre.size() + kSuffix) continue;
        if (entry[entry.size() - kSuffix] != '-') continue;
        std::string name = entry.substr(pre.size(), entry.size() - pre.size() - kSuffix);
        if (validateName(name)) return name;
    }
    return "";
}

bool isStaging(const std::string& path) { return path.find("/" + std::string(kStaging)) != std::string::npos; }

}  // namespace

Result<std::string> makeStagingDir(const ContainerPaths& p) {
    XC_ASSIGN(std::string dir, hidden::makeDir(p, kStaging));
    if (::chmod(dir.c_str(), 0750) < 0) {
        Error e = Error::sys("set the mode of " + dir);
        ::rmdir(dir.c_str());
        return e;
    }
    return dir;
}

Status commit(const std::string& stagingDir, const ContainerPaths& p) {
    if (::renameat2(AT_FDCWD, stagingDir.c_str(), AT_FDCWD, p.dir().c_str(), RENAME_NOREPLACE) < 0) {
        if (errno == EEXIST) return Error::msg("already exists in " + p.base(), EEXIST);
        return Error::sys("move " + stagingDir + " to " + p.dir());
    }
    return {};
}

std::vector<std::string> leftoversOf(const std::string& base, const std::string& name) {
    std::vector<std::string> out;
    auto names = listDir(base);
    if (!names) return out;
    for (const auto& n : *names)
        if (leftoverName(n) == name) out.push_back(base + "/" + n);
    std::sort(out.begin(), out.end());
    return out;
}

Result<std::vector<std::string>> removeLeftovers(const std::string& base, const std::string& name, const Log& log) {
    std::vector<std::string> notices;
    for (const auto& dir : leftoversOf(base, name)) {
        std::string what = isStaging(dir) ? "create" : "destroy";
        XC_TRY(storage::removeTree(dir).ctx("remove the remains of an interrupted " + what));
        notices.push_back(name + ": removed " + dir + ", left by an interrupted " + what);
        log.notice(notices.back());
    }
    return notices;
}

}  // namespace xc::staging

namespace xc {

namespace {

// Ephemeral containers that nobody runs: their supervisor was killed (a
// stopped one removes its container itself). One being cloned or started
// holds its run lock.
void sweepEphemeral(const HostPaths& host, const std::string& base, const Log& log,
                    std::vector<std::string>& notices) {
    auto names = listContainers(base);
    if (!names) return;
    for (const auto& n : *names) {
        ContainerPaths p(host, base, n);
        if (!pathExists(ephemeralMarker(p))) continue;
        auto held = RunLock::isHeld(p.lockFile());
        auto listening = monitorListening(p.socket());
        if (!held || *held || !listening || *listening) continue;
        auto c = Container::open(host, base, n);
        if (!c) continue;
        if (auto st = c->destroy(false, log, true); !st) {
            log.warn(n + ": ephemeral, left by a killed supervisor, not removed: " + st.error().message());
            continue;
        }
        std::string line = "removed the ephemeral container " + n + " (its supervisor was killed)";
        log.notice(line);
        notices.push_back(line);
    }
}

}  // namespace

Result<std::vector<std::string>> cleanInterrupted(const HostPaths& host, const std::string& base, const Log& log) {
    std::vector<std::string> notices;
    auto entries = listDir(base);
    if (!entries) return notices;
    std::vector<std::string> names;
    for (const auto& e : *entries) {
        std::string n = staging::leftoverName(e);
        if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    for (const auto& n : names) {
        ContainerPaths p(host, base, n);
        // Only under the container's lock: a create or destroy holding it is not interrupted.
        if (!makeDirs(p.runDir(), 0700)) continue;
        auto lock = lockContainer(p);
        if (!lock) continue;
        ScopeExit dropLockFile([&] { lock->removeFile(); });
        auto done = staging::removeLeftovers(base, n, log);
        if (!done) {
            // E.g. a mount left inside a killed template's tree: the next create of the name says so.
            log.warn(n + ": " + done.error().message());
            continue;
        }
        notices.insert(notices.end(), done->begin(), done->end());
    }
    sweepEphemeral(host, base, log, notices);
    return notices;
}

}  // namespace xc
