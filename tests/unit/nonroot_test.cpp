// A non-root caller's pieces that are pure logic: its default idmap from
// subuid/subgid text, the free range the fix line proposes, and which
// cgroup2 group counts as delegated to it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "cgroup/user_delegation.hpp"
#include "config/subid.hpp"
#include "xc/paths.hpp"

using namespace xc;

namespace {

// A subid file for one test, removed when the test ends.
class Scratch {
public:
    Scratch(const std::string& name, const std::string& text)
        : path_(::testing::TempDir() + "/xc-nonroot-" + std::to_string(::getpid()) + "-" + name) {
        std::ofstream(path_) << text;
    }
    ~Scratch() { ::unlink(path_.c_str()); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    operator const std::string&() const { return path_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

TEST(NonRootIdmap, RootInsideIsTheUserAndTheRestItsFirstRange) {
    Scratch u("subuid", "root:100000:65536\nbob:300000:100000\nbob:900000:65536\n");
    Scratch g("subgid", "bob:400000:1000\n");
    auto m = userDefaultIdmap(u, g, "bob", 1001, 1002);
    ASSERT_TRUE(m.ok()) << m.error().message();
    ASSERT_EQ(m->size(), 4u);
    EXPECT_EQ((*m)[0].type, 'u');
    EXPECT_EQ((*m)[0].inside, 0u);
    EXPECT_EQ((*m)[0].outside, 1001u);
    EXPECT_EQ((*m)[0].count, 1u);
    EXPECT_EQ((*m)[1].inside, 1u);
    EXPECT_EQ((*m)[1].outside, 300000u);
    EXPECT_EQ((*m)[1].count, 65536u);  // capped at 65536
    EXPECT_EQ((*m)[2].outside, 1002u);
    EXPECT_EQ((*m)[3].outside, 400000u);
    EXPECT_EQ((*m)[3].count, 1000u);  // a smaller range as it is
}

TEST(NonRootIdmap, MissingRangeNamesTheLineAndTheUsermodCommand) {
    Scratch u("subuid2", "root:100000:65536\nalice:165536:65536\n");
    Scratch g("subgid2", "bob:400000:65536\n");
    auto m = userDefaultIdmap(u, g, "bob", 1001, 1001);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message(),
              "bob has no subordinate uids in " + u.path() + " (the line bob:262144:65536 is missing)");
    EXPECT_EQ(m.error().hint(), "as root: usermod --add-subuids 262144-327679 --add-subgids 262144-327679 bob");
    // The uid range is there, the gid one is not: the proposal is past both files.
    Scratch u2("subuid3", "bob:100000:65536\n");
    Scratch g2("subgid3", "carol:500000:65536\n");
    auto m2 = userDefaultIdmap(u2, g2, "bob", 1001, 1001);
    ASSERT_FALSE(m2.ok());
    EXPECT_NE(m2.error().message().find("no subordinate gids in " + g2.path() + " (the line bob:589824:65536"), std::string::npos)
        << m2.error().message();
}

TEST(NonRootIdmap, FreeStartIsPastEveryRangeOnABlockBoundary) {
    EXPECT_EQ(freeSubidStart({""}), 131072u);  // at least 100000, rounded up
    EXPECT_EQ(freeSubidStart({"a:100000:65536\n", "b:1000000:5\nbad line\nc:x:y\n"}), 1048576u);
}

TEST(NonRootCgroup, DelegatedGroupIsTheHighestOfTheCallersOwn) {
    std::set<std::string> owned = {"/cg/user.slice/user-5.slice/user@5.service",
                                   "/cg/user.slice/user-5.slice/user@5.service/app.slice"};
    auto ownedBy = [&](const std::string& dir, uid_t uid) { return uid == 5 && owned.count(dir) > 0; };
    auto g = delegatedGroup("/cg", "/user.slice/user-5.slice/user@5.service/app.slice/x.scope", 5, ownedBy);
    ASSERT_TRUE(g.ok()) << g.error().message();
    EXPECT_EQ(*g, "user.slice/user-5.slice/user@5.service");
    auto none = delegatedGroup("/cg", "/", 5, ownedBy);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message().find("no cgroup is delegated to"), std::string::npos);
    EXPECT_NE(none.error().hint().find("xc-checkconfig --delegate"), std::string::npos);
    EXPECT_FALSE(delegatedGroup("/cg", "/user.slice/user-6.slice/session-1.scope", 6, ownedBy).ok());
}

TEST(NonRootPaths, UserPlacesFollowXdgAndRootsStayTheHosts) {
    HostPaths root = HostPaths::fromEnvironment();
    if (::geteuid() != 0) GTEST_SKIP() << "checks root's defaults";
    EXPECT_EQ(root.runRoot, "/run/xc");
    EXPECT_EQ(defaultBase(), "/var/lib/xc");
    EXPECT_EQ(root.globalConf(), root.sysconfDir + "/xc.conf");
}
