// The download template (templates/download, a C++ program over the image
// module) against real image servers on loopback: Python's http.server
// over TLS (a CA and server certificate made here with openssl), serving
// simplestreams and LXC meta/1.0 indexes over images built from the busybox
// template's rootfs (tests/integration/imageserver/imageserver.py). Nothing
// leaves 127.0.0.1.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "harness.hpp"

namespace {

using namespace xcit;

const std::string kServer = std::string(XC_SOURCE_DIR) + "/tests/integration/imageserver/imageserver.py";
const std::string kPython = "/usr/bin/python3";

class DownloadTemplateTest : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (HasFatalFailure()) return;
        srv_ = scratch_ + "/srv";
        cache_ = scratch_ + "/cache";
        tls_ = scratch_ + "/tls";
        ASSERT_EQ(::mkdir(srv_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(tls_.c_str(), 0700), 0);
        makeCertificates();
    }

    void TearDown() override {
        stopServer();
        if (!gnupg_.empty()) run({"/usr/bin/gpgconf", "--homedir", gnupg_, "--kill", "all"});
        XcTest::TearDown();
    }

    void makeCertificates() {
        auto ok = [&](const std::vector<std::string>& argv) {
            auto r = run(argv);
            ASSERT_TRUE(r.ok()) << r.describe();
        };
        std::string ec = "ec", curve = "ec_paramgen_curve:prime256v1";
        ok({"/usr/bin/openssl", "req", "-x509", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-keyout", tls_ + "/ca.key",
            "-out", tls_ + "/ca.pem", "-days", "2", "-subj", "/CN=xc test CA"});
        ok({"/usr/bin/openssl", "req", "-newkey", ec, "-pkeyopt", curve, "-nodes", "-keyout", tls_ + "/srv.key", "-out",
            tls_ + "/srv.csr", "-subj", "/CN=127.0.0.1"});
        writeText(tls_ + "/ext", "subjectAltName=IP:127.0.0.1\n");
        ok({"/usr/bin/openssl", "x509", "-req", "-in", tls_ + "/srv.csr", "-CA", tls_ + "/ca.pem", "-CAkey",
            tls_ + "/ca.key", "-CAcreateserial", "-out", tls_ + "/srv.pem", "-days", "2", "-extfile", tls_ + "/ext"});
    }

    // A busybox image (the busybox template's rootfs) as rootfs.tar.xz and
    // LXC metadata as meta.tar.xz, in scratch_/img-<tag>; motd says tag.
    std::pair<std::string, std::string> makeImage(const std::string& tag) {
        std::string img = scratch_ + "/img-" + tag, tree = img + "/tree", meta = img + "/meta";
        EXPECT_EQ(::mkdir(img.c_str(), 0755), 0);
        EXPECT_EQ(::mkdir(tree.c_str(), 0755), 0);
        EXPECT_EQ(::mkdir(meta.c_str(), 0755), 0);
        auto r = run({std::string(XC_SOURCE_DIR) + "/templates/busybox", "--name", "imgsrc", "--path", img, "--rootfs",
                      tree, "--config", img + "/busybox.conf"});
        EXPECT_TRUE(r.ok()) << r.describe();
        writeText(tree + "/etc/motd", "build " + tag + " for LXC_NAME\n");
        r = run({"/bin/tar", "--numeric-owner", "-C", tree, "-cJf", img + "/rootfs.tar.xz", "."});
        EXPECT_TRUE(r.ok()) << r.describe();
        writeText(meta + "/config",
                  "lxc.arch = x86_64\nlxc.init.cmd = /sbin/init\nlxc.signal.halt = SIGUSR1\nlxc.signal.reboot = SIGTERM\n"
                  "lxc.tty.max = 2\n");
        writeText(meta + "/templates", "/etc/motd\n");
        r = run({"/bin/tar", "-C", meta, "-cJf", img + "/meta.tar.xz", "config", "templates"});
        EXPECT_TRUE(r.ok()) << r.describe();
        return {img + "/rootfs.tar.xz", img + "/meta.tar.xz"};
    }

