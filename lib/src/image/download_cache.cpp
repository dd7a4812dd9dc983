#include "image/download_cache.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "image/fetch.hpp"

namespace xc::image {

namespace {

Status checkComponent(const char* what, const std::string& v) {
    if (v.empty() || v == "." || v == ".." || v.size() > 64)
        return Error::msg(std::string(what) + " '" + v + "': not a usable name", EINVAL);
    for (char c : v)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '+'))
            return Error::msg(std::string(what) + " '" + v + "': only letters, digits and . _ - + are allowed", EINVAL);
    return {};
}

bool isFile(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int swapDirs(const std::string& a, const std::string& b) {
    return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE));
}

}  // namespace

Result<DownloadCache> DownloadCache::open(const std::string& cacheRoot, const ImageQuery& q) {
    XC_TRY(checkComponent("dist", q.dist));
    XC_TRY(checkComponent("release", q.release));
    XC_TRY(checkComponent("arch", q.arch));
    XC_TRY(checkComponent("variant", q.variant));
    DownloadCache c;
    c.parent_ = cacheRoot + "/download/" + q.dist + "/" + q.release + "/" + q.arch;
    c.leaf_ = q.variant;
    c.dir_ = c.parent_ + "/" + c.leaf_;
    XC_TRY(makeDirs(c.parent_, 0755).ctx("cache " + c.parent_));
    XC_ASSIGN(RunLock l, RunLock::acquire(c.parent_ + "/" + c.leaf_ + ".lock").ctx("lock the cache " + c.dir_));
    c.lock_.emplace(std::move(l));
    return c;
}

std::optional<CacheEntry> DownloadCache::current() const {
    auto build = readRegularFile(dir_ + "/build_id", 4096);
    if (!build || !isFile(dir_ + "/rootfs.tar.xz")) return std::nullopt;
    CacheEntry e;
    e.dir = dir_;
    e.build = trim(*build);
    e.hasMeta = isFile(dir_ + "/meta.tar.xz");
    e.hasSignatures = isFile(dir_ + "/rootfs.tar.xz.asc");
    if (e.build.empty()) return std::nullopt;
    return e;
}

Status DownloadCache::flush() {
    removeLeftovers();
    if (!pathExists(dir_)) return {};
    return removeTree(dir_).ctx("flush the cache " + dir_);
}

void DownloadCache::removeLeftovers() const {
    auto names = listDir(parent_);
    if (!names) return;
    std::string prefix = "." + leaf_ + ".new.";
    for (const auto& n : *names)
        if (n.rfind(prefix, 0) == 0 && n.size() == prefix.size() + 6) (void)removeTree(parent_ + "/" + n);
}

Result<FillReport> DownloadCache::fill(Fetcher& f, const std::string& base, RemoteImage img, const Verify& verify) {
    removeLeftovers();
    std::string tmpl = parent_ + "/." + leaf_ + ".new.XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("make a directory beside the cache " + dir_);
    const std::string tmp = tmpl;
    ::chmod(tmp.c_str(), 0755);
    ScopeExit cleanup([&] { (void)removeTree(tmp); });
    if (img.index == "meta/1.0") {
        std::string dirPath = img.rootfs.path.substr(0, img.rootfs.path.rfind('/'));
        auto sums = f.text(base + "/" + dirPath + "/SHA256SUMS", 1 << 20);
        if (sums) applyChecksumList(*sums, img);
        else if (sums.error().code() != ENOENT) return std::move(sums).error();
    }
    FillReport rep;
    rep.checksums = true;
    std::vector<RemoteFile> files = {img.rootfs};
    files.insert(files.end(), img.meta.begin(), img.meta.end());
    for (const RemoteFile& file : files) {
        if (file.sha256.empty()) rep.checksums = false;
        std::string url = base + "/" + file.path;
        XC_ASSIGN(FetchedFile got, f.file(url, tmp + "/" + file.name, file.name, file.sha256, file.size));
        rep.bytes += got.bytes;
        if (!verify) continue;
        XC_ASSIGN(FetchedFile sig, f.file(url + ".asc", tmp + "/" + file.name + ".asc", file.name + ".asc"));
        (void)sig;
        XC_TRY(verify(tmp + "/" + file.name, tmp + "/" + file.name + ".asc").ctx("signature of " + url));
    }
    XC_TRY(writeFileAtomic(tmp + "/build_id", img.build + "\n", 0644));
    XC_TRY(writeFileAtomic(tmp + "/source", img.index + " " + base + " " + img.rootfs.path + "\n", 0644));
    if (pathExists(dir_)) {
        if (swapDirs(tmp, dir_) != 0) return Error::sys("replace the cache " + dir_);
    } else if (::rename(tmp.c_str(), dir_.c_str()) != 0) {
        return Error::sys("fill the cache " + dir_);
    }
    // tmp is now the old image (or nothing): the cleanup removes it.
    auto now = current();
    if (!now) return Error::msg("fill the cache " + dir_ + ": incomplete after the rename", EIO);
    rep.entry = *now;
    return rep;
}

}  // namespace xc::image
