// What each module's host probe writes into: items under the current
// section (see xc/hostcheck.hpp), and the texts probes share.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "xc/hostcheck.hpp"

namespace xc {

class ProbeList {
public:
    using S = ProbeItem::Status;
    explicit ProbeList(std::vector<ProbeItem>& out) : out_(out) {}
    void section(std::string s) { sec_ = std::move(s); }
    ProbeItem& add(std::string name, S st, std::string detail, std::string fix = "", bool required = false) {
        out_.push_back(ProbeItem{sec_, std::move(name), st, std::move(detail), std::move(fix), required});
        return out_.back();
    }

private:
    std::vector<ProbeItem>& out_;
    std::string sec_;
};

// "ENOSYS: Function not implemented"
std::string errnoText(int e);
// A file's content without surrounding white space; "" (and *ok false) if unreadable.
std::string readTrimmed(const std::string& path, bool* ok = nullptr);
std::string joinWords(const std::vector<std::string>& v, const char* sep);
// A syscall's errno (0: it worked) as an item: ENOSYS is missing (needs
// Linux `since`), EPERM/EACCES unverified, another error a warning.
void syscallItem(ProbeList& out, const std::string& name, int err, const std::string& okDetail,
                 const std::string& since, bool required);
// An executable in $PATH or the usual system directories; "" if none.
std::string findExecutable(const std::string& name);

}  // namespace xc
