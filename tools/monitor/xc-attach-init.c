/* xc-attach-init: the last stage of an attach, run by the library from a
 * sealed in-memory copy of this program once the entering child holds the
 * container's namespaces, root, confinement and user (lib/src/api/
 * attach_enter.cpp, attach.hpp). It lives in the host's pid namespace, where
 * the container cannot see it, forks the command into the container's pid
 * namespace (pid_for_children), waits for it and exits as it did.
 * Everything it maps is the sealed copy: nothing the visible command-to-be
 * shows the container (/proc/N/exe, /proc/N/map_files) is a host file.
 *
 * Plain C on the C library alone, linked statically against musl where
 * Debian's musl-tools is installed (34 KB instead of glibc's ~700 KB): the
 * copy into the memfd, its exec and its start-up are paid on every attach.
 *
 *   xc-attach-init CHANNEL_FD CTTY_FD CALLER_PID -- CMD [ARG...]
 *   xc-attach-init --in-place PREFIX CTTY_FD -- CMD [ARG...]
 *   envp: the command's environment (PATH included)
 *
 * In place (xc-attach without a pty: the tool's own process entered and
 * exec'd us), nobody reads a channel: an error, ours or the command's
 * process's before its exec, is printed on stderr as "PREFIX: what:
 * reason", and a command killed by signal N gives exit status 128+N, as
 * the tool would have returned.
 *
 * On CHANNEL_FD (a SOCK_SEQPACKET socket to the caller) it sends "exec" once
 * the command runs, or "err " and an error as the library's
 * Error::serialize writes it ("ERRNO 1 0 TEXT": the errno, show its reason,
 * no hint). The fork is a vfork without shared memory (CLONE_VFORK): we
 * resume only once the command has exec'd or failed, so its error, if any,
 * is already in the pipe, and we never wait on an fd the container could
 * hold open. Not meant to be run by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_VFORK
#define CLONE_VFORK 0x00004000
#endif

/* Signals the command gets from the terminal or its session; we only wait. */
static const int kPassedOn[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM};
#define PASSED_COUNT (sizeof kPassedOn / sizeof kPassedOn[0])

/* An error in Error::serialize's form: "ERRNO 1 0 " and the text. */
static int errorText(char* buf, size_t size, int err, const char* what, const char* name, const char* more) {
    int n = snprintf(buf, size, "%d 1 0 %s%s%s", err, what, name ? name : "", more ? more : "");
    return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}

/* In place: the prefix errors are printed after; NULL with a channel. */
static const char* inPlacePrefix = NULL;

/* In place, an error goes to stderr as the tool prints one. */
static void printError(int err, const char* what, const char* name, const char* more) {
    fprintf(stderr, "%s: %s%s%s: %s\n", inPlacePrefix, what, name ? name : "", more ? more : "", strerror(err));
}

static void sendError(int channel, int err, const char* what) {
    if (inPlacePrefix) {
        printError(err, what, NULL, NULL);
        return;
    }
    char msg[512] = "err ";
    int n = errorText(msg + 4, sizeof msg - 4, err, what, NULL, NULL);
    (void)!send(channel, msg, (size_t)n + 4, MSG_NOSIGNAL);
}

/* In the command's process: never returns. A failure goes to errFd (the
 * pipe is close-on-exec: empty means it exec'd). */
static void fail(int errFd, int err, const char* what, const char* name, const char* more, int code) {
    if (inPlacePrefix) {
        printError(err, what, name, more);
        _exit(code);
    }
    char msg[4096];
    int n = errorText(msg, sizeof msg, err, what, name, more);
    (void)!write(errFd, msg, (size_t)n);
    _exit(code);
}

/* The value of VAR in envp, or NULL. */
static const char* envValue(char** envp, const char* var) {
    size_t len = strlen(var);
    for (char** e = envp; *e; ++e)
        if (strncmp(*e, var, len) == 0 && (*e)[len] == '=') return *e + len + 1;
    return NULL;
}

/* execve, and a file the kernel cannot run (no #! line) through /bin/sh,
 * as execvp does. */
static void execFile(const char* path, char** argv, char** envp) {
    execve(path, argv, envp);
    if (errno != ENOEXEC) return;
    int argc = 0;
    while (argv[argc]) ++argc;
    char* shArgv[argc + 2];
    shArgv[0] = (char*)"sh";
    shArgv[1] = (char*)path;
    for (int i = 1; i <= argc; ++i) shArgv[i + 1] = argv[i];
    execve("/bin/sh", shArgv, envp);
    errno = ENOEXEC;
}

