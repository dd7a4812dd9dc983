// The overlay keys of the container config and the config-text edits a
// snapshot clone makes (rootfs.backend/lower/upper added or removed while
// the admin's layout stays).
#include <gtest/gtest.h>

#include "config/config_edit.hpp"
#include "xc/config.hpp"

using namespace xc;

namespace {

bool contains(const std::string& h, const std::string& n) { return h.find(n) != std::string::npos; }

std::string errorOf(const std::string& rootfs) {
    auto r = parseConfig("name = \"a\";\nrootfs = { path = \"/r\"; " + rootfs + " };\n", "n.conf");
    return r ? "(no error)" : r.error().message();
}

}  // namespace

TEST(OverlayConfig, LayersGoWithTheOverlayBackendWhichNeedsThem) {
    auto ok = parseConfig("name = \"a\";\nrootfs = { path = \"/r\"; backend = \"overlay\"; lower = \"/x/u:/y\"; "
                          "upper = \"/a/overlay/upper\"; };\n",
                          "n.conf");
    ASSERT_TRUE(ok.ok()) << ok.error().message();
    EXPECT_EQ(ok->rootfsLower, (std::vector<std::string>{"/x/u", "/y"}));
    EXPECT_EQ(ok->rootfsUpper, "/a/overlay/upper");
    EXPECT_TRUE(contains(errorOf("backend = \"overlay\"; upper = \"/u\";"), "rootfs.lower: missing")) << errorOf("");
    EXPECT_TRUE(contains(errorOf("backend = \"overlay\"; lower = \"/l\";"), "rootfs.upper: missing"));
    EXPECT_TRUE(contains(errorOf("lower = \"/l\";"), "rootfs.lower: only with rootfs.backend = \"overlay\""));
    EXPECT_TRUE(contains(errorOf("backend = \"overlay\"; lower = \"/l:rel\"; upper = \"/u\";"),
                         "must be an absolute path, got 'rel'"));
    EXPECT_TRUE(contains(errorOf("backend = \"overlay\"; lower = \"/l::/m\"; upper = \"/u\";"),
                         "must be an absolute path, got ''"));
}

TEST(OverlayConfig, StorageKeysAreAddedBesideTheirGroupAndRemovedWithoutTouchingTheRest) {
    const std::string multi = "# mine\nname = \"a\";\nrootfs :\n{\n  path = \"/r\";\n  backend = \"dir\";\n};\n";
    auto added = setOrAddConfigStrings(multi, "rootfs.backend",
                                       {{"rootfs.backend", "overlay"}, {"rootfs.lower", "/o"}, {"rootfs.upper", "/u"}},
                                       ".", "t");
    ASSERT_TRUE(added.ok()) << added.error().message();
    EXPECT_EQ(*added, "# mine\nname = \"a\";\nrootfs :\n{\n  path = \"/r\";\n  backend = \"overlay\"; lower = \"/o\"; "
                      "upper = \"/u\";\n};\n");
    auto cfg = parseConfig(*added, "t");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    EXPECT_EQ(cfg->rootfsLower, std::vector<std::string>{"/o"});

    auto removed = removeConfigStrings(*added, {"rootfs.lower", "rootfs.upper", "rootfs.nothing"}, ".", "t");
    ASSERT_TRUE(removed.ok()) << removed.error().message();
    EXPECT_EQ(*removed, "# mine\nname = \"a\";\nrootfs :\n{\n  path = \"/r\";\n  backend = \"overlay\";\n};\n");

    const std::string one = "name = \"a\";\nrootfs = { path = \"/r\" };  # here\n";
    auto inserted = setOrAddConfigStrings(one, "rootfs.path", {{"rootfs.backend", "overlay"}}, ".", "t");
    ASSERT_TRUE(inserted.ok()) << inserted.error().message();
    EXPECT_EQ(*inserted, "name = \"a\";\nrootfs = { path = \"/r\"; backend = \"overlay\"; };  # here\n");
    auto alone = removeConfigStrings("name = \"a\";\nrootfs = {\n path = \"/r\";\n backend = \"dir\";\n};\n",
                                     {"rootfs.backend"}, ".", "t");
    ASSERT_TRUE(alone.ok()) << alone.error().message();
    EXPECT_EQ(*alone, "name = \"a\";\nrootfs = {\n path = \"/r\";\n};\n");

    // A key's name inside another key's value on the line is not the key.
    auto edited = setConfigStrings(*added, {{"rootfs.lower", "/a/overlay/upper:/o"}, {"rootfs.upper", "/n/upper"}}, ".", "t");
    ASSERT_TRUE(edited.ok()) << edited.error().message();
    EXPECT_TRUE(contains(*edited, "lower = \"/a/overlay/upper:/o\"; upper = \"/n/upper\";")) << *edited;
}
