#include "cgroup/cgroup_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "base/fsutil.hpp"
#include "base/number.hpp"
#include "xc/fd.hpp"

namespace xc {

Status cgWriteFd(int fd, const std::string& path, const std::string& value) {
    if (fd < 0 || ::write(fd, value.data(), value.size()) < 0) {
        int e = errno;
        return Error::sys(e, "write " + value + " to " + path);
    }
    return {};
}

Status cgWrite(const std::string& path, const std::string& value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    return cgWriteFd(fd.get(), path, value);
}

Result<std::string> cgRead(const std::string& path) {
    XC_ASSIGN(std::string s, readFile(path));
    return trim(s);
}

Result<uint64_t> cgReadU64(const std::string& path) {
    XC_ASSIGN(std::string s, cgRead(path));
    if (auto v = parseU64(s)) return *v;
    return Error::msg("read " + path + ": not a number: '" + s + "'", EINVAL);
}

Result<int64_t> cgReadI64(const std::string& path) {
    XC_ASSIGN(std::string s, cgRead(path));
    if (auto v = parseI64(s)) return *v;
    return Error::msg("read " + path + ": not a number: '" + s + "'", EINVAL);
}

Result<std::string> keyedField(const std::string& path, const std::string& key) {
    XC_ASSIGN(std::string s, readFile(path));
    std::istringstream in(s);
    std::string k, v;
    while (in >> k >> v)
        if (k == key) return v;
    return Error::msg("read " + path + ": no '" + key + "' line", ENOENT);
}

}  // namespace xc
