// xc-autostart's plan and its execution (xc/autostart.hpp).
#include "xc/autostart.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

namespace xc {

Result<std::vector<std::string>> parseAutostartGroups(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    auto add = [&](const std::string& g) -> Status {
        for (char c : g)
            if (!std::isgraph(static_cast<unsigned char>(c)))
                return Error::msg("-g: bad group name '" + g + "': no white space", EINVAL);
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
        return {};
    };
    for (const auto& a : args) {
        size_t pos = 0;
        while (true) {
            size_t comma = a.find(',', pos);
            XC_TRY(add(a.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    return out;
}

namespace {

bool selected(const StartSettings& s, const AutostartOptions& o) {
    if (!s.autostart) return false;
    if (o.all) return true;
    std::vector<std::string> want = o.groups.empty() ? std::vector<std::string>{""} : o.groups;
    for (const auto& g : want) {
        if (g.empty() && s.groups.empty()) return true;
        if (std::find(s.groups.begin(), s.groups.end(), g) != s.groups.end()) return true;
    }
    return false;
}

}  // namespace

Result<std::vector<AutostartEntry>> autostartPlan(const Context& ctx, const AutostartOptions& o,
                                                  std::vector<Error>* problems) {
    XC_ASSIGN(auto names, ctx.containerNames());
    std::vector<AutostartEntry> plan;
    for (const auto& n : names) {
        auto c = ctx.container(n);
        if (!c) continue;
        auto cfg = c->config();
        if (!cfg) {
            if (problems) problems->push_back(std::move(cfg).error().wrap(n + ": read the config"));
            continue;
        }
        if (!selected(cfg->start, o)) continue;
        auto st = c->state();
        bool running = st && st->state != State::Stopped;
        if ((o.action == AutostartAction::Start) == running) continue;
        plan.push_back({n, cfg->start.order, cfg->start.delay, cfg->start.groups});
    }
    std::stable_sort(plan.begin(), plan.end(), [](const AutostartEntry& a, const AutostartEntry& b) {
        return a.order != b.order ? a.order < b.order : a.name < b.name;
    });
    if (o.action == AutostartAction::Stop || o.action == AutostartAction::Kill) std::reverse(plan.begin(), plan.end());
    return plan;
}

size_t runAutostart(const Context& ctx, const AutostartOptions& o, const std::vector<AutostartEntry>& plan,
                    const std::function<void(const AutostartEntry&, const Status&)>& report) {
    size_t failed = 0;
    for (size_t i = 0; i < plan.size(); ++i) {
        const AutostartEntry& e = plan[i];
        Status st;
        auto c = ctx.container(e.name);
        if (!c) {
            st = std::move(c).error();
        } else if (o.action == AutostartAction::Start) {
            StartOptions so;
            so.timeout = o.startTimeout;
            so.logLevel = ctx.logLevel();
            st = c->start(so);
            if (!st && st.error().hint().empty()) st = st.error().withHint(c->logHint());
        } else {
            StopOptions so;
            so.timeout = o.stopTimeout;
            so.kill = o.action == AutostartAction::Kill;
            so.reboot = o.action == AutostartAction::Reboot;
            st = c->stop(so);
        }
        if (!st) ++failed;
        if (report) report(e, st);
        // The next one waits this one's start.delay (none after the last).
        if (st && o.action == AutostartAction::Start && o.honourDelay && e.delay > 0 && i + 1 < plan.size())
            std::this_thread::sleep_for(std::chrono::seconds(e.delay));
    }
    return failed;
}

}  // namespace xc