    void publish(const std::string& build, const std::string& tag, const std::vector<std::string>& extra = {},
                 const std::string& release = "1.36") {
        auto [rootfsTar, metaTar] = makeImage(tag);
        std::vector<std::string> argv = {kPython, kServer, "publish", srv_, "--dist", "busybox", "--release", release,
                                         "--arch", "amd64", "--variant", "default", "--build", build, "--rootfs",
                                         rootfsTar, "--meta", metaTar};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto r = run(argv, {.timeoutSeconds = 60});
        ASSERT_TRUE(r.ok()) << r.describe();
    }

    // Starts the server (TLS unless plain); sets base_ to its URL.
    void startServer(const std::vector<std::string>& extra = {}, bool plain = false) {
        stopServer();
        std::string portFile = scratch_ + "/port";
        ::unlink(portFile.c_str());
        std::vector<std::string> argv = {kPython, kServer, "serve", srv_, "--port-file", portFile, "--log",
                                         scratch_ + "/server.log"};
        if (!plain) argv.insert(argv.end(), {"--cert", tls_ + "/srv.pem", "--key", tls_ + "/srv.key"});
        argv.insert(argv.end(), extra.begin(), extra.end());
        server_ = spawn(argv, {.timeoutSeconds = 600});
        ASSERT_GT(server_.pid, 0);
        ASSERT_TRUE(waitUntil([&] { return exists(portFile); }, 30)) << "the image server did not start";
        port_ = readText(portFile);
        base_url_ = std::string(plain ? "http" : "https") + "://127.0.0.1:" + port_;
    }

    void stopServer() {
        if (server_.pid <= 0) return;
        ::kill(-server_.pid, SIGKILL);
        wait(server_);
        server_ = Running{};
    }

    RunResult download(const std::string& name, const std::vector<std::string>& extra, bool withServer = true) {
        std::vector<std::string> args = {"-n", name, "-t", "download", "--", "-d", "busybox", "-r", "1.36", "-a", "amd64"};
        if (withServer) args.insert(args.end(), {"--server", base_url_, "--ca-file", tls_ + "/ca.pem"});
        args.insert(args.end(), extra.begin(), extra.end());
        return xc("xc-create", args, {.env = {"XC_CACHE=" + cache_}, .timeoutSeconds = 120});
    }

    std::string cacheDir() const { return cache_ + "/download/busybox/1.36/amd64/default"; }

    std::vector<std::string> templateLines(const std::string& err) {
        std::vector<std::string> out;
        for (const auto& l : lines(err))
            if (contains(l, "download template:") && !contains(l, "warning:")) out.push_back(l);
        return out;
    }

    // Nothing of a failed create: no container, no cache, no temporary directory.
    void expectNothingLeft(const std::string& name) {
        EXPECT_FALSE(exists(containerDir(name)));
        EXPECT_FALSE(exists(cacheDir())) << "a cache of a failed download";
        for (const auto& n : listNames(cache_ + "/download/busybox/1.36/amd64"))
            EXPECT_TRUE(n == "default.lock") << "left in the cache: " << n;
    }

    std::string srv_, cache_, tls_, port_, base_url_, gnupg_;
    Running server_;
};

TEST_F(DownloadTemplateTest, SimplestreamsImageStartsAndTheCacheServesWithoutTheServer) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    startServer();
    auto r = download("web", {});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "simplestreams index")) << r.out;
    EXPECT_TRUE(contains(r.out, "SHA-256 of every file checked")) << r.out;
    EXPECT_EQ(readText(cacheDir() + "/build_id"), "20250101_0100\n");
    EXPECT_EQ(readText(rootfs("web") + "/etc/motd"), "build one for web\n");
    EXPECT_TRUE(contains(readText(configFile("web")), "SIGUSR1"));

    XC_ASSERT_OK(start("web"));
    EXPECT_EQ(state("web"), "RUNNING");
    auto a = attach("web", {"/bin/cat", "/etc/motd"});
    XC_EXPECT_OK(a);
    EXPECT_TRUE(contains(a.out, "build one for web")) << a.describe();
    XC_EXPECT_OK(stop("web"));
    expectNothingRunning("web", "after stop");

    // A cache hit: the server says the cached build is its newest.
    r = download("web1", {});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "is the server's newest")) << r.out;

    // The server gone: --force-cache works, without it one line that says so.
    stopServer();
    r = download("web2", {"--force-cache"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "--force-cache: the server is not asked")) << r.out;
    EXPECT_EQ(readText(rootfs("web2") + "/etc/motd"), "build one for web2\n");
    r = download("web3", {});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], "--force-cache uses the cached build 20250101_0100")) << l[0];
    EXPECT_FALSE(exists(containerDir("web3")));
}

