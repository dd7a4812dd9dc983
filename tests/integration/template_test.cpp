// The busybox template (templates/busybox), run directly: the rootfs it
// builds, the settings it asks for, its options and its errors.
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libconfig.h++>

extern char** environ;

namespace {

namespace fs = std::filesystem;

const std::string kTemplate = XC_SOURCE_DIR "/templates/busybox";

struct RunResult {
    int status = -1;  // exit status, or 128 + signal
    std::string out, err;
    double seconds = 0;
};

// Runs argv (no shell) and collects its stdout and stderr.
RunResult run(const std::vector<std::string>& args) {
    RunResult r;
    int outPipe[2], errPipe[2];
    if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0) {
        r.err = "pipe failed";
        return r;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(outPipe[1]);
    close(errPipe[1]);
    if (rc != 0) {
        close(outPipe[0]);
        close(errPipe[0]);
        r.err = std::string("spawn failed: ") + std::strerror(rc);
        return r;
    }
    pollfd pfd[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    std::string* sink[2] = {&r.out, &r.err};
    int open = 2;
    while (open > 0) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (pfd[i].fd < 0 || pfd[i].revents == 0) continue;
            char buf[4096];
            ssize_t n = read(pfd[i].fd, buf, sizeof buf);
            if (n > 0) {
                sink[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                --open;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Lines other than comments that contain `needle`.
int countLines(const std::string& text, const std::string& needle) {
    int n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind('#', 0) != 0 && line.find(needle) != std::string::npos) ++n;
    return n;
}

// Resolves a symlink inside rootfs (an absolute target is taken relative to
// rootfs, as it would be inside the container); "" if it leaves rootfs.
std::string resolveInRootfs(const std::string& rootfs, const std::string& rel) {
    fs::path root = fs::path(rootfs).lexically_normal();
    fs::path p = root / rel;
    for (int hops = 0; hops < 16; ++hops) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(p, ec))) return p.string();
        fs::path target = fs::read_symlink(p, ec);
        if (ec) return "";
        p = target.is_absolute() ? root / target.relative_path() : p.parent_path() / target;
        p = p.lexically_normal();
        auto [r, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
        if (r != root.end()) return "";  // escaped the rootfs
    }
    return "";
}

class TemplateBusybox : public ::testing::Test {
protected:
    void SetUp() override {
        if (access("/bin/busybox", X_OK) != 0)
            GTEST_SKIP() << "/bin/busybox missing: apt-get install busybox-static";
        char tmpl[] = "/tmp/xc-template-test.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
        dir_ = tmpl;
        chmod(dir_.c_str(), 0755);
        rootfs_ = dir_ + "/rootfs";
        config_ = dir_ + "/template.conf";
        ASSERT_EQ(mkdir(rootfs_.c_str(), 0755), 0) << std::strerror(errno);
    }

    void TearDown() override {
        if (dir_.empty()) return;
        // Depth first, never following symlinks (the rootfs is full of them).
        nftw(
            dir_.c_str(),
            [](const char* path, const struct stat*, int, FTW*) {
                remove(path);
                return 0;
            },
            16,
            FTW_DEPTH | FTW_PHYS);
    }

    RunResult runTemplate(std::vector<std::string> extra = {}, const std::string& name = "c1") {
        std::vector<std::string> args = {kTemplate, "--name", name, "--path", dir_, "--rootfs", rootfs_, "--config", config_};
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args);
    }

    bool rootfsEmpty() const { return fs::is_empty(rootfs_); }

    std::string dir_, rootfs_, config_;
};

TEST_F(TemplateBusybox, BuildsRootfs) {
    RunResult r = runTemplate();
    std::printf("[ TIMING   ] busybox template: %.1f ms\n", r.seconds * 1000);
    RecordProperty("template_ms", static_cast<int>(r.seconds * 1000));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_LT(r.seconds, 5.0);

    struct stat st {};
    ASSERT_EQ(lstat((rootfs_ + "/bin/busybox").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0111, 0111u);
    EXPECT_EQ(access((rootfs_ + "/bin/busybox").c_str(), X_OK), 0);

    const std::string busybox = fs::path(rootfs_ + "/bin/busybox").lexically_normal().string();
    for (const char* applet : {"sbin/init", "bin/sh", "sbin/getty", "bin/login", "sbin/ip", "sbin/udhcpc", "usr/bin/env"}) {
        SCOPED_TRACE(applet);
        struct stat ls {};
        ASSERT_EQ(lstat((rootfs_ + "/" + applet).c_str(), &ls), 0);
        EXPECT_TRUE(S_ISLNK(ls.st_mode));
        EXPECT_EQ(resolveInRootfs(rootfs_, applet), busybox);
    }
    // Every applet link points at the rootfs's own busybox.
    int links = 0;
    for (const auto& e : fs::recursive_directory_iterator(rootfs_)) {
        if (!e.is_symlink()) continue;
        std::string rel = fs::relative(e.path(), rootfs_).string();
        if (rel.rfind("bin/", 0) != 0 && rel.rfind("sbin/", 0) != 0 && rel.rfind("usr/", 0) != 0) continue;
        if (rel.find("udhcpc/") != std::string::npos) continue;
        ++links;
        EXPECT_EQ(resolveInRootfs(rootfs_, rel), busybox) << rel;
    }
    EXPECT_GT(links, 200);

    auto mode = [&](const std::string& rel) {
        struct stat s {};
        EXPECT_EQ(lstat((rootfs_ + "/" + rel).c_str(), &s), 0) << rel;
        return s.st_mode & 07777;
    };
    EXPECT_EQ(mode("tmp"), 01777u);
    EXPECT_EQ(mode("root"), 0700u);
    EXPECT_EQ(mode("etc"), 0755u);
    EXPECT_EQ(mode("etc/shadow"), 0600u);
    EXPECT_EQ(mode("etc/passwd"), 0644u);
    EXPECT_EQ(mode("etc/init.d/rcS"), 0755u);
    EXPECT_EQ(mode("usr/share/udhcpc/default.script"), 0755u);
    for (const char* d : {"dev", "proc", "sys", "run", "etc", "var/log", "home", "mnt", "usr/bin", "usr/sbin"})
        EXPECT_TRUE(fs::is_directory(rootfs_ + "/" + d)) << d;

    std::string inittab = readFile(rootfs_ + "/etc/inittab");
    EXPECT_EQ(countLines(inittab, "::sysinit:/etc/init.d/rcS"), 1) << inittab;
    EXPECT_EQ(countLines(inittab, "console::respawn:/sbin/getty"), 1) << inittab;
    // The ttys' gettys come from the supervisor on first use (tty.login).
    EXPECT_EQ(countLines(inittab, "::respawn:"), 1) << inittab;
    EXPECT_EQ(inittab.find("umount -a -r"), std::string::npos) << inittab;
    EXPECT_EQ(inittab.find("umount"), std::string::npos) << inittab;

    std::string passwd = readFile(rootfs_ + "/etc/passwd");
    EXPECT_EQ(passwd.rfind("root:x:0:0:root:/root:/bin/sh\n", 0), 0u) << passwd;
    std::string shadow = readFile(rootfs_ + "/etc/shadow");
    EXPECT_EQ(shadow.rfind("root:*:", 0), 0u) << "root must be locked by default: " << shadow;
    EXPECT_EQ(readFile(rootfs_ + "/etc/hostname"), "c1\n");
    EXPECT_NE(readFile(rootfs_ + "/etc/hosts").find("c1"), std::string::npos);
    EXPECT_NE(readFile(rootfs_ + "/etc/group").find("tty:x:5:"), std::string::npos);

    std::string rcs = readFile(rootfs_ + "/etc/init.d/rcS");
    EXPECT_NE(rcs.find("ip link set lo up"), std::string::npos);
    EXPECT_NE(rcs.find("udhcpc"), std::string::npos);
    EXPECT_EQ(rcs.find("mount -t proc"), std::string::npos) << "xc mounts /proc";

    std::string conf = readFile(config_);
    EXPECT_NE(conf.find("halt_signal = \"SIGUSR1\""), std::string::npos) << conf;
}

TEST_F(TemplateBusybox, ConfigOutIsValidLibconfig) {
    RunResult r = runTemplate();
    ASSERT_EQ(r.status, 0) << r.err;
    libconfig::Config cfg;
    try {
        cfg.readFile(config_.c_str());
    } catch (const libconfig::ParseException& e) {
        FAIL() << config_ << ":" << e.getLine() << ": " << e.getError();
    }
    std::string halt, reboot, cmd0, login;
    int count = -1;
    EXPECT_TRUE(cfg.lookupValue("init.halt_signal", halt));
    EXPECT_TRUE(cfg.lookupValue("init.reboot_signal", reboot));
    EXPECT_TRUE(cfg.lookupValue("tty.count", count));
    ASSERT_TRUE(cfg.exists("init.cmd"));
    ASSERT_EQ(cfg.lookup("init.cmd").getLength(), 1);
    cmd0 = static_cast<const char*>(cfg.lookup("init.cmd")[0]);
    EXPECT_EQ(halt, "SIGUSR1");
    EXPECT_EQ(reboot, "SIGTERM");
    EXPECT_EQ(count, 4);
    EXPECT_EQ(cmd0, "/sbin/init");
    ASSERT_TRUE(cfg.exists("tty.login"));
    for (int i = 0; i < cfg.lookup("tty.login").getLength(); ++i)
        login += std::string(i ? " " : "") + static_cast<const char*>(cfg.lookup("tty.login")[i]);
    EXPECT_EQ(login, "/sbin/getty -L 0 %t vt100");
    // Only keys of the container config: init and tty.
    EXPECT_EQ(cfg.getRoot().getLength(), 2);
}

TEST_F(TemplateBusybox, TtysOption) {
    RunResult r = runTemplate({"--ttys", "2"});
    ASSERT_EQ(r.status, 0) << r.err;
    libconfig::Config cfg;
    ASSERT_NO_THROW(cfg.readFile(config_.c_str()));
    int count = -1;
    EXPECT_TRUE(cfg.lookupValue("tty.count", count));
    EXPECT_EQ(count, 2);
    std::string inittab = readFile(rootfs_ + "/etc/inittab");
    EXPECT_EQ(countLines(inittab, "::respawn:/sbin/getty"), 1) << inittab;  // the console's; ttys on demand
}

TEST_F(TemplateBusybox, ZeroTtysLeavesConsoleGetty) {
    RunResult r = runTemplate({"--ttys=0"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::string inittab = readFile(rootfs_ + "/etc/inittab");
    EXPECT_EQ(countLines(inittab, "::respawn:/sbin/getty"), 1) << inittab;
    EXPECT_NE(readFile(config_).find("count = 0;"), std::string::npos);
}

TEST_F(TemplateBusybox, PasswordOption) {
    RunResult r = runTemplate({"--password", "s3cret"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::string shadow = readFile(rootfs_ + "/etc/shadow");
    EXPECT_EQ(shadow.rfind("root:$6$", 0), 0u) << shadow;
    EXPECT_EQ(shadow.find("s3cret"), std::string::npos);
}

TEST_F(TemplateBusybox, HelpTouchesNothing) {
    RunResult r = run({kTemplate, "--help"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--ttys"), std::string::npos) << r.out;
    EXPECT_TRUE(rootfsEmpty());
}

// Each failure: non-zero, one line on stderr that says what is wrong.
TEST_F(TemplateBusybox, BadOptionsFail) {
    struct Case {
        std::vector<std::string> extra;
        std::string name, mentions;
    };
    const std::vector<Case> cases = {
        {{"--bogus"}, "c1", "--bogus"},
        {{"--ttys", "many"}, "c1", "--ttys"},
        {{"--ttys", "65"}, "c1", "--ttys"},
        {{"--busybox", "/nonexistent/busybox"}, "c1", "/nonexistent/busybox"},
        {{"--busybox", "/bin/sh"}, "c1", "dynamically linked"},
        {{}, "../evil", "invalid container name"},
        {{"--ttys"}, "c1", "needs a value"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.mentions);
        RunResult r = runTemplate(c.extra, c.name);
        EXPECT_NE(r.status, 0);
        EXPECT_NE(r.err.find(c.mentions), std::string::npos) << r.err;
        EXPECT_EQ(countLines(r.err, ""), 1) << r.err;
        EXPECT_EQ(r.err.rfind("busybox template: ", 0), 0u) << r.err;
        EXPECT_TRUE(rootfsEmpty());
    }
}

TEST_F(TemplateBusybox, RefusesNonEmptyRootfs) {
    std::ofstream(rootfs_ + "/.keep") << "x";
    RunResult r = runTemplate();
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
}

TEST_F(TemplateBusybox, ChrootShellRuns) {
    if (geteuid() != 0) GTEST_SKIP() << "chroot needs root";
    RunResult r = runTemplate();
    ASSERT_EQ(r.status, 0) << r.err;
    RunResult sh = run({"/usr/sbin/chroot", rootfs_, "/bin/sh", "-c", "echo ok; . /etc/profile; echo \"$PATH\""});
    EXPECT_EQ(sh.status, 0) << sh.err;
    EXPECT_EQ(sh.out, "ok\n/usr/sbin:/usr/bin:/sbin:/bin\n") << sh.err;
    // The login path works: login reads passwd/shadow through the links.
    RunResult id = run({"/usr/sbin/chroot", rootfs_, "/usr/bin/id", "-un"});
    EXPECT_EQ(id.status, 0) << id.err;
    EXPECT_EQ(id.out, "root\n");
}

}  // namespace
