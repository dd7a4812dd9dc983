// When the supervisor gives back what its start-up used (the heap it
// freed, the text, read-only data and stack only start-up touched: see
// base/program_text.hpp). Not at once after "ok": the starter was just
// woken, often on our CPU, and the ~1 ms of madvise and page-table work
// would keep it waiting there. Instead once the starter has closed the
// ready socket (it read its answer and is exiting), and a moment after
// that, when its exit is done too.
#pragma once

#include "xc/fd.hpp"

namespace xc {

class StartupRelease {
public:
    // `answered`: the ready socket after "ok", our side shut for writing;
    // empty (no starter, or it is gone) releases now. `epollFd` watches it.
    void begin(UniqueFd answered, int epollFd);
    bool owns(int fd) const { return fd >= 0 && (fd == starter_.get() || fd == timer_.get()); }
    // The starter hung up: the timer is armed. The timer: the release.
    void onEvent(int fd);
    bool released() const { return released_; }

private:
    bool watch(int fd);
    void unwatch(UniqueFd& fd);
    void release();

    int epoll_ = -1;
    UniqueFd starter_, timer_;
    bool released_ = false;
};

}  // namespace xc
