#include "image/index.hpp"

#include <algorithm>
#include <sstream>

#include "image/fetch.hpp"
#include "image/json.hpp"

namespace xc::image {

namespace {

bool matches(const ImageQuery& q, const RemoteImage& i) {
    return (q.dist.empty() || q.dist == i.dist) && (q.release.empty() || q.release == i.release) &&
           (q.arch.empty() || q.arch == i.arch) && (q.variant.empty() || q.variant == i.variant);
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string relative(std::string path) {
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

// A path from an index names a file of the server: no "..", no scheme.
bool safePath(const std::string& p) {
    if (p.empty() || p.find("://") != std::string::npos) return false;
    std::istringstream in(p);
    std::string part;
    while (std::getline(in, part, '/'))
        if (part == "..") return false;
    return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep)) out.push_back(part);
    if (!s.empty() && s.back() == sep) out.emplace_back();
    return out;
}

bool byName(const RemoteImage& a, const RemoteImage& b) {
    return std::tie(a.dist, a.release, a.arch, a.variant) < std::tie(b.dist, b.release, b.arch, b.variant);
}

// The rootfs and metadata items of one simplestreams version, if it has both.
bool pickItems(const Json& items, RemoteImage& img) {
    const Json* root = nullptr;
    const Json* meta = nullptr;
    for (const char* pair : {"root.tar.xz|lxd.tar.xz", "rootfs.tar.xz|meta.tar.xz"}) {
        std::string r = std::string(pair).substr(0, std::string(pair).find('|'));
        std::string m = std::string(pair).substr(r.size() + 1);
        root = meta = nullptr;
        for (const auto& [key, item] : items.members()) {
            const std::string& ftype = item["ftype"].str().empty() ? key : item["ftype"].str();
            if (ftype == r) root = &item;
            if (ftype == m) meta = &item;
        }
        if (root && meta) break;
    }
    if (!root || !meta) return false;
    auto file = [](const Json& item, const char* name) {
        RemoteFile f;
        f.name = name;
        f.path = relative(item["path"].str());
        f.sha256 = lower(item["sha256"].str());
        f.size = item["size"].isNumber() && item["size"].number() > 0 ? static_cast<uint64_t>(item["size"].number()) : 0;
        return f;
    };
    img.rootfs = file(*root, "rootfs.tar.xz");
    img.meta = {file(*meta, "meta.tar.xz")};
    return safePath(img.rootfs.path) && safePath(img.meta[0].path);
}

}  // namespace

Result<std::string> simplestreamsProductsPath(const std::string& indexJson) {
    XC_ASSIGN(Json doc, Json::parse(indexJson).ctx("streams/v1/index.json"));
    for (const auto& [name, entry] : doc["index"].members()) {
        if (entry["datatype"].str() != "image-downloads") continue;
        std::string p = relative(entry["path"].str());
        if (!safePath(p)) return Error::msg("streams/v1/index.json: entry " + name + ": a bad path", EINVAL);
        return p;
    }
    return Error::msg("streams/v1/index.json: no image-downloads entry", EINVAL);
}

Result<std::vector<RemoteImage>> parseSimplestreamsProducts(const std::string& productsJson, const ImageQuery& q) {
    XC_ASSIGN(Json doc, Json::parse(productsJson));
    std::vector<RemoteImage> out;
    for (const auto& [key, product] : doc["products"].members()) {
        RemoteImage img;
        img.index = "simplestreams";
        std::vector<std::string> k = split(key, ':');
        img.dist = k.size() == 4 ? k[0] : lower(product["os"].str());
        img.release = product["release"].isString() ? product["release"].str() : (k.size() == 4 ? k[1] : "");
        img.arch = product["arch"].isString() ? product["arch"].str() : (k.size() == 4 ? k[2] : "");
        img.variant = product["variant"].isString() ? product["variant"].str() : (k.size() == 4 ? k[3] : "default");
        if (!matches(q, img)) continue;
        // Version names are build stamps ("20250101_05:24"): the greatest is the newest.
        const auto& versions = product["versions"].members();
        for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
            if (!pickItems(it->second["items"], img)) continue;
            img.build = it->first;
            out.push_back(img);
            break;
        }
    }
    std::sort(out.begin(), out.end(), byName);
    return out;
}

std::vector<RemoteImage> parseLxcIndex(const std::string& text, const ImageQuery& q) {
    std::vector<RemoteImage> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> f = split(line, ';');
        if (f.size() < 6 || f[4].empty() || f[5].empty()) continue;
        RemoteImage img;
        img.index = "meta/1.0";
        img.dist = f[0], img.release = f[1], img.arch = f[2], img.variant = f[3], img.build = f[4];
        std::string dir = relative(f[5]);
        if (!matches(q, img) || !safePath(dir)) continue;
        img.rootfs = {"rootfs.tar.xz", dir + "/rootfs.tar.xz", "", 0};
        img.meta = {{"meta.tar.xz", dir + "/meta.tar.xz", "", 0}};
        out.push_back(img);
    }
    std::stable_sort(out.begin(), out.end(), byName);
    return out;
}

void applyChecksumList(const std::string& text, RemoteImage& img) {
    std::istringstream in(text);
    std::string sum, name;
    while (in >> sum >> name) {
        if (!name.empty() && name[0] == '*') name.erase(0, 1);
        if (sum.size() != 64) continue;
        if (name == "rootfs.tar.xz") img.rootfs.sha256 = lower(sum);
        for (auto& m : img.meta)
            if (name == "meta.tar.xz") m.sha256 = lower(sum);
    }
}

Result<std::vector<RemoteImage>> readServerIndex(Fetcher& f, const std::string& base, const ImageQuery& q) {
    auto index = f.text(base + "/streams/v1/index.json");
    if (!index && index.error().code() != ENOENT) return std::move(index).error();
    if (index) {
        XC_ASSIGN(std::string products, simplestreamsProductsPath(*index));
        XC_ASSIGN(std::string text, f.text(base + "/" + products));
        XC_ASSIGN(std::vector<RemoteImage> found, parseSimplestreamsProducts(text, q).ctx(products));
        if (!found.empty()) return found;
    }
    auto lxc = f.text(base + "/meta/1.0/index-system." + std::to_string(kLxcCompatLevel));
    if (!lxc && lxc.error().code() == ENOENT) lxc = f.text(base + "/meta/1.0/index-system");
    if (!lxc) {
        if (index && lxc.error().code() == ENOENT) return std::vector<RemoteImage>{};  // simplestreams only, no match
        if (!index && lxc.error().code() == ENOENT)
            return Error::msg(base + " has neither a simplestreams index (streams/v1/index.json) nor an LXC one "
                              "(meta/1.0/index-system): not an image server", ENOENT);
        return std::move(lxc).error();
    }
    return parseLxcIndex(*lxc, q);
}

}  // namespace xc::image
