// The debian and ubuntu templates (templates/debian, templates/ubuntu and
// their shared templates/lib/debootstrap.sh), end to end through xc-create.
//
// The image is the shared one of debian_image.hpp, built once per machine
// from the Debian mirror the host's apt names; nothing here talks to Ubuntu's archive:
// the ubuntu template's own pieces are checked by sourcing it, against
// loopback mirrors, and with a stand-in debootstrap (XC_DEBOOTSTRAP) that
// copies the Debian image.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "debian_image.hpp"
#include "xc/paths.hpp"

namespace xcit {
namespace {

bool isSymlinkTo(const std::string& path, const std::string& target) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return false;
    buf[n] = 0;
    return target == buf;
}

// Lines of text that are not empty.
int countNonEmptyLines(const std::string& text) {
    int n = 0;
    for (const auto& l : lines(text))
        if (!l.empty()) ++n;
    return n;
}

class DebianTemplate : public DebianImage {
protected:
    // A cache directory of this test's own (under the scratch dir).
    std::string ownCache() {
        std::string d = scratch_ + "/cache";
        ::mkdir(d.c_str(), 0755);
        return d;
    }

    // A stand-in debootstrap: logs its arguments to <scratch>/ds-args (one
    // call per line), then runs `body` with $target set.
    std::string fakeDebootstrap(const std::string& body) {
        std::string script = "#!/bin/sh\n"
                             "for a in \"$@\"; do printf '%s ' \"$a\"; done >>" +
                             scratch_ + "/ds-args\necho >>" + scratch_ +
                             "/ds-args\n"
                             "n=0 target=\n"
                             "for a in \"$@\"; do case $a in -*) ;; *) n=$((n + 1)); [ $n = 2 ] && target=$a ;; "
                             "esac; done\n" +
                             body + "\n";
        return scratchFile("fake-debootstrap", script, 0755);
    }

    // Nothing of a failed create: no container dir, no image, no build dirs.
    void expectNothingLeft(const std::string& name, const std::string& cacheRoot, const std::string& ctx) {
        EXPECT_FALSE(exists(containerDir(name))) << ctx << ": the container directory was left";
        std::string parent = cacheRoot + "/debian/" + hostRelease() + "/" + hostArch();
        EXPECT_FALSE(exists(parent + "/minbase")) << ctx << ": a half-made image was left";
        for (const auto& n : listNames(parent))
            EXPECT_TRUE(n == "minbase.lock" || n == "minbase.log") << ctx << ": left in the cache: " << n;
    }

