#include "xc/result.hpp"

#include <cstring>

#include "base/number.hpp"

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

// "<errno> <showReason> <hint length> <hint><text>"; hint and text may hold any byte.
std::string Error::serialize() const {
    return std::to_string(errno_) + " " + (showReason_ ? "1" : "0") + " " + std::to_string(hint_.size()) + " " +
           hint_ + what_;
}

Error Error::deserialize(const std::string& wire) {
    auto malformed = [&] { return Error(EPROTO, "malformed error message: " + wire); };
    // Three space-separated numbers, then the hint and the text.
    size_t pos = 0;
    long long fields[3];
    for (long long& f : fields) {
        size_t sp = wire.find(' ', pos);
        if (sp == std::string::npos) return malformed();
        auto v = parseNumber<long long>(std::string_view(wire).substr(pos, sp - pos));
        if (!v) return malformed();
        f = *v;
        pos = sp + 1;
    }
    if (fields[0] < 0 || fields[0] > 4095 || fields[1] < 0 || fields[1] > 1 || fields[2] < 0 ||
        static_cast<unsigned long long>(fields[2]) > wire.size() - pos)
        return malformed();
    Error e;
    e.errno_ = static_cast<int>(fields[0]);
    e.showReason_ = fields[1] == 1;
    e.hint_ = wire.substr(pos, static_cast<size_t>(fields[2]));
    e.what_ = wire.substr(pos + static_cast<size_t>(fields[2]));
    return e;
}

}  // namespace xc
