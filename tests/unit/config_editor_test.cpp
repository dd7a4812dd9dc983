// ConfigEditor: get/set/clear/keys by dotted key on a config file with
// includes, validated like the file, saved atomically.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include <string>

#include "base/fsutil.hpp"
#include "xc/config.hpp"
#include "xc/config_editor.hpp"

using namespace xc;

namespace {

class ConfigEditorTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xc-editor-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        ASSERT_TRUE(writeFileAtomic(dir_ + "/common.conf", "cgroup = { pids = { max = 100; }; };\n", 0644).ok());
        file_ = dir_ + "/config";
        ASSERT_TRUE(writeFileAtomic(file_,
                                    "# the admin's comment\n"
                                    "name = \"c1\";\n"
                                    "rootfs = { path = \"/tmp/c1-rootfs\"; };\n"
                                    "@include \"common.conf\"\n"
                                    "uts = { hostname = \"h1\"; };\n",
                                    0640)
                        .ok());
    }
    void TearDown() override { (void)removeTree(dir_); }
    ConfigEditor load() {
        auto ed = ConfigEditor::load(file_);
        EXPECT_TRUE(ed.ok()) << (ed ? "" : ed.error().message());
        return std::move(ed).value();
    }
    std::string dir_, file_;
};

TEST_F(ConfigEditorTest, GetsValuesInEffectIncludesMerged) {
    ConfigEditor ed = load();
    EXPECT_EQ(ed.get("uts.hostname")->text, "h1");
    EXPECT_EQ(ed.get("cgroup.pids.max")->text, "100");  // from the include
    EXPECT_EQ(ed.get("cgroup.memory.max")->text, "");   // unset
    EXPECT_TRUE(ed.get("start.groups")->isList);
    EXPECT_EQ(ed.get("no.such").error().code(), EINVAL);
    EXPECT_EQ(ed.get("cgroup").error().code(), EISDIR);
    EXPECT_EQ(ed.get("network.0").error().code(), EISDIR);
}

TEST_F(ConfigEditorTest, SetsTypedValuesAndMakesGroups) {
    ConfigEditor ed = load();
    ASSERT_TRUE(ed.set("cgroup.memory.max", ConfigValue::scalar("256M")).ok());
    ASSERT_TRUE(ed.set("cgroup.pids.max", ConfigValue::scalar("50")).ok());
    ASSERT_TRUE(ed.set("start.auto", ConfigValue::scalar("true")).ok());
    ASSERT_TRUE(ed.set("start.groups", ConfigValue::list({"a", "b"})).ok());
    ASSERT_TRUE(ed.set("start.groups", ConfigValue::scalar("c")).ok());  // appends
    EXPECT_EQ(ed.get("cgroup.pids.max")->text, "50");  // the file's own setting wins over the include
    EXPECT_EQ(ed.get("start.groups")->items, (std::vector<std::string>{"a", "b", "c"}));
    auto cfg = parseConfig(ed.text(), file_);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    EXPECT_EQ(*cfg->cgroup.memoryMax, 256u << 20);
    EXPECT_EQ(*cfg->cgroup.pidsMax, 50);
    EXPECT_TRUE(cfg->start.autostart);
    EXPECT_NE(ed.text().find("@include \"common.conf\"\n"), std::string::npos);
    EXPECT_NE(ed.text().find("# the admin's comment"), std::string::npos);  // an untouched segment
}

TEST_F(ConfigEditorTest, RefusesWhatTheLoaderRefusesAndKeepsTheOldText) {
    ConfigEditor ed = load();
    std::string before = ed.text();
    auto st = ed.set("cgroup.memory.max", ConfigValue::scalar("lots"));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("cgroup.memory.max"), std::string::npos) << st.error().message();
    EXPECT_NE(st.error().message().find("lots"), std::string::npos) << st.error().message();
    EXPECT_FALSE(ed.set("cgroup.memory.maxx", ConfigValue::scalar("1G")).ok());
    EXPECT_EQ(ed.set("cgroup", ConfigValue::scalar("1")).error().code(), EISDIR);
    EXPECT_FALSE(ed.set("uts.hostname", ConfigValue::list({"a"})).ok());
    EXPECT_FALSE(ed.set("network.1.type", ConfigValue::scalar("veth")).ok());  // no element 0 yet
    EXPECT_EQ(ed.text(), before);
    EXPECT_FALSE(ed.modified());
}

