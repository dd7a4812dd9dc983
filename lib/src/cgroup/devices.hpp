// The device policy of a container: one rule table, written as the v1
// devices controller's allow-list or compiled into the eBPF program
// (BPF_PROG_TYPE_CGROUP_DEVICE) that cgroup2 checks instead.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc {

// Access bits, as the v1 list spells them (m, r, w) and as the BPF
// context encodes them (BPF_DEVCG_ACC_MKNOD/READ/WRITE).
enum DeviceAccess : unsigned {
    kDevMknod = BPF_DEVCG_ACC_MKNOD,
    kDevRead = BPF_DEVCG_ACC_READ,
    kDevWrite = BPF_DEVCG_ACC_WRITE,
    kDevAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE,
};

// One allowed (type, majors, minor, access). A negative major or minor is
// any; majorLast > major is a range of majors.
struct DeviceRule {
    char type;  // 'c' or 'b'
    int major;
    int majorLast;
    int minor;
    unsigned access;  // DeviceAccess bits
};

// What every container may use and nothing else: mknod of any node (so
// that an image's /dev unpacks), and the standard character devices (null,
// zero, full, random, urandom, tty, console, ptmx, the pty slaves of
// majors 136-143, /dev/net/tun).
const std::vector<DeviceRule>& defaultDeviceRules();

// The rules as lines for v1 devices.allow ("c 1:3 rwm"; a range of majors
// gives one line per major).
std::vector<std::string> deviceRulesV1(const std::vector<DeviceRule>& rules);

// The rules as a cgroup device program: 1 (allow) when a rule matches
// every field of the request, else 0 (deny).
std::vector<struct bpf_insn> deviceProgram(const std::vector<DeviceRule>& rules);

// Loads the program (bpf(2), BPF_PROG_LOAD) and attaches it to the cgroup2
// directory `cgroupFd` with BPF_F_ALLOW_MULTI: programs the container
// attaches below (systemd's) only narrow the policy further, and detaching
// needs a descriptor of this directory, which the container cannot reach.
Status attachDeviceProgram(int cgroupFd, const std::vector<struct bpf_insn>& program, const std::string& shown);

}  // namespace xc
