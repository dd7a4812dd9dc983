// Cgroup trees walked through directory descriptors (see cgroup_tree.hpp).
#include "cgroup/cgroup_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "base/fsutil.hpp"

namespace xc {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Names of the sub-groups (sub-directories) of an open group.
Result<std::vector<std::string>> subGroupsAt(int dir, const std::string& shown) {
    UniqueFd copy(::openat(dir, ".", kDirFlags));
    UniqueDir d(copy ? ::fdopendir(copy.get()) : nullptr);
    if (!d) {
        int e = errno;
        return Error::sys(e, "list the sub-groups of " + shown);
    }
    (void)copy.release();  // the stream owns it now
    std::vector<std::string> out;
    while (struct dirent* de = ::readdir(d.get())) {
        std::string n = de->d_name;
        if (n == "." || n == "..") continue;
        bool isDir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat st;
            isDir = ::fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (isDir) out.push_back(std::move(n));
    }
    return out;
}

// The whole of a small kernel file (cgroup.procs) of an open group.
Result<std::string> readAt(int dir, const char* file, const std::string& shown) {
    UniqueFd fd(::openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        int e = errno;
        return Error::sys(e, std::string("read ") + file + " of " + shown);
    }
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            return Error::sys(e, std::string("read ") + file + " of " + shown);
        }
        if (n == 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

}  // namespace

Result<UniqueFd> openGroupDir(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), kDirFlags));
    if (!fd) {
        int e = errno;
        return Error::sys(e, "open cgroup " + path);
    }
    return fd;
}

Status walkGroups(int root, const std::function<Status(int)>& enter,
                  const std::function<Status(int, const std::string&)>& leave, const std::string& shown) {
    struct Frame {
        std::string name;               // in the parent ("" for the root)
        std::vector<std::string> todo;  // sub-groups not visited yet
    };
    UniqueFd cur(::openat(root, ".", kDirFlags));
    if (!cur) return Error::sys("open cgroup " + shown);
    XC_TRY(enter(cur.get()));
    XC_ASSIGN(auto subs, subGroupsAt(cur.get(), shown));
    std::vector<Frame> stack;
    stack.push_back({"", std::move(subs)});
    const auto below = [&] { return "a sub-group " + std::to_string(stack.size()) + " levels below " + shown; };
    while (!stack.empty()) {
        if (!stack.back().todo.empty()) {
            std::string n = std::move(stack.back().todo.back());
            stack.back().todo.pop_back();
            UniqueFd next(::openat(cur.get(), n.c_str(), kDirFlags));
            if (!next && errno == ENOENT) continue;  // gone meanwhile
            if (!next) return Error::sys("open " + below());
            Status st = enter(next.get());
            if (!st && st.error().code() == ENOENT) continue;
            XC_TRY(std::move(st));
            auto more = subGroupsAt(next.get(), below());
            if (!more && more.error().code() == ENOENT) continue;
            if (!more) return std::move(more).error();
            cur = std::move(next);
            stack.push_back({std::move(n), std::move(*more)});
            continue;
        }
        std::string name = std::move(stack.back().name);
        stack.pop_back();
        if (stack.empty()) break;  // the root itself: the caller's
        UniqueFd up(::openat(cur.get(), "..", kDirFlags));
        if (!up) return Error::sys("climb back from " + below());
        cur = std::move(up);
        XC_TRY(leave(cur.get(), name));
    }
    return {};
}

Status collectGroupPids(int dir, std::vector<pid_t>& out, const std::string& shown) {
    auto enter = [&](int fd) -> Status {
        XC_ASSIGN(std::string procs, readAt(fd, "cgroup.procs", shown));
        std::istringstream in(procs);
        long p;
        while (in >> p) out.push_back(static_cast<pid_t>(p));
        return {};
    };
    return walkGroups(dir, enter, [](int, const std::string&) { return okStatus(); }, shown);
}

Status removeGroupTree(int parent, const std::string& name, const std::string& shown) {
    UniqueFd top(::openat(parent, name.c_str(), kDirFlags));
    if (!top && errno == ENOENT) return {};
    if (!top) return Error::sys("open cgroup " + shown);
    auto rmdirAt = [&](int dir, const std::string& n, const std::string& what) -> Status {
        if (::unlinkat(dir, n.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return {};
        int e = errno;
        if (e == EBUSY) return Error::sys(e, "remove " + what + " (processes remain in it)");
        return Error::sys(e, "remove " + what);
    };
    auto enter = [](int) { return okStatus(); };
    auto leave = [&](int dir, const std::string& n) { return rmdirAt(dir, n, "a sub-group of cgroup " + shown); };
    XC_TRY(walkGroups(top.get(), enter, leave, shown));
    top.reset();
    return rmdirAt(parent, name, "cgroup " + shown);
}

}  // namespace xc