TEST_F(ConfigEditorTest, AppendsAndClearsListElements) {
    ConfigEditor ed = load();
    ASSERT_TRUE(ed.set("network.0.type", ConfigValue::scalar("empty")).ok());
    ASSERT_TRUE(ed.set("network.1.type", ConfigValue::scalar("empty")).ok());
    EXPECT_EQ(ed.get("network.1.type")->text, "empty");
    ASSERT_TRUE(ed.clear("network.0").ok());
    EXPECT_EQ(ed.get("network.1.type")->text, "");
    EXPECT_EQ(ed.get("network.0.type")->text, "empty");
    ASSERT_TRUE(ed.clear("uts.hostname").ok());
    EXPECT_EQ(ed.get("uts.hostname")->text, "");
    ASSERT_TRUE(ed.clear("cgroup.pids.max").ok());  // set by the include only: stays in effect
    EXPECT_EQ(ed.get("cgroup.pids.max")->text, "100");
}

TEST_F(ConfigEditorTest, KeysUnderAPrefix) {
    ConfigEditor ed = load();
    auto all = ed.keys("");
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), configKeys().size());
    auto net = ed.keys("network.2");
    ASSERT_TRUE(net.ok());
    EXPECT_NE(std::find(net->begin(), net->end(), "network.2.ipv4"), net->end());
    EXPECT_FALSE(ed.keys("nope").ok());
}

TEST_F(ConfigEditorTest, SavesAtomicallyWithTheFilesMode) {
    ConfigEditor ed = load();
    ASSERT_TRUE(ed.set("cgroup.memory.max", ConfigValue::scalar("64M")).ok());
    EXPECT_TRUE(ed.modified());
    ASSERT_TRUE(ed.save().ok());
    EXPECT_FALSE(ed.modified());
    struct stat st {};
    ASSERT_EQ(::stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    auto cfg = loadConfig(file_);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    EXPECT_EQ(*cfg->cgroup.memoryMax, 64u << 20);
    EXPECT_EQ(*cfg->cgroup.pidsMax, 100);
    EXPECT_EQ(load().get("cgroup.memory.max")->text, "64M");
}

}  // namespace

