#include "common.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <iostream>

#ifndef XC_VERSION
#define XC_VERSION "0.0.0"
#endif

namespace xc::tool {

Tool::Tool(std::string name, std::string about, std::string footer, bool needsName, bool shortLogOption,
           const std::string& baseOption)
    : tool_(std::move(name)), app_(std::move(about), tool_), needsName_(needsName) {
    app_.set_help_flag("-h,--help", "Print this help and exit");
    app_.set_version_flag("--version", std::string(XC_VERSION), "Print the version and exit");
    if (needsName_)
        app_.add_option("-n,--name", name_, "Container name (1-64 of A-Z a-z 0-9 _ . -)")->required();
    app_.add_option(baseOption, path_,
                    "Base directory of the containers (default: $XC_PATH, else /var/lib/xc)");
    app_.add_option(shortLogOption ? "-o,--logfile" : "--logfile", logFile_, "Log to this file (default: /var/log/xc/<name>.log)");
    app_.add_option("-l,--logpriority", levelText_, "Log level: TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, FATAL");
    if (!footer.empty()) app_.footer(footer);
}

void Tool::preferShortWaits() {
    // struct sched_attr (linux/sched/types.h), version 1, spelled out: newer
    // C libraries declare it in <sched.h> too, and the two would clash.
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
        uint32_t utilMin, utilMax;
    } attr = {};
    attr.size = sizeof attr;
    attr.policy = SCHED_OTHER;
    attr.flags = 0x01;            // SCHED_FLAG_RESET_ON_FORK
    attr.runtime = 100 * 1000;    // the slice in ns: the kernel's smallest
    (void)::syscall(SYS_sched_setattr, 0, &attr, 0);  // a hint: failing changes nothing
}

int Tool::parse(int argc, char** argv) {
    try {
        app_.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app_.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app_.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << tool_ << ": " << e.what() << "\n" << "Try '" << tool_ << " --help' for more information.\n";
        return kExitUsage;
    }
    // Flag values are the command line's business (usage errors) ...
    ContextOptions co;
    if (!levelText_.empty()) {
        auto lvl = parseLogLevel(levelText_);
        if (!lvl) {
            std::cerr << tool_ << ": " << lvl.error().message() << "\n";
            return kExitUsage;
        }
        co.logLevel = *lvl;
    }
    if (needsName_) {
        if (auto st = validateName(name_); !st) {
            std::cerr << tool_ << ": " << st.error().message() << "\n";
            return kExitUsage;
        }
    }
    // ... what they mean is the library's (xc.conf, base, log).
    co.base = path_;
    co.logFile = logFile_;
    co.program = tool_;
    co.containerName = name_;
    auto ctx = Context::open(co);
    if (!ctx) {
        std::cerr << tool_ << ": " << ctx.error().messageWithHint() << "\n";
        return kExitFailure;
    }
    ctx_.emplace(std::move(*ctx));
    return -1;
}

Result<Container> Tool::container() const { return ctx_->container(name_); }

int Tool::fail(const Error& e) const { return fail(e.messageWithHint()); }

int Tool::fail(const std::string& message) const {
    if (ctx_) ctx_->log().error(message);
    std::fprintf(stderr, "%s: %s\n", messagePrefix().c_str(), message.c_str());
    return kExitFailure;
}

std::string humanBytes(uint64_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[64];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
    return buf;
}

}  // namespace xc::tool
