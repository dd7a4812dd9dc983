#include "base/users.hpp"

#include <pwd.h>

namespace xc {

std::string userNameOf(uid_t uid) {
    struct passwd pw, *found = nullptr;
    char buf[4096];
    if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
    return std::to_string(uid);
}

}  // namespace xc