namespace {

// set and clear keep every byte they do not change: comments, order,
// indentation, the admin's own spelling of other values.
TEST(ConfigEditorLayout, SetAndClearKeepCommentsAndLayout) {
    const std::string text =
        "# web server\n"
        "name = \"c1\";   # keep me\n"
        "rootfs = { path = \"/tmp/c1\"; };\n"
        "cgroup = {\n"
        "    // the admin's limits\n"
        "    memory = { max = \"256M\"; };  # half the host\n"
        "    pids = {\n"
        "        max = 100;\n"
        "    };\n"
        "};\n"
        "network = (\n"
        "    { type = \"empty\"; },  /* first */\n"
        "    { type = \"empty\"; }\n"
        ");\n";
    auto ed = ConfigEditor::fromText(text, "/tmp/xc-layout.conf");
    ASSERT_TRUE(ed.ok()) << ed.error().message();
    ASSERT_TRUE(ed->set("cgroup.memory.max", ConfigValue::scalar("128M")).ok());
    std::string want = text;
    want.replace(want.find("\"256M\""), 6, "\"128M\"");
    EXPECT_EQ(ed->text(), want);
    ASSERT_TRUE(ed->set("cgroup.pids.max", ConfigValue::scalar("max")).ok());
    want.replace(want.find("max = 100;"), 10, "max = \"max\";");
    EXPECT_EQ(ed->text(), want);
    // A new key goes into its group, indented as its siblings.
    ASSERT_TRUE(ed->set("cgroup.cpu.weight", ConfigValue::scalar("50")).ok());
    want.replace(want.find("};\nnetwork"), 0, "    cpu = { weight = 50; };\n");
    EXPECT_EQ(ed->text(), want);
    ASSERT_TRUE(ed->set("cgroup.memory.high", ConfigValue::scalar("100M")).ok());
    want.replace(want.find("\"128M\";") + 7, 0, " high = \"100M\";");
    EXPECT_EQ(ed->text(), want);
    ASSERT_TRUE(ed->set("network.2.type", ConfigValue::scalar("empty")).ok());
    want.replace(want.find("    { type = \"empty\"; }\n);"), std::string::npos,
                 "    { type = \"empty\"; },\n    { type = \"empty\"; }\n);\n");
    EXPECT_EQ(ed->text(), want);
    ASSERT_TRUE(ed->set("start.groups", ConfigValue::list({"web", "db"})).ok());
    want += "start = { groups = [ \"web\", \"db\" ]; };\n";
    EXPECT_EQ(ed->text(), want);
    // clear: the line goes when nothing else is on it.
    ASSERT_TRUE(ed->clear("cgroup.cpu").ok());
    const std::string cpuLine = "    cpu = { weight = 50; };\n";
    want.replace(want.find(cpuLine), cpuLine.size(), "");
    EXPECT_EQ(ed->text(), want);
    ASSERT_TRUE(ed->clear("network.2").ok());
    want.replace(want.find("    { type = \"empty\"; },\n    { type = \"empty\"; }\n);"), std::string::npos,
                 "    { type = \"empty\"; }\n);\nstart = { groups = [ \"web\", \"db\" ]; };\n");
    EXPECT_EQ(ed->text(), want);
    EXPECT_NE(ed->text().find("# keep me"), std::string::npos);
    EXPECT_NE(ed->text().find("// the admin's limits"), std::string::npos);
    EXPECT_NE(ed->text().find("/* first */"), std::string::npos);
    auto cfg = parseConfig(ed->text(), "/tmp/xc-layout.conf");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    EXPECT_EQ(*cfg->cgroup.memoryHigh, 100u << 20);
    EXPECT_EQ(cfg->network.size(), 2u);
}

TEST(ConfigEditorLayout, ValuesAreTheConfigInEffectAndFlattenedLoadsTheSame) {
    char tmpl[] = "/tmp/xc-editor-flat.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    ASSERT_TRUE(writeFileAtomic(dir + "/common.conf",
                                "cgroup = { pids = { max = 100; }; memory = { max = \"1G\"; }; };\n"
                                "network = ( { type = \"empty\"; }, { type = \"empty\"; } );\n",
                                0644)
                    .ok());
    ASSERT_TRUE(writeFileAtomic(dir + "/config",
                                "@include \"common.conf\"\n"
                                "name = \"c1\"; rootfs = { path = \"/tmp/c1\"; };\n"
                                "cgroup = { memory = { max = \"256M\"; }; };\n"
                                "network = ( { type = \"veth\"; link = \"br9\"; } );\n"
                                "start = { groups = [ \"a\" ]; };\n",
                                0644)
                    .ok());
    auto ed = ConfigEditor::load(dir + "/config");
    ASSERT_TRUE(ed.ok()) << ed.error().message();
    auto vals = ed->values();
    ASSERT_TRUE(vals.ok()) << vals.error().message();
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : *vals) m[k] = v.isList ? "[" + (v.items.empty() ? "" : v.items[0]) + "]" : v.text;
    EXPECT_EQ(m["cgroup.pids.max"], "100");
    EXPECT_EQ(m["cgroup.memory.max"], "256M");
    EXPECT_EQ(m["network.0.type"], "veth");  // the list replaced whole
    EXPECT_EQ(m.count("network.1.type"), 0u);
    EXPECT_EQ(m["start.groups"], "[a]");
    auto flat = ed->flattened();
    ASSERT_TRUE(flat.ok()) << flat.error().message();
    EXPECT_EQ(flat->find("@include"), std::string::npos);
    auto again = ConfigEditor::fromText(*flat, dir + "/flat");
    ASSERT_TRUE(again.ok()) << again.error().message();
    auto vals2 = again->values();
    ASSERT_TRUE(vals2.ok());
    ASSERT_EQ(vals2->size(), vals->size());
    for (size_t i = 0; i < vals->size(); ++i) {
        EXPECT_EQ((*vals2)[i].first, (*vals)[i].first);
        EXPECT_EQ((*vals2)[i].second.text, (*vals)[i].second.text);
        EXPECT_EQ((*vals2)[i].second.items, (*vals)[i].second.items);
    }
    (void)removeTree(dir);
}

}  // namespace
