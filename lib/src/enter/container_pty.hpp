// Ptys of a running container's own devpts, for what joins it later than
// its start: an attach's terminal (enter.cpp) and a tty made on its first
// use (tty.login, makeContainerTty).
#pragma once

#include <sys/types.h>

#include <utility>

#include "mount/rootdir.hpp"
#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// Whether the init runs in a user namespace of its own (an unprivileged
// container), told by the namespaces' inodes.
Result<bool> inOtherUserNamespace(pid_t initPid);

// A new pty pair, {master, slave}, from the devpts mounted on /dev/pts of
// `root` (the container's root in its mount namespace): the ptmx must be
// that devpts' multiplexer, not a device node the container put there.
Result<std::pair<UniqueFd, UniqueFd>> newContainerPty(const RootDir& root);

// tty n of a running container, made on its first use: a new pty of its
// devpts bound on its /dev/ttyN (the file made if missing). A child does
// it that joins the init's mount namespace (and user namespace, as its
// root) and nothing else; returns the master, or why not within `timeout`.
Result<UniqueFd> makeContainerTty(int initPidfd, pid_t initPid, int n);

}  // namespace xc
