#include "image/layer_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "image/tree_digest.hpp"
#include "storage/copytree.hpp"
#include "storage/treeusage.hpp"
#include "xc/settings.hpp"

namespace xc::image {

namespace {

bool isLayerId(const std::string& n) {
    return n.size() == 64 && std::all_of(n.begin(), n.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A blob of the image unpacked onto rootFd, its digests checked.
Result<UnpackStats> unpackLayer(const OciImage& image, const OciLayer& layer, int rootFd, Whiteouts mode,
                                const std::function<void(uint64_t)>& progress) {
    XC_ASSIGN(UniqueFd blob, openBlob(image, layer));
    UnpackOptions o;
    o.whiteouts = mode;
    o.hashTar = true;
    o.progress = progress;
    const std::string shown = "layer sha256:" + layer.digest.substr(0, 12);
    XC_ASSIGN(UnpackStats st, unpackTarball("/proc/self/fd/" + std::to_string(blob.get()), rootFd, o).ctx(shown));
    if (st.fileSha256 != layer.digest)
        return Error::msg(shown + ": SHA-256 mismatch: the manifest says " + layer.digest + ", the blob has " +
                              st.fileSha256 + ": refused",
                          EINVAL);
    if (st.tarSha256 != layer.diffId)
        return Error::msg(shown + ": diff_id mismatch: the image config says " + layer.diffId +
                              ", the uncompressed layer has " + st.tarSha256 + ": refused",
                          EINVAL);
    return st;
}

// The files of one entry of a base that may name layers: its config, the
// layer list of a creation in progress, its snapshots' configs.
std::string namingText(const std::string& entry) {
    std::string text;
    auto add = [&](const std::string& f) {
        if (auto t = readRegularFile(f, 4u << 20)) text += *t + "\n";
    };
    add(entry + "/config");
    add(entry + "/layers");
    if (auto snaps = listDir(entry + "/snaps"))
        for (const auto& s : *snaps) add(entry + "/snaps/" + s + "/config");
    return text;
}

// entry name -> naming text, for every entry of the base; read again until
// no entry came or went meanwhile (a rename during the scan: a creation's
// commit, xc-clone -R), so that none is missed.
std::map<std::string, std::string> scanBase(const std::string& base) {
    std::map<std::string, std::string> out;
    for (int round = 0; round < 20; ++round) {
        out.clear();
        auto before = listDir(base);
        if (!before) return out;
        for (const auto& e : *before) out[e] = namingText(base + "/" + e);
        auto after = listDir(base);
        if (after && *after == *before) break;
    }
    return out;
}

// What a stamp records of a tree's root: one version of the tree (a
// rebuilt cache is a new directory, a new inode).
std::string stampKey(const struct stat& st) {
    auto t = [](const struct timespec& ts) { return std::to_string(ts.tv_sec) + "." + std::to_string(ts.tv_nsec); };
    return "tree-v1 " + std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " " + t(st.st_mtim) + " " +
           t(st.st_ctim);
}

}  // namespace

Result<TreeLayer> LayerStore::addTree(const std::string& tree, const std::string& stamp) {
    struct stat root;
    if (::lstat(tree.c_str(), &root) < 0) return Error::sys("read the attributes of " + tree);
    if (!S_ISDIR(root.st_mode)) return Error::msg(tree + ": not a directory", ENOTDIR);
    const std::string key = stampKey(root);
    TreeLayer out;
    struct stat st;
    if (!stamp.empty()) {
        if (auto text = readRegularFile(stamp, 4096); text && text->rfind(key + " ", 0) == 0) {
            std::string id = text->substr(key.size() + 1);
            while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
            if (isLayerId(id) && ::lstat(layerPath(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
                out.id = id;
                out.path = layerPath(id);
                out.fromStamp = true;
                return out;
            }
        }
    }
    XC_ASSIGN(TreeDigest d, digestTree(tree));
    out.id = d.sha256;
    out.path = layerPath(d.sha256);
    out.objects = d.objects;
    out.bytes = d.bytes;
    auto remember = [&]() -> Status {
        if (stamp.empty()) return {};
        return writeFileAtomic(stamp, key + " " + out.id + "\n", 0644).ctx("remember the layer of " + tree);
    };
    if (::lstat(out.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        XC_TRY(remember());
        return out;
    }
    XC_TRY(makeDirs(layersDir(), 0755));
    std::string tmpl = layersDir() + "/.unpack-tree-" + out.id.substr(0, 12) + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("make a directory for the layer in " + layersDir());
    const std::string holder = tmpl;
    ScopeExit removeHolder([&] { (void)removeTree(holder); });
    const std::string copy = holder + "/tree";
    XC_TRY(storage::copyTree(tree, copy).ctx("copy " + tree + " into the layer store"));
    // What the store holds is what its name says: the copy is hashed again.
    XC_ASSIGN(TreeDigest again, digestTree(copy));
    if (again.sha256 != out.id)
        return Error::msg("copy " + tree + " into the layer store: the copy's digest " + again.sha256.substr(0, 12) +
                              " differs from the tree's " + out.id.substr(0, 12) +
                              " (the tree changed meanwhile, or the store's file system cannot keep its attributes)",
                          EIO);
    if (::rename(copy.c_str(), out.path.c_str()) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) return Error::sys("move the layer into " + out.path);
        // made meanwhile by another creation: the same content
    } else {
        out.added = true;
    }
    XC_TRY(remember());
    return out;
}

Result<StoreLock> StoreLock::take(const std::string& storeDir, bool exclusive) {
    XC_TRY(makeDirs(storeDir, 0755));
    StoreLock l;
    const std::string path = storeDir + "/lock";
    l.fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!l.fd_) return Error::sys("open the layer store's lock " + path);
    int rc;
    do rc = ::flock(l.fd_.get(), exclusive ? LOCK_EX : LOCK_SH);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) return Error::sys("lock the layer store " + storeDir);
    return l;
}

Result<std::string> LayerStore::ensure(const OciImage& image, const OciLayer& layer, bool& added,
                                       const std::function<void(uint64_t)>& progress) {
    added = false;
    const std::string path = layerPath(layer.diffId);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return path;
    XC_TRY(makeDirs(layersDir(), 0755));
    std::string tmpl = layersDir() + "/.unpack-" + layer.diffId.substr(0, 12) + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("make a directory for the layer in " + layersDir());
    const std::string tmp = tmpl;
    ScopeExit removeOnFailure([&] { (void)removeTree(tmp); });
    UniqueFd root(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root || ::fchmod(root.get(), 0755) != 0) return Error::sys("open " + tmp);
    XC_TRY(unpackLayer(image, layer, root.get(), Whiteouts::Overlay, progress));
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) return path;  // unpacked meanwhile by another creation
        return Error::sys("move the layer into " + path);
    }
    removeOnFailure.dismiss();
    added = true;
    return path;
}

Result<std::vector<std::string>> LayerStore::bases() const {
    std::vector<std::string> out;
    auto text = readRegularFile(dir_ + "/bases", 1u << 20);
    if (!text) {
        if (text.error().code() == ENOENT) return out;
        return std::move(text).error();
    }
    size_t i = 0;
    while (i < text->size()) {
        size_t j = text->find('\n', i);
        if (j == std::string::npos) j = text->size();
        std::string b = text->substr(i, j - i);
        if (!b.empty() && b[0] == '/' && std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
        i = j + 1;
    }
    return out;
}

Status LayerStore::recordBase(const std::string& base) {
    XC_ASSIGN(auto known, bases());
    if (std::find(known.begin(), known.end(), base) != known.end()) return {};
    XC_TRY(makeDirs(dir_, 0755));
    UniqueFd fd(::open((dir_ + "/bases").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) return Error::sys("record the base " + base + " in " + dir_ + "/bases");
    const std::string line = base + "\n";
    if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        return Error::sys("record the base " + base + " in " + dir_ + "/bases");
    return {};
}

Result<std::vector<LayerUse>> LayerStore::uses() const {
    std::vector<LayerUse> out;
    auto names = listDir(layersDir());
    if (!names) return out;
    std::sort(names->begin(), names->end());
    XC_ASSIGN(auto bs, bases());
    std::vector<std::pair<std::string, std::string>> texts;  // user, text
    for (const auto& b : bs)
        for (auto& [entry, text] : scanBase(b)) texts.emplace_back(b + "/" + entry, std::move(text));
    for (const auto& n : *names) {
        if (!isLayerId(n)) continue;
        LayerUse u;
        u.id = n;
        u.path = layerPath(n);
        if (auto bytes = storage::treeUsage(u.path)) u.bytes = *bytes;
        const std::string needle = "/layers/" + n;
        for (const auto& [user, text] : texts)
            if (text.find(needle) != std::string::npos) u.users.push_back(user);
        out.push_back(std::move(u));
    }
    return out;
}

Result<std::vector<LayerUse>> LayerStore::prune(bool dryRun) {
    XC_ASSIGN(auto all, uses());
    std::vector<LayerUse> removed;
    for (auto& u : all) {
        if (!u.users.empty()) continue;
        if (!dryRun) XC_TRY(removeTree(u.path).ctx("remove the unused layer " + u.id));
        removed.push_back(std::move(u));
    }
    if (dryRun) return removed;
    // What interrupted unpacks left (nobody unpacks while we hold the lock).
    if (auto names = listDir(layersDir()))
        for (const auto& n : *names)
            if (n.rfind(".unpack-", 0) == 0) XC_TRY(removeTree(layersDir() + "/" + n));
    // Bases that are gone name nothing any more.
    XC_ASSIGN(auto bs, bases());
    std::string keep;
    for (const auto& b : bs)
        if (pathExists(b)) keep += b + "\n";
    if (!bs.empty()) XC_TRY(writeFileAtomic(dir_ + "/bases", keep, 0644));
    return removed;
}

Result<UnpackStats> applyLayers(const OciImage& image, int rootFd, const std::function<void(size_t, uint64_t)>& progress) {
    UnpackStats total;
    for (size_t i = 0; i < image.layers.size(); ++i) {
        std::function<void(uint64_t)> p;
        if (progress) p = [&, i](uint64_t b) { progress(i, b); };
        XC_ASSIGN(UnpackStats st, unpackLayer(image, image.layers[i], rootFd, Whiteouts::Apply, p));
        total.directories += st.directories, total.files += st.files, total.symlinks += st.symlinks;
        total.hardLinks += st.hardLinks, total.specials += st.specials, total.bytes += st.bytes;
        total.whiteouts += st.whiteouts, total.opaqueDirs += st.opaqueDirs;
        total.skippedOwners += st.skippedOwners, total.skippedDevices += st.skippedDevices;
        total.skippedXattrs += st.skippedXattrs;
    }
    return total;
}

}  // namespace xc::image

namespace xc {

Result<std::string> layerStoreDir(const HostPaths& host) {
    XC_ASSIGN(GlobalSettings settings, loadGlobalSettings(host));
    return templateCacheDir(host, settings) + "/oci";
}

Result<std::vector<LayerUse>> storedLayers(const HostPaths& host) {
    XC_ASSIGN(std::string dir, layerStoreDir(host));
    return image::LayerStore(dir).uses();
}

Result<TreeLayer> publishTree(const HostPaths& host, const std::string& tree, const std::string& stamp,
                              const std::string& base, const std::string& layersOut) {
    if (!base.empty() && base[0] != '/') return Error::msg("the base directory '" + base + "' is not absolute", EINVAL);
    XC_ASSIGN(std::string dir, layerStoreDir(host));
    image::LayerStore store(dir);
    // Held until the creation's list names the layer: a prune waits.
    XC_ASSIGN(auto lock, image::StoreLock::take(dir, false));
    if (!base.empty()) XC_TRY(store.recordBase(base));
    XC_ASSIGN(TreeLayer layer, store.addTree(tree, stamp));
    if (!layersOut.empty()) XC_TRY(writeFileAtomic(layersOut, layer.path + "\n", 0644).ctx("write the layer list"));
    return layer;
}

Result<std::vector<LayerUse>> pruneLayers(const HostPaths& host, bool dryRun) {
    XC_ASSIGN(std::string dir, layerStoreDir(host));
    if (!pathExists(dir)) return std::vector<LayerUse>{};
    XC_ASSIGN(auto lock, image::StoreLock::take(dir, true));
    return image::LayerStore(dir).prune(dryRun);
}

}  // namespace xc
