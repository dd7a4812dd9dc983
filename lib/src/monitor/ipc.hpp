// The supervisor's command socket: a unix SOCK_SEQPACKET socket, in the
// abstract namespace ("@xc/<key>/<name>", keyed like the run directory):
// removing /run/xc cannot make a running container unreachable, only one
// supervisor per container can bind it, and it goes with its holder. Root
// (or the supervisor's own uid) only, checked on both ends. One request and one response per packet, each with a
// versioned header; fds travel as SCM_RIGHTS.
#pragma once

#include <chrono>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "security/security.hpp"
#include "xc/config.hpp"
#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

constexpr uint32_t kIpcMagic = 0x58433031;  // "XC01"
// Commands are only ever added, never changed: a supervisor older than
// its client answers a new one with ENOSYS ("unknown command").
constexpr uint16_t kIpcVersion = 1;

enum class Command : uint16_t {
    State = 1,       // -> "STATE pid" (e.g. "RUNNING 1234")
    InitPidfd = 2,   // -> as State, fd: pidfd of the init
    Stop = 3,        // payload "timeout_ms kill(0|1)" -> after the container stopped
    Reboot = 4,      // -> once the init was told to reboot
    Freeze = 5,      // payload "timeout_ms"
    Thaw = 6,
    ConsoleLog = 7,  // -> the console ring buffer (its newest 1 MiB at most)
    // payload "N [force] [replay]" (0 = console) -> "tty N", fds: the pty
    // master, and for the console a stream socket carrying its output (the
    // supervisor keeps draining the console into its ring buffer and log and
    // copies it there; "replay" first sends this boot's output so far). The
    // connection stays open as the client's lease on tty N: a second client
    // is refused (EBUSY) unless "force", which ends the first lease. The
    // supervisor ends a lease with one notice: "taken", "reboot" or
    // "stopped REQUESTED WAITSTATUS"; the client ends it by closing.
    Tty = 8,
    ConsoleHistory = 9,  // -> fd: a sealed memfd holding the whole console ring buffer
    // -> an AttachInfo (encodeAttachInfo), fd: pidfd of the init. The
    // confinement is the one the running init got, whatever the config
    // file on disk says now (xc-start -f, edits since the start).
    AttachInfo = 10,
};

// What xc-attach needs to confine a command exactly like the running init.
struct AttachInfo {
    std::string state;  // "RUNNING", "FROZEN", ...
    pid_t initPid = -1;
    std::vector<std::string> capDrop, capKeep;  // as SecuritySettings
    std::vector<SeccompRule> seccomp;           // the resolved filter
};
std::string encodeAttachInfo(const AttachInfo& info);
Result<AttachInfo> decodeAttachInfo(const std::string& payload);

struct Response {
    std::string payload;
    std::vector<UniqueFd> fds;
};

// Client side: one call on a fresh connection. ECONNREFUSED/ENOENT mean
// no supervisor listens; EPERM that the name is held by someone else.
Result<Response> callMonitor(const std::string& socketPath, Command cmd, const std::string& payload,
                             std::chrono::milliseconds timeout);

// Like callMonitor, but keeps the connection open for later notices
// (a tty lease).
struct Session {
    Response response;
    UniqueFd conn;
};
Result<Session> openSession(const std::string& socketPath, Command cmd, const std::string& payload,
                            std::chrono::milliseconds timeout);
// Reads one notice from a session; waits at most `timeout`. EPIPE when the
// supervisor closed the connection without one.
Result<std::string> readNotice(int conn, std::chrono::milliseconds timeout);

// Whether a supervisor listens at socketPath (connects, and hangs up).
Result<bool> monitorListening(const std::string& socketPath);

// Server side. listenOn fails with EBUSY ("is already running") while
// another supervisor holds an abstract name.
Result<UniqueFd> listenOn(const std::string& socketPath);
// Accepts one connection, non-blocking; refuses (with an answer) a peer
// that is neither root nor our uid.
Result<UniqueFd> acceptClient(int listenFd);
struct Request {
    Command cmd;
    std::string payload;
};
// Reads one request and checks its header; EAGAIN while none has arrived.
Result<Request> readRequest(int connfd);
Status sendOk(int connfd, const std::string& payload, const std::vector<int>& fds = {});
Status sendError(int connfd, const Error& err);
// Answers with `data` in a sealed memory file (its size as the payload),
// or with the error of making it.
void sendSealedCopy(int connfd, const std::string& data);
// Sends what it can of `data` on a stream socket within `timeout` (send,
// not write: a peer that is gone must not SIGPIPE us); gives up on an error.
void sendRemaining(int fd, const std::string& data, std::chrono::milliseconds timeout);

}  // namespace xc