TEST_F(DownloadTemplateTest, MetaIndexImageWithTheCompatIndexFirst) {
    publish("20250101_0100", "old");
    publish("20250202_0200", "new");
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(removeTree(srv_ + "/streams"));
    // The .7 index names the newer build, the plain one the older: LXC reads .7 first.
    std::string idx = readText(srv_ + "/meta/1.0/index-system");
    std::string older, newer;
    for (const auto& line : lines(idx)) (contains(line, "20250101") ? older : newer) = line + "\n";
    writeText(srv_ + "/meta/1.0/index-system", older);
    writeText(srv_ + "/meta/1.0/index-system.7", newer);
    startServer();
    auto r = download("m", {});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "meta/1.0 index")) << r.out;
    EXPECT_TRUE(contains(r.out, "publishes no checksums")) << r.out;
    EXPECT_EQ(readText(rootfs("m") + "/etc/motd"), "build new for m\n");

    // With a SHA256SUMS beside the files, they are checked.
    std::string dir = srv_ + "/images/busybox/1.36/amd64/default/20250202_0200";
    auto sums = run({"/bin/sh", "-c", "cd '" + dir + "' && sha256sum rootfs.tar.xz meta.tar.xz > SHA256SUMS"});
    XC_ASSERT_OK(sums);
    r = download("m2", {"--flush-cache"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "SHA-256 of every file checked")) << r.out;
}

TEST_F(DownloadTemplateTest, ANewerBuildReplacesTheCacheAndListShowsTheImages) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    startServer();
    XC_ASSERT_OK(download("a", {}));
    publish("20250303_0300", "two");
    publish("20250101_0000", "other", {"--ftypes", "lxd"}, "edge");
    ASSERT_FALSE(HasFailure());
    auto r = download("b", {});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "replacing the cached build 20250101_0100")) << r.out;
    EXPECT_EQ(readText(cacheDir() + "/build_id"), "20250303_0300\n");
    EXPECT_EQ(readText(rootfs("b") + "/etc/motd"), "build two for b\n");
    for (const auto& n : listNames(cache_ + "/download/busybox/1.36/amd64"))
        EXPECT_TRUE(n == "default" || n == "default.lock") << "left in the cache: " << n;

    r = xc("xc-create", {"-n", "l", "-t", "download", "--", "--list", "--server", base_url_, "--ca-file",
                         tls_ + "/ca.pem"},
           {.env = {"XC_CACHE=" + cache_}});
    EXPECT_NE(r.status, 0) << "--list makes no container";
    EXPECT_TRUE(contains(r.out, "DIST")) << r.out;
    bool one = false, edge = false;
    for (const auto& line : lines(r.out)) {
        one |= contains(line, "busybox") && contains(line, "1.36") && contains(line, "20250303_0300");
        edge |= contains(line, "busybox") && contains(line, "edge") && contains(line, "20250101_0000");
    }
    EXPECT_TRUE(one && edge) << r.out;
    EXPECT_FALSE(exists(containerDir("l")));
}

TEST_F(DownloadTemplateTest, ACorruptedTarballIsRefusedAndNothingIsCached) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    std::string served = srv_ + "/images/busybox/1.36/amd64/default/20250101_0100/rootfs.tar.xz";
    std::string data = readText(served);
    ASSERT_GT(data.size(), 1000u);
    data[data.size() / 2] ^= 0x55;  // same size, other bytes
    writeText(served, data);
    startServer();
    auto r = download("bad", {});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], "SHA-256 mismatch: the index says ")) << l[0];
    EXPECT_TRUE(contains(l[0], ", the file has ")) << l[0];
    expectNothingLeft("bad");
}