    // Runs `sh -c SCRIPT` with the template sourced (XC_TEMPLATE_SOURCE_ONLY).
    RunResult sourced(const std::string& tmpl, const std::string& script, std::vector<std::string> env = {}) {
        env.push_back("XC_TEMPLATE_SOURCE_ONLY=" + kTemplates + "/lib");
        RunOptions o;
        o.env = env;
        return run({"/bin/sh", "-c", ". " + kTemplates + "/" + tmpl + " && " + script}, o);
    }
};

// ---------------------------------------------------------------- the image

TEST_F(DebianTemplate, CreateFromTheWarmCacheGivesAConfiguredSystemdRootfs) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    RunResult r = createDebian("web", {}, cacheEnv());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.out, "using the cached debian " + hostRelease())) << r.out;
    EXPECT_TRUE(contains(r.out, " ago")) << "the cache's age: " << r.out;
    EXPECT_LT(r.seconds, 60) << "a warm-cache create copies, it does not debootstrap";
    // The password, printed once with the login name.
    EXPECT_TRUE(contains(r.out, "log in as 'root' with the password '")) << r.out;

    std::string conf = readText(configFile("web"));
    EXPECT_TRUE(contains(conf, "\"/sbin/init\"")) << conf;
    EXPECT_TRUE(contains(conf, "SIGRTMIN+3")) << conf;
    std::string root = rootfs("web");
    EXPECT_EQ(readText(root + "/etc/hostname"), "web\n");
    EXPECT_TRUE(contains(readText(root + "/etc/hosts"), "127.0.1.1\tweb\n")) << readText(root + "/etc/hosts");
    EXPECT_TRUE(exists(root + "/etc/machine-id"));
    EXPECT_EQ(readText(root + "/etc/machine-id"), "");
    EXPECT_TRUE(isSymlinkTo(root + "/var/lib/dbus/machine-id", "/etc/machine-id"));
    std::string net = readText(root + "/etc/systemd/network/eth0.network");
    EXPECT_TRUE(contains(net, "Name=eth0")) << net;
    EXPECT_TRUE(contains(net, "DHCP=ipv4")) << net;
    EXPECT_TRUE(exists(root + "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"));
    for (const char* u : {"systemd-udevd.service", "systemd-udev-trigger.service", "systemd-hwdb-update.service",
                          "systemd-remount-fs.service", "sys-kernel-debug.mount", "systemd-sysctl.service",
                          "systemd-firstboot.service"})
        EXPECT_TRUE(isSymlinkTo(root + "/etc/systemd/system/" + u, "/dev/null")) << u << " is not masked";
    EXPECT_TRUE(contains(readText(root + "/etc/systemd/system/getty@.service.d/xc-container.conf"),
                         "ConditionPathExists=/dev/%I"));
    EXPECT_TRUE(exists(root + "/etc/systemd/system/getty.target.wants/getty@tty1.service"));
    EXPECT_EQ(readText(root + "/etc/default/locale"), "LANG=C.UTF-8\n");
    std::string tz = readText("/etc/timezone");
    if (!tz.empty()) {
        EXPECT_EQ(readText(root + "/etc/timezone"), tz);
    }
    // root has a real password hash now (the printed one).
    std::string shadow = readText(root + "/etc/shadow");
    EXPECT_TRUE(contains(shadow, "root:$")) << "root has no password hash";

    // The cached image itself stays a template: nobody's identity in it.
    std::string img = imageDir(kSharedCache);
    EXPECT_EQ(readText(img + "/etc/machine-id"), "");
    EXPECT_EQ(readText(img + "/etc/resolv.conf"), "");
    EXPECT_EQ(readText(img + "/etc/hostname"), "localhost\n");
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    EXPECT_FALSE(contains(readText(img + "/etc/hosts"), host)) << "the host's name is in the image's /etc/hosts";
    for (const auto& n : listNames(img + "/var/lib/apt/lists"))
        EXPECT_TRUE(n == "partial" || n == "lock") << "apt list left in the image: " << n;
    for (const auto& n : listNames(img + "/var/cache/apt/archives"))
        EXPECT_TRUE(n == "partial" || n == "lock") << "package left in the image: " << n;
    EXPECT_FALSE(exists(img + "/var/lib/systemd/random-seed")) << "the image was booted or seeded";

    XC_EXPECT_OK(destroy("web"));
}

TEST_F(DebianTemplate, UserPasswordAndAuthKeyAreTheContainersOwn) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    std::string key = scratchFile("key.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIXc test@xc\n");
    RunResult r = createDebian("u1", {"--user", "alice", "--password", "s3cret-pw", "--auth-key", key}, cacheEnv());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_FALSE(contains(r.out + r.err, "s3cret-pw")) << "a given password is never printed";
    EXPECT_TRUE(contains(r.out, "log in as 'alice'")) << r.out;
    std::string root = rootfs("u1");
    EXPECT_TRUE(contains(readText(root + "/etc/passwd"), "\nalice:x:")) << readText(root + "/etc/passwd");
    EXPECT_TRUE(contains(readText(root + "/etc/shadow"), "\nalice:$"));
    std::string ak = root + "/home/alice/.ssh/authorized_keys";
    EXPECT_EQ(readText(ak), readText(key));
    struct stat st = {};
    ASSERT_EQ(::stat(ak.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_NE(st.st_uid, 0u) << "authorized_keys must belong to alice";
    XC_EXPECT_OK(destroy("u1"));
}

TEST_F(DebianTemplate, TwoCreatesFromColdBuildTheImageOnceAndFlushRebuilds) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    // A stand-in debootstrap that copies the real image slowly: both
    // creates start at once, one builds, the other waits for it.
    // It must not hold the cache lock (a process of debootstrap's that
    // outlived it would block every later create).
    std::string ds = fakeDebootstrap("for fd in /proc/$$/fd/*; do case $(readlink $fd) in *.lock) "
                                     "echo \"E: the lock is inherited: $fd\"; exit 1 ;; esac; done\n"
                                     "sleep 2\necho 'I: Retrieving libc6 2.36'\ncp -a " + imageDir(kSharedCache) +
                                     "/. \"$target/\"\necho 'I: Base system installed successfully.'\n");
    std::string cache = ownCache();
    std::vector<std::string> env = {"XC_CACHE=" + cache, "XC_DEBOOTSTRAP=" + ds};
    RunOptions o;
    o.env = env;
    o.timeoutSeconds = 120;
    Running a = spawn({toolPath("xc-create"), "-P", base_, "-n", "a", "-t", "debian"}, o);
    Running b = spawn({toolPath("xc-create"), "-P", base_, "-n", "b", "-t", "debian"}, o);
    RunResult ra = wait(a), rb = wait(b);
    XC_ASSERT_OK(ra);
    XC_ASSERT_OK(rb);
    EXPECT_EQ(countNonEmptyLines(readText(scratch_ + "/ds-args")), 1) << "debootstrap ran more than once";
    EXPECT_TRUE(contains(ra.out + rb.out, "using the cached")) << ra.out << rb.out;
    EXPECT_TRUE(isDir(imageDir(cache)));

    RunResult f = createDebian("c", {"--flush-cache"}, env);
    XC_ASSERT_OK(f);
    EXPECT_EQ(countNonEmptyLines(readText(scratch_ + "/ds-args")), 2) << "--flush-cache did not rebuild";
    for (const char* n : {"a", "b", "c"}) XC_EXPECT_OK(destroy(n));
}

