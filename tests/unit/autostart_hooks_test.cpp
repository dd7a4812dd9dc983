// The hooks group of the config and xc-autostart's -g parsing (pure logic;
// the real runs are in tests/integration/{hooks,autostart}_test.cpp).
#include <gtest/gtest.h>

#include "xc/autostart.hpp"
#include "xc/config.hpp"

using namespace xc;

namespace {

Result<ContainerConfig> parse(const std::string& extra) {
    return parseConfig("name = \"c1\"; rootfs = { path = \"/r\"; };\n" + extra, "test.conf");
}

}  // namespace

TEST(HooksConfig, EveryTypeIsAListOfCommandLines) {
    auto c = parse(
        "hooks = { pre_start = [ \"a\", \"b c\" ]; start_host = [ \"d\" ]; mount = [ \"e\" ]; start = [ \"f\" ];\n"
        "  stop = [ \"g\" ]; post_stop = [ \"h\" ]; clone = [ \"i\" ]; destroy = [ \"j\" ]; timeout = 5; };\n");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->hooks.preStart, (std::vector<std::string>{"a", "b c"}));
    EXPECT_EQ(c->hooks.startHost, std::vector<std::string>{"d"});
    EXPECT_EQ(c->hooks.mount, std::vector<std::string>{"e"});
    EXPECT_EQ(c->hooks.start, std::vector<std::string>{"f"});
    EXPECT_EQ(c->hooks.stop, std::vector<std::string>{"g"});
    EXPECT_EQ(c->hooks.postStop, std::vector<std::string>{"h"});
    EXPECT_EQ(c->hooks.clone, std::vector<std::string>{"i"});
    EXPECT_EQ(c->hooks.destroy, std::vector<std::string>{"j"});
    EXPECT_EQ(c->hooks.timeoutSec, 5);
}

TEST(HooksConfig, BadValuesNameTheKey) {
    auto empty = parse("hooks = { stop = [ \"\" ]; };\n");
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message().find("hooks.stop"), std::string::npos) << empty.error().message();
    auto timeout = parse("hooks = { timeout = 0; };\n");
    ASSERT_FALSE(timeout.ok());
    EXPECT_NE(timeout.error().message().find("hooks.timeout"), std::string::npos) << timeout.error().message();
    auto unknown = parse("hooks = { prestart = [ \"x\" ]; };\n");
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message().find("pre_start"), std::string::npos) << unknown.error().message();
}

TEST(HooksConfig, StartOrderIsDocumentedLowerFirst) {
    bool found = false;
    for (const auto& k : configKeys()) {
        if (k.path != "start.order") continue;
        found = true;
        EXPECT_NE(k.description.find("lower order starts earlier"), std::string::npos) << k.description;
    }
    EXPECT_TRUE(found);
}

TEST(AutostartGroups, CommasAndRepeatsAddUpAndEmptyElementsAreTheEmptyGroup) {
    EXPECT_EQ(parseAutostartGroups({}).value(), std::vector<std::string>{});
    EXPECT_EQ(parseAutostartGroups({"web"}).value(), std::vector<std::string>{"web"});
    EXPECT_EQ(parseAutostartGroups({"web,db"}).value(), (std::vector<std::string>{"web", "db"}));
    EXPECT_EQ(parseAutostartGroups({",web"}).value(), (std::vector<std::string>{"", "web"}));
    EXPECT_EQ(parseAutostartGroups({"web,"}).value(), (std::vector<std::string>{"web", ""}));
    EXPECT_EQ(parseAutostartGroups({"a,,b"}).value(), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(parseAutostartGroups({""}).value(), std::vector<std::string>{""});
    EXPECT_EQ(parseAutostartGroups({"a", "b,a"}).value(), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(parseAutostartGroups({"a b"}).ok());
}