TEST_F(DownloadTemplateTest, SignaturesAreCheckedWithTheKeyring) {
    gnupg_ = scratch_ + "/gnupg";
    ASSERT_EQ(::mkdir(gnupg_.c_str(), 0700), 0);
    auto gpg = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"/usr/bin/gpg", "--batch", "--homedir", gnupg_});
        return run(args, {.timeoutSeconds = 60});
    };
    XC_ASSERT_OK(gpg({"--passphrase", "", "--quick-gen-key", "xc image signer <signer@test>", "ed25519", "sign", "never"}));
    XC_ASSERT_OK(gpg({"--output", scratch_ + "/keyring.gpg", "--export"}));
    publish("20250101_0100", "one", {"--gnupghome", gnupg_});
    ASSERT_FALSE(HasFailure());
    startServer();
    auto r = download("signed", {"--keyring", scratch_ + "/keyring.gpg"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "signatures checked with gpgv")) << r.out;
    EXPECT_TRUE(exists(cacheDir() + "/rootfs.tar.xz.asc"));
    // The cache keeps the signatures: --force-cache checks them again.
    r = download("cached", {"--keyring", scratch_ + "/keyring.gpg", "--force-cache"});
    XC_ASSERT_OK(r);

    // A signature made over other data: refused, nothing cached.
    std::string dir = srv_ + "/images/busybox/1.36/amd64/default/20250101_0100";
    XC_ASSERT_OK(gpg({"--yes", "--armor", "--detach-sign", "-o", dir + "/rootfs.tar.xz.asc", dir + "/meta.tar.xz"}));
    r = download("forged", {"--keyring", scratch_ + "/keyring.gpg", "--flush-cache"});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], "gpgv refused it")) << l[0];
    EXPECT_TRUE(contains(l[0], "rootfs.tar.xz")) << l[0];
    expectNothingLeft("forged");

    // --no-validate skips signatures, with a warning, never checksums.
    r = download("unchecked", {"--keyring", scratch_ + "/keyring.gpg", "--no-validate"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.err, "warning: --no-validate")) << r.err;
    EXPECT_TRUE(contains(r.out, "SHA-256 of every file checked")) << r.out;
}

TEST_F(DownloadTemplateTest, AServerThatStopsMidDownloadIsResumedOrFailsCleanly) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    startServer({"--drop", "rootfs.tar.xz:100000:1"});
    auto r = download("resumed", {});
    XC_ASSERT_OK(r);
    EXPECT_EQ(readText(rootfs("resumed") + "/etc/motd"), "build one for resumed\n");
    EXPECT_TRUE(contains(readText(scratch_ + "/server.log"), "range=bytes=100000-")) << readText(scratch_ + "/server.log");

    // Cut every time: a clean failure after the retries.
    startServer({"--drop", "rootfs.tar.xz:100000:-1"});
    r = download("cut", {"--flush-cache"});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], "attempts")) << l[0];
    expectNothingLeft("cut");
}

TEST_F(DownloadTemplateTest, PlainHttpOnlyWhenTheUrlSaysSo) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    startServer({}, /*plain=*/true);
    // A bare host means https://: this server speaks no TLS.
    auto r = xc("xc-create", {"-n", "h", "-t", "download", "--", "-d", "busybox", "-r", "1.36", "-a", "amd64",
                              "--server", "127.0.0.1:" + port_},
                {.env = {"XC_CACHE=" + cache_}});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], "https://127.0.0.1:" + port_ + "/streams/v1/index.json")) << l[0];
    expectNothingLeft("h");
    r = download("h", {});
    XC_ASSERT_OK(r);
    EXPECT_EQ(readText(rootfs("h") + "/etc/motd"), "build one for h\n");
}

TEST_F(DownloadTemplateTest, ProgressIsABarOnATerminalAndPlainLinesOtherwise) {
    publish("20250101_0100", "one");
    ASSERT_FALSE(HasFailure());
    startServer();
    auto r = download("plain", {});
    XC_ASSERT_OK(r);
    EXPECT_FALSE(contains(r.out, "\r")) << r.out;
    bool line = false;
    for (const auto& l : lines(r.out)) line |= contains(l, "  rootfs.tar.xz  ") && contains(l, "100%") && contains(l, " in ");
    EXPECT_TRUE(line) << r.out;
    // On a terminal (script(1) gives it one): redrawn in place.
    std::string cmd = toolPath("xc-create") + " -P " + base_ + " -n tty -t download -- -d busybox -r 1.36 -a amd64 --server " +
                      base_url_ + " --ca-file " + tls_ + "/ca.pem";
    r = run({"/usr/bin/script", "-qfec", cmd, "/dev/null"}, {.env = {"XC_CACHE=" + cache_ + "-tty"}, .timeoutSeconds = 120});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "\r  rootfs.tar.xz  ")) << r.out;
    EXPECT_TRUE(exists(rootfs("tty") + "/bin/busybox"));
}

