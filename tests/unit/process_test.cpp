// Starting programs (startProgram, runProgram): the child shares the
// caller's memory until its exec (CLONE_VM | CLONE_VFORK), so what it gets
// and what the caller keeps are checked from both sides.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <string>

#include "process/process.hpp"

using namespace xc;

namespace {

// A field of the child's /proc/self/status ("SigIgn", "SigBlk", ...),
// printed by the child itself.
std::string childStatusField(const std::string& out, const std::string& field) {
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return line.substr(line.find_first_not_of(" \t", field.size() + 1));
    return "";
}

volatile sig_atomic_t handled = 0;

}  // namespace

TEST(Process, RunProgramCapturesOutputAndStatus) {
    auto r = runProgram({{"/bin/sh", "-c", "echo out; echo err >&2; read x; echo \"got $x\"; exit 3"}}, "in\n");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->out, "out\ngot in\n");
    EXPECT_EQ(r->err, "err\n");
    EXPECT_EQ(exitCodeOf(r->status), 3);
}

TEST(Process, AProgramThatCannotRunIsTheErrorWithItsReason) {
    auto r = startProgram({{"/nonexistent/xc-program"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ENOENT);
    EXPECT_NE(r.error().message().find("run /nonexistent/xc-program"), std::string::npos) << r.error().message();
    Program p{{"/bin/true"}};
    p.cwd = "/nonexistent-dir";
    auto c = startProgram(p);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("change to /nonexistent-dir"), std::string::npos) << c.error().message();
}

// The program starts with every signal at its default and none blocked,
// whatever the caller ignores, handles or blocks; the caller's own
// dispositions and mask are as they were (the child reset its copies).
TEST(Process, TheProgramGetsDefaultSignalsAndTheCallerKeepsItsOwn) {
    struct sigaction ign = {}, handler = {}, oldUsr1 = {}, oldUsr2 = {};
    ign.sa_handler = SIG_IGN;
    handler.sa_handler = [](int) { handled = 1; };
    ASSERT_EQ(::sigaction(SIGUSR1, &ign, &oldUsr1), 0);
    ASSERT_EQ(::sigaction(SIGUSR2, &handler, &oldUsr2), 0);
    sigset_t block, oldMask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    ASSERT_EQ(::sigprocmask(SIG_BLOCK, &block, &oldMask), 0);

    auto r = runProgram({{"/bin/sh", "-c", "cat /proc/self/status"}});

    struct sigaction nowUsr1 = {}, nowUsr2 = {};
    ::sigaction(SIGUSR1, nullptr, &nowUsr1);
    ::sigaction(SIGUSR2, nullptr, &nowUsr2);
    sigset_t nowMask;
    ::sigprocmask(SIG_SETMASK, nullptr, &nowMask);
    ::sigaction(SIGUSR1, &oldUsr1, nullptr);
    ::sigaction(SIGUSR2, &oldUsr2, nullptr);
    ::sigprocmask(SIG_SETMASK, &oldMask, nullptr);

    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(childStatusField(r->out, "SigIgn"), "0000000000000000") << r->out;
    EXPECT_EQ(childStatusField(r->out, "SigBlk"), "0000000000000000") << r->out;
    EXPECT_EQ(nowUsr1.sa_handler, SIG_IGN);
    EXPECT_EQ(nowUsr2.sa_handler, handler.sa_handler);
    EXPECT_TRUE(sigismember(&nowMask, SIGTERM));
    EXPECT_FALSE(sigismember(&nowMask, SIGUSR1)) << "the spawn's own blocking must not stay";
    EXPECT_EQ(handled, 0);
}

// Only the fds asked for cross the exec, at their numbers; the child's
// closing and dup2s are its own (the caller's fds are all still open).
TEST(Process, OnlyTheKeptFdsReachTheProgramAndTheCallersStayOpen) {
    UniqueFd kept(::fcntl(UniqueFd(::open("/dev/null", O_RDONLY)).get(), F_DUPFD_CLOEXEC, 40));
    UniqueFd other(::fcntl(UniqueFd(::open("/dev/null", O_RDONLY)).get(), F_DUPFD, 50));  // not close-on-exec
    ASSERT_TRUE(kept && other);
    const std::string k = std::to_string(kept.get()), o = std::to_string(other.get());
    Program p{{"/bin/sh", "-c", "test -e /proc/self/fd/" + k + " && echo kept; test -e /proc/self/fd/" + o +
                                    " && echo other; true"}};
    p.keepFds = {kept.get()};
    auto r = runProgram(p);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->out, "kept\n") << "fds " << k << " (kept) and " << o << " (not)";
    EXPECT_GE(::fcntl(kept.get(), F_GETFD), 0);
    EXPECT_GE(::fcntl(other.get(), F_GETFD), 0);
}
