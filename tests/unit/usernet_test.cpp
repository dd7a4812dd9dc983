// The pure parts of xc-user-nic: the /etc/xc/usernet parser, the quota
// (a user's lines and its groups' lines summed, as LXC), the allocation
// records and their pruning, the passwd/group lookups the helper does
// without NSS, and its host-side names.
#include <gtest/gtest.h>

#include "net/usernet.hpp"

using namespace xc::usernet;

TEST(Usernet, ParsesUsersGroupsCommentsAndBlankLines) {
    auto e = parse("# who type bridge count\n\nalice veth xcbr0 10\n  @staff\tveth xcbr0 4  # staff\nbob veth br1 0\n",
                   "/etc/xc/usernet");
    ASSERT_TRUE(e) << e.error().message();
    ASSERT_EQ(e->size(), 3u);
    EXPECT_EQ((*e)[0].who, "alice");
    EXPECT_FALSE((*e)[0].isGroup);
    EXPECT_EQ((*e)[0].bridge, "xcbr0");
    EXPECT_EQ((*e)[0].count, 10);
    EXPECT_EQ((*e)[0].line, 3);
    EXPECT_EQ((*e)[1].who, "staff");
    EXPECT_TRUE((*e)[1].isGroup);
    EXPECT_EQ((*e)[1].count, 4);
    EXPECT_EQ((*e)[1].line, 4);
    EXPECT_EQ((*e)[2].count, 0);
}

TEST(Usernet, BadLinesNameTheFileAndLine) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"alice veth xcbr0\n", "/etc/xc/usernet:1: expected 'USER|@GROUP veth BRIDGE COUNT', got 3 fields"},
        {"\nalice macvlan xcbr0 1\n", "/etc/xc/usernet:2: type 'macvlan' is not supported"},
        {"alice veth xcbr0 -1\n", "/etc/xc/usernet:1: count '-1'"},
        {"alice veth xcbr0 ten\n", "count 'ten'"},
        {"alice veth xcbr0 100001\n", "count '100001'"},
        {"al/ce veth xcbr0 1\n", "'al/ce' is not a user or @group name"},
        {"@ veth xcbr0 1\n", "'@' is not a user or @group name"},
        {"alice veth averyveryverylongname 1\n", "is not an interface name"},
        {"alice veth a/b 1\n", "'a/b' is not an interface name"},
    };
    for (const auto& c : cases) {
        auto e = parse(c.text, "/etc/xc/usernet");
        ASSERT_FALSE(e) << c.text;
        EXPECT_NE(e.error().message().find(c.says), std::string::npos) << e.error().message();
    }
}

TEST(Usernet, AllowanceSumsTheUsersAndItsGroupsLinesOnThatBridgeOnly) {
    auto e = parse("alice veth xcbr0 2\n@staff veth xcbr0 3\n@other veth xcbr0 50\nalice veth br1 7\nbob veth xcbr0 9\n", "u");
    ASSERT_TRUE(e);
    EXPECT_EQ(allowance(*e, "alice", {}, "xcbr0"), 2);
    EXPECT_EQ(allowance(*e, "alice", {"staff"}, "xcbr0"), 5);
    EXPECT_EQ(allowance(*e, "alice", {"staff"}, "br1"), 7);
    EXPECT_EQ(allowance(*e, "carol", {"staff"}, "xcbr0"), 3);
    EXPECT_EQ(allowance(*e, "carol", {}, "xcbr0"), 0);
    EXPECT_EQ(allowance(*e, "alice", {"staff"}, "br2"), 0);
    // A uid without a name matches no user line (a group line still can).
    EXPECT_EQ(allowance(*e, "", {}, "xcbr0"), 0);
    EXPECT_EQ(allowance(*e, "", {"staff"}, "xcbr0"), 3);
    // "@alice" is a group, not the user alice.
    auto g = parse("@alice veth xcbr0 1\n", "u");
    ASSERT_TRUE(g);
    EXPECT_EQ(allowance(*g, "alice", {}, "xcbr0"), 0);
}