TEST_F(DownloadTemplateTest, AnUnreachableServerIsOneClearLine) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len);
    ::close(s);  // nobody listens there now
    base_url_ = "https://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    auto r = download("u", {});
    EXPECT_NE(r.status, 0) << r.describe();
    auto l = templateLines(r.err);
    ASSERT_EQ(l.size(), 1u) << r.err;
    EXPECT_TRUE(contains(l[0], base_url_)) << l[0];
    EXPECT_TRUE(contains(l[0], "onnect")) << l[0];
    EXPECT_FALSE(contains(l[0], "Input/output error")) << "no errno text after curl's own reason: " << l[0];
    EXPECT_LT(r.seconds, 10) << "no retries of a refused connection";
    expectNothingLeft("u");
}

// Image tarballs are hostile even when the server's checksums match: a
// member that goes through a link to outside, one with "..", an absolute
// one and a hard link to outside are each refused over the whole download
// path, with one line, and nothing is written outside the rootfs.
TEST_F(DownloadTemplateTest, AHostileTarballIsRefusedAndWritesNothingOutside) {
    const std::string outside = makeSentinelDir();
    writeText(outside + "/target", "sentinel\n");
    struct Member {
        std::string path;
        mode_t type;
        std::string link;
    };
    const std::vector<std::pair<std::vector<Member>, std::string>> cases = {
        {{{"./etc", AE_IFLNK, outside}, {"./etc/cron.d", AE_IFREG, ""}}, "leads outside the rootfs: refused"},
        {{{"./../escape", AE_IFREG, ""}}, "a '..' component: refused"},
        {{{"/abs", AE_IFREG, ""}}, "an absolute path: refused"},
        {{{"./pw", AE_IFREG, ""}, {"./hl", AE_IFREG, "../../../../../.." + outside + "/target"}}, "refused"},
    };
    int build = 0;
    for (const auto& [members, why] : cases) {
        auto [goodRootfs, meta] = makeImage("h" + std::to_string(build));
        const std::string tar = scratch_ + "/hostile" + std::to_string(build) + ".tar.gz";
        struct archive* a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        ASSERT_EQ(archive_write_open_filename(a, tar.c_str()), ARCHIVE_OK);
        for (const auto& m : members) {
            archive_entry* e = archive_entry_new();
            archive_entry_set_pathname(e, m.path.c_str());
            archive_entry_set_filetype(e, m.type);
            archive_entry_set_perm(e, 0644);
            if (m.type == AE_IFLNK) archive_entry_set_symlink(e, m.link.c_str());
            if (m.type == AE_IFREG && !m.link.empty()) archive_entry_set_hardlink(e, m.link.c_str());
            archive_entry_set_size(e, 0);
            ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
            archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        const std::string id = "2025010" + std::to_string(build + 1) + "_0000";
        auto r = run({kPython, kServer, "publish", srv_, "--dist", "busybox", "--release", "1.36", "--arch", "amd64",
                      "--variant", "default", "--build", id, "--rootfs", tar, "--meta", meta},
                     {.timeoutSeconds = 60});
        ASSERT_TRUE(r.ok()) << r.describe();
        startServer();
        r = download("bad", {"--flush-cache"});
        EXPECT_NE(r.status, 0) << r.describe();
        auto l = templateLines(r.err);
        ASSERT_EQ(l.size(), 1u) << r.err;
        EXPECT_TRUE(contains(l[0], why)) << l[0];
        EXPECT_FALSE(exists(containerDir("bad")));
        EXPECT_EQ(listNames(outside), std::vector<std::string>{"target"}) << "written outside the rootfs";
        EXPECT_EQ(readText(outside + "/target"), "sentinel\n");
        ++build;
    }
}

}  // namespace
