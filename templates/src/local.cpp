// The local template: a container from an image tarball on disk, as LXC's
// lxc-local (xc-create -t local -- --rootfs FILE [--metadata FILE]).
#include <cstdio>

#include "template_common.hpp"

namespace {

const char* kUsage =
    "usage: xc-create -n NAME -t local -- --rootfs FILE [--metadata FILE]\n"
    "\n"
    "A container from an image tarball on disk (as LXC's lxc-local).\n"
    "\n"
    "  --rootfs FILE    the root file system: a tar archive, plain or compressed\n"
    "                   (.tar, .tar.xz, .tar.gz, .tar.zst, .tar.bz2); --fstree too, as lxc-local\n"
    "  --metadata FILE  LXC image metadata (meta.tar.xz): its config (LXC keys with an\n"
    "                   xc equivalent are mapped, the others listed and ignored), its\n"
    "                   templates (LXC_NAME, ... substituted) and its excludes\n"
    "  -h, --help       this text\n"
    "\n"
    "Unpacked safely: absolute paths, '..' components, links leading out of the rootfs\n"
    "and members replacing directories are refused. See templates/README.md.\n";

}  // namespace

int main(int argc, char** argv) {
    const xctmpl::Interface in = xctmpl::interfaceOrExit(argc, argv, "local", kUsage);
    xctmpl::Options o(in.args);
    xctmpl::ImageFiles img;
    while (!o.done()) {
        auto r = o.value({"--rootfs", "--fstree", "-f"}, img.rootfsTarball);
        if (r && !*r) r = o.value({"--metadata", "-m"}, img.metaTarball);
        if (!r) xctmpl::fail("local", r.error().message());
        if (!*r) xctmpl::fail("local", "unknown option '" + o.current() + "' (see --help)");
    }
    if (img.rootfsTarball.empty()) xctmpl::fail("local", "--rootfs FILE is needed (the image's rootfs tarball)");
    img.shownAs = img.rootfsTarball;
    auto s = xctmpl::installImage("local", in, img);
    if (!s) xctmpl::fail("local", s.error().message());
    return 0;
}
