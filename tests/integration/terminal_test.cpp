// Terminals end to end: real busybox containers driven through real
// terminals (tmux panes, each test with its own tmux server): xc-attach
// with a pty, xc-console on the console and the ttys, xc-start -F, the
// console log, pipes mode, exit statuses, signals, and the local terminal
// left exactly as it was.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace xcit;
using namespace std::chrono_literals;

namespace {

std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    return q + "'";
}

// Processes whose command line contains every one of `parts`.
std::vector<pid_t> pidsMatching(const std::vector<std::string>& parts) {
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
        if (pid <= 0 || pid == ::getpid()) continue;
        std::string cmd = cmdlineOf(pid);
        bool all = !cmd.empty();
        for (const auto& p : parts) all = all && contains(cmd, p);
        if (all) out.push_back(pid);
    }
    ::closedir(d);
    return out;
}

class Terminal : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_EQ(::access("/usr/bin/tmux", X_OK), 0) << "tmux is needed (apt-get install tmux)";
        // A private server whose socket lives in the scratch directory, so
        // it goes with the base directory.
        server_ = scratch_ + "/tmux.sock";
        // The pane's shell gets the same XC_* settings the harness gives the tools.
        RunResult env = run({"/usr/bin/env"});
        for (const auto& l : lines(env.out))
            if (l.rfind("XC_", 0) == 0) paneEnv_ += " " + shellQuote(l);
    }
    void TearDown() override {
        if (!server_.empty()) {
            (void)run({"/usr/bin/tmux", "-S", server_, "kill-server"});
            ::unlink(server_.c_str());
        }
        XcTest::TearDown();
    }

    RunResult tmux(std::vector<std::string> args) {
        args.insert(args.begin(), {"/usr/bin/tmux", "-S", server_, "-f", "/dev/null"});
        return run(args);
    }
    // A new session (window 0) or window running /bin/sh with a known prompt.
    void openWindow(int cols = 100, int rows = 30) {
        std::string cmd = "env PS1='host$ '" + paneEnv_ + " /bin/sh";
        if (windows_ == 0)
            XC_ASSERT_OK(tmux({"new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y", std::to_string(rows),
                               cmd}));
        else
            XC_ASSERT_OK(tmux({"new-window", "-t", "t:" + std::to_string(windows_), cmd}));
        ++windows_;
        // tmux >= 3.2 sizes windows after the largest client; there is none: fix it.
        XC_ASSERT_OK(tmux({"set-option", "-t", "t", "window-size", "manual"}));
        resize(windows_ - 1, cols, rows);
        type(windows_ - 1, "echo READY''" + std::to_string(windows_ - 1));
        ASSERT_TRUE(waitFor(windows_ - 1, "READY" + std::to_string(windows_ - 1))) << screen(windows_ - 1);
    }
    std::string target(int w) { return "t:" + std::to_string(w); }
    // Types text literally and presses Enter.
    void type(int w, const std::string& text, bool enter = true) {
        XC_EXPECT_OK(tmux({"send-keys", "-t", target(w), "-l", text}));
        if (enter) XC_EXPECT_OK(tmux({"send-keys", "-t", target(w), "Enter"}));
    }
    void keys(int w, const std::vector<std::string>& ks) {
        std::vector<std::string> args = {"send-keys", "-t", target(w)};
        args.insert(args.end(), ks.begin(), ks.end());
        XC_EXPECT_OK(tmux(args));
    }
    void resize(int w, int cols, int rows) {
        XC_EXPECT_OK(tmux({"resize-window", "-t", target(w), "-x", std::to_string(cols), "-y", std::to_string(rows)}));
    }
    std::string screen(int w) {
        RunResult r = tmux({"capture-pane", "-p", "-J", "-S", "-2000", "-t", target(w)});
        return r.out;
    }
    bool waitFor(int w, const std::string& needle, double seconds = 10) {
        return waitUntil([&] { return contains(screen(w), needle); }, seconds, 0.05);
    }
    bool waitForRegex(int w, const std::string& re, std::smatch* m = nullptr, double seconds = 10) {
        std::regex rx(re);
        std::string last;
        bool ok = waitUntil(
            [&] {
                last = screen(w);
                return std::regex_search(last, rx);
            },
            seconds, 0.05);
        if (ok && m) {
            static std::string keep;
            keep = last;
            std::regex_search(keep, *m, rx);
        }
        return ok;
    }
    // Number of times `needle` is on the screen.
    int count(int w, const std::string& needle) {
        std::string s = screen(w);
        int n = 0;
        for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
        return n;
    }
    std::string tool(const std::string& t) { return toolPath(t) + " -P " + base_; }
    // Asks the shell in the pane for its terminal's size until it reports
    // rows x cols (tmux applies a resize asynchronously).
    bool sizeSeen(int w, int rows, int cols) {
        for (int i = 0; i < 10; ++i) {
            std::string m = "SZ" + std::to_string(++checks_);
            type(w, "echo " + m + "''; stty size");
            if (waitForRegex(w, m + "\n" + std::to_string(rows) + " " + std::to_string(cols) + "\n", nullptr, 1))
                return true;
        }
        return false;
    }

    // Saves `stty -a` of the pane's terminal; checkStty compares with it.
    void saveStty(int w) {
        type(w, "stty -a > " + scratch_ + "/stty.before." + std::to_string(w) + "; echo SAVED''STTY");
        ASSERT_TRUE(waitFor(w, "SAVEDSTTY")) << screen(w);
    }
    void expectSttyUnchanged(int w, const std::string& context) {
        std::string marker = "STTY-" + std::to_string(++checks_);
        type(w, "stty -a > " + scratch_ + "/stty.after." + std::to_string(w) + "; echo " + marker + "''-$(cmp -s " +
                    scratch_ + "/stty.before." + std::to_string(w) + " " + scratch_ + "/stty.after." +
                    std::to_string(w) + " && echo same || echo changed)");
        ASSERT_TRUE(waitFor(w, marker + "-")) << context << "\n" << screen(w);
        EXPECT_TRUE(contains(screen(w), marker + "-same"))
            << context << ": the terminal settings changed\nbefore:\n"
            << readText(scratch_ + "/stty.before." + std::to_string(w)) << "after:\n"
            << readText(scratch_ + "/stty.after." + std::to_string(w));
    }
    void startBusybox(const std::string& name, const std::vector<std::string>& startArgs = {}) {
        XC_ASSERT_OK(create(name));
        XC_ASSERT_OK(start(name, startArgs));
    }

    std::string server_, paneEnv_;
    int windows_ = 0, checks_ = 0;
};

}  // namespace

