// The data model of the host report and what every module's probe shares.
#include "base/probe.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "base/fsutil.hpp"

namespace xc {

using S = ProbeItem::Status;

const char* probeStatusName(ProbeItem::Status s) {
    switch (s) {
        case S::Ok:
            return "ok";
        case S::Missing:
            return "missing";
        case S::Warn:
            return "warn";
        case S::Info:
            return "info";
        case S::Unsupported:
            return "unsupported";
    }
    return "?";
}

size_t countRequiredMissing(const std::vector<ProbeItem>& items) {
    return static_cast<size_t>(std::count_if(items.begin(), items.end(), [](const ProbeItem& i) {
        return i.required && i.status != S::Ok;
    }));
}

size_t countRequiredUnverified(const std::vector<ProbeItem>& items) {
    return static_cast<size_t>(std::count_if(items.begin(), items.end(), [](const ProbeItem& i) {
        return i.required && i.status == S::Warn;
    }));
}

std::string errnoText(int e) {
    const char* name = strerrorname_np(e);
    return std::string(name ? name : ("errno " + std::to_string(e)).c_str()) + ": " + std::strerror(e);
}

std::string readTrimmed(const std::string& path, bool* ok) {
    auto r = readFile(path);
    if (ok) *ok = r.ok();
    return r ? trim(*r) : std::string();
}

std::string joinWords(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

void syscallItem(ProbeList& out, const std::string& name, int err, const std::string& okDetail,
                 const std::string& since, bool required) {
    if (err == 0) {
        out.add(name, S::Ok, okDetail, "", required);
    } else if (err == ENOSYS) {
        out.add(name, S::Missing, "ENOSYS: the kernel lacks it, or a seccomp filter around this host hides it",
                "Linux " + since + " or newer (and no seccomp filter blocking " + name + ")", required);
    } else if (err == EPERM || err == EACCES) {
        out.add(name, S::Warn, "could not verify: " + errnoText(err), "run xc-checkconfig as root", required);
    } else {
        out.add(name, S::Warn, "unexpected " + errnoText(err), "", required);
    }
}

std::string findExecutable(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::istringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        if (dir.empty()) continue;
        std::string p = dir + "/" + name;
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

}  // namespace xc
