// The pure pieces of the owner shift (storage/shift.hpp): ids through two
// maps, and the two xattr values that carry ids (security.capability v2/v3,
// POSIX ACLs), with the errors for what a map does not cover and for
// malformed values.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/posix_acl.h>

#include <cstring>
#include <string>
#include <vector>

#include "storage/shift.hpp"
#include "xc/config.hpp"

using xc::IdMap;
using xc::storage::shiftAclXattr;
using xc::storage::shiftCapabilityXattr;
using xc::storage::shiftId;

namespace {

const std::vector<IdMap> kNone;

std::vector<IdMap> block(uint32_t outside, uint32_t count = 65536) {
    return {IdMap{'u', 0, outside, count}, IdMap{'g', 0, outside, count}};
}

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string le32(uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = char((v >> (8 * i)) & 0xff);
    return s;
}

uint32_t readLe32(const std::string& s, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v |= uint32_t(uint8_t(s[at + i])) << (8 * i);
    return v;
}

// security.capability: cap_net_raw permitted (+ effective), v2 or v3.
std::string cap(uint32_t revision, bool effective, uint32_t rootid = 0) {
    std::string s = le32(revision | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0));
    s += le32(1u << CAP_NET_RAW) + le32(0) + le32(1u << (CAP_MAC_ADMIN - 32)) + le32(0);
    if (revision == VFS_CAP_REVISION_3) s += le32(rootid);
    return s;
}

struct AclEntry {
    uint16_t tag, perm;
    uint32_t id;
};

std::string acl(const std::vector<AclEntry>& ents, uint32_t version = 2) {
    std::string s = le32(version);
    for (const auto& e : ents) {
        s += char(e.tag & 0xff);
        s += char(e.tag >> 8);
        s += char(e.perm & 0xff);
        s += char(e.perm >> 8);
        s += le32(e.id);
    }
    return s;
}

constexpr uint32_t kNoId = 0xffffffffu;

}  // namespace

TEST(ShiftId, IdentityBothWaysKeepsEveryId) {
    for (uint32_t id : {0u, 1000u, 70000u, 4294967294u}) {
        auto r = shiftId('u', id, kNone, kNone);
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(*r, id);
    }
}

TEST(ShiftId, IntoOutOfAndBetweenMapsOfSeveralRanges) {
    // Two uid ranges, gids elsewhere: each type goes through its own ranges.
    std::vector<IdMap> a = {{'u', 0, 100000, 1000}, {'u', 1000, 500000, 64536}, {'g', 0, 300000, 65536}};
    std::vector<IdMap> b = block(200000);
    struct Case {
        char type;
        uint32_t id;
        const std::vector<IdMap>&from, &to;
        uint32_t want;
    };
    for (const Case& c : {Case{'u', 0, kNone, a, 100000}, Case{'u', 999, kNone, a, 100999},
                          Case{'u', 1000, kNone, a, 500000}, Case{'u', 65535, kNone, a, 564535},
                          Case{'g', 1000, kNone, a, 301000}, Case{'u', 500005, a, kNone, 1005},
                          Case{'g', 300007, a, kNone, 7}, Case{'u', 100999, a, b, 200999},
                          Case{'u', 501000, a, b, 202000}, Case{'g', 301000, a, b, 201000},
                          Case{'u', 201000, b, a, 500000}, Case{'u', 202000, b, a, 501000}}) {
        auto r = shiftId(c.type, c.id, c.from, c.to);
        ASSERT_TRUE(r) << c.type << "id " << c.id << ": " << r.error().message();
        EXPECT_EQ(*r, c.want) << c.type << "id " << c.id;
    }
}

