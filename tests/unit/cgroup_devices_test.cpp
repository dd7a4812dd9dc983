// The device policy's rule table, as v1 allow-list lines and as the
// cgroup2 device program. The program is run here by a small interpreter
// of the instructions it may contain (the kernel's verifier and the real
// attach are exercised by the integration tests, as root): every request
// the policy must allow, and the ones it must deny.
#include "cgroup/devices.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace xc;

namespace {

struct Request {
    char type;  // 'c' or 'b'
    unsigned access;
    uint32_t major, minor;
};

// Runs a program of the instructions deviceProgram emits on the context
// the kernel passes (struct bpf_cgroup_dev_ctx). Anything else fails the
// test, as would a jump outside the program or an exit without r0 set.
int64_t run(const std::vector<struct bpf_insn>& prog, const Request& req) {
    const uint32_t type = req.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    const uint32_t ctx[3] = {(req.access << 16) | type, req.major, req.minor};
    uint64_t r[11] = {};
    bool r0set = false;
    for (size_t pc = 0, steps = 0; pc < prog.size() && steps < 10000; ++pc, ++steps) {
        const struct bpf_insn& i = prog[pc];
        const uint64_t k = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        switch (i.code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            EXPECT_EQ(i.src_reg, 1) << "loads only from the context, at " << pc;
            EXPECT_TRUE(i.off == 0 || i.off == 4 || i.off == 8) << "offset " << i.off << " at " << pc;
            r[i.dst_reg] = ctx[i.off / 4];
            break;
        case BPF_ALU64 | BPF_MOV | BPF_X: r[i.dst_reg] = r[i.src_reg]; break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
            r[i.dst_reg] = k;
            if (i.dst_reg == 0) r0set = true;
            break;
        case BPF_ALU64 | BPF_AND | BPF_K: r[i.dst_reg] &= k; break;
        case BPF_ALU64 | BPF_RSH | BPF_K: r[i.dst_reg] >>= i.imm; break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (r[i.dst_reg] != k) pc += i.off;
            break;
        case BPF_JMP | BPF_JLT | BPF_K:
            if (r[i.dst_reg] < k) pc += i.off;
            break;
        case BPF_JMP | BPF_JGT | BPF_K:
            if (r[i.dst_reg] > k) pc += i.off;
            break;
        case BPF_JMP | BPF_EXIT:
            EXPECT_TRUE(r0set) << "exit without a return value at " << pc;
            return static_cast<int64_t>(r[0]);
        default:
            ADD_FAILURE() << "unexpected instruction code " << int(i.code) << " at " << pc;
            return -1;
        }
        EXPECT_LT(i.dst_reg, 11);
    }
    ADD_FAILURE() << "the program ran off its end";
    return -1;
}

const unsigned kRW = kDevRead | kDevWrite;

}  // namespace

TEST(DeviceProgram, AllowsTheDefaultDevicesAndMknodOfAny) {
    const auto prog = deviceProgram(defaultDeviceRules());
    ASSERT_LT(prog.size(), 4096u);  // BPF_MAXINSNS for an unprivileged-size program
    for (Request r : {Request{'c', kRW, 1, 3}, Request{'c', kRW, 1, 5}, Request{'c', kRW, 1, 7},
                      Request{'c', kDevRead, 1, 8}, Request{'c', kDevRead, 1, 9}, Request{'c', kRW, 5, 0},
                      Request{'c', kRW, 5, 1}, Request{'c', kRW, 5, 2}, Request{'c', kRW, 136, 0},
                      Request{'c', kRW, 136, 7}, Request{'c', kDevWrite, 143, 1048575}, Request{'c', kRW, 10, 200},
                      Request{'c', kDevMknod, 254, 0}, Request{'b', kDevMknod, 254, 0}, Request{'b', kDevMknod, 8, 1},
                      Request{'c', kDevMknod | kRW, 1, 3}})
        EXPECT_EQ(run(prog, r), 1) << r.type << " " << r.major << ":" << r.minor << " access " << r.access;
}

TEST(DeviceProgram, DeniesEverythingElse) {
    const auto prog = deviceProgram(defaultDeviceRules());
    for (Request r : {// the host's disks, for reading or writing
                      Request{'b', kDevRead, 254, 0}, Request{'b', kDevWrite, 8, 0}, Request{'b', kRW, 7, 0},
                      // a block device with the numbers of an allowed char device
                      Request{'b', kRW, 1, 3}, Request{'b', kRW, 136, 0},
                      // mem, kmem, port, kmsg; next to the allowed ones
                      Request{'c', kDevRead, 1, 1}, Request{'c', kRW, 1, 2}, Request{'c', kRW, 1, 4},
                      Request{'c', kRW, 1, 11}, Request{'c', kRW, 5, 3},
                      // just outside the pty range, other misc devices
                      Request{'c', kRW, 135, 0}, Request{'c', kRW, 144, 0}, Request{'c', kRW, 10, 237},
                      Request{'c', kRW, 10, 229},
                      // mknod together with an open of a denied device
                      Request{'b', kDevMknod | kDevRead, 254, 0}})
        EXPECT_EQ(run(prog, r), 0) << r.type << " " << r.major << ":" << r.minor << " access " << r.access;
}

TEST(DeviceProgram, RuleFieldsEachNarrowTheMatch) {
    // One rule of each shape: any major, a range, one major with any minor.
    std::vector<DeviceRule> rules = {{'b', -1, -1, -1, kDevRead}, {'c', 20, 22, 5, kDevAll}, {'c', 30, 30, -1, kRW}};
    const auto prog = deviceProgram(rules);
    EXPECT_EQ(run(prog, {'b', kDevRead, 99, 99}), 1);
    EXPECT_EQ(run(prog, {'b', kRW, 99, 99}), 0);   // write not allowed
    EXPECT_EQ(run(prog, {'c', kDevRead, 99, 99}), 0);
    EXPECT_EQ(run(prog, {'c', kDevMknod, 21, 5}), 1);
    EXPECT_EQ(run(prog, {'c', kDevRead, 22, 5}), 1);
    EXPECT_EQ(run(prog, {'c', kDevRead, 19, 5}), 0);
    EXPECT_EQ(run(prog, {'c', kDevRead, 23, 5}), 0);
    EXPECT_EQ(run(prog, {'c', kDevRead, 21, 6}), 0);
    EXPECT_EQ(run(prog, {'c', kDevWrite, 30, 12345}), 1);
    EXPECT_EQ(run(prog, {'c', kDevMknod, 30, 0}), 0);  // m not in "rw"
    // No rules: nothing at all.
    EXPECT_EQ(run(deviceProgram({}), {'c', kRW, 1, 3}), 0);
}

TEST(DeviceProgram, V1LinesMatchTheRules) {
    auto lines = deviceRulesV1(defaultDeviceRules());
    for (const char* want : {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                             "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 143:* rwm", "c 10:200 rwm"})
        EXPECT_NE(std::find(lines.begin(), lines.end(), want), lines.end()) << want;
    EXPECT_EQ(lines.size(), 12u + 7u);  // 136..143 is eight lines
    for (const auto& l : lines) EXPECT_EQ(l.find("a "), std::string::npos) << l;
    EXPECT_EQ(deviceRulesV1({{'c', 30, 30, -1, kRW}}), std::vector<std::string>{"c 30:* rw"});
}
