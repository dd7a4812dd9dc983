// xc-top: what the running containers of a base use, refreshed every second.
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>

#include "common.hpp"

namespace {

using namespace xc;

// The columns, in display order; each is a sort key (-s and a key press).
enum Col { Name, Cpu, Mem, MemSwap, Blkio, Pids, Net, kCols };
struct ColInfo {
    const char* key;      // -s value
    char press;           // interactive key
    const char* heading;
};
constexpr ColInfo kColInfo[kCols] = {{"name", 'n', "NAME"},      {"cpu", 'c', "CPU%"},
                                     {"mem", 'm', "MEMORY"},     {"memsw", 's', "MEM+SWAP"},
                                     {"blkio", 'b', "BLOCK I/O"}, {"pids", 'p', "PIDS"},
                                     {"net", 't', "NET RX+TX"}};

// One sample of one container.
struct Sample {
    std::string name;
    Stats stats;
    std::optional<uint64_t> netBytes;
    int64_t atNs = 0;  // CLOCK_MONOTONIC
};

// A row: the newest sample and the CPU share since the one before.
struct Row {
    Sample s;
    std::optional<double> cpuPercent;  // 100 = one CPU
    std::optional<uint64_t> blkio() const {
        if (!s.stats.ioReadBytes) return std::nullopt;
        return *s.stats.ioReadBytes + s.stats.ioWriteBytes.value_or(0);
    }
    // The value of a numeric column, for sorting and totals (unset: "-").
    std::optional<double> value(Col c) const {
        auto d = [](std::optional<uint64_t> v) { return v ? std::optional<double>(double(*v)) : std::nullopt; };
        switch (c) {
            case Cpu: return cpuPercent;
            case Mem: return double(s.stats.memoryBytes);
            case MemSwap: return d(s.stats.memorySwapBytes);
            case Blkio: return d(blkio());
            case Pids: return d(s.stats.pids);
            case Net: return d(s.netBytes);
            default: return std::nullopt;
        }
    }
};

int64_t monotonicNs() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Every running (or frozen) container of the base; those that stop while
// being read are left out.
std::vector<Sample> sampleAll(const Context& ctx) {
    std::vector<Sample> out;
    auto names = ctx.containerNames();
    if (!names) return out;
    for (const auto& n : *names) {
        auto c = ctx.container(n);
        if (!c) continue;
        auto st = c->state();
        if (!st || st->state == State::Stopped) continue;
        auto stats = c->stats();
        if (!stats) continue;
        Sample s{n, *stats, std::nullopt, monotonicNs()};
        if (auto links = c->networkStats()) {
            uint64_t sum = 0;
            for (const auto& l : *links) sum += l.rxBytes + l.txBytes;
            s.netBytes = sum;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<Row> makeRows(const std::vector<Sample>& now, const std::map<std::string, Sample>& before) {
    std::vector<Row> rows;
    for (const auto& s : now) {
        Row r{s, std::nullopt};
        auto it = before.find(s.name);
        if (it != before.end() && s.atNs > it->second.atNs && s.stats.cpuNs >= it->second.stats.cpuNs)
            r.cpuPercent = 100.0 * double(s.stats.cpuNs - it->second.stats.cpuNs) / double(s.atNs - it->second.atNs);
        rows.push_back(std::move(r));
    }
    return rows;
}

void sortRows(std::vector<Row>& rows, Col by, bool reverse) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        if (by == Name) return reverse ? a.s.name > b.s.name : a.s.name < b.s.name;
        // Numbers: largest first (reverse: smallest); unknown values last.
        auto x = a.value(by), y = b.value(by);
        if (!x || !y) return x.has_value() && !y.has_value();
        return reverse ? *x < *y : *x > *y;
    });
}

std::string cell(const Row& r, Col c, bool raw) {
    if (c == Name) return r.s.name;
    auto v = r.value(c);
    if (!v) return "-";
    char buf[64];
    if (c == Cpu) {
        std::snprintf(buf, sizeof buf, "%.1f", *v);
        return buf;
    }
    if (c == Pids || raw) return std::to_string(static_cast<unsigned long long>(*v));
    return tool::humanBytes(static_cast<uint64_t>(*v));
}

// The table: a heading, a row per container, and the totals.
std::string table(const std::vector<Row>& rows, bool raw) {
    std::vector<std::optional<double>> sums(kCols);
    for (const auto& r : rows)
        for (int c = Cpu; c < kCols; ++c)
            if (auto v = r.value(Col(c))) sums[c] = sums[c].value_or(0) + *v;
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> head;
    for (int c = 0; c < kCols; ++c) head.push_back(kColInfo[c].heading);
    cells.push_back(head);
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (int c = 0; c < kCols; ++c) line.push_back(cell(r, Col(c), raw));
        cells.push_back(line);
    }
    std::vector<std::string> last = {"TOTAL"};
    for (int c = Cpu; c < kCols; ++c) {
        Row one;  // a row holding just the sum, formatted like the others
        if (!sums[c]) last.push_back("-");
        else if (c == Cpu) one.cpuPercent = sums[c], last.push_back(cell(one, Cpu, raw));
        else if (c == Pids || raw) last.push_back(std::to_string(static_cast<unsigned long long>(*sums[c])));
        else last.push_back(tool::humanBytes(static_cast<uint64_t>(*sums[c])));
    }
    cells.push_back(last);
    std::vector<size_t> w(kCols, 0);
    for (const auto& l : cells)
        for (int c = 0; c < kCols; ++c) w[c] = std::max(w[c], l[c].size());
    std::string out;
    for (const auto& l : cells) {
        std::string line;
        for (int c = 0; c < kCols; ++c) {
            std::string pad(w[c] - l[c].size(), ' ');
            line += c == Name ? l[c] + pad : "  " + pad + l[c];  // numbers right-aligned
        }
        out += line + "\n";
    }
    return out;
}

