#include "template_common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "image/metadata.hpp"
#include "image/unpack.hpp"
#include "xc/fd.hpp"

namespace xctmpl {

using xc::Error;
using xc::Result;
using xc::Status;

void fail(const std::string& tmpl, const std::string& message) {
    std::fprintf(stderr, "%s template: %s\n", tmpl.c_str(), message.c_str());
    std::exit(1);
}

Interface interfaceOrExit(int argc, char** argv, const std::string& tmpl, const char* usage) {
    auto in = parseInterface(argc, argv);
    if (in && in->help) {
        std::fputs(usage, stdout);
        std::exit(0);
    }
    if (!in) fail(tmpl, in.error().message());
    return std::move(*in);
}

Result<Interface> parseInterface(int argc, char** argv) {
    Interface in;
    int i = 1;
    auto take = [&](const std::string& a, const char* name, std::string& out) -> Result<bool> {
        std::string n = name;
        if (a == n) {
            if (i + 1 >= argc) return Error::msg(n + " needs a value", EINVAL);
            out = argv[++i];
            return true;
        }
        if (a.rfind(n + "=", 0) == 0) {
            out = a.substr(n.size() + 1);
            return true;
        }
        return false;
    };
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            in.help = true;
            return in;
        }
        if (!in.name.empty() && !in.path.empty() && !in.rootfs.empty() && !in.config.empty()) break;
        bool matched = false;
        for (auto [opt, field] : {std::pair{"--name", &in.name}, {"--path", &in.path}, {"--rootfs", &in.rootfs},
                                  {"--config", &in.config}}) {
            if (!field->empty()) continue;
            XC_ASSIGN(bool m, take(a, opt, *field));
            if (m) {
                matched = true;
                break;
            }
        }
        if (!matched) return Error::msg("expected --name, --path, --rootfs and --config first (as xc-create passes them), got '" + a + "'", EINVAL);
    }
    if (i < argc && std::string(argv[i]) == "--") ++i;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") in.help = true;
        in.args.push_back(a);
    }
    if (!in.help && (in.name.empty() || in.path.empty() || in.rootfs.empty() || in.config.empty()))
        return Error::msg("run by xc-create (missing --name, --path, --rootfs or --config); see --help", EINVAL);
    return in;
}

bool Options::flag(std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (args_[i_] == n) {
            ++i_;
            return true;
        }
    return false;
}

Result<bool> Options::value(std::initializer_list<const char*> names, std::string& out) {
    const std::string& a = args_[i_];
    for (const char* n : names) {
        std::string s = n;
        if (a == s) {
            if (i_ + 1 >= args_.size()) return Error::msg(s + " needs a value", EINVAL);
            out = args_[i_ + 1];
            i_ += 2;
            return true;
        }
        if (s.size() > 2 && a.rfind(s + "=", 0) == 0) {
            out = a.substr(s.size() + 1);
            ++i_;
            return true;
        }
    }
    return false;
}

namespace {

// Where the container will be once xc-create renames its staging
// directory (BASE/.xc-staging-NAME-XXXXXX -> BASE/NAME): what the image's
// templates see as LXC_PATH and LXC_ROOTFS_PATH.
std::pair<std::string, std::string> finalPaths(const Interface& in) {
    std::string dir = in.path;
    size_t slash = dir.rfind('/');
    if (slash != std::string::npos && dir.compare(slash + 1, 12, ".xc-staging-") == 0)
        dir = dir.substr(0, slash + 1) + in.name;
    std::string rootfs = in.rootfs;
    if (rootfs.rfind(in.path + "/", 0) == 0) rootfs = dir + rootfs.substr(in.path.size());
    return {dir, rootfs};
}

Status writeConfig(const std::string& tmpl, const Interface& in, const xc::image::Metadata& meta) {
    XC_ASSIGN(xc::image::MappedConfig mapped, xc::image::mapLxcConfig(meta.config));
    if (!mapped.ignored.empty()) {
        std::printf("%s template: LXC config keys without an xc equivalent, ignored:\n", tmpl.c_str());
        for (const auto& k : mapped.ignored) std::printf("  %s\n", k.c_str());
    }
    std::string text = "# Written by the " + tmpl + " template from the image's LXC config.\n" + mapped.xcConfig;
    FILE* f = std::fopen(in.config.c_str(), "we");
    if (!f) return Error::sys("write " + in.config);
    bool ok = std::fputs(text.c_str(), f) >= 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) return Error::sys("write " + in.config);
    return {};
}

}  // namespace

Status installImage(const std::string& tmpl, const Interface& in, const ImageFiles& img) {
    xc::image::Metadata meta;
    if (!img.metaTarball.empty()) {
        XC_ASSIGN(meta, xc::image::readMetadata(img.metaTarball));
    }
    xc::UniqueFd root(::open(in.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) return Error::sys("open rootfs " + in.rootfs);
    xc::image::UnpackOptions opt;
    opt.excludes = meta.excludes;
    auto t0 = std::chrono::steady_clock::now();
    XC_ASSIGN(xc::image::UnpackStats st, xc::image::unpackTarball(img.rootfsTarball, root.get(), opt));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s template: unpacked %s: %llu files, %llu directories, %llu links, %.1f MB in %.2f s\n", tmpl.c_str(),
                img.shownAs.c_str(), static_cast<unsigned long long>(st.files + st.specials),
                static_cast<unsigned long long>(st.directories),
                static_cast<unsigned long long>(st.symlinks + st.hardLinks), st.bytes / 1e6, secs);
    if (st.skippedOwners || st.skippedDevices || st.skippedXattrs)
        std::printf("%s template: not root: %llu owners, %llu device nodes and %llu attributes not set\n", tmpl.c_str(),
                    static_cast<unsigned long long>(st.skippedOwners), static_cast<unsigned long long>(st.skippedDevices),
                    static_cast<unsigned long long>(st.skippedXattrs));
    auto [dir, rootfs] = finalPaths(in);
    const char* dataDir = std::getenv("XC_DATA_DIR");
    std::string templateConfig = std::string(dataDir && *dataDir ? dataDir : XC_INSTALL_DATADIR) + "/config";
    XC_TRY(xc::image::applyTemplates(root.get(), meta.templates,
                                     {{"LXC_NAME", in.name}, {"LXC_PATH", dir}, {"LXC_ROOTFS_PATH", rootfs},
                                      {"LXC_TEMPLATE_CONFIG", templateConfig}})
               .ctx("apply the image's templates"));
    XC_TRY(writeConfig(tmpl, in, meta));
    if (!meta.createMessage.empty()) std::printf("%s", meta.createMessage.c_str());
    std::fflush(stdout);
    return {};
}

}  // namespace xctmpl
