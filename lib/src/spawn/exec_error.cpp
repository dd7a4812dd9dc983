// Why the exec of a container's init failed, said about the container's
// files. execve(2) gives ENOENT both for a missing program and for a
// program whose interpreter ("#!" line) or ELF loader (PT_INTERP) is
// missing; the second reads as a lie next to a file that exists. Runs in
// the child after pivot_root, so "/" is the container's root; every lookup
// still goes through RootDir (openat2 RESOLVE_IN_ROOT), never following a
// link out of it.
#include "spawn/exec_error.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "mount/rootdir.hpp"

namespace xc {

namespace {

// The first bytes of a regular file in the root; nullopt if there is none.
std::optional<std::string> head(const RootDir& root, const std::string& path) {
    auto fd = root.openIn(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd->get(), &st) < 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    char buf[4096];
    ssize_t n = ::pread(fd->get(), buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

// The interpreter a "#!" line names.
std::string shebang(const std::string& text) {
    size_t b = text.find_first_not_of(" \t", 2);
    if (b == std::string::npos) return "";
    size_t e = text.find_first_of(" \t\n", b);
    return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

// PT_INTERP of an ELF file whose program headers are in `text`.
template <class Ehdr, class Phdr>
std::string elfInterp(const RootDir& root, const std::string& path, const std::string& text) {
    if (text.size() < sizeof(Ehdr)) return "";
    Ehdr eh;
    std::memcpy(&eh, text.data(), sizeof eh);
    for (size_t i = 0; i < eh.e_phnum; ++i) {
        size_t off = static_cast<size_t>(eh.e_phoff) + i * sizeof(Phdr);
        if (off + sizeof(Phdr) > text.size()) return "";
        Phdr ph;
        std::memcpy(&ph, text.data() + off, sizeof ph);
        if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
        auto fd = root.openIn(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (!fd) return "";
        std::string interp(static_cast<size_t>(ph.p_filesz), '\0');
        if (::pread(fd->get(), interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) !=
            static_cast<ssize_t>(interp.size()))
            return "";
        return std::string(interp.c_str());
    }
    return "";
}

// What `path` needs to run that is missing: a description, or "".
std::string missingPart(const RootDir& root, const std::string& path, int depth) {
    auto text = head(root, path);
    if (!text || depth > 3) return "";
    std::string interp, kind;
    if (text->rfind("#!", 0) == 0) {
        interp = shebang(*text);
        kind = "interpreter";
    } else if (text->size() > EI_CLASS && text->compare(0, SELFMAG, ELFMAG) == 0) {
        interp = (*text)[EI_CLASS] == ELFCLASS64 ? elfInterp<Elf64_Ehdr, Elf64_Phdr>(root, path, *text)
                                                 : elfInterp<Elf32_Ehdr, Elf32_Phdr>(root, path, *text);
        kind = "ELF interpreter (dynamic loader)";
    }
    if (interp.empty()) return "";
    if (!root.openIn(interp, O_PATH)) return kind + " " + interp + " not found in the container";
    std::string deeper = missingPart(root, interp, depth + 1);
    return deeper.empty() ? "" : kind + " " + interp + ": " + deeper;
}

}  // namespace

Error initExecError(int err, const std::string& program) {
    Error plain = Error::sys(err, "exec " + program + " in the container");
    if (err != ENOENT) return plain;
    auto root = RootDir::open("/");
    if (!root) return plain;
    if (!root->openIn(program, O_PATH)) return plain;  // it is missing itself: the plain ENOENT is right
    std::string missing = missingPart(*root, program, 0);
    if (missing.empty()) return plain;
    return Error::msg("init " + program + ": " + missing, ENOENT);
}

}  // namespace xc
