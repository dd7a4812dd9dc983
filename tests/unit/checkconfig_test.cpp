// xc-checkconfig's report: the tool-side JSON escaping and text formatting
// of the items, and the counts of the data model (pure; the real probe of
// this host is an integration test: it forks, unshares and may make a cgroup).
#include <gtest/gtest.h>

#include "checkconfig_report.hpp"
#include "xc/hostcheck.hpp"

using namespace xc;
using namespace xc::tool;
using St = ProbeItem::Status;

namespace {

ProbeItem item(const char* section, const char* name, St st, const char* detail = "", const char* fix = "",
               bool required = false) {
    return ProbeItem{section, name, st, detail, fix, required};
}

}  // namespace

TEST(ProbeJson, EscapesQuotesBackslashesAndControls) {
    EXPECT_EQ(jsonString(""), "\"\"");
    EXPECT_EQ(jsonString("plain text"), "\"plain text\"");
    EXPECT_EQ(jsonString("say \"hi\""), "\"say \\\"hi\\\"\"");
    EXPECT_EQ(jsonString("C:\\path"), "\"C:\\\\path\"");
    EXPECT_EQ(jsonString("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
    EXPECT_EQ(jsonString(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
    EXPECT_EQ(jsonString(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
    EXPECT_EQ(jsonString("/ and \x7f stay"), "\"/ and \x7f stay\"");
}

TEST(ProbeJson, KeepsValidUtf8AndReplacesInvalidBytes) {
    EXPECT_EQ(jsonString("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\xa7"), "\"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\xa7\"");
    EXPECT_EQ(jsonString("bad \xff byte"), "\"bad \\ufffd byte\"");
    EXPECT_EQ(jsonString("cut \xc3"), "\"cut \\ufffd\"");
    EXPECT_EQ(jsonString("overlong \xc0\xaf"), "\"overlong \\ufffd\\ufffd\"");
    EXPECT_EQ(jsonString("surrogate \xed\xa0\x80"), "\"surrogate \\ufffd\\ufffd\\ufffd\"");
    EXPECT_EQ(jsonString("too big \xf4\x90\x80\x80"), "\"too big \\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(ProbeJson, ArrayOfItems) {
    EXPECT_EQ(probeItemsJson({}), "[]\n");
    std::vector<ProbeItem> items = {
        item("Namespaces", "pid", St::Ok, "", "", true),
        item("Tools", "dnsmasq", St::Info, "not \"installed\"", "apt-get install dnsmasq-base"),
    };
    EXPECT_EQ(probeItemsJson(items),
              "[\n"
              "  {\"section\": \"Namespaces\", \"name\": \"pid\", \"status\": \"ok\", \"required\": true, "
              "\"detail\": \"\", \"fix\": \"\"},\n"
              "  {\"section\": \"Tools\", \"name\": \"dnsmasq\", \"status\": \"info\", \"required\": false, "
              "\"detail\": \"not \\\"installed\\\"\", \"fix\": \"apt-get install dnsmasq-base\"}\n"
              "]\n");
}

TEST(ProbeFormat, GroupsBySectionWithAlignedStatusAndFixLines) {
    std::vector<ProbeItem> items = {
        item("Namespaces", "pid", St::Ok, "", "", true),
        item("Namespaces", "time", St::Missing, "/proc/self/ns/time does not exist", "CONFIG_TIME_NS=y"),
        item("Syscalls", "openat2", St::Missing, "ENOSYS", "Linux 5.6 or newer", true),
        item("Syscalls", "close_range", St::Warn, "odd", "upgrade"),
        item("Kernel", "version", St::Info, "6.18.44 (x86_64)"),
        item("Tools", "dnsmasq", St::Info, "not installed", "apt-get install dnsmasq-base"),
        item("Tools", "nft", St::Ok, "/usr/sbin/nft", "never shown"),
    };
    EXPECT_EQ(formatProbeItems(items, false),
              "--- Namespaces ---\n"
              "  pid:  enabled\n"
              "  time: missing (/proc/self/ns/time does not exist)\n"
              "    -> fix: CONFIG_TIME_NS=y\n"
              "\n"
              "--- Syscalls ---\n"
              "  openat2:     missing (required; ENOSYS)\n"
              "    -> fix: Linux 5.6 or newer\n"
              "  close_range: warning (odd)\n"
              "    -> fix: upgrade\n"
              "\n"
              "--- Kernel ---\n"
              "  version: 6.18.44 (x86_64)\n"
              "\n"
              "--- Tools ---\n"
              "  dnsmasq: not installed\n"
              "    -> fix: apt-get install dnsmasq-base\n"
              "  nft:     enabled (/usr/sbin/nft)\n"
              "\n"
              "1 required feature missing\n");
}

TEST(ProbeFormat, SummaryAndColours) {
    std::vector<ProbeItem> ok = {item("S", "a", St::Ok, "", "", true), item("S", "b", St::Missing)};
    EXPECT_EQ(countRequiredMissing(ok), 0u);
    std::string plain = formatProbeItems(ok, false);
    EXPECT_NE(plain.find("All required features are available\n"), std::string::npos);
    EXPECT_EQ(plain.find('\033'), std::string::npos);

    std::vector<ProbeItem> bad = {item("S", "a", St::Missing, "", "", true), item("S", "b", St::Warn, "", "", true),
                                  item("S", "c", St::Missing)};
    EXPECT_EQ(countRequiredMissing(bad), 2u);
    std::string coloured = formatProbeItems(bad, true);
    EXPECT_NE(coloured.find("\033[31mmissing\033[0m (required)"), std::string::npos) << coloured;
    EXPECT_NE(coloured.find("\033[33mwarning\033[0m (required)"), std::string::npos) << coloured;
    EXPECT_NE(coloured.find("  c: \033[33mmissing\033[0m\n"), std::string::npos) << coloured;
    EXPECT_NE(coloured.find("\033[31m2 required features missing (1 of them unverified)\033[0m\n"), std::string::npos)
        << coloured;

    std::string green = formatProbeItems({item("S", "a", St::Ok)}, true);
    EXPECT_NE(green.find("\033[32menabled\033[0m"), std::string::npos) << green;
}

TEST(ProbeFormat, LongNamesDoNotStretchTheColumnForever) {
    std::vector<ProbeItem> items = {item("S", "a", St::Ok), item("S", std::string(40, 'x').c_str(), St::Ok)};
    std::string out = formatProbeItems(items, false);
    EXPECT_NE(out.find("  " + std::string(40, 'x') + ": enabled\n"), std::string::npos) << out;
    EXPECT_NE(out.find("  a:" + std::string(25, ' ') + "enabled\n"), std::string::npos) << out;
}

TEST(ProbeFormat, UnsupportedFeaturesAreNeitherFaultsNorColoured) {
    std::vector<ProbeItem> items = {
        item("Namespaces", "pid", St::Ok, "", "", true),
        item("Not supported by this xc yet", "idmap", St::Unsupported, "refused by xc-start"),
        item("Not supported by this xc yet", "overlay rootfs", St::Unsupported, "use dir"),
    };
    EXPECT_EQ(countRequiredMissing(items), 0u);
    EXPECT_EQ(formatProbeItems(items, false),
              "--- Namespaces ---\n"
              "  pid: enabled\n"
              "\n"
              "--- Not supported by this xc yet ---\n"
              "  idmap:          not supported by this xc yet (refused by xc-start)\n"
              "  overlay rootfs: not supported by this xc yet (use dir)\n"
              "\n"
              "All required features are available\n");
    std::string coloured = formatProbeItems(items, true);
    EXPECT_NE(coloured.find("  idmap:          not supported by this xc yet (refused by xc-start)\n"),
              std::string::npos)
        << coloured;
    EXPECT_NE(probeItemsJson(items).find("\"name\": \"idmap\", \"status\": \"unsupported\", \"required\": false"),
              std::string::npos);
}

TEST(ProbeModel, StatusNamesAndCounts) {
    EXPECT_STREQ(probeStatusName(St::Ok), "ok");
    EXPECT_STREQ(probeStatusName(St::Missing), "missing");
    EXPECT_STREQ(probeStatusName(St::Warn), "warn");
    EXPECT_STREQ(probeStatusName(St::Info), "info");
    EXPECT_STREQ(probeStatusName(St::Unsupported), "unsupported");
    std::vector<ProbeItem> items = {item("S", "a", St::Missing, "", "", true), item("S", "b", St::Warn, "", "", true),
                                    item("S", "c", St::Warn), item("S", "d", St::Info, "", "", true),
                                    item("S", "e", St::Ok, "", "", true)};
    EXPECT_EQ(countRequiredMissing(items), 3u);
    EXPECT_EQ(countRequiredUnverified(items), 1u);
}