// ---------------------------------------------------------------- faults

TEST_F(DebianTemplate, AMirrorThatRefusesLeavesNothing) {
    std::string cache = ownCache();
    const std::string mirror = "http://127.0.0.1:9/debian";
    RunResult r = createDebian("m1", {"--mirror", mirror}, {"XC_CACHE=" + cache});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, mirror)) << r.err;
    EXPECT_TRUE(contains(r.err, hostRelease())) << r.err;
    EXPECT_TRUE(contains(r.err, "full log: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "Failed getting release file")) << "debootstrap's own error: " << r.err;
    expectNothingLeft("m1", cache, "refusing mirror");
}

TEST_F(DebianTemplate, AMirrorThatIsNotADebianArchiveLeavesNothing) {
    std::string empty = scratch_ + "/www";
    ASSERT_EQ(::mkdir(empty.c_str(), 0755), 0);
    // A free loopback port for python's http.server.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
    int port = ntohs(a.sin_port);
    ::close(s);
    RunOptions so;
    so.timeoutSeconds = 120;
    Running server = spawn({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", empty,
                            std::to_string(port)},
                           so);
    ASSERT_GT(server.pid, 0);
    // Up when it accepts.
    bool up = waitUntil(
        [&] {
            int c = ::socket(AF_INET, SOCK_STREAM, 0);
            bool ok = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(c);
            return ok;
        },
        10);
    std::string mirror = "http://127.0.0.1:" + std::to_string(port) + "/debian";
    std::string cache = ownCache();
    RunResult r;
    if (up) r = createDebian("m2", {"--mirror", mirror}, {"XC_CACHE=" + cache});
    ::kill(server.pid, SIGTERM);
    wait(server);
    ASSERT_TRUE(up) << "python3 -m http.server did not come up";
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, mirror)) << r.err;
    EXPECT_TRUE(contains(r.err, "full log: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "404")) << "the mirror's answer: " << r.err;
    EXPECT_EQ(countNonEmptyLines(r.err.substr(0, r.err.find("xc-create:"))), 1) << "one line from the template: "
                                                                                  << r.err;
    expectNothingLeft("m2", cache, "not an archive");
}

TEST_F(DebianTemplate, DebootstrapFailingHalfWayLeavesNothingAndNamesItsLog) {
    std::string ds = fakeDebootstrap(
        "mkdir -p \"$target/usr/bin\" \"$target/debootstrap\"; echo half > \"$target/usr/bin/half\"\n"
        "echo 'I: Retrieving libc6 2.36-9'\necho 'I: Extracting libc6...'\n"
        "echo 'dpkg: error processing package libc6 (--install):' >\"$target/debootstrap/debootstrap.log\"\n"
        "echo 'E: Tried to extract package, but file already exists. Exit...'\nexit 1\n");
    std::string cache = ownCache();
    RunResult r = createDebian("h1", {}, {"XC_CACHE=" + cache, "XC_DEBOOTSTRAP=" + ds});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "Tried to extract package, but file already exists")) << r.err;
    std::string log = cache + "/debian/" + hostRelease() + "/" + hostArch() + "/minbase.log";
    EXPECT_TRUE(contains(r.err, "full log: " + log)) << r.err;
    EXPECT_TRUE(contains(readText(log), "dpkg: error processing package libc6")) << "debootstrap's own log kept";
    expectNothingLeft("h1", cache, "debootstrap failed");
}

