#include "xc/context.hpp"

#include <sys/stat.h>

namespace xc {

Result<Context> Context::open(const ContextOptions& o) {
    Context c;
    c.host_ = HostPaths::fromEnvironment();
    XC_ASSIGN(c.settings_, loadGlobalSettings(c.host_));
    c.base_ = resolveBase(o.base, c.settings_.path);
    c.level_ = o.logLevel.value_or(c.settings_.logLevel);
    c.logFile_ = o.logFile;
    if (o.logFile.empty() && c.level_ >= LogLevel::Error) return c;
    std::string prefix = o.program + (o.containerName.empty() ? "" : " " + o.containerName) + ":";
    if (!o.logFile.empty()) {
        XC_ASSIGN(c.log_, Log::openNamed(o.logFile, c.level_, prefix));  // -o FILE that cannot be written fails
        return c;
    }
    if (o.containerName.empty()) return c;
    XC_TRY(validateName(o.containerName));
    ContainerPaths paths(c.host_, c.base_, o.containerName);
    // The default log lives in the container's directory and never makes
    // it: a create must find the name free. It is best effort: a tool runs
    // on without it (and hints name only log files that exist).
    struct stat st {};
    if (::stat(paths.dir().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return c;
    if (auto log = Log::open(paths.logFile(), c.level_, prefix); log) c.log_ = std::move(*log);
    return c;
}

Result<Container> Context::container(const std::string& name) const { return Container::open(host_, base_, name); }

Result<std::vector<std::string>> Context::containerNames() const { return listContainers(base_); }

}  // namespace xc