// ------------------------------------------------------------ xc-attach with a pty

TEST_F(Terminal, AttachInteractiveShellHasTheContainersPtyAndWindowSize) {
    startBusybox("a1");
    openWindow(100, 30);
    saveStty(0);
    type(0, tool("xc-attach") + " -n a1; echo ATTACH''RC=$?");
    ASSERT_TRUE(waitFor(0, "~ #")) << screen(0);
    type(0, "echo hello; tty; stty size; [ \"$(stat -c %d $(tty))\" = \"$(stat -c %d /dev/pts/ptmx)\" ] && "
            "echo SAME''DEVPTS; echo HOME=$PWD TERM=$TERM");
    std::smatch m;
    ASSERT_TRUE(waitForRegex(0, "\nhello\r?\n(/dev/pts/[0-9]+)\r?\n30 100\r?\nSAMEDEVPTS", &m)) << screen(0);
    std::string pts = m[1];
    EXPECT_TRUE(contains(screen(0), "HOME=/root TERM=")) << screen(0);
    EXPECT_FALSE(contains(screen(0), "TERM=linux")) << "TERM comes from the caller\n" << screen(0);

    // The pty is the container's: its devpts holds it, the host's does not know it.
    RunResult ls = attach("a1", {"ls", "/dev/pts"});
    XC_EXPECT_OK(ls);
    EXPECT_TRUE(contains(ls.out, pts.substr(9))) << ls.describe();

    // The window size follows a resize.
    resize(0, 120, 40);
    EXPECT_TRUE(sizeSeen(0, 40, 120)) << screen(0);
    resize(0, 100, 30);
    ASSERT_TRUE(sizeSeen(0, 30, 100)) << screen(0);

    // The exit status comes back and the terminal is as it was.
    type(0, "exit 3");
    ASSERT_TRUE(waitFor(0, "ATTACHRC=3")) << screen(0);
    expectSttyUnchanged(0, "after xc-attach");
}

