// xc-checkconfig on this host, as root: the real probes (they fork, make a
// network namespace with links in it and may make a temporary cgroup) leave
// nothing behind, and the tool reports every section, what this xc does not
// support yet, and exits 0 on the test machine (the README's set-up relies
// on it). A config using such a feature is refused at start, cleanly.
#include <stdlib.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "xc/hostprobe.hpp"

using namespace xcit;
using St = xc::ProbeItem::Status;

namespace {

class CheckConfig : public XcTest {};

// Host links and temporary cgroups a probe could leave.
std::vector<std::string> probeLeftovers() {
    std::vector<std::string> out;
    for (const auto& n : listNames("/sys/class/net"))
        if (n.rfind("xcprobe", 0) == 0) out.push_back("/sys/class/net/" + n);
    for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"})
        for (const auto& n : listNames(root))
            if (n.rfind("xc-checkconfig.", 0) == 0) out.push_back(std::string(root) + "/" + n);
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + " ";
    return s;
}

}  // namespace

TEST_F(CheckConfig, ProbeReportsEverySectionAndLeavesNothing) {
    const auto before = probeLeftovers();
    // root's ids as the tools see them in the tests (the host may give root none).
    ::setenv("XC_SUBID_DIR", XC_SOURCE_DIR "/tests/integration/data", 1);
    const std::vector<xc::ProbeItem> items = xc::probeHost();
    ::unsetenv("XC_SUBID_DIR");
    EXPECT_EQ(joined(probeLeftovers()), joined(before));
    std::set<std::string> sections;
    for (const auto& i : items) {
        sections.insert(i.section);
        EXPECT_FALSE(i.name.empty()) << i.section;
        if (i.status == St::Unsupported) {
            EXPECT_FALSE(i.required) << i.name;
        }
    }
    for (const char* s : {"Kernel", "Namespaces", "Syscalls", "Cgroups", "Filesystems", "Network", "Security", "Tools"})
        EXPECT_TRUE(sections.count(s)) << "no items in section " << s;
    // The overlay backend is supported: nothing is listed as not supported.
    EXPECT_FALSE(sections.count("Not supported by this xc yet"));

    auto item = [&](const std::string& section, const std::string& name) -> const xc::ProbeItem* {
        for (const auto& i : items)
            if (i.section == section && i.name == name) return &i;
        return nullptr;
    };
    const xc::ProbeItem* pid = item("Namespaces", "pid");
    ASSERT_NE(pid, nullptr);
    EXPECT_TRUE(pid->required);
    EXPECT_EQ(pid->status, St::Ok) << pid->detail;
    // As root on the test machine, the probes that fork and unshare verify.
    for (const char* link : {"veth", "bridge"}) {
        const xc::ProbeItem* l = item("Network", link);
        ASSERT_NE(l, nullptr) << link;
        EXPECT_EQ(l->status, St::Ok) << link << ": " << l->detail;
    }
    const xc::ProbeItem* clone3 = item("Syscalls", "clone3");
    ASSERT_NE(clone3, nullptr);
    EXPECT_EQ(clone3->status, St::Ok) << clone3->detail;
    ASSERT_NE(item("Kernel", "unprivileged userns"), nullptr);
    EXPECT_NE(item("Kernel", "unprivileged userns")->detail.find("could not probe"), 0u);
    const xc::ProbeItem* ovl = item("Filesystems", "overlay");
    ASSERT_NE(ovl, nullptr);
    EXPECT_FALSE(contains(ovl->detail, "not support")) << ovl->detail;
    for (const char* f : {"root's ids", "idmapped mounts"}) {
        const xc::ProbeItem* u = item("Unprivileged containers", f);
        ASSERT_NE(u, nullptr) << f;
        EXPECT_EQ(u->status, St::Ok) << f << ": " << u->detail;
        // Without idmapped mounts an unprivileged rootfs is shifted once: not required.
        EXPECT_EQ(u->required, std::string(f) == "root's ids") << f;
    }
    EXPECT_TRUE(contains(item("Unprivileged containers", "root's ids")->detail, "uids 100000-165535"));
    EXPECT_EQ(xc::countRequiredMissing(items), 0u);
}

TEST_F(CheckConfig, ToolPrintsTextAndJsonAndExitsZero) {
    RunResult text = run({toolPath("xc-checkconfig"), "--no-color"});
    XC_ASSERT_OK(text);
    EXPECT_EQ(text.out.find('\033'), std::string::npos);
    for (const char* s : {"--- Kernel ---\n", "--- Namespaces ---\n", "--- Cgroups ---\n", "--- Network ---\n",
                          "--- Tools ---\n"})
        EXPECT_TRUE(contains(text.out, s)) << s << "\n" << text.out;
    EXPECT_TRUE(contains(text.out, "  pid:")) << text.out;
    EXPECT_TRUE(contains(text.out, "\nAll required features are available\n")) << text.out;

    RunResult json = run({toolPath("xc-checkconfig"), "--json"});
    XC_ASSERT_OK(json);
    ASSERT_FALSE(json.out.empty());
    EXPECT_EQ(json.out.rfind("[\n  {\"section\": \"Kernel\", \"name\": \"version\", \"status\": \"info\", ", 0), 0u)
        << json.out;
    EXPECT_TRUE(contains(json.out, "{\"section\": \"Namespaces\", \"name\": \"pid\", \"status\": \"ok\", "
                                   "\"required\": true, "))
        << json.out;
    ASSERT_GE(json.out.size(), 4u);
    EXPECT_EQ(json.out.substr(json.out.size() - 4), "}\n]\n") << json.out;
}

TEST_F(CheckConfig, AnOverlayBackendWithoutItsLayersIsRefusedAtStartAndNothingRuns) {
    XC_ASSERT_OK(create("ov1"));
    std::string cfg = readText(configFile("ov1"));
    const std::string dir = "backend = \"dir\"";
    size_t at = cfg.find(dir);
    ASSERT_NE(at, std::string::npos) << cfg;
    ASSERT_TRUE(writeText(configFile("ov1"), cfg.substr(0, at) + "backend = \"overlay\"" + cfg.substr(at + dir.size()),
                          0640));
    RunResult s = start("ov1");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "rootfs.lower: missing: backend \"overlay\" needs its lower layers")) << s.describe();
    expectNothingRunning("ov1", "after the refused start");
    EXPECT_TRUE(monitors().empty());
}
