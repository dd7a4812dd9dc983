// The pure logic of unprivileged containers: root's subordinate ids, the
// default idmap of a new container, and what a start needs of a map.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fsutil.hpp"
#include "api/idmap_alloc.hpp"
#include "api/rootfs_owners.hpp"
#include "config/subid.hpp"
#include "spawn/userns.hpp"
#include "xc/config.hpp"

using namespace xc;

namespace {

std::vector<IdMap> rootMap(uint32_t outside = 100000, uint32_t count = 65536) {
    return {IdMap{'u', 0, outside, count}, IdMap{'g', 0, outside, count}};
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST(Subid, RangesOfANameOrItsUidSkippingWhatDoesNotParse) {
    const std::string text =
        "alice:100000:65536\n"
        "root:1000000:1000000000\n"
        "# a comment\n"
        "root:x:5\n"
        "root:5:0\n"
        "0:2000000000:65536\n"
        "bob:165536:65536\n"
        "root:4294967295:2\n";
    auto r = subidRangesOf(text, "root", 0);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].start, 1000000u);
    EXPECT_EQ(r[0].count, 1000000000u);
    EXPECT_EQ(r[1].start, 2000000000u);
    EXPECT_TRUE(subidRangesOf(text, "carol", 1001).empty());
}

TEST(Subid, RootDefaultIdmapIsTheFirst65536OfRootsFirstRange) {
    char tmpl[] = "/tmp/xc-idmap-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    ASSERT_TRUE(writeFileAtomic(dir + "/subuid", "alice:100000:65536\nroot:1000000:1000000000\n", 0644).ok());
    ASSERT_TRUE(writeFileAtomic(dir + "/subgid", "root:300000:1000\n", 0644).ok());
    auto m = rootDefaultIdmap(dir + "/subuid", dir + "/subgid");
    ASSERT_TRUE(m.ok()) << m.error().message();
    ASSERT_EQ(m->size(), 2u);
    EXPECT_EQ((*m)[0].type, 'u');
    EXPECT_EQ((*m)[0].outside, 1000000u);
    EXPECT_EQ((*m)[0].count, 65536u);
    EXPECT_EQ((*m)[1].type, 'g');
    EXPECT_EQ((*m)[1].outside, 300000u);
    EXPECT_EQ((*m)[1].count, 1000u);  // a smaller range gives what it has

    ::unlink((dir + "/subgid").c_str());
    auto none = rootDefaultIdmap(dir + "/subuid", dir + "/subgid");
    ASSERT_FALSE(none.ok());
    EXPECT_TRUE(has(none.error().message(), "root has no subordinate gids in " + dir + "/subgid"))
        << none.error().message();
    EXPECT_TRUE(has(none.error().hint(), "privileged = true")) << none.error().hint();
    (void)removeTree(dir);
}

TEST(Idmap, AStartNeedsRootMappedAndNoOverlap) {
    EXPECT_TRUE(checkStartable(rootMap()).ok());
    auto noRoot = checkStartable({IdMap{'u', 1, 100001, 10}, IdMap{'g', 0, 100000, 10}});
    ASSERT_FALSE(noRoot.ok());
    EXPECT_TRUE(has(noRoot.error().message(), "uid 0 inside is not mapped")) << noRoot.error().message();
    auto overlapInside = checkStartable({IdMap{'u', 0, 100000, 10}, IdMap{'u', 5, 200000, 10}, IdMap{'g', 0, 1, 1}});
    ASSERT_FALSE(overlapInside.ok());
    EXPECT_TRUE(has(overlapInside.error().message(), "u 0 100000 10 and u 5 200000 10 overlap"));
    auto overlapOutside = checkStartable({IdMap{'g', 0, 100000, 10}, IdMap{'g', 10, 100005, 10}, IdMap{'u', 0, 1, 1}});
    EXPECT_FALSE(overlapOutside.ok());
    // Ranges of different types never clash.
    EXPECT_TRUE(checkStartable({IdMap{'u', 0, 100000, 10}, IdMap{'g', 0, 100000, 10}}).ok());
}

TEST(Idmap, HostIdOfFollowsTheRanges) {
    auto m = rootMap();
    EXPECT_EQ(hostIdOf(m, 'u', 0), 100000);
    EXPECT_EQ(hostIdOf(m, 'g', 65535), 165535);
    EXPECT_EQ(hostIdOf(m, 'u', 65536), -1);
}

TEST(Idmap, CreateWritesTheDefaultMapUnlessTheFilesNameOneOrPrivileged) {
    CreateInputs in{"", "", "", "u1", "/var/lib/xc/u1/rootfs", ""};
    in.defaultIdmap = rootMap(1000000);
    auto text = buildCreateConfig(in);
    ASSERT_TRUE(text.ok()) << text.error().message();
    EXPECT_TRUE(has(*text, "outside = 1000000;")) << *text;  // a plain int, as one writes it
    auto c = parseConfig(*text, "built");
    ASSERT_TRUE(c.ok()) << c.error().message();
    ASSERT_EQ(c->idmap.size(), 2u);
    EXPECT_EQ(c->idmap[1].type, 'g');
    EXPECT_EQ(c->idmap[1].outside, 1000000u);

    char tmpl[] = "/tmp/xc-idmap-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    // The defaults' map with privileged asked for: no map is written.
    ASSERT_TRUE(writeFileAtomic(dir + "/default.conf",
                                "idmap = ( { type = \"u\"; inside = 0; outside = 100000; count = 65536; },\n"
                                "          { type = \"g\"; inside = 0; outside = 100000; count = 65536; } );\n",
                                0644)
                    .ok());
    ASSERT_TRUE(writeFileAtomic(dir + "/user.conf", "security = { privileged = true; };\n", 0644).ok());
    CreateInputs priv{dir + "/default.conf", "", dir + "/user.conf", "p1", "/r", ""};
    priv.defaultIdmap = rootMap();
    auto ptext = buildCreateConfig(priv);
    ASSERT_TRUE(ptext.ok()) << ptext.error().message();
    EXPECT_FALSE(has(*ptext, "idmap =")) << *ptext;
    // The defaults' own map wins over root's.
    CreateInputs own{dir + "/default.conf", "", "", "o1", "/r", ""};
    own.defaultIdmap = rootMap(1000000);
    auto otext = buildCreateConfig(own);
    ASSERT_TRUE(otext.ok());
    EXPECT_TRUE(has(*otext, "outside = 100000;")) << *otext;
    EXPECT_FALSE(has(*otext, "1000000")) << *otext;
    (void)removeTree(dir);

    // Both in one file is refused, with the key.
    auto both = parseConfig("security = { privileged = true; };\n"
                            "idmap = ( { type = \"u\"; inside = 0; outside = 100000; count = 65536; },\n"
                            "          { type = \"g\"; inside = 0; outside = 100000; count = 65536; } );\n",
                            "both.conf");
    ASSERT_FALSE(both.ok());
    EXPECT_TRUE(has(both.error().message(), "idmap")) << both.error().message();
    EXPECT_TRUE(has(both.error().message(), "security.privileged = true")) << both.error().message();
}