TEST_F(Terminal, AttachExitStatusThroughThePty) {
    startBusybox("a2");
    openWindow();
    saveStty(0);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"true", "0"}, {"false", "1"}, {"sh -c 'kill -INT $$'", "130"}, {"sh -c 'exit 42'", "42"}};
    int i = 0;
    for (const auto& [cmd, rc] : cases) {
        std::string marker = "CASE" + std::to_string(i++);
        type(0, tool("xc-attach") + " -n a2 -- " + cmd + "; echo " + marker + "''=$?");
        EXPECT_TRUE(waitFor(0, marker + "=" + rc)) << cmd << "\n" << screen(0);
    }
    // Output of a command that exits at once is not lost.
    type(0, tool("xc-attach") + " -n a2 -- sh -c 'echo first; echo last-line'; echo DONE''");
    ASSERT_TRUE(waitForRegex(0, "\nDONE\n")) << screen(0);
    EXPECT_TRUE(waitFor(0, "last-line")) << screen(0);
    // stdout redirected from a terminal session: the bytes pass untouched.
    type(0, tool("xc-attach") + " -n a2 -- cat /bin/busybox > " + scratch_ + "/bb.out; echo CAT''=$?");
    ASSERT_TRUE(waitFor(0, "CAT=0")) << screen(0);
    EXPECT_EQ(readText(scratch_ + "/bb.out"), readText(rootfs("a2") + "/bin/busybox"));
    expectSttyUnchanged(0, "after several attaches");
}

TEST_F(Terminal, AttachPtyAlwaysAndNeverWithoutATerminal) {
    startBusybox("a3");
    RunOptions in;
    in.feedStdin = true;
    in.input = "echo via-pty; tty; exit\n";
    RunResult r = attach("a3", {}, in, {"--pty=always"});
    XC_EXPECT_OK(r);
    EXPECT_TRUE(contains(r.out, "via-pty")) << r.describe();
    EXPECT_TRUE(std::regex_search(r.out, std::regex("/dev/pts/[0-9]+"))) << r.describe();
    RunResult s = attach("a3", {"sh", "-c", "exit 5"}, {}, {"--pty=always"});
    EXPECT_EQ(s.status, 5) << s.describe();
    RunResult n = attach("a3", {"tty"}, {}, {"--pty=never"});
    EXPECT_EQ(n.status, 1) << "no terminal: " << n.describe();
    EXPECT_TRUE(contains(n.out, "not a tty")) << n.describe();
}

TEST_F(Terminal, SignalsToTheToolsRestoreTheTerminal) {
    startBusybox("s1");
    openWindow();
    saveStty(0);
    int round = 0;
    for (int sig : {SIGTERM, SIGHUP, SIGINT}) {
        std::string marker = "SIG" + std::to_string(round++);
        // The last round's banner must be gone first, or it would be taken
        // for this one's and the signal sent before the tool is set up.
        type(0, "clear");
        ASSERT_TRUE(waitUntil([&] { return !contains(screen(0), "Connected to tty 1"); }, 5)) << screen(0);
        type(0, tool("xc-console") + " -n s1 -t 1; echo " + marker + "''=$?");
        ASSERT_TRUE(waitFor(0, "Connected to tty 1")) << screen(0);
        std::vector<pid_t> p;
        ASSERT_TRUE(waitUntil([&] { return !(p = pidsMatching({"xc-console", base_})).empty(); }, 5));
        ASSERT_EQ(p.size(), 1u);
        ::kill(p[0], sig);
        EXPECT_TRUE(waitFor(0, marker + "=" + std::to_string(128 + sig))) << screen(0);
        expectSttyUnchanged(0, "xc-console after " + std::string(strsignal(sig)));
    }
    // xc-attach: a SIGTERM hangs the pty up, the shell inside goes, the terminal comes back.
    type(0, tool("xc-attach") + " -n s1; echo ATT''=$?");
    ASSERT_TRUE(waitFor(0, "~ #")) << screen(0);
    std::vector<pid_t> p;
    ASSERT_TRUE(waitUntil([&] { return !(p = pidsMatching({"xc-attach", base_})).empty(); }, 5));
    ::kill(p[0], SIGTERM);
    EXPECT_TRUE(waitFor(0, "ATT=129")) << screen(0);
    expectSttyUnchanged(0, "xc-attach after SIGTERM");
}

// ------------------------------------------------------------ pipes

