// The image servers' indexes (lib/src/image/index.cpp) and the JSON reader
// under them: pure parsing, no server.
#include <gtest/gtest.h>

#include "image/index.hpp"
#include "image/json.hpp"

namespace {

using namespace xc::image;

TEST(ImageJson, ParsesNestedDocumentsAndRefusesBrokenOnes) {
    auto j = Json::parse(R"({"a": [1, 2.5, "x\u00e9\n"], "b": {"c": true, "d": null}, "size": 123456789012})");
    ASSERT_TRUE(j) << j.error().message();
    EXPECT_EQ((*j)["a"].elements().size(), 3u);
    EXPECT_EQ((*j)["a"].elements()[2].str(), "x\xc3\xa9\n");
    EXPECT_EQ((*j)["size"].number(), 123456789012.0);
    EXPECT_TRUE((*j)["b"].isObject());
    EXPECT_EQ((*j)["missing"]["deeper"].str(), "");
    for (const char* bad : {"{", "{\"a\" 1}", "[1,]", "\"abc", "{} x", "nul"}) EXPECT_FALSE(Json::parse(bad)) << bad;
    EXPECT_FALSE(Json::parse(std::string(100, '[') + std::string(100, ']'))) << "nesting limit";
}

const char* kProducts = R"({"products": {
  "debian:bookworm:amd64:default": {"os": "Debian", "release": "bookworm", "arch": "amd64", "variant": "default",
    "versions": {
      "20250101_05:24": {"items": {"root.tar.xz": {"ftype": "root.tar.xz", "path": "images/a/rootfs.tar.xz", "sha256": "AB", "size": 10},
                                   "lxd.tar.xz": {"ftype": "lxd.tar.xz", "path": "images/a/lxd.tar.xz", "sha256": "cd", "size": 2}}},
      "20250202_05:24": {"items": {"root.tar.xz": {"ftype": "root.tar.xz", "path": "/images/b/rootfs.tar.xz", "sha256": "ef", "size": 11},
                                   "lxd.tar.xz": {"ftype": "lxd.tar.xz", "path": "images/b/lxd.tar.xz", "sha256": "01", "size": 3}}},
      "20250303_05:24": {"items": {"disk.qcow2": {"ftype": "disk-kvm.img", "path": "images/c/disk.qcow2"}}}}},
  "alpine:3.20:amd64:default": {"versions": {"1": {"items": {
      "rootfs.tar.xz": {"ftype": "rootfs.tar.xz", "path": "images/x/rootfs.tar.xz", "sha256": "aa"},
      "meta.tar.xz": {"ftype": "meta.tar.xz", "path": "images/x/meta.tar.xz", "sha256": "bb"}}}}},
  "evil:1:amd64:default": {"versions": {"1": {"items": {
      "rootfs.tar.xz": {"ftype": "rootfs.tar.xz", "path": "../../etc/passwd"},
      "meta.tar.xz": {"ftype": "meta.tar.xz", "path": "images/m"}}}}}}})";

TEST(ImageIndex, SimplestreamsPicksTheNewestVersionWithARootfsAndMetadata) {
    auto all = parseSimplestreamsProducts(kProducts, {});
    ASSERT_TRUE(all) << all.error().message();
    ASSERT_EQ(all->size(), 2u) << "the product with a '..' path is left out";
    EXPECT_EQ((*all)[0].dist, "alpine");
    const RemoteImage& d = (*all)[1];
    EXPECT_EQ(d.dist, "debian");
    EXPECT_EQ(d.build, "20250202_05:24") << "the newest with both items (the VM-only one has none)";
    EXPECT_EQ(d.rootfs.path, "images/b/rootfs.tar.xz");
    EXPECT_EQ(d.rootfs.sha256, "ef");
    EXPECT_EQ(d.rootfs.size, 11u);
    ASSERT_EQ(d.meta.size(), 1u);
    EXPECT_EQ(d.meta[0].path, "images/b/lxd.tar.xz");
    auto one = parseSimplestreamsProducts(kProducts, {"debian", "bookworm", "arm64", ""});
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->empty());
    auto idx = simplestreamsProductsPath(R"({"index": {"images": {"datatype": "image-downloads", "path": "streams/v1/images.json"}}})");
    ASSERT_TRUE(idx);
    EXPECT_EQ(*idx, "streams/v1/images.json");
}

TEST(ImageIndex, LxcIndexLinesAndChecksumLists) {
    auto imgs = parseLxcIndex(
        "debian;bookworm;amd64;default;20250101_05:24;/images/debian/bookworm/amd64/default/20250101_05:24/\n"
        "debian;bookworm;arm64;default;20250101_05:24;/images/debian/bookworm/arm64/default/20250101_05:24/\n"
        "broken;line\n"
        "evil;1;amd64;default;1;/images/../../x/\n",
        {"debian", "bookworm", "amd64", "default"});
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_EQ(imgs[0].build, "20250101_05:24");
    EXPECT_EQ(imgs[0].rootfs.path, "images/debian/bookworm/amd64/default/20250101_05:24/rootfs.tar.xz");
    EXPECT_EQ(imgs[0].index, "meta/1.0");
    applyChecksumList(std::string(64, 'A') + "  rootfs.tar.xz\n" + std::string(64, 'b') + " *meta.tar.xz\n", imgs[0]);
    EXPECT_EQ(imgs[0].rootfs.sha256, std::string(64, 'a'));
    EXPECT_EQ(imgs[0].meta[0].sha256, std::string(64, 'b'));
}

}  // namespace
