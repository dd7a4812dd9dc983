#include "xc/context.hpp"

namespace xc {

Result<Context> Context::open(const ContextOptions& o) {
    Context c;
    c.host_ = HostPaths::fromEnvironment();
    XC_ASSIGN(c.settings_, loadGlobalSettings(c.host_));
    c.base_ = resolveBase(o.base, c.settings_.path);
    c.level_ = o.logLevel.value_or(c.settings_.logLevel);
    c.logFile_ = o.logFile;
    if (o.logFile.empty() && c.level_ >= LogLevel::Error) return c;
    std::string file = o.logFile;
    if (file.empty() && !o.containerName.empty()) {
        XC_TRY(validateName(o.containerName));
        file = ContainerPaths(c.host_, c.base_, o.containerName).logFile();
    }
    if (file.empty()) return c;
    std::string prefix = o.program + (o.containerName.empty() ? "" : " " + o.containerName) + ":";
    auto log = Log::open(file, c.level_, prefix);
    if (log) c.log_ = std::move(*log);
    else if (!o.logFile.empty()) return std::move(log).error();  // -o FILE that cannot be written
    // The default log is best effort: a tool runs on without it (and hints
    // name only log files that exist).
    return c;
}

Result<Container> Context::container(const std::string& name) const { return Container::open(host_, base_, name); }

Result<std::vector<std::string>> Context::containerNames() const { return listContainers(base_); }

}  // namespace xc
