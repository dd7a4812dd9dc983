#include "image/oci.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/fsutil.hpp"
#include "image/digest.hpp"
#include "image/json.hpp"
#include "image/unpack.hpp"
#include "image/unpack_internal.hpp"

namespace xc::image {

namespace {

constexpr size_t kMaxDocument = 4u << 20;  // a manifest, config or index

// A regular file beneath the layout, read whole (at most maxBytes).
Result<std::string> readBeneath(int dirFd, const std::string& rel, size_t maxBytes) {
    XC_ASSIGN(std::string clean, memberPath(rel).ctx(rel));
    XC_ASSIGN(int fd, detail::openBeneath(dirFd, clean, O_RDONLY | O_NONBLOCK | O_NOCTTY).ctx("open " + clean));
    UniqueFd f(fd);
    return readRegularFd(f.get(), clean, maxBytes);
}

Result<Json> readJson(int dirFd, const std::string& rel) {
    XC_ASSIGN(std::string text, readBeneath(dirFd, rel, kMaxDocument));
    return Json::parse(text).ctx(rel);
}

// A blob read whole and checked against the digest that names it.
Result<Json> readBlobJson(int dirFd, const Json& descriptor, const std::string& what) {
    XC_ASSIGN(std::string hex, sha256Hex(descriptor["digest"].str()).ctx(what));
    const std::string rel = "blobs/sha256/" + hex;
    XC_ASSIGN(std::string text, readBeneath(dirFd, rel, kMaxDocument).ctx(what));
    Sha256 h;
    h.update(text.data(), text.size());
    std::string got = h.hex();
    if (got != hex)
        return Error::msg(what + " " + rel + ": SHA-256 mismatch: its name says " + hex + ", it has " + got + ": refused",
                          EINVAL);
    return Json::parse(text).ctx(what + " " + rel);
}

std::vector<std::string> strings(const Json& a) {
    std::vector<std::string> out;
    for (const auto& e : a.elements()) out.push_back(e.str());
    return out;
}

OciRunConfig runConfigOf(const Json& config) {
    const Json& c = config["config"];
    OciRunConfig r;
    r.entrypoint = strings(c["Entrypoint"]);
    r.cmd = strings(c["Cmd"]);
    r.env = strings(c["Env"]);
    r.workingDir = c["WorkingDir"].str();
    r.user = c["User"].str();
    r.stopSignal = c["StopSignal"].str();
    return r;
}

Result<UniqueFd> openDir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::sys("open " + dir);
    return fd;
}

std::string tagOf(const Json& descriptor) {
    return descriptor["annotations"]["org.opencontainers.image.ref.name"].str();
}

bool isIndex(const Json& descriptor) {
    return descriptor["mediaType"].str() == "application/vnd.oci.image.index.v1+json";
}

// The descriptor of index.json that `tag` names (or its only one).
Result<Json> pickTagged(const Json& index, const std::string& tag) {
    const auto& all = index["manifests"].elements();
    if (all.empty()) return Error::msg("index.json lists no image", EINVAL);
    std::string tags;
    for (const auto& d : all) {
        if (!tag.empty() && tagOf(d) == tag) return d;
        if (!tagOf(d).empty()) tags += (tags.empty() ? "" : ", ") + tagOf(d);
    }
    if (tag.empty() && all.size() == 1) return all[0];
    if (tag.empty())
        return Error::msg("the layout holds several images: name one (oci:DIR:TAG; tags: " + tags + ")", EINVAL);
    return Error::msg("no image tagged '" + tag + "' (tags: " + (tags.empty() ? "none" : tags) + ")", ENOENT);
}

// From an image index, the manifest for linux/arch.
Result<Json> pickPlatform(int dirFd, const Json& indexDescriptor, const std::string& arch) {
    XC_ASSIGN(Json idx, readBlobJson(dirFd, indexDescriptor, "image index"));
    std::string seen;
    for (const auto& d : idx["manifests"].elements()) {
        const Json& p = d["platform"];
        if (p["os"].str() == "linux" && p["architecture"].str() == arch) return d;
        seen += (seen.empty() ? "" : ", ") + p["os"].str() + "/" + p["architecture"].str();
    }
    return Error::msg("no image for linux/" + arch + " (it has " + (seen.empty() ? "none" : seen) + ")", ENOENT);
}

Result<std::vector<OciLayer>> layersOf(const Json& manifest, const Json& config) {
    const auto& ls = manifest["layers"].elements();
    const auto& ids = config["rootfs"]["diff_ids"].elements();
    if (ls.size() != ids.size())
        return Error::msg("the manifest has " + std::to_string(ls.size()) + " layers, the config " +
                              std::to_string(ids.size()) + " diff_ids: refused",
                          EINVAL);
    std::vector<OciLayer> out;
    for (size_t i = 0; i < ls.size(); ++i) {
        OciLayer l;
        XC_ASSIGN(l.digest, sha256Hex(ls[i]["digest"].str()).ctx("layer " + std::to_string(i + 1)));
        XC_ASSIGN(l.diffId, sha256Hex(ids[i].str()).ctx("diff_id " + std::to_string(i + 1)));
        l.mediaType = ls[i]["mediaType"].str();
        // OCI's (.tar, +gzip, +zstd, nondistributable) and Docker's (rootfs.diff.tar.gzip)
        if (l.mediaType.find(".tar") == std::string::npos)
            return Error::msg("layer " + std::to_string(i + 1) + ": media type '" + l.mediaType + "' is not a tar layer",
                              ENOTSUP);
        l.size = static_cast<uint64_t>(ls[i]["size"].number());
        l.blob = "blobs/sha256/" + l.digest;
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

Result<OciReference> parseOciReference(const std::string& url) {
    OciReference r;
    r.shown = url;
    auto rest = [&](const std::string& prefix) { return url.substr(prefix.size()); };
    // A path may hold ':' only where no tag follows; the tag is what the
    // last ':' leaves, when that contains no '/'.
    auto splitTag = [&](std::string s) {
        size_t c = s.rfind(':');
        if (c != std::string::npos && s.find('/', c) == std::string::npos) {
            r.tag = s.substr(c + 1);
            s.resize(c);
        }
        r.path = s;
    };
    if (url.rfind("oci:", 0) == 0) {
        r.kind = OciReference::Kind::Layout;
        splitTag(rest("oci:"));
    } else if (url.rfind("oci-archive:", 0) == 0) {
        r.kind = OciReference::Kind::LayoutArchive;
        splitTag(rest("oci-archive:"));
    } else if (url.rfind("docker-archive:", 0) == 0) {
        r.kind = OciReference::Kind::DockerArchive;
        std::string s = rest("docker-archive:");
        size_t c = s.find(':');
        r.path = s.substr(0, c);
        if (c != std::string::npos) r.tag = s.substr(c + 1);
    } else if (url.rfind("docker://", 0) == 0) {
        r.kind = OciReference::Kind::Registry;
        r.path = url;
    } else {
        return Error::msg("URL '" + url + "': use oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE or docker://REF",
                          EINVAL);
    }
    if (r.path.empty())
        return Error::msg("URL '" + url + "' names no image", EINVAL);
    return r;
}

std::string ociArchitecture() {
    struct utsname u {};
    ::uname(&u);
    const std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m.rfind("armv", 0) == 0) return "arm";
    if (m == "i386" || m == "i686") return "386";
    return m;  // ppc64le, s390x, riscv64 are spelt alike
}

Result<OciImage> readOciLayout(const std::string& dir, const std::string& tag, const std::string& arch) {
    OciImage img;
    img.shown = "oci:" + dir + (tag.empty() ? "" : ":" + tag);
    XC_ASSIGN(img.dir, openDir(dir));
    const int fd = img.dir.get();
    XC_ASSIGN(Json layoutFile, readJson(fd, "oci-layout").ctx("not an OCI image layout"));
    if (layoutFile["imageLayoutVersion"].str().rfind("1.", 0) != 0)
        return Error::msg("oci-layout: version '" + layoutFile["imageLayoutVersion"].str() + "' is not 1.x", ENOTSUP);
    XC_ASSIGN(Json top, readJson(fd, "index.json"));
    XC_ASSIGN(Json desc, pickTagged(top, tag));
    if (isIndex(desc)) {
        Json index = desc;
        XC_ASSIGN(desc, pickPlatform(fd, index, arch));
    }
    XC_ASSIGN(Json manifest, readBlobJson(fd, desc, "manifest"));
    if (isIndex(manifest)) {  // an index tagged directly, as skopeo writes multi-arch images
        Json self = desc;
        XC_ASSIGN(desc, pickPlatform(fd, self, arch));
        XC_ASSIGN(manifest, readBlobJson(fd, desc, "manifest"));
    }
    XC_ASSIGN(Json config, readBlobJson(fd, manifest["config"], "image config"));
    img.architecture = config["architecture"].str();
    img.os = config["os"].str();
    if (!img.os.empty() && img.os != "linux") return Error::msg("an image for " + img.os + ", not linux", ENOTSUP);
    if (!img.architecture.empty() && img.architecture != arch)
        return Error::msg("an image for " + img.architecture + ", not this machine's " + arch, ENOTSUP);
    XC_ASSIGN(img.layers, layersOf(manifest, config));
    img.run = runConfigOf(config);
    return img;
}

Result<OciImage> readDockerArchive(const std::string& dir, const std::string& tag) {
    OciImage img;
    img.shown = "docker-archive:" + dir + (tag.empty() ? "" : ":" + tag);
    XC_ASSIGN(img.dir, openDir(dir));
    const int fd = img.dir.get();
    XC_ASSIGN(Json manifest, readJson(fd, "manifest.json"));
    const auto& all = manifest.elements();
    const Json* pick = nullptr;
    for (const auto& m : all)
        for (const auto& t : m["RepoTags"].elements())
            if (!tag.empty() && t.str() == tag) pick = &m;
    if (!pick && tag.empty() && all.size() == 1) pick = &all[0];
    if (!pick) return Error::msg(tag.empty() ? "manifest.json lists " + std::to_string(all.size()) + " images: name one"
                                             : "no image tagged '" + tag + "'",
                                 ENOENT);
    XC_ASSIGN(Json config, readJson(fd, (*pick)["Config"].str()).ctx("image config"));
    const auto& ls = (*pick)["Layers"].elements();
    const auto& ids = config["rootfs"]["diff_ids"].elements();
    if (ls.size() != ids.size()) return Error::msg("layers and diff_ids differ in number: refused", EINVAL);
    for (size_t i = 0; i < ls.size(); ++i) {
        OciLayer l;
        XC_ASSIGN(l.blob, memberPath(ls[i].str()).ctx("layer " + ls[i].str()));
        XC_ASSIGN(l.diffId, sha256Hex(ids[i].str()));
        l.digest = l.diffId;  // a plain tar: the blob is the diff
        img.layers.push_back(std::move(l));
    }
    img.architecture = config["architecture"].str();
    img.os = config["os"].str();
    img.run = runConfigOf(config);
    return img;
}

Result<UniqueFd> openBlob(const OciImage& image, const OciLayer& layer) {
    XC_ASSIGN(int fd, detail::openBeneath(image.dir.get(), layer.blob, O_RDONLY | O_NONBLOCK | O_NOCTTY)
                          .ctx("open layer " + layer.blob));
    UniqueFd f(fd);
    struct stat st;
    if (::fstat(f.get(), &st) != 0) return Error::sys("stat layer " + layer.blob);
    if (!S_ISREG(st.st_mode)) return Error::msg("layer " + layer.blob + ": not a regular file", EINVAL);
    return f;
}

}  // namespace xc::image