TEST_F(Terminal, PipeAttachIsBinarySafeWithEofBothWays) {
    startBusybox("p1");
    std::string f = scratch_ + "/in.bin", g = scratch_ + "/out.bin";
    XC_ASSERT_OK(run({"/bin/sh", "-c", "head -c 50M /dev/urandom > " + f}));
    RunResult r = run({"/bin/sh", "-c", tool("xc-attach") + " -n p1 -- cat < " + f + " > " + g}, {});
    XC_ASSERT_OK(r);
    RunResult c = run({"/usr/bin/cmp", f, g});
    EXPECT_TRUE(c.ok()) << "50 MiB through xc-attach -- cat differ: " << c.describe();
    // EOF of our stdin reaches the command; the command's exit closes our stdout.
    RunOptions in;
    in.feedStdin = true;
    in.input = std::string("a\0b\xff\n", 5);
    RunResult e = attach("p1", {"sh", "-c", "cat; echo after-eof"}, in);
    XC_EXPECT_OK(e);
    EXPECT_EQ(e.out, std::string("a\0b\xff\nafter-eof\n", 15)) << e.describe();
    // A reader that goes away: the command gets SIGPIPE and all ends.
    RunResult y = run({"/bin/sh", "-c", tool("xc-attach") + " -n p1 -- yes | head -n 3"});
    XC_EXPECT_OK(y);
    EXPECT_EQ(y.out, "y\ny\ny\n");
    // Exit statuses in pipes mode.
    EXPECT_EQ(attach("p1", {"true"}).status, 0);
    EXPECT_EQ(attach("p1", {"false"}).status, 1);
    EXPECT_EQ(attach("p1", {"sh", "-c", "kill -INT $$"}).status, 130);
}

// ------------------------------------------------------------ xc-console

TEST_F(Terminal, ConsoleShowsAGettyAndDetachLeavesTheTerminalSane) {
    startBusybox("c1");
    openWindow();
    saveStty(0);
    for (int tty : {1, 0}) {
        std::string marker = "CON" + std::to_string(tty);
        type(0, "clear; " + tool("xc-console") + " -n c1 -t " + std::to_string(tty) + "; echo " + marker + "''=$?");
        ASSERT_TRUE(waitFor(0, tty == 0 ? "Connected to the console" : "Connected to tty 1")) << screen(0);
        keys(0, {"Enter"});
        EXPECT_TRUE(waitFor(0, "c1 login:")) << screen(0);
        EXPECT_TRUE(waitFor(0, tty == 0 ? "(/dev/console)" : "(/dev/tty1)")) << screen(0);
        keys(0, {"C-a", "q"});
        EXPECT_TRUE(waitFor(0, marker + "=0")) << screen(0);
        expectSttyUnchanged(0, "after detaching from tty " + std::to_string(tty));
    }
    EXPECT_EQ(state("c1"), "RUNNING");
    RunResult none = xc("xc-console", {"-n", "c1", "-t", "9"});
    EXPECT_EQ(none.status, 1) << none.describe();
    EXPECT_TRUE(contains(none.err, "no tty 9 (tty.count is 4)")) << none.describe();
}

// More ttys than fit in a 16-fd control buffer: every pty master reaches
// the supervisor (a lost one would make tty 40 a dead end or an error).
TEST_F(Terminal, FortyTtysReachTheLastOne) {
    XC_ASSERT_OK(create("t40", {"--", "--ttys", "40"}));
    EXPECT_TRUE(contains(readText(configFile("t40")), "count = 40")) << readText(configFile("t40"));
    XC_ASSERT_OK(start("t40"));
    openWindow();
    saveStty(0);
    for (int tty : {40, 17}) {
        std::string marker = "T" + std::to_string(tty);
        type(0, "clear; " + tool("xc-console") + " -n t40 -t " + std::to_string(tty) + "; echo " + marker + "''=$?");
        ASSERT_TRUE(waitFor(0, "Connected to tty " + std::to_string(tty))) << screen(0);
        keys(0, {"Enter"});
        EXPECT_TRUE(waitFor(0, "t40 login:")) << screen(0);
        EXPECT_TRUE(waitFor(0, "(/dev/tty" + std::to_string(tty) + ")")) << screen(0);
        keys(0, {"C-a", "q"});
        EXPECT_TRUE(waitFor(0, marker + "=0")) << screen(0);
    }
    expectSttyUnchanged(0, "after tty 40 and tty 17");
    RunResult none = xc("xc-console", {"-n", "t40", "-t", "41"});
    EXPECT_EQ(none.status, 1) << none.describe();
    EXPECT_TRUE(contains(none.err, "no tty 41 (tty.count is 40)")) << none.describe();
    EXPECT_EQ(state("t40"), "RUNNING");
    XC_EXPECT_OK(kill("t40"));
}

