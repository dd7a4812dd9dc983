// The defaults xc.container.conf(5) states (config_defaults.cpp) against
// what the parser really leaves in a config that does not set the key.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/config_internal.hpp"
#include "config/config_table.hpp"
#include "xc/config.hpp"

using namespace xc;
using config_detail::keyDefault;

namespace {

ContainerConfig minimal(const std::string& extra = "") {
    auto c = parseConfig("name = \"c1\"; rootfs = { path = \"/r\"; };\n" + extra, "test");
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    return c.ok() ? *c : ContainerConfig{};
}

std::string doc(const char* key) {
    const char* d = keyDefault(key);
    EXPECT_NE(d, nullptr) << key << " has no documented default";
    return d ? d : "";
}

TEST(KeyDoc, DefaultsNameSchemaKeys) {
    std::set<std::string> keys;
    for (const auto& e : config_detail::schemaTable()) keys.insert(e.path);
    for (const auto& k : config_detail::keysWithDefaults()) EXPECT_TRUE(keys.count(k)) << k;
}

TEST(KeyDoc, DefaultsAreWhatTheParserLeaves) {
    ContainerConfig c = minimal();
    EXPECT_EQ(doc("rootfs.backend"), "\"" + c.rootfsBackend + "\"");
    EXPECT_EQ(c.hostname, "c1");
    EXPECT_EQ(doc("uts.hostname"), "the container name");
    ASSERT_EQ(c.initCmd.size(), 1u);
    EXPECT_EQ(doc("init.cmd"), "[ \"" + c.initCmd[0] + "\" ]");
    EXPECT_TRUE(c.haltSignal.empty());  // detected at stop, as documented
    EXPECT_EQ(doc("tty.count"), std::to_string(c.ttyCount));
    EXPECT_EQ(doc("console.buffer_size").substr(0, 4), "128K");
    EXPECT_EQ(parseSize("128K").value(), c.consoleBufferSize);
    EXPECT_TRUE(c.consoleLog.empty());
    EXPECT_EQ(parseSize(doc("console.log_size")).value(), c.consoleLogSize);
    EXPECT_EQ(doc("console.log_count"), std::to_string(c.consoleLogCount));
    EXPECT_TRUE(c.environment.empty());
    EXPECT_TRUE(c.network.empty());
    EXPECT_TRUE(c.mounts.empty());
    EXPECT_TRUE(c.idmap.empty());
    EXPECT_EQ(doc("security.seccomp"), "\"" + c.security.seccomp + "\"");
    EXPECT_TRUE(c.security.capDrop.empty());
    EXPECT_EQ(doc("security.allow_host_network"), c.security.allowHostNetwork ? "true" : "false");
    EXPECT_EQ(doc("start.auto"), c.start.autostart ? "true" : "false");
    EXPECT_EQ(doc("start.delay"), std::to_string(c.start.delay));
    EXPECT_EQ(doc("start.order"), std::to_string(c.start.order));
    EXPECT_TRUE(c.start.groups.empty());
    EXPECT_TRUE(c.hooks.empty());
    EXPECT_EQ(doc("hooks.timeout"), std::to_string(c.hooks.timeoutSec));
    EXPECT_EQ(doc("hooks.post_stop"), "[ ]");
    EXPECT_EQ(c.lxcfs, LxcfsMode::Auto);
    EXPECT_EQ(doc("lxcfs").substr(0, 6), "\"auto\"");
}

TEST(KeyDoc, ElementDefaultsAreWhatTheParserLeaves) {
    ContainerConfig c = minimal(
        "network = ( { type = \"veth\"; }, { type = \"veth\"; name = \"eth0\"; } );\n"
        "mounts = ( { source = \"/srv\"; target = \"srv\"; } );\n");
    ASSERT_EQ(c.network.size(), 2u);
    EXPECT_EQ(c.network[0].name, "eth1");  // the first free one
    EXPECT_NE(doc("network.[].name").find("first free eth0, eth1"), std::string::npos);
    EXPECT_TRUE(c.network[0].macvlanMode.empty());  // "private" at start
    EXPECT_EQ(c.network[0].mtu, 0);
    ASSERT_EQ(c.mounts.size(), 1u);
    EXPECT_EQ(doc("mounts.[].optional"), c.mounts[0].optional ? "true" : "false");
    EXPECT_TRUE(c.mounts[0].create.empty());
}

}  // namespace
