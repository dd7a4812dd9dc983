#include "image/fetch.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "image/digest.hpp"
#include "xc/fd.hpp"

namespace xc::image {

namespace {

using Clock = std::chrono::steady_clock;

// Where one request's body goes: a string (text) or a file with its digest.
struct Sink {
    CURL* h = nullptr;
    std::string* text = nullptr;
    size_t maxBytes = 0;
    int fd = -1;
    Sha256* md = nullptr;
    uint64_t have = 0;        // bytes of the file written so far
    uint64_t requestBase = 0; // what the file had when this request started
    bool firstWrite = true;
    int writeErrno = 0;
    bool tooBig = false;
    // Progress.
    const FetchOptions* opt = nullptr;
    const std::string* label = nullptr;
    uint64_t expectSize = 0;
    Clock::time_point started;
};

Status restartFile(Sink& s) {
    if (::ftruncate(s.fd, 0) != 0 || ::lseek(s.fd, 0, SEEK_SET) != 0) return Error::sys("truncate");
    s.md->reset();
    s.have = s.requestBase = 0;
    return {};
}

size_t onWrite(char* data, size_t size, size_t n, void* user) {
    Sink& s = *static_cast<Sink*>(user);
    size_t len = size * n;
    if (s.text) {
        if (s.text->size() + len > s.maxBytes) {
            s.tooBig = true;
            return 0;
        }
        s.text->append(data, len);
        return len;
    }
    if (s.firstWrite) {
        s.firstWrite = false;
        long code = 0;
        curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &code);
        // A server that ignores Range sends the whole file again.
        if (s.requestBase > 0 && code == 200 && !restartFile(s)) {
            s.writeErrno = errno;
            return 0;
        }
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = ::write(s.fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            s.writeErrno = w < 0 ? errno : EIO;
            return 0;
        }
        off += static_cast<size_t>(w);
    }
    s.md->update(data, len);
    s.have += len;
    return len;
}

int onProgress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    Sink& s = *static_cast<Sink*>(user);
    if (s.text || !s.opt->progress) return 0;
    FetchProgress p;
    p.label = *s.label;
    p.done = s.requestBase + static_cast<uint64_t>(now);
    p.total = s.expectSize ? s.expectSize : (total > 0 ? s.requestBase + static_cast<uint64_t>(total) : 0);
    p.seconds = std::chrono::duration<double>(Clock::now() - s.started).count();
    s.opt->progress(p);
    return 0;
}

bool transient(CURLcode c, long http) {
    switch (c) {
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return true;
        case CURLE_HTTP_RETURNED_ERROR:
            return http >= 500 || http == 408 || http == 429;
        default:
            return false;
    }
}

// One request's outcome, as an error or success.
struct Attempt {
    CURLcode code = CURLE_OK;
    long http = 0;
    std::string why;
};

Attempt perform(CURL* h, const char* errbuf, const Sink& s) {
    Attempt a;
    a.code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.http);
    if (a.code == CURLE_OK) return a;
    if (a.code == CURLE_HTTP_RETURNED_ERROR) a.why = "the server answered HTTP " + std::to_string(a.http);
    else if (a.code == CURLE_WRITE_ERROR && s.tooBig) a.why = "larger than " + std::to_string(s.maxBytes >> 20) + " MiB";
    else if (a.code == CURLE_WRITE_ERROR && s.writeErrno) a.why = std::string("write: ") + std::strerror(s.writeErrno);
    else a.why = *errbuf ? errbuf : curl_easy_strerror(a.code);
    return a;
}

}  // namespace

void Fetcher::Free::operator()(void* h) const {
    if (h) curl_easy_cleanup(static_cast<CURL*>(h));
}

Result<Fetcher> Fetcher::make(FetchOptions options) {
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (init != CURLE_OK) return Error::msg(std::string("libcurl: ") + curl_easy_strerror(init), EIO);
    Fetcher f;
    f.opt_ = std::move(options);
    f.h_.reset(curl_easy_init());
    if (!f.h_) return Error::msg("libcurl: cannot make a transfer handle", ENOMEM);
    return f;
}