TEST(ShiftId, AnIdNoRangeCoversFailsNamingTheIdAndTheMap) {
    auto r = shiftId('u', 70000, kNone, block(100000));
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "uid 70000, which the map 0-65535 -> 100000-165535 does not cover"))
        << r.error().message();
    // Not in `from`: the stored (host) id is the one named.
    r = shiftId('g', 99999, block(100000), kNone);
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "gid 99999, which the map 0-65535 -> 100000-165535 does not cover"))
        << r.error().message();
    // In `from` but not in `to`: both ids are named.
    r = shiftId('u', 170000, {{'u', 0, 100000, 100000}}, block(300000));
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "uid 170000 (uid 70000 in the container)")) << r.error().message();
    // A map without ranges of the type covers none of it.
    r = shiftId('g', 0, kNone, {{'u', 0, 100000, 65536}});
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "no gid range")) << r.error().message();
    // (uid_t)-1 is no id: a range that would reach it does not.
    EXPECT_FALSE(shiftId('u', 1, kNone, {{'u', 0, 4294967294u, 2}}));
}

TEST(ShiftCapability, V2BecomesV3WithTheRootIdAndBackToTheSameBytes) {
    const std::string v2 = cap(VFS_CAP_REVISION_2, true);
    ASSERT_EQ(v2.size(), XATTR_CAPS_SZ_2);
    auto v3 = shiftCapabilityXattr(v2, kNone, block(100000));
    ASSERT_TRUE(v3) << v3.error().message();
    EXPECT_EQ(*v3, cap(VFS_CAP_REVISION_3, true, 100000));
    // From one map to another: the root id moves, v3 stays v3.
    auto moved = shiftCapabilityXattr(*v3, block(100000), block(300000));
    ASSERT_TRUE(moved) << moved.error().message();
    EXPECT_EQ(readLe32(*moved, XATTR_CAPS_SZ_2), 300000u);
    EXPECT_EQ(moved->substr(0, XATTR_CAPS_SZ_2), v3->substr(0, XATTR_CAPS_SZ_2));
    auto back = shiftCapabilityXattr(*moved, block(300000), kNone);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, v2);
    // Without the effective bit the flags stay as they were.
    auto plain = shiftCapabilityXattr(cap(VFS_CAP_REVISION_2, false), kNone, block(100000));
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, cap(VFS_CAP_REVISION_3, false, 100000));
}

TEST(ShiftCapability, RootIdsOfOtherUsersAndOfTheNamespaceRoot) {
    // A v3 value whose root is the container's uid 5 (not its root).
    auto r = shiftCapabilityXattr(cap(VFS_CAP_REVISION_3, true, 100005), block(100000), block(200000));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(readLe32(*r, XATTR_CAPS_SZ_2), 200005u);
    r = shiftCapabilityXattr(cap(VFS_CAP_REVISION_3, true, 100005), block(100000), kNone);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, cap(VFS_CAP_REVISION_3, true, 5));
    // v3 with root id 0 through identity maps comes out as v2.
    r = shiftCapabilityXattr(cap(VFS_CAP_REVISION_3, true, 0), kNone, kNone);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, cap(VFS_CAP_REVISION_2, true));
    // v1 (one pair of words): root id 0, written as v2 or v3.
    std::string v1 = le32(VFS_CAP_REVISION_1 | VFS_CAP_FLAGS_EFFECTIVE) + le32(1u << CAP_NET_RAW) + le32(0);
    r = shiftCapabilityXattr(v1, kNone, block(100000));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), XATTR_CAPS_SZ_3);
    EXPECT_EQ(readLe32(*r, 0), VFS_CAP_REVISION_3 | VFS_CAP_FLAGS_EFFECTIVE);
    EXPECT_EQ(readLe32(*r, 4), 1u << CAP_NET_RAW);
    EXPECT_EQ(readLe32(*r, 12), 0u);
    EXPECT_EQ(readLe32(*r, XATTR_CAPS_SZ_2), 100000u);
    // A root outside the map: the error says so.
    r = shiftCapabilityXattr(cap(VFS_CAP_REVISION_2, true), block(100000), kNone);
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "root uid 0, which the map 0-65535 -> 100000-165535 does not cover"))
        << r.error().message();
}