// The busybox template's ttys have no pty and no getty until a console
// attaches (tty.login): the supervisor makes the tty then and starts a
// getty on it, the login session outlives
// the client, a second attach finds it, and a logout while attached gives
// a fresh prompt. A login that cannot start says why on the tty.
TEST_F(Terminal, TtyLoginStartsOnFirstAttachAndOutlivesTheClient) {
    XC_ASSERT_OK(create("lg", {"--", "--password", "pw"}));
    XC_ASSERT_OK(start("lg"));
    auto gettys = [&](const std::string& tty) {
        RunResult ps = attach("lg", {"ps", "-o", "args"});
        int n = 0;
        for (const auto& l : lines(ps.out)) n += contains(l, "getty -L 0 " + tty + " ");
        return n;
    };
    ASSERT_TRUE(waitUntil([&] { return gettys("console") == 1; }, 10)) << attach("lg", {"ps"}).out;
    for (const char* t : {"tty1", "tty2", "tty3", "tty4"}) EXPECT_EQ(gettys(t), 0) << t;
    // Only the console's pty exists.
    RunResult before = attach("lg", {"sh", "-c", "ls /dev/pts; ls /dev | grep -c '^tty[0-9]'"});
    EXPECT_EQ(before.out, "0\nptmx\n0\n") << before.describe();

    openWindow();
    type(0, "clear; " + tool("xc-console") + " -n lg -t 2; echo FIRST''=$?");
    // The prompt comes by itself: nothing is typed.
    ASSERT_TRUE(waitFor(0, "lg login:")) << screen(0);
    EXPECT_TRUE(waitFor(0, "(/dev/tty2)")) << screen(0);
    EXPECT_EQ(gettys("tty2"), 1);
    RunResult made = attach("lg", {"sh", "-c", "test -c /dev/tty2 && ls /dev/pts | wc -l; ls /dev | grep -c '^tty[0-9]'"});
    EXPECT_EQ(made.out, "3\n1\n") << made.describe();  // 0, the new one, ptmx; only tty2
    type(0, "root");
    ASSERT_TRUE(waitFor(0, "Password:")) << screen(0);
    type(0, "pw");
    type(0, "echo IN''SIDE $(tty)");
    ASSERT_TRUE(waitFor(0, "INSIDE /dev/tty2")) << screen(0);
    keys(0, {"C-a", "q"});
    ASSERT_TRUE(waitFor(0, "FIRST=0")) << screen(0);
    // The session runs on without a client, and a new client finds it.
    RunResult sh = attach("lg", {"sh", "-c", "ps -o args | grep -c '^-sh'"});
    EXPECT_EQ(sh.out, "1\n") << sh.describe() << attach("lg", {"ps"}).out;
    type(0, "clear; " + tool("xc-console") + " -n lg -t 2; echo SECOND''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to tty 2")) << screen(0);
    type(0, "echo AG''AIN $(tty)");
    ASSERT_TRUE(waitFor(0, "AGAIN /dev/tty2")) << screen(0);
    // Logging out while attached: a new getty, a new prompt.
    type(0, "clear; exit");
    EXPECT_TRUE(waitFor(0, "lg login:")) << screen(0);
    keys(0, {"C-a", "q"});
    ASSERT_TRUE(waitFor(0, "SECOND=0")) << screen(0);
    EXPECT_EQ(gettys("tty2"), 1);
    EXPECT_EQ(gettys("tty1"), 0);
    XC_EXPECT_OK(kill("lg"));

    // A login that cannot start: the client is told on the tty.
    XC_ASSERT_OK(createWithConfig("bad", "tty = { count = 1; login = [ \"/sbin/no-such-getty\", \"%t\" ]; };\n"));
    XC_ASSERT_OK(start("bad"));
    type(0, "clear; " + tool("xc-console") + " -n bad -t 1; echo BAD''=$?");
    EXPECT_TRUE(waitFor(0, "tty 1: the login (tty.login) did not start")) << screen(0);
    EXPECT_TRUE(waitFor(0, "/sbin/no-such-getty")) << screen(0);
    keys(0, {"C-a", "q"});
    EXPECT_TRUE(waitFor(0, "BAD=0")) << screen(0);
    EXPECT_EQ(state("bad"), "RUNNING");
}

