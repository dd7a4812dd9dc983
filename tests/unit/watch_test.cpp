// Pure parts of the watching tools: the cgroup I/O stat parsers, the state
// event wire format and time stamps, the tools' JSON writer.
#include <gtest/gtest.h>

#include "cgroup/cgroup.hpp"
#include "json.hpp"
#include "monitor/events.hpp"
#include "xc/events.hpp"

using namespace xc;

TEST(CgroupUsage, BlkioV1SumsReadAndWriteOverDevices) {
    uint64_t r = 1, w = 1;
    EXPECT_TRUE(sumBlkioV1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n8:0 Discard 0\n"
                           "8:0 Total 4608\n8:16 Read 100\n8:16 Write 23\nTotal 4731\n",
                           r, w));
    EXPECT_EQ(r, 4196u);
    EXPECT_EQ(w, 535u);
    EXPECT_FALSE(sumBlkioV1("Total 0\n", r, w));  // no I/O yet
    EXPECT_EQ(r, 0u);
    EXPECT_EQ(w, 0u);
}

TEST(CgroupUsage, IoStatV2SumsBytesOverDevices) {
    uint64_t r = 0, w = 0;
    EXPECT_TRUE(sumIoStatV2("254:0 rbytes=1048576 wbytes=8192 rios=3 wios=2 dbytes=0 dios=0\n"
                            "8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n",
                            r, w));
    EXPECT_EQ(r, 1048586u);
    EXPECT_EQ(w, 8212u);
    EXPECT_FALSE(sumIoStatV2("", r, w));
}

TEST(StateEvents, WireFormatAndTime) {
    EXPECT_EQ(encodeStateEvent("web", State::Frozen, 1234, 5), "XC-STATE 1 web FROZEN 1234 5");
    EXPECT_EQ(formatEventTime(int64_t(1764650000) * 1000000000 + 123456789), "2025-12-02T04:33:20.123456Z");
    HostPaths host;
    host.runRoot = "/run/xc";
    ContainerPaths p(host, "/var/lib/xc", "web");
    EXPECT_EQ(watcherDir(p), "/run/xc/" + hashKey("/var/lib/xc") + "/.monitors");
}

TEST(ToolJson, ObjectsAndArrays) {
    tool::JsonObject o;
    o.add("name", "a\"b").add("n", uint64_t(7)).add("neg", int64_t(-1)).add("ok", true).addNull("pid");
    o.add("list", std::vector<std::string>{"x", "y"}).addRaw("raw", "{}");
    EXPECT_EQ(o.str(), "{\"name\": \"a\\\"b\", \"n\": 7, \"neg\": -1, \"ok\": true, \"pid\": null, "
                       "\"list\": [\"x\", \"y\"], \"raw\": {}}");
    EXPECT_EQ(tool::jsonArray({}), "[]");
    EXPECT_EQ(tool::jsonArray({}, true), "[]");
    EXPECT_EQ(tool::jsonArray({"1", "2"}, true), "[\n  1,\n  2\n]");
}
