// xc-checkconfig's two lines about xc itself (section Security): a
// privileged container is not a security boundary, and what holds in every
// container, quoted from the tables the start uses.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security/probe.hpp"
#include "security/security.hpp"

using namespace xc;
using St = ProbeItem::Status;

namespace {

const ProbeItem* find(const std::vector<ProbeItem>& items, const std::string& name) {
    for (const auto& i : items)
        if (i.name == name) return &i;
    return nullptr;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Containment, PrivilegedContainersAreSaidNotToBeABoundary) {
    std::vector<ProbeItem> items;
    ProbeList list(items);
    list.section("Security");
    probeContainment(list);
    const ProbeItem* p = find(items, "privileged containers");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->section, "Security");
    EXPECT_EQ(p->status, St::Warn);
    EXPECT_FALSE(p->required) << "a property of xc, not a missing host feature";
    EXPECT_TRUE(has(p->detail, "not a security boundary")) << p->detail;
    for (const char* kept : {"umount -l /proc/sys", "remount,bind,rw /proc/sys", "core_pattern", "/sys", "debugfs",
                             "tracefs", "securityfs", "bpf", "kallsyms"})
        EXPECT_TRUE(has(p->detail, kept)) << "does not say what the container keeps: " << kept;
    EXPECT_TRUE(has(p->fix, "unprivileged containers (the default")) << p->fix;
}

TEST(Containment, EveryContainerLineQuotesTheTablesTheStartUses) {
    std::vector<ProbeItem> items;
    ProbeList list(items);
    list.section("Security");
    probeContainment(list);
    const ProbeItem* e = find(items, "every container");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->status, St::Info);
    for (const auto& cap : capsNeverNeeded()) EXPECT_TRUE(has(e->detail, cap)) << cap << ": " << e->detail;
    EXPECT_TRUE(has(e->detail, "sys_boot kept")) << e->detail;
    auto rules = seccompRules("default");
    ASSERT_TRUE(rules.ok());
    EXPECT_TRUE(has(e->detail, "refuses " + std::to_string(rules->size()) + " system calls")) << e->detail;
    EXPECT_TRUE(has(e->detail, "userfaultfd")) << e->detail;
    for (const char* held : {"256 ptys", "/dev/shm", "symbolic link"}) EXPECT_TRUE(has(e->detail, held)) << held;
}