TEST_F(DebianTemplate, CtrlCDuringTheBuildLeavesNoContainerAndNoHalfMadeImage) {
    std::string ds = fakeDebootstrap("mkdir -p \"$target/usr\"\necho 'I: Retrieving libc6 2.36-9'\n"
                                     "sleep 60 &\ntrap 'kill $!; exit 130' INT TERM\nwait\n");
    std::string cache = ownCache();
    RunOptions o;
    o.env = {"XC_CACHE=" + cache, "XC_DEBOOTSTRAP=" + ds};
    o.timeoutSeconds = 60;
    Running c = spawn({toolPath("xc-create"), "-P", base_, "-n", "i1", "-t", "debian"}, o);
    std::string parent = cache + "/debian/" + hostRelease() + "/" + hostArch();
    bool building = waitUntil(
        [&] {
            for (const auto& n : listNames(parent))
                if (n.rfind(".minbase.build.", 0) == 0 && isDir(parent + "/" + n + "/usr")) return true;
            return false;
        },
        30);
    // As a terminal's Ctrl-C: SIGINT to the whole process group.
    ::kill(-c.pid, SIGINT);
    RunResult r = wait(c);
    ASSERT_TRUE(building) << r.describe();
    EXPECT_FALSE(r.timedOut) << r.describe();
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "interrupted")) << r.err;
    expectNothingLeft("i1", cache, "Ctrl-C");
}

TEST_F(DebianTemplate, AFullDiskWhileCopyingTheImageLeavesNoContainer) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    std::string small = makeSentinelDir();
    ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m"), 0) << std::strerror(errno);
    RunOptions o;
    o.env = cacheEnv();
    o.timeoutSeconds = 120;
    RunResult r = run({toolPath("xc-create"), "-P", small, "-n", "full", "-t", "debian"}, o);
    std::vector<std::string> left = listNames(small);
    ::umount2(small.c_str(), MNT_DETACH);
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
    EXPECT_TRUE(contains(r.err, "cannot copy the image")) << r.err;
    for (const auto& n : left) EXPECT_NE(n, "full") << "the container directory was left";
    removeTree("/run/xc/" + xc::hashKey(small));
}

TEST_F(DebianTemplate, BadReleaseArchAndOptionsAreRefusedBeforeAnything) {
    std::string cache = ownCache();
    struct Case {
        std::vector<std::string> args;
        std::string says;
    } cases[] = {
        {{"-r", "bookwurm"}, "unknown Debian release 'bookwurm'"},
        {{"-a", "vax"}, "unknown architecture 'vax'"},
        {{"-a", "s390x"}, "does not run on this"},
        {{"--variant", "fat"}, "'fat' is not minbase or default"},
        {{"--packages", "ok,Bad_Name"}, "'Bad_Name' is not a package name"},
        {{"--mirror", "ftp.example/debian"}, "is not an http://"},
        {{"--user", "Root!"}, "not a valid login name"},
        {{"--auth-key", "/nonexistent/key"}, "not a readable file"},
        {{"--frobnicate"}, "unknown option '--frobnicate'"},
    };
    for (const auto& c : cases) {
        if (c.args.size() > 1 && c.args[1] == hostArch()) continue;
        RunResult r = createDebian("bad", c.args, {"XC_CACHE=" + cache});
        EXPECT_NE(r.status, 0) << r.describe();
        EXPECT_TRUE(contains(r.err, c.says)) << r.err;
        EXPECT_FALSE(exists(containerDir("bad")));
    }
    EXPECT_TRUE(listNames(cache).empty()) << "a refused create touched the cache";
}

// ---------------------------------------------------------------- apt sources

