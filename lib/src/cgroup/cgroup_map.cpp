// xc's one cgroup vocabulary mapped onto v1 and v2 files. Pure logic over a
// CgroupLayout: no file is touched here.
#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <sstream>

#include "base/cgroup_files.hpp"
#include "base/fsutil.hpp"
#include "cgroup/cgroup.hpp"

namespace xc {

namespace {

constexpr uint64_t kMaxShares = 262144;
constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxWeight = 10000;

Error badValue(const std::string& key, const std::string& value, const std::string& why) {
    return Error::msg("cgroup " + key + ": bad value '" + value + "' (" + why + ")", EINVAL);
}

std::optional<uint64_t> parseU64(const std::string& s) {
    if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

bool isMax(const std::string& v) {
    return v == "max" || v == "-1";
}

// "256M", "1.5G", "4096", "64 KiB": bytes (powers of 1024).
std::optional<uint64_t> parseBytes(const std::string& text) {
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::string num = text.substr(0, i), suffix;
    for (size_t j = i; j < text.size(); ++j)
        if (text[j] != ' ') suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(text[j])));
    if (num.empty() || std::count(num.begin(), num.end(), '.') > 1 || num.front() == '.' || num.back() == '.')
        return std::nullopt;
    int shift = 0;
    if (!suffix.empty()) {
        static const std::string units = "KMGTPE";
        size_t u = units.find(suffix[0]);
        std::string rest = suffix.substr(1);
        if (u == std::string::npos || !(rest.empty() || rest == "B" || rest == "IB")) {
            if (suffix != "B") return std::nullopt;
        } else {
            shift = 10 * static_cast<int>(u + 1);
        }
    }
    size_t dot = num.find('.');
    auto whole = parseU64(num.substr(0, dot));
    if (!whole) return std::nullopt;
    if (shift < 64 && *whole > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
    uint64_t v = *whole << shift;
    if (dot != std::string::npos) {
        if (shift == 0) return std::nullopt;  // no fractional bytes
        std::string frac = num.substr(dot + 1);
        long double f = std::stold("0." + frac);
        long double add = f * static_cast<long double>(uint64_t{1} << shift);
        if (static_cast<long double>(std::numeric_limits<uint64_t>::max() - v) < add) return std::nullopt;
        v += static_cast<uint64_t>(add);
    }
    return v;
}

// A memory limit: bytes, or nullopt for "max"/"-1".
Result<std::optional<uint64_t>> parseMemoryLimit(const std::string& key, const std::string& value) {
    if (isMax(value)) return std::optional<uint64_t>{};
    auto b = parseBytes(value);
    if (!b) return badValue(key, value, "use bytes, a size like 256M or 1G, or max");
    return std::optional<uint64_t>{*b};
}

std::string memV1(std::optional<uint64_t> v) {
    return v ? std::to_string(*v) : "-1";
}
std::string memV2(std::optional<uint64_t> v) {
    return v ? std::to_string(*v) : "max";
}

Result<const CgroupHierarchy*> need(const CgroupLayout& layout, const std::string& key, const std::string& controller) {
    const CgroupHierarchy* h = layout.forController(controller);
    if (!h) return Error::msg("cgroup " + key + ": this host has no " + controller + " controller", ENOENT);
    return h;
}

// A raw "controller.file" name: the controller it belongs to ("" = a cgroup2
// core file such as cgroup.max.depth).
Result<std::string> rawController(const CgroupLayout& layout, const std::string& key, bool forWrite) {
    if (key.find('/') != std::string::npos || key.find("..") != std::string::npos)
        return Error::msg("cgroup key '" + key + "': not a file name", EINVAL);
    if (forWrite && isManagedCgroupFile(key))
        return Error::msg("cgroup key '" + key + "': refused (managed by xc, not settable)", EPERM);
    bool chars = std::all_of(key.begin(), key.end(),
                             [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
    size_t dot = key.find('.');
    if (!chars || dot == std::string::npos || dot == 0 || key.back() == '.')
        return Error::msg("cgroup key '" + key + "': expected controller.file (e.g. memory.swappiness)", EINVAL);
    std::string controller = key.substr(0, dot);
    if (controller == "cgroup") {
        if (!layout.unified())
            return Error::msg("cgroup key '" + key + "': this host has no cgroup2 hierarchy", ENOENT);
        return std::string();
    }
    if (!layout.forController(controller))
        return Error::msg("cgroup key '" + key + "': this host has no " + controller + " controller", ENOENT);
    return controller;
}

const char* const kSettableKeys[] = {"memory.max", "memory.high", "memory.swap.max", "cpu.weight",
                                     "cpu.max",    "cpuset.cpus", "cpuset.mems",     "pids.max"};
const char* const kReadOnlyKeys[] = {"memory.current", "pids.current", "cpu.stat"};

bool readOnlyKey(const std::string& key) {
    return std::find(std::begin(kReadOnlyKeys), std::end(kReadOnlyKeys), key) != std::end(kReadOnlyKeys);
}

}  // namespace

std::vector<std::string> cgroupVocabulary() {
    std::vector<std::string> out(std::begin(kSettableKeys), std::end(kSettableKeys));
    out.insert(out.end(), std::begin(kReadOnlyKeys), std::end(kReadOnlyKeys));
    return out;
}

uint64_t cpuSharesFromWeight(uint64_t weight) {
    uint64_t w = std::min(weight, kMaxWeight);
    return std::clamp<uint64_t>(w * 1024 / 100, kMinShares, kMaxShares);
}

uint64_t cpuWeightFromShares(uint64_t shares) {
    uint64_t s = std::min(shares, kMaxShares);
    return std::clamp<uint64_t>((s * 100 + 512) / 1024, 1, kMaxWeight);
}

Result<uint64_t> parseCgroupBytes(const std::string& key, const std::string& value) {
    XC_ASSIGN(auto v, parseMemoryLimit(key, value));
    return v ? *v : UINT64_MAX;
}

Result<std::vector<CgroupWrite>> mapCgroupKey(const CgroupLayout& layout, const std::string& key,
                                              const std::string& value) {
    std::vector<CgroupWrite> w;
    if (value.find('\0') != std::string::npos || value.find('\n') != std::string::npos)
        return badValue(key, value, "one line expected");
    if (key == "memory.max" || key == "memory.high") {
        XC_ASSIGN(auto h, need(layout, key, "memory"));
        XC_ASSIGN(auto v, parseMemoryLimit(key, value));
        if (h->unified)
            w.push_back({"memory", key, memV2(v)});
        else
            w.push_back(
                {"memory", key == "memory.max" ? "memory.limit_in_bytes" : "memory.soft_limit_in_bytes", memV1(v)});
    } else if (key == "memory.swap.max") {
        XC_ASSIGN(auto h, need(layout, key, "memory"));
        XC_ASSIGN(auto v, parseMemoryLimit(key, value));
        if (!h->unified)
            return Error::msg(
                "cgroup memory.swap.max: on cgroup v1 it is memory.memsw.limit_in_bytes = memory.max + swap; "
                "set it with Cgroup::set or together with memory.max",
                EINVAL);
        w.push_back({"memory", "memory.swap.max", memV2(v), true});
    } else if (key == "cpu.weight") {
        XC_ASSIGN(auto h, need(layout, key, "cpu"));
        auto v = parseU64(value);
        if (!v || *v < 1 || *v > kMaxWeight) return badValue(key, value, "1..10000");
        if (h->unified)
            w.push_back({"cpu", "cpu.weight", std::to_string(*v)});
        else
            w.push_back({"cpu", "cpu.shares", std::to_string(cpuSharesFromWeight(*v))});
    } else if (key == "cpu.max") {
        XC_ASSIGN(auto h, need(layout, key, "cpu"));
        XC_ASSIGN(CpuMax m, parseCpuMax(value).ctx("cgroup cpu.max"));
        std::string quota = m.quotaUs < 0 ? "" : std::to_string(m.quotaUs);
        if (h->unified) {
            w.push_back({"cpu", "cpu.max", (quota.empty() ? "max" : quota) + " " + std::to_string(m.periodUs)});
        } else {
            w.push_back({"cpu", "cpu.cfs_period_us", std::to_string(m.periodUs)});
            w.push_back({"cpu", "cpu.cfs_quota_us", quota.empty() ? "-1" : quota});
        }
    } else if (key == "cpuset.cpus" || key == "cpuset.mems") {
        XC_TRY(need(layout, key, "cpuset"));
        XC_TRY(validateCpuList(value).ctx("cgroup " + key));
        w.push_back({"cpuset", key, trim(value)});
    } else if (key == "pids.max") {
        XC_TRY(need(layout, key, "pids"));
        if (isMax(value)) {
            w.push_back({"pids", key, "max"});
        } else {
            auto v = parseU64(value);
            if (!v || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                return badValue(key, value, "a number of processes or max");
            w.push_back({"pids", key, std::to_string(*v)});
        }
    } else if (readOnlyKey(key)) {
        return Error::msg("cgroup key '" + key + "' is read-only", EPERM);
    } else {
        XC_ASSIGN(std::string controller, rawController(layout, key, true));
        w.push_back({controller, key, value});
    }
    return w;
}

Result<std::vector<CgroupWrite>> mapCgroupSettings(const CgroupLayout& layout, const CgroupSettings& s) {
    std::vector<CgroupWrite> out;
    auto add = [&](const std::string& key, const std::string& value) -> Status {
        XC_ASSIGN(auto ws, mapCgroupKey(layout, key, value));
        out.insert(out.end(), ws.begin(), ws.end());
        return {};
    };
    auto mem = [](uint64_t v) { return v == UINT64_MAX ? std::string("max") : std::to_string(v); };
    // cpuset first: a v1 cpuset group takes no process before it has cpus and mems.
    if (s.cpusetCpus) XC_TRY(add("cpuset.cpus", *s.cpusetCpus));
    if (s.cpusetMems) XC_TRY(add("cpuset.mems", *s.cpusetMems));
    // memory before memsw: v1 refuses memsw below the memory limit.
    if (s.memoryMax) XC_TRY(add("memory.max", mem(*s.memoryMax)));
    if (s.memoryHigh) XC_TRY(add("memory.high", mem(*s.memoryHigh)));
    if (s.memorySwapMax) {
        XC_ASSIGN(auto h, need(layout, "memory.swap.max", "memory"));
        if (h->unified) {
            XC_TRY(add("memory.swap.max", mem(*s.memorySwapMax)));
        } else {
            // v1 limits memory+swap together: swap on top of the memory limit.
            std::string memsw = "-1";
            bool memLimited = s.memoryMax && *s.memoryMax != UINT64_MAX;
            if (memLimited && *s.memorySwapMax != UINT64_MAX) {
                if (*s.memorySwapMax > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - *s.memoryMax)
                    return badValue("memory.swap.max", std::to_string(*s.memorySwapMax), "too large");
                memsw = std::to_string(*s.memoryMax + *s.memorySwapMax);
            }
            out.push_back({"memory", "memory.memsw.limit_in_bytes", memsw, true});
        }
    }
    if (s.cpuWeight) XC_TRY(add("cpu.weight", std::to_string(*s.cpuWeight)));
    if (s.cpuQuotaUs || s.cpuPeriodUs) {
        std::string quota = !s.cpuQuotaUs || *s.cpuQuotaUs < 0 ? "max" : std::to_string(*s.cpuQuotaUs);
        XC_TRY(add("cpu.max", quota + " " + std::to_string(s.cpuPeriodUs.value_or(100000))));
    }
    if (s.pidsMax) XC_TRY(add("pids.max", *s.pidsMax < 0 ? "max" : std::to_string(*s.pidsMax)));
    for (const auto& [file, value] : s.raw) XC_TRY(add(file, value));
    return out;
}

Result<CgroupWrite> mapCgroupRead(const CgroupLayout& layout, const std::string& key) {
    auto pick = [&](const char* controller, const char* v2file, const char* v1file) -> Result<CgroupWrite> {
        XC_ASSIGN(auto h, need(layout, key, controller));
        return CgroupWrite{controller, h->unified ? v2file : v1file, ""};
    };
    if (key == "memory.max") return pick("memory", "memory.max", "memory.limit_in_bytes");
    if (key == "memory.high") return pick("memory", "memory.high", "memory.soft_limit_in_bytes");
    if (key == "memory.swap.max") return pick("memory", "memory.swap.max", "memory.memsw.limit_in_bytes");
    if (key == "memory.current") return pick("memory", "memory.current", "memory.usage_in_bytes");
    if (key == "cpu.weight") return pick("cpu", "cpu.weight", "cpu.shares");
    if (key == "cpu.max") return pick("cpu", "cpu.max", "cpu.cfs_quota_us");
    if (key == "cpuset.cpus" || key == "cpuset.mems") return pick("cpuset", key.c_str(), key.c_str());
    if (key == "pids.max" || key == "pids.current") return pick("pids", key.c_str(), key.c_str());
    if (key == "cpu.stat") {
        // Usage in ns: v1 cpuacct.usage, else the cgroup2 core file cpu.stat.
        const CgroupHierarchy* h = layout.forController("cpuacct");
        if (h && !h->unified) return CgroupWrite{"cpuacct", "cpuacct.usage", ""};
        if (layout.unified()) return CgroupWrite{"", "cpu.stat", ""};
        return Error::msg("cgroup cpu.stat: this host has neither cpuacct nor cgroup2", ENOENT);
    }
    XC_ASSIGN(std::string controller, rawController(layout, key, false));
    return CgroupWrite{controller, key, ""};
}

}  // namespace xc