TEST(Usernet, QuotaCountsOnlyTheUsersRecordsOnTheBridge) {
    auto e = parse("alice veth xcbr0 2\n", "/etc/xc/usernet");
    ASSERT_TRUE(e);
    std::vector<Record> recs = {{1000, "xcbr0", "xcu0000000001", 11}, {1001, "xcbr0", "xcu0000000002", 12},
                                {1000, "br1", "xcu0000000003", 13}};
    EXPECT_TRUE(checkQuota(*e, recs, 1000, "alice", {}, "xcbr0", "/etc/xc/usernet"));
    recs.push_back({1000, "xcbr0", "xcu0000000004", 14});
    auto full = checkQuota(*e, recs, 1000, "alice", {}, "xcbr0", "/etc/xc/usernet");
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code(), EDQUOT);
    EXPECT_NE(full.error().messageWithHint().find("alice already has 2 of the 2 veths /etc/xc/usernet allows on bridge xcbr0"),
              std::string::npos)
        << full.error().messageWithHint();
    auto none = checkQuota(*e, recs, 1002, "carol", {"users"}, "xcbr0", "/etc/xc/usernet");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code(), EPERM);
    EXPECT_NE(none.error().messageWithHint().find("/etc/xc/usernet has no line for carol or its groups on xcbr0"),
              std::string::npos);
    EXPECT_NE(none.error().messageWithHint().find("add the line 'carol veth xcbr0 1'"), std::string::npos)
        << none.error().messageWithHint();
    // A zero count is no allowance.
    auto zero = parse("alice veth xcbr0 0\n", "u");
    ASSERT_TRUE(zero);
    EXPECT_FALSE(checkQuota(*zero, {}, 1000, "alice", {}, "xcbr0", "u"));
}

TEST(Usernet, RecordsRoundTripAndMalformedOnesAreRefused) {
    std::vector<Record> recs = {{1000, "xcbr0", "xcu00000000ab", 4026532000ULL}, {0, "br1", "xcu0123456789", 1}};
    auto back = parseRecords(formatRecords(recs));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].uid, 1000u);
    EXPECT_EQ((*back)[0].bridge, "xcbr0");
    EXPECT_EQ((*back)[0].ifname, "xcu00000000ab");
    EXPECT_EQ((*back)[0].netnsInode, 4026532000ULL);
    EXPECT_EQ((*back)[1].uid, 0u);
    for (const char* bad : {"1000 xcbr0 xcu1\n", "x xcbr0 xcu1 1\n", "1000 a/b xcu1 1\n", "1000 xcbr0 xcu1 -4\n"})
        EXPECT_FALSE(parseRecords(bad)) << bad;
    EXPECT_TRUE(parseRecords("")->empty());
}

TEST(Usernet, PruneDropsTheRecordsWhoseInterfaceIsGone) {
    std::vector<Record> recs = {{1000, "xcbr0", "xcu0000000001", 1}, {1000, "xcbr0", "xcu0000000002", 2},
                                {1001, "xcbr0", "xcu0000000003", 3}};
    auto kept = prune(recs, [](const Record& r) { return r.ifname != "xcu0000000002"; });
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].ifname, "xcu0000000001");
    EXPECT_EQ(kept[1].ifname, "xcu0000000003");
    EXPECT_EQ(used(kept, 1000, "xcbr0"), 1);
    EXPECT_EQ(used(recs, 1000, "xcbr0"), 2);
    // A user at its quota has room again once a container's veth is gone.
    auto e = parse("alice veth xcbr0 2\n", "u");
    ASSERT_TRUE(e);
    EXPECT_FALSE(checkQuota(*e, recs, 1000, "alice", {}, "xcbr0", "u"));
    EXPECT_TRUE(checkQuota(*e, kept, 1000, "alice", {}, "xcbr0", "u"));
}

TEST(Usernet, NamesComeFromPasswdAndGroupTexts) {
    const std::string passwd = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbad line\nbob:x:10001:10001::/:/bin/sh\n";
    EXPECT_EQ(userName(passwd, 1000), "alice");
    EXPECT_EQ(userName(passwd, 0), "root");
    EXPECT_EQ(userName(passwd, 1), "");
    // 10001 is not 1000 followed by anything.
    EXPECT_EQ(userName(passwd, 10001), "bob");
    const std::string group = "root:x:0:\nalice:x:1000:\nstaff:x:50:alice\nusers:x:100:\n";
    EXPECT_EQ(groupNames(group, {1000, 50}), (std::vector<std::string>{"alice", "staff"}));
    EXPECT_TRUE(groupNames(group, {4242}).empty());
}

TEST(Usernet, HostNamesFitTheKernelsLimitAndAreRecognised) {
    std::string n = hostName(0xabcdef0123ULL);
    EXPECT_EQ(n, "xcuabcdef0123");
    EXPECT_LE(n.size(), 15u);
    EXPECT_TRUE(isHostName(n));
    EXPECT_FALSE(isHostName("xc0123456789-0"));
    EXPECT_FALSE(isHostName("xcuABCDEF0123"));
    EXPECT_FALSE(isHostName("eth0"));
}
