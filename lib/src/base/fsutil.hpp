// Small file helpers for host-side paths that xc owns (config, runtime
// state, logs). Paths inside a container's rootfs go through RootDir
// (rootdir.hpp) instead, which never follows the container's symlinks.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// Owner of a directory stream (closedir on destruction).
struct DirCloser {
    void operator()(DIR* d) const {
        if (d) ::closedir(d);
    }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

Status makeDirs(const std::string& path, mode_t mode);
Status makeParentDirs(const std::string& path, mode_t mode);
Result<std::string> readFile(const std::string& path);
// For files an admin (or an attacker) names: refuses anything but a regular
// file ("not a regular file": a FIFO, /dev/zero, a directory), opens it
// non-blocking so that a FIFO swapped in after the check cannot hang us,
// and refuses more than maxBytes (EFBIG).
Result<std::string> readRegularFile(const std::string& path, size_t maxBytes);
// The same for a file already open (opened O_NONBLOCK, beneath some
// directory); `shown` names it in errors.
Result<std::string> readRegularFd(int fd, const std::string& shown, size_t maxBytes);
// Writes through a temporary file and rename(), so readers never see half a file.
Status writeFileAtomic(const std::string& path, const std::string& data, mode_t mode);
// The same without the fsync, for runtime state that lives no longer than
// the boot (under RUNROOT, tmpfs on most hosts): readers still see the old
// file or the new one, never a part. After a crash of the host a file may
// be cut short; its readers refuse that (the seccomp cache recompiles) or
// the next start rewrites it (the started config).
Status writeRuntimeFileAtomic(const std::string& path, const std::string& data, mode_t mode);
// Writes data to an existing file (cgroup and proc files): one write() call.
Status writeExisting(const std::string& path, const std::string& data);
bool pathExists(const std::string& path);

// Host paths that a container may be able to write (a log directory it
// shares, a bind source inside its rootfs) are opened without following a
// symbolic link in any component: a link is refused, naming it (ELOOP), so
// that a link planted there cannot make the host open, create or mount
// something else.
// Their errors name what went wrong inside path, not path itself: wrap
// them with it ("console log /x/c.log: a symbolic link; name its target").
//
// An O_PATH handle of path (openat2 RESOLVE_NO_SYMLINKS, the last component
// O_NOFOLLOW). A missing path is ENOENT.
Result<UniqueFd> openPathNoFollow(const std::string& path);
// Opens path for appending, creating it (mode) and its missing parent
// directories (0755) if needed. Refuses anything but a regular file
// ("not a regular file": a FIFO, a device node, a directory), which is
// checked on a handle before the file is opened for writing.
Result<UniqueFd> openAppendNoFollow(const std::string& path, mode_t mode);
// The same in two steps, for a file renamed while its directory stays
// (a rotated log): a handle of path's directory, made like the above, and
// path's last component; then the open of a name in that directory
// (`shown` names the file in errors).
struct DirEntry {
    UniqueFd dir;  // O_PATH
    std::string name;
};
Result<DirEntry> openParentNoFollow(const std::string& path);
Result<UniqueFd> openAppendAt(int dir, const std::string& name, const std::string& shown, mode_t mode);
// A regular file opened for reading, no link followed in any component.
Result<UniqueFd> openReadNoFollow(const std::string& path);
// What a tree removal does with a directory on another device (a mount,
// or a btrfs subvolume, which has a device number of its own): true once
// it removed it, false to fail with "another filesystem is mounted there".
using RemoveOtherDevice = Result<bool> (*)(int dirFd, const char* name, const std::string& shown);
// Removes a tree without following symlinks or crossing into other mounts.
Status removeTree(const std::string& path, RemoveOtherDevice other = nullptr);
// The same for the entry `name` of the directory open at dirFd (any fd
// that can be a dirfd, O_PATH too); `shown` names it in errors.
Status removeTreeAt(int dirFd, const std::string& name, const std::string& shown, RemoveOtherDevice other = nullptr);
// The directory part of `path` ("/a/b" -> "/a", "/a" -> "/", "a" -> ".")
// and its last component ("/a/b" -> "b"), as strings (nothing is looked up).
std::string parentPath(const std::string& path);
std::string leafName(const std::string& path);
// Names in a directory, without "." and "..".
Result<std::vector<std::string>> listDir(const std::string& path);
// The names in an open directory (not "." and ".."), in the order readdir
// gives them; dirFd stays open and usable.
Result<std::vector<std::string>> listDirAt(int dirFd);
std::string trim(const std::string& s);

}  // namespace xc