TEST_F(DebianTemplate, TheDefaultMirrorIsTheOneTheHostsAptNames) {
    std::string apt = scratch_ + "/apt";
    ASSERT_EQ(::mkdir(apt.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((apt + "/sources.list.d").c_str(), 0755), 0);
    // deb822: a disabled entry, a deb-src one and the security archive come
    // first; the URIs field continues on the next line.
    writeText(apt + "/sources.list.d/debian.sources",
              "# the host's sources\n"
              "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: bookworm\nEnabled: no\n\n"
              "Types: deb-src\nURIs: http://src.invalid/debian\nSuites: bookworm\n\n"
              "Types: deb\nURIs: http://security.invalid/debian-security\nSuites: bookworm-security\n\n"
              "Types: deb\nURIs:\n http://mirror.invalid/debian\n http://second.invalid/debian\n"
              "Suites: bookworm bookworm-updates\nComponents: main\n");
    RunResult r = sourced("debian", "distro_default_mirror", {"XC_APT_ETC=" + apt});
    XC_EXPECT_OK(r);
    EXPECT_EQ(r.out, "http://mirror.invalid/debian\n");
    // One-line format, with options in brackets.
    ::unlink((apt + "/sources.list.d/debian.sources").c_str());
    writeText(apt + "/sources.list", "# deb http://commented.invalid/debian bookworm main\n"
                                     "deb [arch=amd64 signed-by=/k.gpg] http://list.invalid/debian trixie main\n");
    r = sourced("debian", "distro_default_mirror", {"XC_APT_ETC=" + apt});
    EXPECT_EQ(r.out, "http://list.invalid/debian\n");
    // None: Debian's own.
    ::unlink((apt + "/sources.list").c_str());
    r = sourced("debian", "distro_default_mirror", {"XC_APT_ETC=" + apt});
    EXPECT_EQ(r.out, "http://deb.debian.org/debian\n");
    // The host's release without -r (the host is Debian here).
    r = sourced("debian", "distro_default_release");
    EXPECT_EQ(r.out, hostRelease() + "\n");
}

// ---------------------------------------------------------------- ubuntu

TEST_F(DebianTemplate, UbuntuReleasesMirrorsAndPackagesWithoutNetwork) {
    // Every release, by name or number, goes to debootstrap's shared script.
    for (const char* rel : {"noble", "24.04", "jammy", "questing", "bionic"}) {
        RunResult r = sourced("ubuntu", std::string("release=") + rel +
                                            " && distro_check_release && echo \"$release $script\"");
        XC_EXPECT_OK(r);
        EXPECT_TRUE(contains(r.out, " /usr/share/debootstrap/scripts/gutsy\n")) << rel << ": " << r.out;
    }
    EXPECT_EQ(sourced("ubuntu", "release=24.04 && distro_check_release && echo $release").out, "noble\n");
    EXPECT_EQ(sourced("ubuntu", "distro_default_release").out, "noble\n") << "the current LTS";
    RunResult bad = sourced("ubuntu", "release=warty2 && distro_check_release");
    EXPECT_NE(bad.status, 0);
    EXPECT_TRUE(contains(bad.err, "unknown Ubuntu release 'warty2'")) << bad.err;
    // Mirrors: the archive for PCs, the ports archive for the rest.
    for (const char* a : {"amd64", "i386"})
        EXPECT_EQ(sourced("ubuntu", std::string("arch=") + a + " distro_default_mirror").out,
                  "http://archive.ubuntu.com/ubuntu\n");
    for (const char* a : {"arm64", "armhf", "ppc64el", "riscv64", "s390x"})
        EXPECT_EQ(sourced("ubuntu", std::string("arch=") + a + " distro_default_mirror").out,
                  "http://ports.ubuntu.com/ubuntu-ports\n");
    // The user it makes, and what every image gets.
    EXPECT_EQ(sourced("ubuntu", "distro_default_user").out, "ubuntu\n");
    EXPECT_EQ(sourced("ubuntu", "distro_user_groups").out, "sudo\n");
    EXPECT_EQ(sourced("ubuntu", "release=noble distro_includes").out,
              "systemd-sysv,dbus,iproute2,sudo,systemd-resolved\n");
    EXPECT_EQ(sourced("ubuntu", "release=jammy distro_includes").out, "systemd-sysv,dbus,iproute2,sudo\n");
}

TEST_F(DebianTemplate, UbuntuWithoutAnArchiveKeyIsRefusedClearly) {
    std::string cache = ownCache();
    std::vector<std::string> env = {"XC_CACHE=" + cache, "XC_UBUNTU_KEYRING=/nonexistent/ubuntu-archive-keyring.gpg"};
    RunResult r = createDebian("k1", {}, env, 60, "ubuntu");
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "no Ubuntu archive key")) << r.err;
    EXPECT_TRUE(contains(r.err, "--keyring FILE")) << r.err;
    EXPECT_TRUE(contains(r.err, "--no-check-gpg")) << r.err;
    r = createDebian("k1", {"--keyring", "/nonexistent/k.gpg"}, env, 60, "ubuntu");
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "--keyring: /nonexistent/k.gpg: not a readable file")) << r.err;
    EXPECT_FALSE(exists(containerDir("k1")));
    EXPECT_TRUE(listNames(cache).empty()) << "a refused create touched the cache";
}

