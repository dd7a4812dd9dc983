// The oci template: a container from an OCI image (as LXC's lxc-oci):
// xc-create -t oci -- -u oci:DIR[:TAG] | oci-archive:FILE[:TAG] |
// docker-archive:FILE[:REPO:TAG] | docker://REF.
//
// With -B overlay the image's layers go into the layer store once (keyed by
// their diff_id) and the container's root is an overlay of them: a second
// container of the same image copies nothing. With -B dir they are applied
// in order onto the container's own tree. An image whose command is an init
// (or that has none and ships /sbin/init) boots as a system container;
// otherwise its entrypoint and command run as the container's init, with
// its environment, working directory, user and stop signal.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "config/config_text.hpp"
#include "image/layer_store.hpp"
#include "image/oci.hpp"
#include "image/unpack.hpp"
#include "image/unpack_internal.hpp"
#include "process/process.hpp"
#include "template_common.hpp"

namespace {

using xc::Error;
using xc::Result;
using xc::Status;
namespace image = xc::image;

const char* kUsage =
    "usage: xc-create -n NAME -t oci [-B dir|overlay] -- -u URL [--system]\n"
    "\n"
    "A container from an OCI image (as LXC's lxc-oci).\n"
    "\n"
    "  -u, --url URL   the image: oci:DIR[:TAG] (an OCI image layout), oci-archive:FILE[:TAG]\n"
    "                  (the same as a tar file), docker-archive:FILE[:REPO:TAG] (docker save's\n"
    "                  output), or docker://REF (fetched with skopeo, when it is installed)\n"
    "  --system        boot /sbin/init even if the image's command is something else\n"
    "  -h, --help      this text\n"
    "\n"
    "With -B overlay every layer is unpacked once into the layer store (CACHE/oci/layers,\n"
    "named by its diff_id) and shared read-only by every container made from it;\n"
    "xc-image lists the store and prunes what no container uses. With -B dir the layers\n"
    "are applied in order onto the container's own tree. Every blob is checked against\n"
    "its SHA-256 and every layer against its diff_id; layers are unpacked with the same\n"
    "safety rules as the local template.\n"
    "\n"
    "An image whose command is an init (or that has none and ships /sbin/init) boots\n"
    "as a system container. Any other runs its entrypoint and command as the container's\n"
    "init, with the image's environment, working directory and user; xc-stop sends its\n"
    "stop signal (SIGTERM if it names none).\n";

constexpr const char* kTmpl = "oci";

// The image's tree as a path lookup sees it: the layers top first (a
// whiteout hides what is below), each looked up inside its own root
// (openat2 RESOLVE_IN_ROOT: the layers are hostile, their links too).
class ImageTree {
public:
    explicit ImageTree(std::vector<std::string> topFirst) : layers_(std::move(topFirst)) {}
    // An O_PATH handle of path (not followed if a link) in the topmost
    // layer that has it; none if no layer has it or a whiteout deletes it.
    std::optional<xc::UniqueFd> find(const std::string& path, struct stat& st) const {
        for (const auto& l : layers_) {
            xc::UniqueFd root(::open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!root) continue;
            struct open_how how {};
            how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
            how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
            xc::UniqueFd f(static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how)));
            if (!f || ::fstat(f.get(), &st) != 0) continue;
            if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return std::nullopt;  // a whiteout
            return f;
        }
        return std::nullopt;
    }
    bool has(const std::string& path) const {
        struct stat st;
        return find(path, st).has_value();
    }
    std::string linkTarget(const std::string& path) const {
        struct stat st;
        auto f = find(path, st);
        if (!f || !S_ISLNK(st.st_mode)) return "";
        char buf[4096];
        ssize_t n = ::readlinkat(f->get(), "", buf, sizeof buf - 1);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    }
    Result<std::string> read(const std::string& path) const {
        struct stat st;
        auto f = find(path, st);
        if (!f || !S_ISREG(st.st_mode)) return Error::msg(path + ": not in the image", ENOENT);
        // The handle is O_PATH: opened again through it, for reading.
        xc::UniqueFd r(::open(("/proc/self/fd/" + std::to_string(f->get())).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (!r) return Error::sys("open " + path + " in the image");
        return xc::readRegularFd(r.get(), path, 4u << 20);
    }

private:
    std::vector<std::string> layers_;
};

// A source that is not a layout on disk yet, turned into one in a
// directory of the container's staging tree (removed when done).
struct Source {
    image::OciImage img;
    std::string scratch;  // "" if none was needed
};

Status runSkopeo(const std::string& ref, const std::string& dir) {
    const char* skopeo = "/usr/bin/skopeo";
    if (::access(skopeo, X_OK) != 0)
        return Error::msg(ref + ": docker:// references need skopeo (apt-get install skopeo)", ENOENT);
    xc::Program p;
    p.argv = {skopeo, "copy", "--quiet", ref, "oci:" + dir + ":image"};
    p.stdoutFd = 1;
    p.stderrFd = 2;
    XC_ASSIGN(xc::Process child, xc::startProgram(p));
    XC_ASSIGN(int status, child.wait());
    if (status != 0) return Error::msg("skopeo copy " + ref + ": " + xc::describeWaitStatus(status), EIO);
    return {};
}

Result<Source> openSource(const image::OciReference& ref, const std::string& scratch) {
    Source s;
    using Kind = image::OciReference::Kind;
    const std::string arch = image::ociArchitecture();
    if (ref.kind == Kind::Layout) {
        XC_ASSIGN(s.img, image::readOciLayout(ref.path, ref.tag, arch));
        return s;
    }
    if (::mkdir(scratch.c_str(), 0700) != 0) return Error::sys("make " + scratch);
    s.scratch = scratch;
    if (ref.kind == Kind::Registry) {
        XC_TRY(runSkopeo(ref.path, scratch));
        XC_ASSIGN(s.img, image::readOciLayout(scratch, "image", arch));
        s.img.shown = ref.shown;
        return s;
    }
    xc::UniqueFd dir(::open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::sys("open " + scratch);
    XC_TRY(image::unpackTarball(ref.path, dir.get()).ctx("unpack " + ref.path));
    if (ref.kind == Kind::LayoutArchive) {
        XC_ASSIGN(s.img, image::readOciLayout(scratch, ref.tag, arch));
    } else {
        XC_ASSIGN(s.img, image::readDockerArchive(scratch, ref.tag));
    }
    s.img.shown = ref.shown;
    return s;
}

std::string mib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
    return buf;
}

// -B overlay: the layers into the store, named for xc-create in
// XC_LAYERS_OUT (bottom first). The store's shared lock is held meanwhile,
// so that a prune waits for this creation to name them.
Result<std::vector<std::string>> storeLayers(const image::OciImage& img, const std::string& cache,
                                             const std::string& base, const std::string& out) {
    image::LayerStore store(cache + "/oci");
    XC_ASSIGN(image::StoreLock lock, image::StoreLock::take(store.dir(), false));
    XC_TRY(store.recordBase(base));
    std::vector<std::string> paths;
    std::string list;
    for (size_t i = 0; i < img.layers.size(); ++i) {
        const auto& l = img.layers[i];
        bool added = false;
        auto t0 = std::chrono::steady_clock::now();
        XC_ASSIGN(std::string path, store.ensure(img, l, added));
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (added)
            std::printf("oci template: layer %zu/%zu sha256:%.12s: unpacked into the store in %.2f s\n", i + 1,
                        img.layers.size(), l.diffId.c_str(), secs);
        else
            std::printf("oci template: layer %zu/%zu sha256:%.12s: already in the store\n", i + 1, img.layers.size(),
                        l.diffId.c_str());
        paths.push_back(path);
        list += path + "\n";
    }
    XC_TRY(xc::writeFileAtomic(out, list, 0644));
    return paths;
}

Status applyToRootfs(const image::OciImage& img, const std::string& rootfs) {
    xc::UniqueFd root(::open(rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) return Error::sys("open rootfs " + rootfs);
    auto t0 = std::chrono::steady_clock::now();
    XC_ASSIGN(image::UnpackStats st, image::applyLayers(img, root.get()));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("oci template: applied %zu layers: %llu files, %llu directories, %llu whiteouts, %s in %.2f s\n",
                img.layers.size(), static_cast<unsigned long long>(st.files + st.specials),
                static_cast<unsigned long long>(st.directories),
                static_cast<unsigned long long>(st.whiteouts + st.opaqueDirs), mib(st.bytes).c_str(), secs);
    return {};
}

std::string quoted(const std::string& s) { return xc::config_detail::quoteConfigString(s); }

std::string quotedList(const std::vector<std::string>& v) {
    std::string out = "[ ";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quoted(v[i]);
    return out + " ]";
}

// "UID[:GID]" from the image's User (a name, a number, name:group ...),
// names looked up in the image's own /etc/passwd and /etc/group.
Result<std::string> numericUser(const std::string& user, const ImageTree& tree) {
    auto lookup = [&](const std::string& file, const std::string& name, int field) -> Result<std::string> {
        if (name.find_first_not_of("0123456789") == std::string::npos) return name;
        XC_ASSIGN(std::string text, tree.read(file).ctx("user '" + user + "'"));
        size_t i = 0;
        while (i < text.size()) {
            size_t j = text.find('\n', i);
            std::string line = text.substr(i, j == std::string::npos ? std::string::npos : j - i);
            i = j == std::string::npos ? text.size() : j + 1;
            std::vector<std::string> f;
            for (size_t a = 0, b; ; a = b + 1) {
                b = line.find(':', a);
                f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
                if (b == std::string::npos) break;
            }
            if (f.size() > 3 && f[0] == name) return f[static_cast<size_t>(field)];
        }
        return Error::msg("user '" + user + "': no '" + name + "' in the image's " + file, ENOENT);
    };
    size_t colon = user.find(':');
    const std::string u = user.substr(0, colon);
    XC_ASSIGN(std::string uid, lookup("/etc/passwd", u, 2));
    std::string gid = "0";
    if (colon != std::string::npos) {
        XC_ASSIGN(gid, lookup("/etc/group", user.substr(colon + 1), 2));
    } else if (u.find_first_not_of("0123456789") != std::string::npos) {
        XC_ASSIGN(gid, lookup("/etc/passwd", u, 3));
    }
    return uid + ":" + gid;
}

// A command's program as an absolute path: searched in the image's PATH.
Result<std::string> programPath(const std::string& prog, const std::vector<std::string>& env, const ImageTree& tree) {
    if (!prog.empty() && prog[0] == '/') return prog;
    std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& e : env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    for (size_t a = 0, b;; a = b + 1) {
        b = path.find(':', a);
        std::string dir = path.substr(a, b == std::string::npos ? std::string::npos : b - a);
        if (!dir.empty() && dir[0] == '/' && tree.has(dir + "/" + prog)) return dir + "/" + prog;
        if (b == std::string::npos) break;
    }
    return Error::msg("the image's command '" + prog + "' is not in its PATH (" + path + ")", ENOENT);
}

bool isInit(const std::string& prog) {
    std::string base = prog.substr(prog.rfind('/') + 1);
    return base == "init" || base == "systemd";
}

std::string haltSignalOfInit(const std::string& init, const ImageTree& tree) {
    std::string target = init + " " + tree.linkTarget(init);
    if (target.find("systemd") != std::string::npos) return "SIGRTMIN+3";
    if (target.find("busybox") != std::string::npos) return "SIGUSR1";
    return "";
}

std::string stopSignal(const std::string& s) {
    if (s.empty()) return "SIGTERM";
    if (s.find_first_not_of("0123456789") == std::string::npos) return s;
    return s.rfind("SIG", 0) == 0 ? s : "SIG" + s;
}

Result<std::string> containerSettings(const image::OciImage& img, const ImageTree& tree, bool forceSystem) {
    std::vector<std::string> cmd = img.run.entrypoint;
    cmd.insert(cmd.end(), img.run.cmd.begin(), img.run.cmd.end());
    const bool system = forceSystem || (cmd.empty() && tree.has("/sbin/init")) || (!cmd.empty() && isInit(cmd[0]));
    std::string text = "# Written by the oci template from " + img.shown + ".\n";
    if (system) {
        std::vector<std::string> init = forceSystem || cmd.empty() ? std::vector<std::string>{"/sbin/init"} : cmd;
        XC_ASSIGN(init[0], programPath(init[0], img.run.env, tree));
        std::string halt = haltSignalOfInit(init[0], tree);
        text += "init = { cmd = " + quotedList(init) + ";" + (halt.empty() ? "" : " halt_signal = " + quoted(halt) + ";") +
                " };\n";
        std::printf("oci template: a system container: its init is %s\n", init[0].c_str());
    } else {
        if (cmd.empty()) return Error::msg(img.shown + ": the image has no command and no /sbin/init: nothing to run", EINVAL);
        XC_ASSIGN(cmd[0], programPath(cmd[0], img.run.env, tree));
        text += "init = { cmd = " + quotedList(cmd) + "; halt_signal = " + quoted(stopSignal(img.run.stopSignal)) + ";";
        if (!img.run.workingDir.empty()) text += " cwd = " + quoted(img.run.workingDir) + ";";
        if (!img.run.user.empty()) {
            XC_ASSIGN(std::string user, numericUser(img.run.user, tree));
            text += " user = " + quoted(user) + ";";
        }
        text += " };\ntty = { count = 0; };\n";
        if (!img.run.env.empty()) text += "environment = " + quotedList(img.run.env) + ";\n";
        std::printf("oci template: an application container: its init is %s\n", cmd[0].c_str());
    }
    return text;
}

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
    const xctmpl::Interface in = xctmpl::interfaceOrExit(argc, argv, kTmpl, kUsage);
    xctmpl::Options o(in.args);
    std::string url;
    bool system = false;
    while (!o.done()) {
        if (o.flag({"--system"})) {
            system = true;
            continue;
        }
        auto r = o.value({"--url", "-u"}, url);
        if (!r) xctmpl::fail(kTmpl, r.error().message());
        if (!*r) xctmpl::fail(kTmpl, "unknown option '" + o.current() + "' (see --help)");
    }
    if (url.empty()) xctmpl::fail(kTmpl, "-u URL is needed (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, docker://REF)");
    auto ref = image::parseOciReference(url);
    if (!ref) xctmpl::fail(kTmpl, ref.error().message());
    const std::string scratch = in.path + "/.oci-source";
    xc::ScopeExit removeScratch([&] { (void)xc::removeTree(scratch); });
    auto src = openSource(*ref, scratch);
    if (!src) xctmpl::fail(kTmpl, url + ": " + src.error().message());
    const image::OciImage& img = src->img;
    std::printf("oci template: %s: %zu layers\n", img.shown.c_str(), img.layers.size());
    std::vector<std::string> topFirst;
    const std::string layersOut = envOr("XC_LAYERS_OUT", "");
    if (envOr("XC_BACKEND", "dir") == "overlay" && !layersOut.empty()) {
        const std::string base = in.path.substr(0, in.path.rfind('/'));
        auto layers = storeLayers(img, envOr("XC_CACHE", "/var/cache/xc"), base, layersOut);
        if (!layers) xctmpl::fail(kTmpl, url + ": " + layers.error().message());
        topFirst.assign(layers->rbegin(), layers->rend());
    } else {
        if (auto st = applyToRootfs(img, in.rootfs); !st) xctmpl::fail(kTmpl, url + ": " + st.error().message());
        topFirst = {in.rootfs};
    }
    auto settings = containerSettings(img, ImageTree(topFirst), system);
    if (!settings) xctmpl::fail(kTmpl, settings.error().message());
    if (auto st = xc::writeFileAtomic(in.config, *settings, 0644); !st) xctmpl::fail(kTmpl, st.error().message());
    std::fflush(stdout);
    return 0;
}
