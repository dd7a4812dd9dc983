// The text (optionally coloured) and JSON forms of xc-checkconfig's report.
#include "checkconfig_report.hpp"

#include <algorithm>
#include <cstdio>

#include "json.hpp"

namespace xc::tool {

using S = ProbeItem::Status;

std::string probeItemsJson(const std::vector<ProbeItem>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        const ProbeItem& it = items[i];
        out += i ? ",\n  " : "\n  ";
        out += "{\"section\": " + jsonString(it.section) + ", \"name\": " + jsonString(it.name) +
               ", \"status\": " + jsonString(probeStatusName(it.status)) +
               ", \"required\": " + (it.required ? "true" : "false") + ", \"detail\": " + jsonString(it.detail) +
               ", \"fix\": " + jsonString(it.fix) + "}";
    }
    out += items.empty() ? "]\n" : "\n]\n";
    return out;
}

namespace {

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kReset = "\033[0m";
constexpr size_t kMaxNameColumn = 26;

std::string paint(const std::string& text, const char* colour, bool color) {
    return color ? colour + text + kReset : text;
}

// The status word, coloured; "" for an Info item (its detail only).
std::string statusWord(const ProbeItem& it, bool color) {
    switch (it.status) {
        case S::Ok:
            return paint("enabled", kGreen, color);
        case S::Missing:
            return paint("missing", it.required ? kRed : kYellow, color);
        case S::Warn:
            return paint("warning", kYellow, color);
        case S::Unsupported:
            return "not supported by this xc yet";
        case S::Info:
            break;
    }
    return "";
}

std::string formatItem(const ProbeItem& it, size_t width, bool color) {
    std::string line = "  " + it.name + ":";
    if (line.size() < width + 3) line.append(width + 3 - line.size(), ' ');
    else line += ' ';
    if (it.status == S::Info) {
        line += it.detail.empty() ? "-" : it.detail;
    } else {
        line += statusWord(it, color);
        std::string extra;
        if (it.required && it.status != S::Ok) extra = "required";
        if (!it.detail.empty()) extra += (extra.empty() ? "" : "; ") + it.detail;
        if (!extra.empty()) line += " (" + extra + ")";
    }
    line += '\n';
    if (it.status != S::Ok && !it.fix.empty()) line += "    -> fix: " + it.fix + "\n";
    return line;
}

std::string summaryLine(const std::vector<ProbeItem>& items, bool color) {
    const size_t missing = countRequiredMissing(items);
    if (missing == 0) return paint("All required features are available", kGreen, color) + "\n";
    const size_t unverified = countRequiredUnverified(items);
    std::string line = std::to_string(missing) + (missing == 1 ? " required feature missing" : " required features missing");
    if (unverified > 0) line += " (" + std::to_string(unverified) + (missing == 1 ? " unverified)" : " of them unverified)");
    return paint(line, kRed, color) + "\n";
}

}  // namespace

std::string formatProbeItems(const std::vector<ProbeItem>& items, bool color) {
    // Sections in the order they first appear; items in their order.
    std::vector<std::string> sections;
    for (const auto& it : items)
        if (std::find(sections.begin(), sections.end(), it.section) == sections.end()) sections.push_back(it.section);
    std::string out;
    for (const auto& sec : sections) {
        size_t width = 0;
        for (const auto& it : items)
            if (it.section == sec) width = std::max(width, it.name.size() + 1);
        width = std::min(width, kMaxNameColumn);
        if (!out.empty()) out += '\n';
        out += paint("--- " + sec + " ---", kBold, color) + "\n";
        for (const auto& it : items)
            if (it.section == sec) out += formatItem(it, width, color);
    }
    if (!out.empty()) out += '\n';
    return out + summaryLine(items, color);
}

}  // namespace xc::tool
