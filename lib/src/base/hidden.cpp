// Hidden staging and trash names of a base (hidden.hpp).
#include "base/hidden.hpp"

#include <stdio.h>
#include <unistd.h>

#include <cstdlib>

namespace xc::hidden {

Result<std::string> makeDir(const ContainerPaths& p, const char* prefix) {
    std::string path = p.base() + "/" + prefix + p.name() + "-XXXXXX";
    if (!::mkdtemp(path.data())) return Error::sys("create " + path);
    return path;
}

Result<std::string> moveToTrash(const ContainerPaths& p) {
    // mkdtemp reserves a unique name; the rename replaces that empty directory.
    XC_ASSIGN(std::string trash, makeDir(p, kTrash));
    if (::rename(p.dir().c_str(), trash.c_str()) < 0) {
        Error e = Error::sys("move " + p.dir() + " aside to " + trash);
        ::rmdir(trash.c_str());
        return e;
    }
    return trash;
}

}  // namespace xc::hidden