TEST_F(DebianTemplate, UbuntuAgainstARefusingLoopbackMirrorLeavesNothing) {
    std::string cache = ownCache();
    const std::string mirror = "http://127.0.0.1:9/ubuntu";
    RunResult r = createDebian("u9", {"-r", "jammy", "--mirror", mirror, "--no-check-gpg"}, {"XC_CACHE=" + cache},
                               120, "ubuntu");
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, mirror)) << r.err;
    EXPECT_TRUE(contains(r.err, "jammy")) << r.err;
    EXPECT_TRUE(contains(r.err, "full log: ")) << r.err;
    EXPECT_FALSE(exists(containerDir("u9")));
    std::string parent = cache + "/ubuntu/jammy/" + hostArch();
    for (const auto& n : listNames(parent))
        EXPECT_TRUE(n == "minbase.lock" || n == "minbase.log") << "left in the cache: " << n;
    // The log names the shared script debootstrap was given.
    EXPECT_TRUE(contains(readText(parent + "/minbase.log"), "/usr/share/debootstrap/scripts/gutsy"));
}

TEST_F(DebianTemplate, UbuntuMakesItsUserInGroupSudo) {
    ASSERT_NO_FATAL_FAILURE(ensureSharedImage());
    // The ubuntu code path after debootstrap, on a copy of the Debian image
    // (no Ubuntu archive is ever contacted).
    std::string ds = fakeDebootstrap("cp -a " + imageDir(kSharedCache) +
                                     "/. \"$target/\"\necho 'I: Base system installed successfully.'\n");
    std::string cache = ownCache();
    RunResult r = createDebian("ub", {"--no-check-gpg"}, {"XC_CACHE=" + cache, "XC_DEBOOTSTRAP=" + ds}, 120,
                               "ubuntu");
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.out, "log in as 'ubuntu' with the password '")) << r.out;
    std::string args = readText(scratch_ + "/ds-args");
    EXPECT_TRUE(contains(args, "--no-check-gpg")) << args;
    EXPECT_TRUE(contains(args, "noble")) << args;
    EXPECT_TRUE(contains(args, "/usr/share/debootstrap/scripts/gutsy")) << args;
    EXPECT_TRUE(contains(args, "--include=systemd-sysv,dbus,iproute2,sudo,systemd-resolved")) << args;
    std::string root = rootfs("ub");
    EXPECT_TRUE(contains(readText(root + "/etc/passwd"), "\nubuntu:x:")) << readText(root + "/etc/passwd");
    EXPECT_TRUE(contains(readText(root + "/etc/shadow"), "\nubuntu:$"));
    bool inSudo = false;
    for (const auto& l : lines(readText(root + "/etc/group")))
        if (l.rfind("sudo:", 0) == 0 && contains(l, "ubuntu")) inSudo = true;
    EXPECT_TRUE(inSudo) << readText(root + "/etc/group");
    EXPECT_TRUE(contains(readText(root + "/etc/systemd/network/eth0.network"), "DHCP=ipv4"));
    EXPECT_EQ(readText(root + "/etc/hostname"), "ub\n");
    XC_EXPECT_OK(destroy("ub"));
}

}  // namespace
}  // namespace xcit
