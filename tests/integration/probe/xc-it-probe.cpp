// A static program the integration tests copy into a container to try
// what busybox cannot: one subcommand per probe, one result line on
// stdout, exit 0 if the probe ran (whatever it found).
//   xc-it-probe userfaultfd      -> "userfaultfd: ok" or "userfaultfd: <errno name>"
//   xc-it-probe ptys N           -> "ptys: <how many of N /dev/ptmx opens succeeded>"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::string what = argv[1];
    if (what == "userfaultfd") {
        long fd = ::syscall(SYS_userfaultfd, O_CLOEXEC);
        std::printf("userfaultfd: %s\n", fd >= 0 ? "ok" : ::strerrorname_np(errno));
        return 0;
    }
    if (what == "ptys" && argc == 3) {
        int want = std::atoi(argv[2]), got = 0;
        for (int i = 0; i < want; ++i)
            if (::open("/dev/ptmx", O_RDWR | O_NOCTTY) >= 0) ++got;
        std::printf("ptys: %d\n", got);
        return 0;
    }
    return 2;
}
