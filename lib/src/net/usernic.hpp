// What the set-uid helper xc-user-nic does (tools/monitor/xc-user-nic.cpp
// is its main): check the caller, the bridge, the count and the target
// network namespace, then make one veth pair, its host end on the bridge
// and its peer in that namespace, and record the allocation. Nothing else:
// addresses and routes inside are the caller's business (it owns the
// namespace).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::usernet {

struct Caller {
    uid_t uid = 0;
    std::string user;                 // "" when /etc/passwd has no name for uid
    std::vector<std::string> groups;  // names of the caller's gid and supplementary groups
};
// The real uid and groups of this process, named from /etc/passwd and /etc/group.
Caller currentCaller();

struct Request {
    std::string bridge;
    std::string name;    // inside
    std::string hwaddr;  // inside; "" = the kernel's
    int mtu = 0;         // 0 = the bridge's
    int netnsFd = -1;    // the target network namespace
};

// Refuses unless `netnsFd` is a network namespace whose owning user
// namespace was made by `uid` (NS_GET_USERNS, NS_GET_OWNER_UID); returns
// its inode.
Result<uint64_t> checkNetnsOwner(int netnsFd, uid_t uid);
// The usernet entries and the pruned records, under the records' lock; Ok
// when the caller may add one more veth on `bridge`. Returns "ALLOWED USED".
Result<std::string> check(const Caller& c, const std::string& bridge);
// Makes the veth and returns the host end's name.
Result<std::string> createVeth(const Caller& c, const Request& r);

// The helper's main (usernic_main.cpp): exit status 0, or 1 with one line
// on stderr.
int helperMain(int argc, char** argv);

}  // namespace xc::usernet