/* execvpe with the command's own PATH (its environment's, default
 * /bin:/usr/bin), the same whichever C library we are linked with: a name
 * with a slash runs as is; else each PATH entry is tried in order, and a
 * permission error found on the way wins over "not found". */
static void execSearch(char** argv, char** envp) {
    const char* file = argv[0];
    if (!*file) {
        errno = ENOENT;
        return;
    }
    if (strchr(file, '/')) {
        execFile(file, argv, envp);
        return;
    }
    const char* path = envValue(envp, "PATH");
    if (!path) path = "/bin:/usr/bin";
    size_t fileLen = strlen(file);
    int sawAccess = 0;
    for (const char* dir = path;; ++dir) {
        const char* end = strchrnul(dir, ':');
        size_t dirLen = (size_t)(end - dir);
        char full[dirLen + fileLen + 2];
        memcpy(full, dir, dirLen);
        size_t at = dirLen;
        if (dirLen > 0) full[at++] = '/';  /* an empty entry is the current directory */
        memcpy(full + at, file, fileLen + 1);
        execFile(full, argv, envp);
        switch (errno) {
        case EACCES: sawAccess = 1; /* fall through */
        case ENOENT:
        case ENOTDIR:
        case ESTALE:
        case ENODEV:
        case ETIMEDOUT: break;
        default: return;
        }
        if (!*end) break;
        dir = end;
    }
    errno = sawAccess ? EACCES : ENOENT;
}

static void runCommand(int ctty, char** cmd, char** envp, const struct sigaction* saved, int errFd) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (size_t i = 0; i < PASSED_COUNT; ++i) sigaction(kPassedOn[i], &saved[i], NULL);
    if (ctty >= 0) {
        if (setsid() < 0) fail(errFd, errno, "start a session", NULL, NULL, 1);
        if (ioctl(ctty, TIOCSCTTY, 0) < 0) fail(errFd, errno, "make the pty the controlling terminal", NULL, NULL, 1);
    }
    execSearch(cmd, envp);
    int err = errno;
    fail(errFd, err, "exec ", cmd[0], " in the container", err == ENOENT ? 127 : 126);
}

/* Exits as the command did: its code, or the same signal (no core dump). */
static int passOn(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    int sig = WTERMSIG(status);
    if (inPlacePrefix) return 128 + sig;
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
}

int main(int argc, char** argv, char** envp) {
    prctl(PR_SET_DUMPABLE, 0);
    const int inPlace = argc >= 6 && strcmp(argv[1], "--in-place") == 0;
    int channel = argc >= 6 && !inPlace ? atoi(argv[1]) : -1;
    int ctty = argc >= 6 ? atoi(argv[inPlace ? 3 : 2]) : -1;
    if (argc < 6 || strcmp(argv[4], "--") != 0 || (!inPlace && channel <= 2) || ctty < -1 || ctty > 2) {
        fprintf(stderr, "xc-attach-init is run by xc-attach; see xc-attach --help\n");
        return 2;
    }
    char** cmd = argv + 5;
    if (inPlace) {
        inPlacePrefix = argv[2];
    } else {
        /* A child of its caller, dying with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != (pid_t)atol(argv[3])) return 1;
        fcntl(channel, F_SETFD, FD_CLOEXEC);
    }
    struct sigaction ign, saved[PASSED_COUNT];
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    for (size_t i = 0; i < PASSED_COUNT; ++i) sigaction(kPassedOn[i], &ign, &saved[i]);
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        sendError(channel, errno, "create a pipe");
        return 1;
    }
    /* A copy, not shared memory; the child runs on its copy of this stack. */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_VFORK | SIGCHLD), 0UL, NULL, NULL, 0UL);
    if (pid < 0) {
        sendError(channel, errno, "start the command: clone a child");
        return 1;
    }
    if (pid == 0) {
        close(channel);
        close(p[0]);
        runCommand(ctty, cmd, envp, saved, p[1]);
    }
    close(p[1]);
    /* In place the command printed its own failure; else it goes to the caller. */
    if (!inPlace) {
        char msg[4096 + 4] = "err ";
        size_t len = 0;
        for (;;) {
            ssize_t n = read(p[0], msg + 4 + len, sizeof msg - 4 - len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            len += (size_t)n;
            if (len == sizeof msg - 4) break;
        }
        if (len == 0)
            (void)!send(channel, "exec", 4, MSG_NOSIGNAL);
        else
            (void)!send(channel, msg, len + 4, MSG_NOSIGNAL);
        close(channel);
    }
    int status = 0;
    while (waitpid((pid_t)pid, &status, 0) < 0) {
        if (errno != EINTR) return 1;
    }
    return passOn(status);
}
