// The oci template through xc-create: OCI image layouts made with umoci
// (Debian's package) from a busybox rootfs, in two layers with whiteouts,
// and layouts this test writes itself (an opaque directory, a hostile
// layer, a corrupted blob, a docker-save archive). Checked: the rootfs a
// container sees; with -B overlay, that two containers share one copy of
// the layers in the store (their configs name the same lower layers, the
// store's disk use does not grow) and that prune keeps what is in use; an
// application image runs its command as init with its env, user and
// working directory, and xc-stop sends its stop signal.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "harness.hpp"
#include "image/digest.hpp"

namespace {

using namespace xcit;

struct TarMember {
    std::string path;
    mode_t type = AE_IFREG;
    std::string data;  // a file's bytes, a link's target
    int uid = 0, gid = 0;
};

class OciTemplateTest : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (::access("/usr/bin/umoci", X_OK) != 0) GTEST_SKIP() << "umoci is not installed (apt-get install umoci)";
        cache_ = scratch_ + "/cache";
        env_ = {"XC_CACHE=" + cache_};
    }

    RunResult tool(const std::string& name, std::vector<std::string> args) {
        RunOptions o;
        o.env = env_;
        o.timeoutSeconds = 120;
        return xc(name, std::move(args), o);
    }
    RunResult createOci(const std::string& name, const std::string& url, const std::string& backend) {
        return tool("xc-create", {"-n", name, "-t", "oci", "-B", backend, "--", "-u", url});
    }
    void umoci(std::vector<std::string> args) {
        args.insert(args.begin(), "/usr/bin/umoci");
        auto r = run(args, {false, "", {}, 120});
        ASSERT_TRUE(r.ok()) << r.describe();
    }

    // The busybox template's rootfs, in two layers made by umoci:
    //   1: the rootfs, /etc/gone, /opq/a, /etc/passwd with user app (1000)
    //   2: /etc/gone removed (a whiteout), /etc/second, /work owned by app
    // tagged "sys" (no command: /sbin/init boots) and "app" (a command,
    // an environment, user app, working directory /work, stop signal USR1).
    std::string makeUmociLayout() {
        const std::string lay = scratch_ + "/layout", b1 = scratch_ + "/b1", b2 = scratch_ + "/b2";
        umoci({"init", "--layout", lay});
        umoci({"new", "--image", lay + ":sys"});
        umoci({"unpack", "--image", lay + ":sys", b1});
        const std::string tree = b1 + "/rootfs";
        auto r = run({std::string(XC_SOURCE_DIR) + "/templates/busybox", "--name", "img", "--path", b1, "--rootfs",
                      tree, "--config", b1 + "/busybox.conf"});
        EXPECT_TRUE(r.ok()) << r.describe();
        writeText(tree + "/etc/gone", "removed by layer 2\n");
        ::mkdir((tree + "/opq").c_str(), 0755);
        writeText(tree + "/opq/a", "a\n");
        std::string passwd = readText(tree + "/etc/passwd") + "app:x:1000:1000::/work:/bin/sh\n";
        writeText(tree + "/etc/passwd", passwd);
        writeText(tree + "/etc/group", readText(tree + "/etc/group") + "app:x:1000:\n");
        umoci({"repack", "--image", lay + ":sys", b1});
        umoci({"unpack", "--image", lay + ":sys", b2});
        EXPECT_EQ(::unlink((b2 + "/rootfs/etc/gone").c_str()), 0);
        writeText(b2 + "/rootfs/etc/second", "layer 2\n");
        ::mkdir((b2 + "/rootfs/work").c_str(), 0755);
        EXPECT_EQ(::chown((b2 + "/rootfs/work").c_str(), 1000, 1000), 0);
        umoci({"repack", "--image", lay + ":sys", b2});
        removeTree(b1);
        removeTree(b2);
        umoci({"tag", "--image", lay + ":sys", "app"});
        umoci({"config", "--image", lay + ":app", "--config.env", "GREETING=hello from the image",
               "--config.user", "app", "--config.workingdir", "/work", "--config.stopsignal", "SIGUSR1",
               "--config.entrypoint", "/bin/sh", "--config.cmd", "-c", "--config.cmd",
               "trap 'echo stopped by USR1 > /work/stopped; exit 0' USR1; "
               "echo \"$GREETING $(id -u):$(id -g) $(pwd)\" > /work/out; while :; do sleep 1 & wait; done"});
        return lay;
    }

    // A tar file of the members (plain: its digest is its diff_id).
    // filter: "" plain, "gzip" or "zstd".
    std::string writeTar(const std::string& file, const std::vector<TarMember>& members, const std::string& filter = "") {
        struct archive* a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (filter == "gzip") archive_write_add_filter_gzip(a);
        if (filter == "zstd") EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
        EXPECT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
        for (const auto& m : members) {
            archive_entry* e = archive_entry_new();
            archive_entry_set_pathname(e, m.path.c_str());
            archive_entry_set_filetype(e, m.type);
            archive_entry_set_perm(e, m.type == AE_IFDIR ? 0755 : 0644);
            archive_entry_set_uid(e, m.uid);
            archive_entry_set_gid(e, m.gid);
            if (m.type == AE_IFLNK) archive_entry_set_symlink(e, m.data.c_str());
            if (m.type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
            EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
            if (m.type == AE_IFREG && !m.data.empty()) archive_write_data(a, m.data.data(), m.data.size());
            archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        return file;
    }

    static std::string sha(const std::string& file) {
        auto h = xc::image::sha256OfFile(file);
        return h ? *h : "";
    }
    std::string blob(const std::string& lay, const std::string& file) {
        std::string h = sha(file);
        ::mkdir((lay + "/blobs").c_str(), 0755);
        ::mkdir((lay + "/blobs/sha256").c_str(), 0755);
        EXPECT_EQ(::rename(file.c_str(), (lay + "/blobs/sha256/" + h).c_str()), 0);
        return h;
    }
    std::string blobText(const std::string& lay, const std::string& text) {
        std::string f = lay + "/tmp.json";
        writeText(f, text);
        return blob(lay, f);
    }

    // An OCI layout of plain tar layers (bottom first), tagged "t", whose
    // command is cmd (JSON array text; "" for none).
    std::string writeLayout(const std::string& name, const std::vector<std::vector<TarMember>>& layers,
                            const std::string& cmd = "", const std::vector<std::string>& filters = {}) {
        const std::string lay = scratch_ + "/" + name;
        EXPECT_EQ(::mkdir(lay.c_str(), 0755), 0);
        std::string manifestLayers, diffIds;
        for (size_t i = 0; i < layers.size(); ++i) {
            const std::string filter = i < filters.size() ? filters[i] : "";
            const std::string diffId = sha(writeTar(lay + "/plain.tar", layers[i]));
            std::string h = blob(lay, filter.empty() ? lay + "/plain.tar" : writeTar(lay + "/layer.tar", layers[i], filter));
            ::unlink((lay + "/plain.tar").c_str());
            std::string size = std::to_string(readText(lay + "/blobs/sha256/" + h).size());
            manifestLayers += std::string(i ? "," : "") + "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar" +
                              (filter.empty() ? "" : "+" + filter) + "\",\"digest\":\"sha256:" + h +
                              "\",\"size\":" + size + "}";
            diffIds += std::string(i ? "," : "") + "\"sha256:" + diffId + "\"";
        }
        std::string config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{" +
                             (cmd.empty() ? "" : "\"Cmd\":" + cmd) + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
                             diffIds + "]}}";
        std::string ch = blobText(lay, config);
        std::string manifest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                               "\"digest\":\"sha256:" + ch + "\",\"size\":" + std::to_string(config.size()) +
                               "},\"layers\":[" + manifestLayers + "]}";
        std::string mh = blobText(lay, manifest);
        writeText(lay + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        writeText(lay + "/index.json",
                  "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                  "\"digest\":\"sha256:" + mh + "\",\"size\":" + std::to_string(manifest.size()) +
                  ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}");
        return lay;
    }

    std::vector<std::string> storedLayers() {
        std::vector<std::string> out;
        for (const auto& n : listNames(cache_ + "/oci/layers"))
            if (n[0] != '.') out.push_back(n);
        return out;
    }
    long long duBytes(const std::string& dir) {
        auto r = run({"/usr/bin/du", "-s", "-B1", dir});
        return r.ok() ? std::stoll(r.out) : -1;
    }

    std::string cache_;
    std::vector<std::string> env_;
};

TEST_F(OciTemplateTest, OverlayContainersShareOneCopyOfTheLayersAndPruneKeepsWhatIsUsed) {
    const std::string lay = makeUmociLayout();
    ASSERT_FALSE(HasFailure());
    auto r = createOci("o1", "oci:" + lay + ":sys", "overlay");
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "layer 2/2")) << r.out;
    EXPECT_TRUE(contains(r.out, "unpacked into the store")) << r.out;
    ASSERT_EQ(storedLayers().size(), 2u);
    const long long afterFirst = duBytes(cache_ + "/oci/layers");
    r = createOci("o2", "oci:" + lay + ":sys", "overlay");
    XC_ASSERT_OK(r);
    EXPECT_FALSE(contains(r.out, "unpacked into the store")) << r.out;
    EXPECT_TRUE(contains(r.out, "already in the store")) << r.out;
    EXPECT_EQ(storedLayers().size(), 2u);
    EXPECT_EQ(duBytes(cache_ + "/oci/layers"), afterFirst) << "the second container copied layers";
    // The container's own part holds nothing of the image.
    EXPECT_LT(duBytes(containerDir("o2")), 64 * 1024) << "o2's directory holds more than its config";

    // Both name the same store layers as their lowers, top first.
    auto lowerOf = [&](const std::string& n) {
        for (const auto& l : lines(readText(configFile(n))))
            if (contains(l, "lower")) return l;
        return std::string();
    };
    const auto layers = storedLayers();
    EXPECT_EQ(lowerOf("o1"), lowerOf("o2"));
    for (const auto& id : layers) EXPECT_TRUE(contains(lowerOf("o1"), cache_ + "/oci/layers/" + id)) << lowerOf("o1");

    XC_ASSERT_OK(tool("xc-start", {"-n", "o1"}));
    auto a = attach("o1", {"/bin/sh", "-c",
                           "cat /etc/second; test -e /etc/gone || echo gone-is-gone; ls /opq; "
                           "echo mine > /etc/o1-only; grep ' / ' /proc/self/mountinfo"});
    XC_EXPECT_OK(a);
    EXPECT_TRUE(contains(a.out, "layer 2")) << a.out;
    EXPECT_TRUE(contains(a.out, "gone-is-gone")) << a.out;
    EXPECT_TRUE(contains(a.out, " - overlay ")) << a.out;
    EXPECT_TRUE(contains(a.out, "lowerdir+=" + cache_ + "/oci/layers/")) << a.out;
    XC_EXPECT_OK(stop("o1"));
    EXPECT_TRUE(exists(containerDir("o1") + "/overlay/upper/etc/o1-only"));
    for (const auto& id : layers) EXPECT_FALSE(exists(cache_ + "/oci/layers/" + id + "/etc/o1-only"));

    // Prune keeps what a container uses, then removes what none does.
    r = tool("xc-image", {"ls"});
    XC_EXPECT_OK(r);
    EXPECT_TRUE(contains(r.out, base_ + "/o1") && contains(r.out, base_ + "/o2")) << r.out;
    XC_ASSERT_OK(destroy("o1"));
    r = tool("xc-image", {"prune"});
    XC_EXPECT_OK(r);
    EXPECT_TRUE(contains(r.out, "removed 0 unused layers")) << r.out;
    EXPECT_EQ(storedLayers().size(), 2u);
    XC_ASSERT_OK(destroy("o2"));
    r = tool("xc-image", {"prune", "--dry-run"});
    EXPECT_TRUE(contains(r.out, "would remove 2 unused layers")) << r.out;
    EXPECT_EQ(storedLayers().size(), 2u);
    r = tool("xc-image", {"prune"});
    XC_EXPECT_OK(r);
    EXPECT_TRUE(contains(r.out, "removed 2 unused layers")) << r.out;
    EXPECT_TRUE(storedLayers().empty());
}

TEST_F(OciTemplateTest, DirBackendAppliesTheLayersWithTheirWhiteouts) {
    const std::string lay = makeUmociLayout();
    ASSERT_FALSE(HasFailure());
    XC_ASSERT_OK(createOci("d1", "oci:" + lay + ":sys", "dir"));
    const std::string rf = rootfs("d1");
    EXPECT_EQ(readText(rf + "/etc/second"), "layer 2\n");
    EXPECT_FALSE(exists(rf + "/etc/gone"));
    EXPECT_TRUE(exists(rf + "/opq/a"));
    for (const auto& p : listTree(rf)) EXPECT_FALSE(contains(p, ".wh.")) << p;
    struct stat st {};
    ASSERT_EQ(::stat((rf + "/work").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_TRUE(storedLayers().empty()) << "-B dir used the layer store";
    XC_ASSERT_OK(tool("xc-start", {"-n", "d1"}));
    EXPECT_EQ(state("d1"), "RUNNING");
    XC_EXPECT_OK(stop("d1"));
}

TEST_F(OciTemplateTest, AnOpaqueDirectoryHidesTheLowerLayersInBothBackends) {
    const std::string lay = writeLayout(
        "opaque", {{{"opq", AE_IFDIR}, {"opq/a", AE_IFREG, "a\n"}, {"opq/sub", AE_IFDIR}, {"opq/sub/x", AE_IFREG, "x"},
                    {"keep", AE_IFREG, "kept\n"}, {"bin", AE_IFDIR}, {"bin/true", AE_IFREG, "not run"}},
                   {{"opq", AE_IFDIR}, {"opq/.wh..wh..opq", AE_IFREG}, {"opq/c", AE_IFREG, "c\n"},
                    {".wh.keep", AE_IFREG}}},
        "[\"/bin/true\"]");
    XC_ASSERT_OK(createOci("p1", "oci:" + lay + ":t", "dir"));
    EXPECT_EQ(listNames(rootfs("p1") + "/opq"), std::vector<std::string>{"c"});
    EXPECT_FALSE(exists(rootfs("p1") + "/keep"));
    XC_ASSERT_OK(createOci("p2", "oci:" + lay, "overlay"));
    // The merged tree, seen through a snapshot-free full copy of p2.
    XC_ASSERT_OK(tool("xc-clone", {"-o", "p2", "-n", "p3", "-B", "dir"}));
    EXPECT_EQ(listNames(rootfs("p3") + "/opq"), std::vector<std::string>{"c"});
    EXPECT_FALSE(exists(rootfs("p3") + "/keep"));
    EXPECT_TRUE(contains(readText(configFile("p1")), "/bin/true")) << readText(configFile("p1"));
}

TEST_F(OciTemplateTest, AnApplicationImageRunsItsCommandWithItsUserEnvAndStopSignal) {
    const std::string lay = makeUmociLayout();
    ASSERT_FALSE(HasFailure());
    auto r = createOci("app", "oci:" + lay + ":app", "overlay");
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "an application container")) << r.out;
    const std::string conf = readText(configFile("app"));
    EXPECT_TRUE(contains(conf, "\"1000:1000\"")) << conf;
    EXPECT_TRUE(contains(conf, "\"/work\"")) << conf;
    EXPECT_TRUE(contains(conf, "SIGUSR1")) << conf;
    XC_ASSERT_OK(tool("xc-start", {"-n", "app"}));
    const std::string upper = containerDir("app") + "/overlay/upper/work";
    ASSERT_TRUE(waitUntil([&] { return !readText(upper + "/out").empty(); }, 10)) << "the command did not run";
    EXPECT_EQ(readText(upper + "/out"), "hello from the image 1000:1000 /work\n");
    auto t0 = std::chrono::steady_clock::now();
    XC_EXPECT_OK(tool("xc-stop", {"-n", "app", "-t", "20"}));
    EXPECT_LT(since(t0), 10) << "the stop signal did not reach the command";
    EXPECT_EQ(readText(upper + "/stopped"), "stopped by USR1\n");
    expectNothingRunning("app", "after stop");
}

TEST_F(OciTemplateTest, ACorruptedBlobIsRefusedAndNothingIsKept) {
    const std::string lay = writeLayout("corrupt", {{{"bin", AE_IFDIR}, {"bin/sh", AE_IFREG, "original"}}}, "[\"/bin/sh\"]");
    // The layer's bytes change, its name (the digest) stays.
    for (const auto& n : listNames(lay + "/blobs/sha256")) {
        const std::string f = lay + "/blobs/sha256/" + n;
        std::string t = readText(f);
        auto at = t.find("original");
        if (at == std::string::npos) continue;
        t.replace(at, 8, "tampered");
        writeText(f, t);
    }
    for (const std::string backend : {"overlay", "dir"}) {
        auto r = createOci("bad", "oci:" + lay, backend);
        EXPECT_NE(r.status, 0) << r.describe();
        EXPECT_TRUE(contains(r.err, "SHA-256 mismatch")) << r.err;
        size_t templateLines = 0;
        for (const auto& l : lines(r.err)) templateLines += contains(l, "oci template:");
        EXPECT_EQ(templateLines, 1u) << r.err;
        EXPECT_FALSE(exists(containerDir("bad")));
        EXPECT_TRUE(listNames(cache_ + "/oci/layers").empty()) << "a bad layer was kept (" << backend << ")";
    }
}

TEST_F(OciTemplateTest, AHostileLayerWritesNothingOutsideTheRootfs) {
    const std::string outside = makeSentinelDir();
    const std::vector<std::vector<std::vector<TarMember>>> hostile = {
        {{{"etc", AE_IFLNK, outside}, {"etc/evil", AE_IFREG, "x"}}},
        {{{"../escape", AE_IFREG, "x"}}},
        {{{"/abs", AE_IFREG, "x"}}},
        {{{"etc", AE_IFLNK, outside}}, {{".wh.etc/x", AE_IFREG}, {"etc/.wh.x", AE_IFREG}, {"etc/y", AE_IFREG, "y"}}},
    };
    size_t i = 0;
    for (const auto& layers : hostile) {
        const std::string lay = writeLayout("hostile" + std::to_string(i), layers, "[\"/bin/sh\"]");
        for (const std::string backend : {"overlay", "dir"}) {
            writeText(outside + "/x", "sentinel\n");
            auto r = createOci("h", "oci:" + lay, backend);
            // The last one's layers are harmless apart (-B overlay): only
            // applied onto each other do they go through the link.
            if (i + 1 < hostile.size() || backend == "dir") {
                EXPECT_NE(r.status, 0) << lay << " " << backend << ": " << r.describe();
                EXPECT_TRUE(contains(r.err, "refused")) << r.err;
                EXPECT_FALSE(exists(containerDir("h")));
            }
            EXPECT_EQ(listNames(outside), std::vector<std::string>{"x"}) << "written outside (" << lay << ")";
            EXPECT_EQ(readText(outside + "/x"), "sentinel\n");
            if (r.ok()) XC_EXPECT_OK(destroy("h"));
        }
        ++i;
    }
}

TEST_F(OciTemplateTest, LayoutArchivesAndDockerArchivesWork) {
    const std::string lay = writeLayout("arch", {{{"bin", AE_IFDIR}, {"bin/sh", AE_IFREG, "sh"}},
                                                 {{"etc", AE_IFDIR}, {"etc/top", AE_IFREG, "top\n"}}},
                                        "[\"/bin/sh\"]");
    auto r = run({"/bin/tar", "-C", lay, "-cf", scratch_ + "/arch.tar", "."});
    XC_ASSERT_OK(r);
    XC_ASSERT_OK(createOci("oa", "oci-archive:" + scratch_ + "/arch.tar:t", "dir"));
    EXPECT_EQ(readText(rootfs("oa") + "/etc/top"), "top\n");
    EXPECT_FALSE(exists(containerDir("oa") + "/.oci-source"));

    // docker save's layout: manifest.json, the config, one tar per layer.
    const std::string d = scratch_ + "/docker";
    ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((d + "/l1").c_str(), 0755), 0);
    writeTar(d + "/l1/layer.tar", {{"bin", AE_IFDIR}, {"bin/sh", AE_IFREG, "docker"}, {"etc", AE_IFDIR},
                                   {"etc/from", AE_IFREG, "docker\n"}});
    const std::string id = sha(d + "/l1/layer.tar");
    writeText(d + "/cfg.json", "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
                               "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + id + "\"]}}");
    writeText(d + "/manifest.json", "[{\"Config\":\"cfg.json\",\"RepoTags\":[\"test:1\"],\"Layers\":[\"l1/layer.tar\"]}]");
    XC_ASSERT_OK(run({"/bin/tar", "-C", d, "-cf", scratch_ + "/docker.tar", "."}));
    XC_ASSERT_OK(createOci("da", "docker-archive:" + scratch_ + "/docker.tar:test:1", "overlay"));
    XC_ASSERT_OK(tool("xc-clone", {"-o", "da", "-n", "db", "-B", "dir"}));
    EXPECT_EQ(readText(rootfs("db") + "/etc/from"), "docker\n");
}