TEST_F(Terminal, ConsoleEscapeKeysAndOtherPrefix) {
    XC_ASSERT_OK(create("e1"));
    // An init that shows every byte it gets from its console.
    XC_ASSERT_OK(start("e1", {"--", "/bin/sh", "-c", "stty -echo; exec cat -v"}));
    openWindow();
    saveStty(0);
    type(0, tool("xc-console") + " -n e1; echo ESC''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to the console")) << screen(0);
    // x, Ctrl-a Ctrl-a (one literal Ctrl-a), y, Ctrl-a z (both go through).
    type(0, "x", false);
    keys(0, {"C-a", "C-a"});
    type(0, "y", false);
    keys(0, {"C-a"});
    type(0, "z");
    EXPECT_TRUE(waitFor(0, "x^Ay^Az")) << screen(0);
    keys(0, {"C-a", "q"});
    ASSERT_TRUE(waitFor(0, "ESC=0")) << screen(0);
    // -e b: Ctrl-a is an ordinary key, Ctrl-b q detaches.
    type(0, tool("xc-console") + " -n e1 -e b; echo ESCB''=$?");
    ASSERT_TRUE(waitFor(0, "Type <Ctrl+b q> to detach")) << screen(0);
    keys(0, {"C-a"});
    type(0, "w");
    EXPECT_TRUE(waitFor(0, "^Aw")) << screen(0);
    keys(0, {"C-b", "q"});
    EXPECT_TRUE(waitFor(0, "ESCB=0")) << screen(0);
    expectSttyUnchanged(0, "after two console sessions");
    RunResult bad = xc("xc-console", {"-n", "e1", "-e", "12"});
    EXPECT_EQ(bad.status, 2) << bad.describe();
}

TEST_F(Terminal, SecondClientIsRefusedAndForceTakesOver) {
    startBusybox("f1");
    openWindow();
    saveStty(0);
    type(0, tool("xc-console") + " -n f1 -t 2; echo FIRST''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to tty 2")) << screen(0);
    ASSERT_TRUE(waitUntil([&] { return !pidsMatching({"xc-console", base_}).empty(); }, 5));

    RunResult second = xc("xc-console", {"-n", "f1", "-t", "2"});
    EXPECT_EQ(second.status, 1) << second.describe();
    EXPECT_TRUE(contains(second.err, "tty 2 is in use by another client")) << second.describe();
    EXPECT_TRUE(contains(second.err, "--force")) << second.describe();
    // Another tty is free.
    openWindow();
    type(1, tool("xc-console") + " -n f1 -t 3");
    EXPECT_TRUE(waitFor(1, "Connected to tty 3")) << screen(1);
    keys(1, {"C-a", "q"});
    type(1, "clear");

    type(1, tool("xc-console") + " -n f1 -t 2 --force; echo SECOND''=$?");
    ASSERT_TRUE(waitFor(1, "Connected to tty 2")) << screen(1);
    EXPECT_TRUE(waitFor(0, "tty 2 was taken over by another client")) << screen(0);
    EXPECT_TRUE(waitFor(0, "FIRST=1")) << screen(0);
    expectSttyUnchanged(0, "after being taken over");
    keys(1, {"Enter"});
    EXPECT_TRUE(waitFor(1, "f1 login:")) << screen(1);
    keys(1, {"C-a", "q"});
    EXPECT_TRUE(waitFor(1, "SECOND=0")) << screen(1);
}

TEST_F(Terminal, ConsoleLogAndShowLog) {
    std::string logFile = scratch_ + "/l1.console";
    XC_ASSERT_OK(createWithConfig("l1", "console = { log = \"" + logFile + "\"; buffer_size = \"64K\"; };\n"));
    XC_ASSERT_OK(start("l1"));
    // The boot's console output (the getty's banner and prompt) is recorded
    // with nobody attached.
    RunResult log;
    EXPECT_TRUE(waitUntil(
        [&] {
            log = xc("xc-console", {"-n", "l1", "--show-log"});
            return contains(log.out, "l1 login:");
        },
        10))
        << log.describe();
    EXPECT_TRUE(contains(log.out, "xc busybox container l1 (/dev/console)")) << log.describe();
    EXPECT_TRUE(contains(readText(logFile), "l1 login:"));

    // With console.log, --show-log prints the file: everything (under
    // console.log_size, 1M by default, nothing is rotated).
    const std::string lots = "i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done > /dev/console";
    XC_ASSERT_OK(attach("l1", {"sh", "-c", lots}));
    EXPECT_TRUE(waitUntil(
        [&] {
            log = xc("xc-console", {"-n", "l1", "--show-log"});
            return contains(log.out, "line-19999");
        },
        10))
        << log.describe().substr(0, 2000);
    EXPECT_TRUE(contains(log.out, "line-100\r")) << "the file keeps everything";
    EXPECT_FALSE(exists(logFile + ".1"));

    // The shutdown's messages reach the file, which --show-log still prints.
    XC_ASSERT_OK(stop("l1"));
    EXPECT_TRUE(contains(readText(logFile), "The system is going down")) << readText(logFile).substr(0, 500);
    RunResult after = xc("xc-console", {"-n", "l1", "--show-log"});
    XC_EXPECT_OK(after);
    EXPECT_EQ(after.out, readText(logFile));

    // Without console.log, the running supervisor's ring: the newest buffer_size bytes.
    XC_ASSERT_OK(createWithConfig("l2", "console = { buffer_size = \"64K\"; };\n"));
    XC_ASSERT_OK(start("l2"));
    XC_ASSERT_OK(attach("l2", {"sh", "-c", lots}));
    EXPECT_TRUE(waitUntil(
        [&] {
            log = xc("xc-console", {"-n", "l2", "--show-log"});
            return contains(log.out, "line-19999");
        },
        10))
        << log.describe().substr(0, 2000);
    EXPECT_LE(log.out.size(), 64u * 1024);
    EXPECT_GE(log.out.size(), 60u * 1024);
    EXPECT_FALSE(contains(log.out, "line-100\r")) << "the oldest lines are gone";
    // A stopped container has no buffer, and nothing on disk.
    XC_ASSERT_OK(stop("l2"));
    RunResult gone = xc("xc-console", {"-n", "l2", "--show-log"});
    EXPECT_EQ(gone.status, 1);
    EXPECT_TRUE(contains(gone.err, "is not running")) << gone.describe();
    EXPECT_TRUE(contains(gone.err, "no console.log is set")) << gone.describe();
}

