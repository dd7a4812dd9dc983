// The device policy: the default rule table, its v1 allow-list lines and
// its cgroup2 eBPF program, loaded and attached with raw bpf(2).
#include "cgroup/devices.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "xc/fd.hpp"

namespace xc {

const std::vector<DeviceRule>& defaultDeviceRules() {
    static const std::vector<DeviceRule> rules = {
        {'c', -1, -1, -1, kDevMknod},  {'b', -1, -1, -1, kDevMknod},  // mknod of anything, opening only:
        {'c', 1, 1, 3, kDevAll},       {'c', 1, 1, 5, kDevAll},       // null, zero
        {'c', 1, 1, 7, kDevAll},       {'c', 1, 1, 8, kDevAll},       // full, random
        {'c', 1, 1, 9, kDevAll},       {'c', 5, 5, 0, kDevAll},       // urandom, tty
        {'c', 5, 5, 1, kDevAll},       {'c', 5, 5, 2, kDevAll},       // console, ptmx
        {'c', 136, 143, -1, kDevAll},                                 // pts/*
        {'c', 10, 10, 200, kDevAll},                                  // net/tun
    };
    return rules;
}

std::vector<std::string> deviceRulesV1(const std::vector<DeviceRule>& rules) {
    std::vector<std::string> out;
    auto num = [](int v) { return v < 0 ? std::string("*") : std::to_string(v); };
    for (const auto& r : rules) {
        std::string access;
        if (r.access & kDevRead) access += 'r';
        if (r.access & kDevWrite) access += 'w';
        if (r.access & kDevMknod) access += 'm';
        const int last = r.major < 0 ? r.major : std::max(r.major, r.majorLast);
        for (int m = r.major; m <= last; ++m)
            out.push_back(std::string(1, r.type) + " " + num(m) + ":" + num(r.minor) + " " + access);
    }
    return out;
}

namespace {

// struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor.
constexpr short kCtxAccessType = 0, kCtxMajor = 4, kCtxMinor = 8;
// Registers: r1 ctx, r2 access, r3 type, r4 major, r5 minor, r6 scratch.
constexpr unsigned char R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

struct bpf_insn insn(unsigned char code, unsigned char dst, unsigned char src, short off, int imm) {
    struct bpf_insn i;
    std::memset(&i, 0, sizeof i);
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
struct bpf_insn loadCtx(unsigned char dst, short off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, R1, off, 0); }
struct bpf_insn movReg(unsigned char dst, unsigned char src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
struct bpf_insn movImm(unsigned char dst, int imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
struct bpf_insn aluImm(unsigned char op, unsigned char dst, int imm) { return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
// A jump to the next rule: its offset is filled in once the rule is complete.
struct bpf_insn skipIf(unsigned char op, unsigned char reg, int imm) { return insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm); }
struct bpf_insn exitInsn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// One rule: every test that fails skips to the next rule; all passing
// returns 1.
std::vector<struct bpf_insn> compileRule(const DeviceRule& r) {
    std::vector<struct bpf_insn> out;
    out.push_back(skipIf(BPF_JNE, R3, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if ((r.access & kDevAll) != kDevAll) {
        // Any requested bit outside the rule's: not this rule.
        out.push_back(movReg(R6, R2));
        out.push_back(aluImm(BPF_AND, R6, static_cast<int>(~r.access & kDevAll)));
        out.push_back(skipIf(BPF_JNE, R6, 0));
    }
    if (r.major >= 0 && r.majorLast > r.major) {
        out.push_back(skipIf(BPF_JLT, R4, r.major));
        out.push_back(skipIf(BPF_JGT, R4, r.majorLast));
    } else if (r.major >= 0) {
        out.push_back(skipIf(BPF_JNE, R4, r.major));
    }
    if (r.minor >= 0) out.push_back(skipIf(BPF_JNE, R5, r.minor));
    out.push_back(movImm(R0, 1));
    out.push_back(exitInsn());
    for (size_t i = 0; i < out.size(); ++i)
        if (BPF_CLASS(out[i].code) == BPF_JMP && BPF_OP(out[i].code) != BPF_EXIT)
            out[i].off = static_cast<short>(out.size() - i - 1);
    return out;
}

long sysBpf(int cmd, union bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

}  // namespace

std::vector<struct bpf_insn> deviceProgram(const std::vector<DeviceRule>& rules) {
    std::vector<struct bpf_insn> p = {
        loadCtx(R2, kCtxAccessType), movReg(R3, R2), aluImm(BPF_AND, R3, 0xffff), aluImm(BPF_RSH, R2, 16),
        loadCtx(R4, kCtxMajor),      loadCtx(R5, kCtxMinor),
    };
    for (const auto& r : rules) {
        auto rule = compileRule(r);
        p.insert(p.end(), rule.begin(), rule.end());
    }
    p.push_back(movImm(R0, 0));
    p.push_back(exitInsn());
    return p;
}

namespace {

Result<UniqueFd> loadProgram(const std::vector<struct bpf_insn>& program, char* log, uint32_t logSize) {
    static const char kLicense[] = "GPL";
    union bpf_attr load;
    std::memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uintptr_t>(program.data());
    load.insn_cnt = static_cast<uint32_t>(program.size());
    load.license = reinterpret_cast<uintptr_t>(kLicense);
    if (log) {
        load.log_buf = reinterpret_cast<uintptr_t>(log);
        load.log_size = logSize;
        load.log_level = 1;
    }
    UniqueFd prog(static_cast<int>(sysBpf(BPF_PROG_LOAD, load)));
    if (!prog) return Error::sys("bpf BPF_PROG_LOAD");
    return prog;
}

}  // namespace

Status attachDeviceProgram(int cgroupFd, const std::vector<struct bpf_insn>& program, const std::string& shown) {
    auto prog = loadProgram(program, nullptr, 0);
    if (!prog) {
        // Again with the verifier's log, for the reason.
        Error err = Error::sys(prog.error().code(), "load the device policy program for " + shown);
        char log[8192] = "";
        (void)loadProgram(program, log, sizeof log);
        if (log[0]) err = std::move(err).withHint(std::string("the verifier said: ") + log);
        return err;
    }
    union bpf_attr attach;
    std::memset(&attach, 0, sizeof attach);
    attach.target_fd = static_cast<uint32_t>(cgroupFd);
    attach.attach_bpf_fd = static_cast<uint32_t>(prog->get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (sysBpf(BPF_PROG_ATTACH, attach) < 0) return Error::sys("attach the device policy program to " + shown);
    return {};  // the cgroup holds the program now; our descriptor may go
}

}  // namespace xc