TEST_F(OciTemplateTest, GzipAndZstdLayersAreCheckedAgainstTheirDiffIds) {
    const std::string lay = writeLayout("compressed", {{{"bin", AE_IFDIR}, {"bin/sh", AE_IFREG, "gzip layer"}},
                                                       {{"etc", AE_IFDIR}, {"etc/z", AE_IFREG, "zstd layer\n"}}},
                                        "[\"/bin/sh\"]", {"gzip", "zstd"});
    for (const std::string backend : {"dir", "overlay"}) {
        const std::string name = "z" + backend;
        XC_ASSERT_OK(createOci(name, "oci:" + lay + ":t", backend));
    }
    EXPECT_EQ(readText(rootfs("zdir") + "/etc/z"), "zstd layer\n");
    EXPECT_EQ(readText(rootfs("zdir") + "/bin/sh"), "gzip layer");
    EXPECT_EQ(storedLayers().size(), 2u);
}

TEST_F(OciTemplateTest, BadReferencesGetOneClearLine) {
    ASSERT_EQ(::mkdir((scratch_ + "/not-a-layout").c_str(), 0755), 0);
    auto r = createOci("x", "oci:" + scratch_ + "/not-a-layout", "dir");
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "not an OCI image layout")) << r.err;
    const std::string lay = writeLayout("tags", {{{"bin", AE_IFDIR}}}, "[\"/bin/sh\"]");
    r = createOci("x", "oci:" + lay + ":nope", "dir");
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "no image tagged 'nope' (tags: t)")) << r.err;
    r = createOci("x", "http://example.invalid/x", "dir");
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "use oci:DIR")) << r.err;
    EXPECT_FALSE(exists(containerDir("x")));
}

}  // namespace