// console.log rotated at console.log_size, console.log_count files kept,
// and --show-log replaying across the rotation, running and stopped.
TEST_F(Terminal, ConsoleLogRotatesAndShowLogReplaysAcrossIt) {
    const size_t limit = 4096;
    std::string logFile = scratch_ + "/r1.console";
    XC_ASSERT_OK(createWithConfig("r1", "console = { log = \"" + logFile + "\"; log_size = \"4K\"; log_count = 2; };\n"));
    XC_ASSERT_OK(start("r1"));
    // The boot's output first (the getty's banner), so that nothing else
    // writes to the console while the lines are written.
    RunResult log;
    EXPECT_TRUE(waitUntil(
        [&] {
            log = xc("xc-console", {"-n", "r1", "--show-log"});
            return contains(log.out, "r1 login:");
        },
        10))
        << log.describe();
    // About 24K, six times the size: lines of "line-N\r\n" (the pty adds the \r).
    const int n = 2400;
    XC_ASSERT_OK(attach("r1", {"sh", "-c", "i=0; while [ $i -lt " + std::to_string(n) +
                                               " ]; do echo line-$i; i=$((i+1)); done > /dev/console"}));
    const std::string last = "line-" + std::to_string(n - 1) + "\r\n";
    EXPECT_TRUE(waitUntil(
        [&] {
            log = xc("xc-console", {"-n", "r1", "--show-log"});
            return contains(log.out, last);
        },
        10))
        << log.describe().substr(0, 2000);

    // Two rotated files and the current one, none over the size.
    for (const std::string& f : {logFile, logFile + ".1", logFile + ".2"}) {
        struct stat st;
        ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
        EXPECT_GT(st.st_size, 0) << f;
        EXPECT_LE(static_cast<size_t>(st.st_size), limit) << f;
    }
    EXPECT_FALSE(exists(logFile + ".3"));
    EXPECT_EQ(log.out, readText(logFile + ".2") + readText(logFile + ".1") + readText(logFile));

    // The lines shown are the newest ones, every one of them, in order.
    auto numbers = [](const std::string& text) {
        std::vector<int> out;
        static const std::regex re("^line-([0-9]+)\r?$");
        std::smatch m;
        for (const auto& l : lines(text))
            if (std::regex_match(l, m, re)) out.push_back(std::stoi(m[1]));
        return out;
    };
    std::vector<int> shown = numbers(log.out);
    ASSERT_FALSE(shown.empty());
    EXPECT_GT(shown.front(), 0) << "the oldest lines are rotated out";
    EXPECT_EQ(shown.back(), n - 1);
    for (size_t i = 1; i < shown.size(); ++i)
        ASSERT_EQ(shown[i], shown[i - 1] + 1) << "a line missing or repeated:\n" << log.out.substr(0, 3000);
    // Three files of 4K hold more than two files' worth of the lines.
    EXPECT_GT(shown.size() * std::string("line-2000\r\n").size(), 2 * limit);

    // Stopped, the history is still there (the shutdown's messages last).
    XC_ASSERT_OK(stop("r1"));
    RunResult after = xc("xc-console", {"-n", "r1", "--show-log"});
    XC_EXPECT_OK(after);
    EXPECT_TRUE(contains(after.out, "The system is going down")) << after.describe().substr(0, 2000);
    std::vector<int> still = numbers(after.out);
    ASSERT_FALSE(still.empty()) << after.describe().substr(0, 2000);
    EXPECT_EQ(still.back(), n - 1);
    for (size_t i = 1; i < still.size(); ++i) ASSERT_EQ(still[i], still[i - 1] + 1) << after.out.substr(0, 3000);
}