// The install step's script (config/xc-add-root-subids): root gets a range
// past every user's, once, the same in both files.
TEST(Subid, InstallGivesRootARangePastEveryUsersOnce) {
    char tmpl[] = "/tmp/xc-idmap-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    ASSERT_TRUE(writeFileAtomic(dir + "/subuid", "alice:100000:65536\nbob:165536:65536\n", 0644).ok());
    const std::string cmd = "sh " XC_SOURCE_DIR "/config/xc-add-root-subids " + dir + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ASSERT_EQ(std::system(cmd.c_str()), 0);  // again: nothing more
    auto uid = readRegularFile(dir + "/subuid", 4096);
    auto gid = readRegularFile(dir + "/subgid", 4096);
    ASSERT_TRUE(uid.ok() && gid.ok());
    EXPECT_EQ(*uid, "alice:100000:65536\nbob:165536:65536\nroot:231072:4259840\n");
    EXPECT_EQ(*gid, "root:231072:4259840\n");
    auto m = rootDefaultIdmap(dir + "/subuid", dir + "/subgid");
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ((*m)[0].outside, 231072u);
    (void)removeTree(dir);
}

TEST(IsolatedIdmap, EachIsolatedContainerGetsAFreeBlockPastTheSharedOne) {
    const std::string ids = "alice:100000:65536\nroot:231072:327680\n";  // the shared block and 4 more
    std::vector<IdMap> used = {IdMap{'u', 0, 231072, 65536}, IdMap{'g', 0, 231072, 65536}};
    auto a = pickIsolatedBlock(ids, ids, used);
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ((*a)[0].outside, 231072u + 65536);
    EXPECT_EQ((*a)[1].type, 'g');
    used.insert(used.end(), a->begin(), a->end());
    auto b = pickIsolatedBlock(ids, ids, used);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ((*b)[0].outside, 231072u + 2 * 65536);
    used.insert(used.end(), b->begin(), b->end());
    // A container mapped by hand into the middle of a block takes that block.
    used.push_back(IdMap{'g', 0, 231072 + 3 * 65536 + 100, 10});
    auto c = pickIsolatedBlock(ids, ids, used);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)[0].outside, 231072u + 4 * 65536);
    used.insert(used.end(), c->begin(), c->end());
    auto none = pickIsolatedBlock(ids, ids, used);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code(), ENOSPC);
    EXPECT_NE(none.error().hint().find("larger range"), std::string::npos);
    // Only what is in both files counts.
    auto gidsShort = pickIsolatedBlock(ids, "root:231072:65536\n", {});
    EXPECT_FALSE(gidsShort.ok());
}

// rootfs.shifted: the one-line form of a map, and which owners a start wants on disk.
TEST(ShiftedIdmap, TextRoundTripsAndBadTextIsRefused) {
    auto m = rootMap();
    EXPECT_EQ(idmapText(m), "u:0:100000:65536,g:0:100000:65536");
    auto back = parseIdmapText(idmapText(m));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_TRUE(sameIdmap(*back, m));
    EXPECT_TRUE(parseIdmapText("")->empty());
    for (const char* bad : {"x:0:1:1", "u:0:1", "u:0:1:0", "u:a:1:1", "u:0:4294967296:1", "u:0:1:1,", "u::1:1"})
        EXPECT_FALSE(parseIdmapText(bad)) << bad;
    EXPECT_FALSE(sameIdmap(m, rootMap(200000)));
}

TEST(ShiftedIdmap, OwnersWantedFollowTheMethodAndWhatIsRecorded) {
    ContainerConfig c;
    c.idmap = rootMap();
    EXPECT_TRUE(ownersWanted(c).empty()) << "auto, not shifted: an idmapped mount";
    c.rootfsShifted = rootMap(300000);
    EXPECT_TRUE(sameIdmap(ownersWanted(c), c.idmap)) << "auto, shifted once: stays shifted, to the current map";
    c.rootfsIdmap = "mount";
    EXPECT_TRUE(ownersWanted(c).empty()) << "mount: shifted back";
    c.rootfsIdmap = "shift";
    EXPECT_TRUE(sameIdmap(ownersWanted(c), c.idmap));
    c.security.privileged = true;
    EXPECT_TRUE(ownersWanted(c).empty()) << "privileged: as the container sees them";
    c.security.privileged = false;
    c.idmap.clear();
    EXPECT_TRUE(ownersWanted(c).empty());
}