volatile sig_atomic_t gStop = 0;
void onStop(int) { gStop = 1; }

// The terminal in non-canonical mode without echo (keys one at a time),
// restored when it goes out of scope.
class RawInput {
public:
    RawInput() {
        if (::tcgetattr(STDIN_FILENO, &saved_) < 0) return;
        struct termios t = saved_;
        t.c_lflag &= ~(ICANON | ECHO);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }
    ~RawInput() {
        if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }

private:
    struct termios saved_ = {};
    bool active_ = false;
};

// Waits up to `ms` for a key; 0 if none came.
int readKey(int ms) {
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return 0;
    unsigned char c = 0;
    return ::read(STDIN_FILENO, &c, 1) == 1 ? c : 0;
}

struct Options {
    Col sort = Name;
    bool reverse = false, raw = false;
    double delay = 1.0;
};

std::map<std::string, Sample> byName(const std::vector<Sample>& v) {
    std::map<std::string, Sample> m;
    for (const auto& s : v) m[s.name] = s;
    return m;
}

int batch(const Context& ctx, const Options& o) {
    auto first = byName(sampleAll(ctx));
    std::this_thread::sleep_for(std::chrono::duration<double>(o.delay));
    auto rows = makeRows(sampleAll(ctx), first);
    sortRows(rows, o.sort, o.reverse);
    std::fputs(table(rows, o.raw).c_str(), stdout);
    return 0;
}

void draw(const std::string& base, const std::vector<Row>& rows, const Options& o) {
    std::string keys;
    for (const auto& c : kColInfo) keys += std::string(keys.empty() ? "" : " ") + c.press + "=" + c.key;
    std::printf("\033[H\033[2Jxc-top - %s - %zu running - sorted by %s%s\n%s, r reverse, q quit\n\n%s", base.c_str(),
                rows.size(), kColInfo[o.sort].key, o.reverse ? " (reversed)" : "", keys.c_str(),
                table(rows, o.raw).c_str());
    std::fflush(stdout);
}

int interactive(const Context& ctx, Options o) {
    struct sigaction sa = {};
    sa.sa_handler = onStop;
    for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
    RawInput raw;
    std::vector<Sample> before;
    std::vector<Row> rows;
    auto next = std::chrono::steady_clock::now();
    while (!gStop) {
        if (std::chrono::steady_clock::now() >= next) {
            auto now = sampleAll(ctx);
            rows = makeRows(now, byName(before));
            before = std::move(now);
            next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.delay));
        }
        sortRows(rows, o.sort, o.reverse);
        draw(ctx.base(), rows, o);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
        int key = readKey(static_cast<int>(std::max<long long>(left.count(), 0)));
        if (key == 'q') break;
        if (key == 'r') o.reverse = !o.reverse;
        for (int c = 0; c < kCols; ++c)
            if (key == kColInfo[c].press) o.sort = Col(c), o.reverse = false;
    }
    std::printf("\n");
    return 0;
}

}  // namespace

int xc_top_main(int argc, char** argv) {
    tool::Tool t("xc-top", "Show what the running containers use, refreshed every second",
                 "DESCRIPTION\n"
                 "  One row per running (or frozen) container of the base (-P) and a TOTAL row:\n"
                 "  NAME, CPU% (since the previous refresh; 100 = one CPU), MEMORY, MEM+SWAP,\n"
                 "  BLOCK I/O (bytes read and written), PIDS (tasks) and NET RX+TX (bytes through\n"
                 "  its interfaces), read from its cgroup (v1 or cgroup2) and the host's links.\n"
                 "  '-' marks what this host does not account (e.g. swap). On a terminal it\n"
                 "  redraws every -d seconds; keys n c m s b p t sort by a column (numbers\n"
                 "  largest first), r reverses, q quits. --batch prints one plain snapshot,\n"
                 "  measured over -d seconds, and exits.\n\n"
                 "EXAMPLES\n  xc-top\n  xc-top --batch -s cpu\n  xc-top --batch -H\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error",
                 false);
    Options o;
    bool batchMode = false;
    std::string sortKey = "name";
    t.app().add_flag("-b,--batch", batchMode, "Print one snapshot and exit");
    t.app().add_option("-s,--sort", sortKey, "Sort by: name, cpu, mem, memsw, blkio, pids, net")
        ->check(CLI::IsMember(std::vector<std::string>{"name", "cpu", "mem", "memsw", "blkio", "pids", "net"}));
    t.app().add_flag("-r,--reverse", o.reverse, "Reverse the order");
    t.app().add_option("-d,--delay", o.delay, "Seconds between refreshes (default 1)")->check(CLI::Range(0.1, 3600.0));
    t.app().add_flag("-H,--no-humanize", o.raw, "Raw numbers (bytes)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    for (int c = 0; c < kCols; ++c)
        if (sortKey == kColInfo[c].key) o.sort = Col(c);
    if (batchMode || !::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) return batch(t.context(), o);
    return interactive(t.context(), o);
}
