// What the C++ templates (local, download) share: the template interface's
// arguments (templates/README.md) and installing an image (a rootfs
// tarball and its LXC metadata) into the container being created.
#pragma once

#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xctmpl {

struct Interface {
    std::string name, path, rootfs, config;
    std::vector<std::string> args;  // the template's own, after the four
    bool help = false;
};

// The first four options are xc-create's (--name, --path, --rootfs,
// --config, in any order, also as --opt=VALUE); everything after them is the
// template's. --help anywhere sets help.
xc::Result<Interface> parseInterface(int argc, char** argv);

// A template's main starts here: the parsed interface, or exits (usage on
// stdout and 0 for --help; one error line and 1 for bad options).
Interface interfaceOrExit(int argc, char** argv, const std::string& tmpl, const char* usage);

// Option reader over the template's own arguments.
class Options {
public:
    explicit Options(std::vector<std::string> args) : args_(std::move(args)) {}
    bool done() const { return i_ >= args_.size(); }
    // True if the next argument is one of the names (a flag).
    bool flag(std::initializer_list<const char*> names);
    // True and sets value if the next argument is one of the names with a
    // value (next argument or "=VALUE"); a missing value is an error.
    xc::Result<bool> value(std::initializer_list<const char*> names, std::string& out);
    const std::string& current() const { return args_[i_]; }

private:
    std::vector<std::string> args_;
    size_t i_ = 0;
};

struct ImageFiles {
    std::string rootfsTarball;
    std::string metaTarball;  // "" if none
    std::string shownAs;      // "debian bookworm amd64 (build 20250101)", for messages
};

// Unpacks the image into the (empty) rootfs, applies its metadata
// (excludes, templates, config) and writes CONFIG_OUT; prints what it did
// and which LXC keys it ignored.
xc::Status installImage(const std::string& tmpl, const Interface& in, const ImageFiles& img);

[[noreturn]] void fail(const std::string& tmpl, const std::string& message);

}  // namespace xctmpl
