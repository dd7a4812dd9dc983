// The download template: a container from an image server, as LXC's
// lxc-download (xc-create -t download -- -d DIST -r RELEASE [-a ARCH] ...).
// The index (simplestreams, then LXC's meta/1.0), the transfers, the
// checksums and the cache are libxc's image module; this program chooses,
// prints progress, checks signatures with gpgv and installs the image as
// the local template does.
#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "download_support.hpp"
#include "image/download_cache.hpp"
#include "image/fetch.hpp"
#include "image/index.hpp"
#include "template_common.hpp"

namespace {

using xc::image::ImageQuery;
using xc::image::RemoteImage;

const char* kUsage =
    "usage: xc-create -n NAME -t download -- -d DIST -r RELEASE [-a ARCH] [--variant V] [options]\n"
    "\n"
    "A container from an image server (as LXC's lxc-download).\n"
    "\n"
    "  -d, --dist DIST       the distribution (debian, ubuntu, alpine, ...)\n"
    "  -r, --release REL     its release (bookworm, 24.04, ...)\n"
    "  -a, --arch ARCH       the architecture (default: the host's, e.g. amd64)\n"
    "  --variant V           the image variant (default: default)\n"
    "  --server HOST|URL     the image server (default images.linuxcontainers.org); a bare\n"
    "                        host means https://HOST; plain HTTP only with an http:// URL\n"
    "  -l, --list            list the server's images matching -d/-r/-a/--variant and stop\n"
    "  --flush-cache         drop the cached image first\n"
    "  --force-cache         use the cached image without asking the server\n"
    "  --keyring FILE        check each file's detached signature (.asc) with gpgv against\n"
    "                        this keyring\n"
    "  --no-validate         do not check signatures (a warning); checksums are always checked\n"
    "  --ca-file FILE        the CA certificate(s) to trust for the server (PEM)\n"
    "  -h, --help            this text\n"
    "\n"
    "The server's simplestreams index (streams/v1/index.json, SHA-256 for every file) is\n"
    "tried first, then LXC's meta/1.0/index-system. Cache: $XC_CACHE/download/DIST/RELEASE/\n"
    "ARCH/VARIANT (XC_CACHE from xc.conf's cache_dir, default /var/cache/xc).\n";

struct Args {
    ImageQuery q;
    std::string server = "images.linuxcontainers.org";
    std::string keyring, caFile;
    bool list = false, flush = false, forceCache = false, noValidate = false;
};

Args parseArgs(const std::vector<std::string>& raw) {
    Args a;
    xctmpl::Options o(raw);
    while (!o.done()) {
        if (o.flag({"-l", "--list"})) a.list = true;
        else if (o.flag({"--flush-cache"})) a.flush = true;
        else if (o.flag({"--force-cache"})) a.forceCache = true;
        else if (o.flag({"--no-validate"})) a.noValidate = true;
        else {
            auto r = o.value({"-d", "--dist"}, a.q.dist);
            if (r && !*r) r = o.value({"-r", "--release"}, a.q.release);
            if (r && !*r) r = o.value({"-a", "--arch"}, a.q.arch);
            if (r && !*r) r = o.value({"--variant"}, a.q.variant);
            if (r && !*r) r = o.value({"--server"}, a.server);
            if (r && !*r) r = o.value({"--keyring"}, a.keyring);
            if (r && !*r) r = o.value({"--ca-file"}, a.caFile);
            if (!r) xctmpl::fail("download", r.error().message());
            bool matched = *r;
            if (!matched) xctmpl::fail("download", "unknown option '" + o.current() + "' (see --help)");
        }
    }
    return a;
}

// lxc-download's architecture names for the host's.
std::string hostArch() {
    struct utsname u;
    if (::uname(&u) != 0) return "amd64";
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m == "i686" || m == "i586" || m == "i386") return "i386";
    if (m.rfind("armv7", 0) == 0) return "armhf";
    if (m == "ppc64le") return "ppc64el";
    return m;
}

std::string describe(const ImageQuery& q) { return q.dist + " " + q.release + " " + q.arch + " (" + q.variant + ")"; }

void printList(const std::vector<RemoteImage>& images, const std::string& base) {
    size_t w[4] = {4, 7, 4, 7};
    for (const auto& i : images) {
        w[0] = std::max(w[0], i.dist.size()), w[1] = std::max(w[1], i.release.size());
        w[2] = std::max(w[2], i.arch.size()), w[3] = std::max(w[3], i.variant.size());
    }
    auto row = [&](const std::string& d, const std::string& r, const std::string& a, const std::string& v,
                   const std::string& b, const std::string& idx) {
        std::printf("%-*s  %-*s  %-*s  %-*s  %-16s  %s\n", int(w[0]), d.c_str(), int(w[1]), r.c_str(), int(w[2]),
                    a.c_str(), int(w[3]), v.c_str(), b.c_str(), idx.c_str());
    };
    std::printf("images on %s:\n", base.c_str());
    row("DIST", "RELEASE", "ARCH", "VARIANT", "BUILD", "INDEX");
    for (const auto& i : images) row(i.dist, i.release, i.arch, i.variant, i.build, i.index);
    std::fflush(stdout);
}

