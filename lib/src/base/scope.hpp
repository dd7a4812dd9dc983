// Undo on the way out: ScopeExit runs one action when its scope ends unless
// dismissed; Rollback collects the undo of each step of a plan and runs
// them in reverse unless the plan committed. Every "made it, so remove it
// if a later step fails" in libxc is one of these two.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace xc {

template <class F>
class [[nodiscard]] ScopeExit {
public:
    explicit ScopeExit(F f) : f_(std::move(f)) {}
    ScopeExit(ScopeExit&& o) noexcept : f_(std::move(o.f_)), armed_(std::exchange(o.armed_, false)) {}
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;
    ScopeExit& operator=(ScopeExit&&) = delete;
    ~ScopeExit() {
        if (armed_) f_();
    }
    // The action will not run.
    void dismiss() { armed_ = false; }

private:
    F f_;
    bool armed_ = true;
};

// Undo steps, newest first. Each undo must not fail loudly: it is the
// cleanup after another error, which is the one the caller reports.
class [[nodiscard]] Rollback {
public:
    Rollback() = default;
    Rollback(const Rollback&) = delete;
    Rollback& operator=(const Rollback&) = delete;
    Rollback(Rollback&& o) noexcept : steps_(std::move(o.steps_)) { o.steps_.clear(); }
    ~Rollback() { run(); }

    // Registers the undo of a step that has just succeeded.
    void add(std::string what, std::function<void()> undo) {
        steps_.push_back({std::move(what), std::move(undo)});
    }
    // The plan succeeded: nothing is undone.
    void commit() { steps_.clear(); }
    // Undoes now, newest first (also what the destructor does).
    void run() {
        while (!steps_.empty()) {
            auto step = std::move(steps_.back());
            steps_.pop_back();
            if (step.undo) step.undo();
        }
    }
    // What would be undone, oldest first (for logs and dry runs).
    std::vector<std::string> pending() const {
        std::vector<std::string> out;
        for (const auto& s : steps_) out.push_back(s.what);
        return out;
    }
    bool empty() const { return steps_.empty(); }

private:
    struct Step {
        std::string what;
        std::function<void()> undo;
    };
    std::vector<Step> steps_;
};

}  // namespace xc