Status Fetcher::prepare(const std::string& url) {
    bool https = url.rfind("https://", 0) == 0;
    bool http = url.rfind("http://", 0) == 0;
    if (!https && !http) return Error::msg("not an http(s) URL", EINVAL);
    if (http && !opt_.allowHttp)
        return Error::msg("plain http:// refused (only a server URL that says http:// allows it)", EPERM);
    CURL* h = static_cast<CURL*>(h_.get());
    curl_easy_reset(h);
    const char* protocols = opt_.allowHttp ? "http,https" : "https";
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, opt_.connectTimeoutSeconds);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, opt_.lowSpeedBytes);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, opt_.lowSpeedSeconds);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "xc-download/" XC_VERSION);
    if (!opt_.caFile.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opt_.caFile.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onWrite);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    return {};
}

Result<std::string> Fetcher::text(const std::string& url, size_t maxBytes) {
    XC_TRY(prepare(url).ctx("fetch " + url));
    CURL* h = static_cast<CURL*>(h_.get());
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    for (int attempt = 0;; ++attempt) {
        std::string body;
        Sink s;
        s.h = h;
        s.text = &body;
        s.maxBytes = maxBytes;
        s.opt = &opt_;
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
        errbuf[0] = 0;
        Attempt a = perform(h, errbuf, s);
        if (a.code == CURLE_OK) return body;
        if (a.code == CURLE_HTTP_RETURNED_ERROR && (a.http == 404 || a.http == 410))
            return Error::msg("fetch " + url + ": " + a.why, ENOENT);
        if (!transient(a.code, a.http) || attempt >= opt_.retries)
            return Error::msg("fetch " + url + ": " + a.why + (attempt ? " (" + std::to_string(attempt + 1) + " attempts)" : ""), EIO);
        std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
    }
}

Result<FetchedFile> Fetcher::file(const std::string& url, const std::string& path, const std::string& label,
                                  const std::string& expectSha256, uint64_t expectSize) {
    XC_TRY(prepare(url).ctx("fetch " + url));
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) return Error::sys("fetch " + url + ": create " + path);
    struct Unlink {
        const std::string& p;
        bool keep = false;
        ~Unlink() {
            if (!keep) ::unlink(p.c_str());
        }
    } unlinkOnFailure{path};
    Sha256 md;
    if (!md.ok()) return Error::msg("SHA-256: OpenSSL failed", EIO);
    CURL* h = static_cast<CURL*>(h_.get());
    char errbuf[CURL_ERROR_SIZE] = "";
    Sink s;
    s.h = h;
    s.fd = fd.get();
    s.md = &md;
    s.opt = &opt_;
    s.label = &label;
    s.expectSize = expectSize;
    s.started = Clock::now();
    FetchedFile out;
    for (int attempt = 0;; ++attempt) {
        s.requestBase = s.have;
        s.firstWrite = true;
        curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(s.have));
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        errbuf[0] = 0;
        Attempt a = perform(h, errbuf, s);
        if (a.code == CURLE_OK) break;
        uint64_t before = s.requestBase;
        if (!transient(a.code, a.http) || attempt >= opt_.retries)
            return Error::msg("fetch " + url + ": " + a.why +
                                  (attempt ? " (" + std::to_string(attempt + 1) + " attempts, " + std::to_string(s.have) + " bytes)" : ""),
                              a.code == CURLE_HTTP_RETURNED_ERROR && a.http == 404 ? ENOENT : EIO);
        if (s.have > before || s.have > 0) ++out.resumes;
        std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
    }
    if (opt_.progress) {
        FetchProgress p{label, s.have, s.have, std::chrono::duration<double>(Clock::now() - s.started).count(), true};
        opt_.progress(p);
    }
    out.sha256 = md.hex();
    out.bytes = s.have;
    if (expectSize && s.have != expectSize)
        return Error::msg("fetch " + url + ": " + std::to_string(s.have) + " bytes, the index says " +
                              std::to_string(expectSize) + ": refused",
                          EIO);
    if (!expectSha256.empty() && out.sha256 != expectSha256)
        return Error::msg("fetch " + url + ": SHA-256 mismatch: the index says " + expectSha256 + ", the file has " +
                              out.sha256 + ": refused, not cached",
                          EIO);
    if (::fsync(fd.get()) != 0) return Error::sys("fetch " + url + ": write " + path);
    unlinkOnFailure.keep = true;
    return out;
}

}  // namespace xc::image
