// xc-image: the layer store that the oci, debian and ubuntu templates fill:
// what it holds, who uses each layer, removing what no container uses, and
// putting a directory tree into it (the debootstrap templates' step).
#include <cstdio>

#include "common.hpp"
#include "json.hpp"
#include "xc/layers.hpp"

namespace {

void printTable(const std::vector<xc::LayerUse>& layers, bool pruned) {
    if (layers.empty()) {
        std::printf(pruned ? "no unused layer\n" : "the layer store is empty\n");
        return;
    }
    std::printf("%-19s %10s  %s\n", "LAYER", "SIZE", "USED BY");
    uint64_t total = 0;
    for (const auto& l : layers) {
        std::string users;
        for (const auto& u : l.users) users += (users.empty() ? "" : ", ") + u;
        std::printf("sha256:%-12.12s %10s  %s\n", l.id.c_str(), xc::tool::humanBytes(l.bytes).c_str(),
                    users.empty() ? "-" : users.c_str());
        total += l.bytes;
    }
    std::printf("%zu layers, %s\n", layers.size(), xc::tool::humanBytes(total).c_str());
}

std::string asJson(const std::vector<xc::LayerUse>& layers) {
    std::vector<std::string> items;
    for (const auto& l : layers)
        items.push_back(xc::tool::JsonObject()
                            .add("id", "sha256:" + l.id)
                            .add("path", l.path)
                            .add("bytes", l.bytes)
                            .add("users", l.users)
                            .str());
    return xc::tool::jsonArray(items, true);
}

void printAdded(const std::string& tree, const xc::TreeLayer& l, bool json) {
    if (json) {
        std::printf("%s\n",
                    xc::tool::JsonObject().add("id", "sha256:" + l.id).add("path", l.path).add("added", l.added).str().c_str());
    } else if (l.added) {
        std::printf("added %s as layer sha256:%.12s (%llu objects, %s): %s\n", tree.c_str(), l.id.c_str(),
                    static_cast<unsigned long long>(l.objects), xc::tool::humanBytes(l.bytes).c_str(), l.path.c_str());
    } else {
        std::printf("%s is already the layer sha256:%.12s%s: %s\n", tree.c_str(), l.id.c_str(),
                    l.fromStamp ? " (as its stamp says)" : "", l.path.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-image", "List, prune and add to the layer store",
                 "DESCRIPTION\n"
                 "  The oci template, with xc-create -B overlay, unpacks each layer of an image\n"
                 "  once into the layer store (CACHE/oci/layers/<diff_id>, CACHE being cache_dir of\n"
                 "  xc.conf, XC_CACHE or /var/cache/xc) and every container made from the image\n"
                 "  mounts the layers read-only under its own upper layer. The debian and ubuntu\n"
                 "  templates, with -B overlay, put their debootstrap cache into the same store\n"
                 "  once per cache build (CACHE/oci/layers/<digest of the tree>), and every\n"
                 "  container of that release shares it as its lower layer.\n"
                 "  'ls' lists the layers with their disk use and the containers using them: a\n"
                 "  layer is in use while the config of a container, of one of its snapshots or of\n"
                 "  a creation in progress names it, in any base directory a container was ever\n"
                 "  made in from the store (CACHE/oci/bases).\n"
                 "  'prune' removes the layers nothing uses, and what interrupted unpacks left.\n"
                 "  It waits for creations that are adding layers; a layer in use is never\n"
                 "  removed.\n"
                 "  'add-tree DIR' copies the directory DIR into the store under the SHA-256 of\n"
                 "  its tree (paths, types, modes, owners, mtimes, xattrs and contents), unless a\n"
                 "  layer of that digest is there, and prints the layer's path. --stamp FILE\n"
                 "  remembers the digest of this version of DIR (its root's inode, mtime and\n"
                 "  ctime), so that adding it again does not read it again. Templates give\n"
                 "  it --base and --layers-out: the base a container is being made in, and\n"
                 "  the creation's list of layers, which keeps the layer from a prune.\n\n"
                 "EXAMPLES\n"
                 "  xc-image ls\n"
                 "  xc-image prune --dry-run\n"
                 "  xc-image prune\n"
                 "  xc-image add-tree /srv/rootfs\n\n"
                 "EXIT STATUS\n"
                 "  0 success, 1 failure, 2 usage error",
                 false);
    bool json = false, dryRun = false;
    auto* ls = t.app().add_subcommand("ls", "List the stored layers and who uses them");
    ls->add_flag("--json", json, "One JSON array of {id, path, bytes, users}");
    auto* prune = t.app().add_subcommand("prune", "Remove the layers no container uses");
    prune->add_flag("--dry-run", dryRun, "Only list what would be removed");
    prune->add_flag("--json", json, "One JSON array of the removed layers");
    std::string tree, stamp, base, layersOut;
    auto* add = t.app().add_subcommand("add-tree", "Put a directory tree into the store as a layer");
    add->add_option("DIR", tree, "The tree")->required();
    add->add_option("--stamp", stamp, "A file that remembers the tree's digest for this version of it");
    add->add_option("--base", base, "The base directory of the container being made");
    add->add_option("--layers-out", layersOut, "Write the layer's path to this file");
    add->add_flag("--json", json, "One JSON object {id, path, added}");
    t.app().require_subcommand(1);
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (ls->parsed()) {
        auto layers = storedLayers(t.host());
        if (!layers) return t.fail(layers.error().wrap("list the layer store"));
        if (json) std::printf("%s\n", asJson(*layers).c_str());
        else printTable(*layers, false);
        return 0;
    }
    if (add->parsed()) {
        auto l = publishTree(t.host(), tree, stamp, base, layersOut);
        if (!l) return t.fail(l.error().wrap("add " + tree + " to the layer store"));
        printAdded(tree, *l, json);
        return 0;
    }
    auto removed = pruneLayers(t.host(), dryRun);
    if (!removed) return t.fail(removed.error().wrap("prune the layer store"));
    if (json) {
        std::printf("%s\n", asJson(*removed).c_str());
        return 0;
    }
    uint64_t bytes = 0;
    for (const auto& l : *removed) {
        std::printf("%s sha256:%s (%s)\n", dryRun ? "would remove" : "removed", l.id.c_str(),
                    tool::humanBytes(l.bytes).c_str());
        bytes += l.bytes;
    }
    std::printf("%s %zu unused layers, %s\n", dryRun ? "would remove" : "removed", removed->size(),
                tool::humanBytes(bytes).c_str());
    return 0;
}
