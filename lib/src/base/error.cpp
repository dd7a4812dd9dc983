#include "xc/result.hpp"

#include <cstring>

namespace xc {

std::string Error::message() const {
    if (errno_ == 0 || !showReason_) return what_;
    return what_ + ": " + std::strerror(errno_);
}

Error Error::wrap(const std::string& context) const& {
    Error e = *this;
    e.what_ = context + ": " + what_;
    return e;
}

Error Error::wrap(const std::string& context) && {
    what_ = context + ": " + what_;
    return std::move(*this);
}

// "<errno> <showReason> <text>"; text may hold any byte.
std::string Error::serialize() const {
    return std::to_string(errno_) + " " + (showReason_ ? "1" : "0") + " " + what_;
}

Error Error::deserialize(const std::string& wire) {
    Error e;
    size_t sp1 = wire.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : wire.find(' ', sp1 + 1);
    if (sp2 == std::string::npos) return Error(EPROTO, "malformed error message: " + wire);
    try {
        e.errno_ = std::stoi(wire.substr(0, sp1));
    } catch (...) {
        return Error(EPROTO, "malformed error message: " + wire);
    }
    e.showReason_ = wire.substr(sp1 + 1, sp2 - sp1 - 1) == "1";
    e.what_ = wire.substr(sp2 + 1);
    return e;
}

}  // namespace xc