// The cached image to install: the cache as it is (--force-cache), or the
// server's newest build, downloaded into the cache unless it is there.
xc::Result<xc::image::CacheEntry> obtain(const Args& a, xc::image::DownloadCache& cache, const std::string& base,
                                         const xc::image::DownloadCache::Verify& verify) {
    auto entry = cache.current();
    if (a.forceCache) {
        if (!entry)
            return xc::Error::msg("--force-cache: no cached image of " + describe(a.q) + " in " + cache.dir(), ENOENT);
        std::printf("download template: using the cached %s, build %s (--force-cache: the server is not asked)\n",
                    describe(a.q).c_str(), entry->build.c_str());
        if (verify) {
            if (!entry->hasSignatures)
                return xc::Error::msg("--keyring: the cached image " + cache.dir() + " has no signatures (--flush-cache fetches them)", EINVAL);
            XC_TRY(verify(entry->rootfs(), entry->rootfs() + ".asc").ctx("signature of the cached rootfs.tar.xz"));
            if (entry->hasMeta) XC_TRY(verify(entry->meta(), entry->meta() + ".asc").ctx("signature of the cached meta.tar.xz"));
        }
        return *entry;
    }
    XC_ASSIGN(xc::image::Fetcher f, xctmpl::makeFetcher(a.caFile, base));
    std::string hint = entry ? " (--force-cache uses the cached build " + entry->build + ")" : "";
    auto images = xc::image::readServerIndex(f, base, a.q);
    if (!images) return xc::Error::msg(images.error().message() + hint, images.error().code());
    if (images->empty())
        return xc::Error::msg("no image " + describe(a.q) + " on " + base + " (--list shows what it has)", ENOENT);
    const RemoteImage& img = images->front();
    if (entry && entry->build == img.build && (!verify || entry->hasSignatures)) {
        std::printf("download template: the cached %s is the server's newest, build %s\n", describe(a.q).c_str(),
                    img.build.c_str());
        return *entry;
    }
    std::printf("download template: downloading %s build %s from %s (%s index)%s\n", describe(a.q).c_str(),
                img.build.c_str(), base.c_str(), img.index.c_str(),
                entry ? (", replacing the cached build " + entry->build).c_str() : "");
    std::fflush(stdout);
    XC_ASSIGN(xc::image::FillReport rep, cache.fill(f, base, img, verify));
    if (rep.checksums)
        std::printf("download template: SHA-256 of every file checked%s\n", verify ? ", signatures checked with gpgv" : "");
    else
        std::printf("download template: the server publishes no checksums for this image: relying on TLS%s\n",
                    verify ? " and the signatures (checked with gpgv)" : "");
    return rep.entry;
}

}  // namespace

int main(int argc, char** argv) {
    const xctmpl::Interface in = xctmpl::interfaceOrExit(argc, argv, "download", kUsage);
    Args a = parseArgs(in.args);
    auto base = xctmpl::serverBase(a.server);
    if (!base) xctmpl::fail("download", base.error().message());
    if (a.list) {
        auto f = xctmpl::makeFetcher(a.caFile, *base);
        if (!f) xctmpl::fail("download", f.error().message());
        auto images = xc::image::readServerIndex(*f, *base, a.q);
        if (!images) xctmpl::fail("download", images.error().message());
        printList(*images, *base);
        xctmpl::fail("download", "--list: " + std::to_string(images->size()) + " images listed; no container made");
    }
    if (a.q.dist.empty() || a.q.release.empty()) xctmpl::fail("download", "-d DIST and -r RELEASE are needed (--list shows the server's images)");
    if (a.q.arch.empty()) a.q.arch = hostArch();
    if (a.q.variant.empty()) a.q.variant = "default";
    xc::image::DownloadCache::Verify verify;
    if (a.noValidate) {
        std::fprintf(stderr, "download template: warning: --no-validate: signatures are not checked (checksums still are)\n");
    } else if (!a.keyring.empty()) {
        auto v = xctmpl::gpgvVerifier(a.keyring);
        if (!v) xctmpl::fail("download", v.error().message());
        verify = *v;
    }
    const char* cacheEnv = std::getenv("XC_CACHE");
    std::string cacheRoot = cacheEnv && *cacheEnv ? cacheEnv : "/var/cache/xc";
    auto cache = xc::image::DownloadCache::open(cacheRoot, a.q);
    if (!cache) xctmpl::fail("download", cache.error().message());
    if (a.flush) {
        if (auto s = cache->flush(); !s) xctmpl::fail("download", s.error().message());
        std::printf("download template: flushed the cache %s\n", cache->dir().c_str());
    }
    auto entry = obtain(a, *cache, *base, verify);
    if (!entry) xctmpl::fail("download", describe(a.q) + ": " + entry.error().message());
    xctmpl::ImageFiles img{entry->rootfs(), entry->meta(), a.q.dist + " " + a.q.release + " " + a.q.arch + " (build " + entry->build + ")"};
    auto s = xctmpl::installImage("download", in, img);
    if (!s) xctmpl::fail("download", s.error().message());
    return 0;
}
