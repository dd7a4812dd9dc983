// What the debian tests share (debian_*test.cpp, one executable): the
// Debian image built once per machine and containers created from it.
//
// One real debootstrap per machine, not per test: the image is built by the
// first test that needs it into kSharedCache (XC_CACHE for these tests),
// under the template's own lock, and reused by every later test and every
// later run on the same machine (bump the version in kSharedCache when the
// image's contents change). It comes from the Debian mirror the host's apt
// names, as the template's default.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness.hpp"

namespace xcit {

inline const std::string kSharedRoot = "/var/tmp/xc-it-debian-cache";
inline const std::string kSharedCache = kSharedRoot + "/v1";
inline const std::string kTemplates = std::string(XC_SOURCE_DIR) + "/templates";

inline std::string hostRelease() {
    for (const auto& l : lines(readText("/etc/os-release")))
        if (l.rfind("VERSION_CODENAME=", 0) == 0) return l.substr(17);
    return "";
}

inline bool hostIsDebian() { return contains(readText("/etc/os-release"), "\nID=debian\n"); }

inline std::string hostArch() {
    FILE* p = ::popen("dpkg --print-architecture", "r");
    char buf[64] = {};
    if (p) {
        if (!std::fgets(buf, sizeof buf, p)) buf[0] = 0;
        ::pclose(p);
    }
    std::string s = buf;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

inline std::string imageDir(const std::string& cacheRoot) {
    return cacheRoot + "/debian/" + hostRelease() + "/" + hostArch() + "/minbase";
}

class DebianImage : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (IsSkipped()) return;
        if (!hostIsDebian()) GTEST_SKIP() << "needs a Debian host (its apt mirror)";
        if (::access("/usr/sbin/debootstrap", X_OK) != 0) GTEST_SKIP() << "debootstrap is not installed";
    }

    std::vector<std::string> cacheEnv(const std::string& cache = kSharedCache) { return {"XC_CACHE=" + cache}; }

    // The shared image, built once per machine (the first call of a run
    // may take minutes; the template's lock makes concurrent callers wait).
    void ensureSharedImage() {
        if (isDir(imageDir(kSharedCache))) return;
        // Older versions of the shared cache go.
        for (const auto& n : listNames(kSharedRoot))
            if (kSharedRoot + "/" + n != kSharedCache) removeTree(kSharedRoot + "/" + n);
        RunOptions o;
        o.env = cacheEnv();
        o.timeoutSeconds = 1500;
        RunResult r = xc("xc-create", {"-n", "warmup", "-t", "debian"}, o);
        ASSERT_TRUE(r.ok()) << r.describe();
        XC_EXPECT_OK(destroy("warmup"));
        ASSERT_TRUE(isDir(imageDir(kSharedCache)));
    }

    // xc-create -n NAME -t TMPL [createArgs...] [-- templateArgs...]
    RunResult createDebian(const std::string& name, const std::vector<std::string>& templateArgs,
                           const std::vector<std::string>& env, double timeout = 120,
                           const std::string& tmpl = "debian", const std::vector<std::string>& createArgs = {}) {
        std::vector<std::string> args = {"-n", name, "-t", tmpl};
        args.insert(args.end(), createArgs.begin(), createArgs.end());
        if (!templateArgs.empty()) {
            args.push_back("--");
            args.insert(args.end(), templateArgs.begin(), templateArgs.end());
        }
        RunOptions o;
        o.env = env;
        o.timeoutSeconds = timeout;
        return xc("xc-create", args, o);
    }
};

}  // namespace xcit