TEST(ShiftCapability, MalformedValuesAreRefused) {
    const std::string v2 = cap(VFS_CAP_REVISION_2, true);
    const std::string v3 = cap(VFS_CAP_REVISION_3, true, 100000);
    for (const std::string& bad : {std::string(), std::string("\x00\x00\x00", 3), v2.substr(0, 19), v2 + "x",
                                   v3.substr(0, 23), v3 + "xxxx", v3.substr(0, XATTR_CAPS_SZ_2) + le32(0).substr(0, 2),
                                   le32(0x04000000) + v2.substr(4), le32(VFS_CAP_REVISION_2) + v3.substr(4)}) {
        auto r = shiftCapabilityXattr(bad, kNone, block(100000));
        ASSERT_FALSE(r) << bad.size() << " bytes";
        EXPECT_TRUE(has(r.error().message(), "malformed file capability")) << r.error().message();
        EXPECT_EQ(r.error().code(), EINVAL);
    }
    auto r = shiftCapabilityXattr(le32(VFS_CAP_REVISION_3) + v2.substr(4), kNone, kNone);
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "revision 3 in 20 bytes")) << r.error().message();
}

TEST(ShiftAcl, NamedUserAndGroupEntriesMoveAndNothingElse) {
    const std::string in = acl({{ACL_USER_OBJ, 6, kNoId},
                                {ACL_USER, 4, 1000},
                                {ACL_USER, 7, 0},
                                {ACL_GROUP_OBJ, 4, kNoId},
                                {ACL_GROUP, 5, 1000},
                                {ACL_MASK, 7, kNoId},
                                {ACL_OTHER, 0, kNoId}});
    auto r = shiftAclXattr(in, kNone, {{'u', 0, 100000, 65536}, {'g', 0, 300000, 65536}});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, acl({{ACL_USER_OBJ, 6, kNoId},
                       {ACL_USER, 4, 101000},
                       {ACL_USER, 7, 100000},
                       {ACL_GROUP_OBJ, 4, kNoId},
                       {ACL_GROUP, 5, 301000},
                       {ACL_MASK, 7, kNoId},
                       {ACL_OTHER, 0, kNoId}}));
    auto back = shiftAclXattr(*r, {{'u', 0, 100000, 65536}, {'g', 0, 300000, 65536}}, kNone);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, in);
    // An ACL without named entries, and one without entries, stay as they are.
    const std::string minimal = acl({{ACL_USER_OBJ, 6, kNoId}, {ACL_GROUP_OBJ, 4, kNoId}, {ACL_OTHER, 4, kNoId}});
    EXPECT_EQ(*shiftAclXattr(minimal, kNone, block(100000)), minimal);
    EXPECT_EQ(*shiftAclXattr(acl({}), kNone, block(100000)), acl({}));
}

TEST(ShiftAcl, AnEntryOutsideTheMapFailsNamingItsId) {
    auto r = shiftAclXattr(acl({{ACL_USER_OBJ, 6, kNoId}, {ACL_GROUP, 4, 70000}}), kNone, block(100000));
    ASSERT_FALSE(r);
    EXPECT_TRUE(has(r.error().message(), "an entry for gid 70000, which the map 0-65535 -> 100000-165535 does not cover"))
        << r.error().message();
}

TEST(ShiftAcl, MalformedValuesAreRefused) {
    const std::string good = acl({{ACL_USER_OBJ, 6, kNoId}, {ACL_USER, 4, 1000}});
    struct Case {
        std::string value, says;
    };
    for (const auto& c : std::vector<Case>{{"", "0 bytes"},
                                           {good.substr(0, 3), "3 bytes"},
                                           {good + "x", "21 bytes"},
                                           {good.substr(0, good.size() - 1), "19 bytes"},
                                           {acl({{ACL_USER, 4, 1000}}, 1), "version 1, not 2"},
                                           {acl({{ACL_USER_OBJ, 6, kNoId}, {0x40, 4, 1000}}), "entry 2 has the unknown tag 64"}}) {
        auto r = shiftAclXattr(c.value, kNone, block(100000));
        ASSERT_FALSE(r) << c.says;
        EXPECT_TRUE(has(r.error().message(), "malformed POSIX ACL: " + c.says)) << r.error().message();
        EXPECT_EQ(r.error().code(), EINVAL);
    }
}
