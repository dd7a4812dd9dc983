// The xc-user-nic model (LXC's lxc-user-nic and /etc/lxc/lxc-usernet): the
// pure pieces of the set-uid helper that gives a non-root user's container
// a veth on a host bridge. /etc/xc/usernet says which users and groups may
// put how many veths on which bridge; every allocation the helper makes is
// a record (user, bridge, host interface, network namespace) in a file
// under /run/xc/usernic, so the quota survives a crash of the helper or of
// the container's supervisor. A record whose host interface is gone (the
// kernel removes a veth with its network namespace) is stale and pruned.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::usernet {

// Where the helper looks; compiled in, never taken from the environment.
std::string configPath();    // <sysconfdir>/usernet (/etc/xc/usernet)
std::string recordsDir();    // /run/xc/usernic
std::string recordsFile();   // /run/xc/usernic/allocations

// One line of usernet: "alice veth xcbr0 10" or "@staff veth xcbr0 4".
struct Entry {
    std::string who;  // a user name, or a group name when isGroup
    bool isGroup = false;
    std::string type;  // "veth" (the only type)
    std::string bridge;
    int count = 0;
    int line = 0;
};
// `shownAs` names the file in errors ("/etc/xc/usernet:3: ...").
Result<std::vector<Entry>> parse(const std::string& text, const std::string& shownAs);

// How many veths `user` (with the group names `groups`) may have on
// `bridge`: the sum of the counts of every line naming the user or one of
// its groups, as LXC sums them; 0 when none does.
int allowance(const std::vector<Entry>& entries, const std::string& user, const std::vector<std::string>& groups,
              const std::string& bridge);

// The line the admin adds so that `user` may use `bridge`, for errors.
std::string missingLineHint(const std::string& user, const std::string& bridge);

// One allocation the helper made.
struct Record {
    uid_t uid = 0;
    std::string bridge;
    std::string ifname;  // the host end
    uint64_t netnsInode = 0;
};
// One record a line: "UID BRIDGE IFNAME NETNS-INODE". A malformed line is
// an error (the file is the helper's own: nobody else writes it).
Result<std::vector<Record>> parseRecords(const std::string& text);
std::string formatRecords(const std::vector<Record>& records);
// Drops the records whose host interface `alive` says is gone.
std::vector<Record> prune(const std::vector<Record>& records, const std::function<bool(const Record&)>& alive);
// The records of `uid` on `bridge`.
int used(const std::vector<Record>& records, uid_t uid, const std::string& bridge);

// The quota check: Ok when `uid` (as `user`) has room for one more veth on
// `bridge`; otherwise the one-line error naming the file and the fix.
Status checkQuota(const std::vector<Entry>& entries, const std::vector<Record>& records, uid_t uid,
                  const std::string& user, const std::vector<std::string>& groups, const std::string& bridge,
                  const std::string& shownAs);

// The user name of `uid` and the names of `gids`, read from passwd and
// group file texts (the helper reads /etc/passwd and /etc/group itself:
// no NSS module is loaded into a set-uid program). Unknown ids are left out
// (a uid without a name: "").
std::string userName(const std::string& passwdText, uid_t uid);
std::vector<std::string> groupNames(const std::string& groupText, const std::vector<gid_t>& gids);

// A fresh host-side name, "xcu" + 10 hex digits of `random` (the helper
// names the host end itself, so a user cannot squat a name the host means
// for something else).
std::string hostName(uint64_t random);
bool isHostName(const std::string& ifname);

}  // namespace xc::usernet
