#include "download_support.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace xctmpl {

using xc::Error;
using xc::Result;

Result<std::string> serverBase(const std::string& server) {
    std::string s = server;
    while (!s.empty() && s.back() == '/') s.pop_back();
    if (s.empty()) return Error::msg("--server: empty", EINVAL);
    size_t scheme = s.find("://");
    if (scheme == std::string::npos) return "https://" + s;
    std::string proto = s.substr(0, scheme);
    if (proto != "https" && proto != "http")
        return Error::msg("--server " + server + ": only https:// (or, said so, http://) servers", EINVAL);
    if (s.size() == scheme + 3) return Error::msg("--server " + server + ": no host", EINVAL);
    return s;
}

namespace {

std::string size(double b) {
    char buf[32];
    if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
    else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
    else if (b >= 1e3) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f B", b);
    return buf;
}

// Progress of the files being fetched: redrawn in place on a terminal at
// most 10 times a second; otherwise a line every 5 s and one at the end.
class ProgressView {
public:
    explicit ProgressView(bool tty) : tty_(tty) {}
    void operator()(const xc::image::FetchProgress& p) {
        if (p.label != label_) label_ = p.label, shown_ = -1;
        double every = tty_ ? 0.1 : 5.0;
        if (!p.finished && shown_ >= 0 && p.seconds - shown_ < every) return;
        if (!p.finished && !tty_ && shown_ < 0) {
            shown_ = p.seconds;  // no line at the very start
            return;
        }
        shown_ = p.seconds;
        double rate = p.seconds > 0 ? p.done / p.seconds : 0;
        std::string line = "  " + p.label + "  " + size(p.done);
        if (p.total) line += " / " + size(p.total) + "  " + std::to_string(p.done * 100 / p.total) + "%";
        line += "  " + size(rate) + "/s";
        if (!p.finished && p.total > p.done && rate > 0)
            line += "  ETA " + std::to_string(static_cast<long>((p.total - p.done) / rate)) + " s";
        if (p.finished) {
            char t[32];
            std::snprintf(t, sizeof t, "  in %.2f s", p.seconds);
            line += t;
        }
        if (tty_) std::printf("\r%-78s%s", line.c_str(), p.finished ? "\n" : "");
        else std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    }

private:
    bool tty_;
    std::string label_;
    double shown_ = -1;
};

}  // namespace

Result<xc::image::Fetcher> makeFetcher(const std::string& caFile, const std::string& base) {
    xc::image::FetchOptions o;
    if (!caFile.empty()) {
        if (::access(caFile.c_str(), R_OK) != 0) return Error::sys("--ca-file " + caFile);
        o.caFile = caFile;
    }
    o.allowHttp = base.rfind("http://", 0) == 0;
    auto view = std::make_shared<ProgressView>(::isatty(1) == 1);
    o.progress = [view](const xc::image::FetchProgress& p) { (*view)(p); };
    return xc::image::Fetcher::make(std::move(o));
}

namespace {

// gpgv's verdict on sig over file: its last line when it refuses.
xc::Status runGpgv(const std::string& keyring, const std::string& file, const std::string& sig) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return Error::sys("gpgv: pipe");
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("gpgv: fork");
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        const char* argv[] = {"gpgv", "--keyring", keyring.c_str(), sig.c_str(), file.c_str(), nullptr};
        for (const char* bin : {"/usr/bin/gpgv", "/bin/gpgv", "/usr/local/bin/gpgv"}) ::execv(bin, const_cast<char**>(argv));
        std::fprintf(stderr, "gpgv is not installed (apt-get install gpgv)\n");
        ::_exit(127);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(p[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::string last = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
    return Error::msg("gpgv refused it against " + keyring + ": " + (last.empty() ? "no output" : last), EBADMSG);
}

}  // namespace

Result<xc::image::DownloadCache::Verify> gpgvVerifier(const std::string& keyring) {
    char real[PATH_MAX];
    if (!::realpath(keyring.c_str(), real)) return Error::sys("--keyring " + keyring);
    struct stat st;
    if (::stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return Error::msg("--keyring " + keyring + ": not a regular file", EINVAL);
    std::string k = real;  // gpgv looks a name without '/' up in its home directory
    return xc::image::DownloadCache::Verify(
        [k](const std::string& file, const std::string& sig) { return runGpgv(k, file, sig); });
}

}  // namespace xctmpl