TEST_F(Terminal, ConsoleClientSeesStopAndFollowsReboot) {
    const std::string log = base_ + "/r1-supervisor.log";  // its reboot, told at INFO, for a failure's message
    startBusybox("r1", {"-o", log, "-l", "INFO"});
    openWindow();
    saveStty(0);
    type(0, tool("xc-console") + " -n r1; echo CON''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to the console")) << screen(0);
    XC_ASSERT_OK(stop("r1", {"-r"}));
    EXPECT_TRUE(waitFor(0, "Requesting system reboot")) << screen(0);
    // The same client sees the new boot: its getty's prompt, and then ours.
    // A prompt after the reboot's last words: the first boot's prompt may
    // be on screen or not (the shutdown's "\r" writes over its line).
    auto newBootPrompt = [&] {
        std::string s = screen(0);
        size_t said = s.rfind("Requesting system reboot");
        return said != std::string::npos && s.find("r1 login:", said) != std::string::npos;
    };
    EXPECT_TRUE(waitUntil([&] { return newBootPrompt() && state("r1") == "RUNNING"; }, 15))
        << screen(0) << "\nstate: " << state("r1") << "\nsupervisor log:\n" << readText(log);
    int prompts = count(0, "r1 login:");
    keys(0, {"Enter"});
    EXPECT_TRUE(waitUntil([&] { return count(0, "r1 login:") > prompts; }, 10)) << screen(0);
    XC_ASSERT_OK(stop("r1"));
    EXPECT_TRUE(waitFor(0, "the container stopped")) << screen(0);
    EXPECT_TRUE(waitFor(0, "CON=0")) << screen(0);
    expectSttyUnchanged(0, "after the container stopped under xc-console");
}

// ------------------------------------------------------------ xc-start -F

TEST_F(Terminal, StartForegroundDetachesAndStops) {
    XC_ASSERT_OK(create("F1"));
    openWindow();
    saveStty(0);
    type(0, tool("xc-start") + " -n F1 -F; echo FG''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to the console of F1")) << screen(0);
    // The boot's output so far is replayed, then it is live.
    EXPECT_TRUE(waitFor(0, "F1 login:")) << screen(0);
    keys(0, {"Enter"});
    EXPECT_TRUE(waitUntil([&] { return count(0, "F1 login:") >= 2; }, 10)) << screen(0);
    keys(0, {"C-a", "q"});
    EXPECT_TRUE(waitFor(0, "FG=0")) << screen(0);
    EXPECT_EQ(state("F1"), "RUNNING") << "detaching leaves it running";
    expectSttyUnchanged(0, "after detaching from xc-start -F");
    XC_ASSERT_OK(stop("F1", {"-k"}));

    // Stopped from elsewhere: xc-start -F exits 0.
    type(0, "clear; " + tool("xc-start") + " -n F1 -F; echo FG2''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to the console of F1")) << screen(0);
    XC_ASSERT_OK(stop("F1"));
    EXPECT_TRUE(waitFor(0, "FG2=0")) << screen(0);
    expectSttyUnchanged(0, "after the container stopped under xc-start -F");

    // A SIGTERM to xc-start -F stops the container.
    type(0, "clear; " + tool("xc-start") + " -n F1 -F; echo FG3''=$?");
    ASSERT_TRUE(waitFor(0, "Connected to the console of F1")) << screen(0);
    std::vector<pid_t> p;
    ASSERT_TRUE(waitUntil([&] { return !(p = pidsMatching({"xc-start", base_, "-F"})).empty(); }, 5));
    ::kill(p[0], SIGTERM);
    EXPECT_TRUE(waitFor(0, "FG3=0", 30)) << screen(0);
    EXPECT_EQ(state("F1"), "STOPPED");
    expectSttyUnchanged(0, "after SIGTERM to xc-start -F");
}

TEST_F(Terminal, StartForegroundReportsAFailingInit) {
    XC_ASSERT_OK(create("F2"));
    RunResult r = xc("xc-start", {"-n", "F2", "-F", "--", "/bin/sh", "-c", "echo init-says-bye; sleep 1; exit 3"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.out, "init-says-bye")) << "the console output was replayed\n" << r.describe();
    EXPECT_TRUE(contains(r.err, "exited with status 3")) << r.describe();
    EXPECT_TRUE(contains(r.err, "see ")) << "points to the log\n" << r.describe();
}
