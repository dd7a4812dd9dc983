// A program outside the tree, built against the installed libxc through
// xc.pc alone: it drives one container through its whole life. Any failure
// prints "consumer: <step>: <error>" and exits 1 after destroying what it
// made.
#include <xc/container.hpp>
#include <xc/paths.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int fail(const char* step, const xc::Error& e) {
    std::fprintf(stderr, "consumer: %s: %s\n", step, e.message().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: consumer BASE NAME\n");
        return 2;
    }
    const std::string base = argv[1], name = argv[2];
    xc::HostPaths host = xc::HostPaths::fromEnvironment();
    auto c = xc::Container::open(host, base, name);
    if (!c) return fail("open", c.error());

    xc::CreateOptions co;
    co.templateName = "busybox";
    if (auto st = c->create(co, xc::Log()); !st) return fail("create", st.error());
    int rc = 0;
    auto step = [&](const char* what, const xc::Status& st) {
        if (!st && rc == 0) rc = fail(what, st.error());
        return st.ok();
    };
    if (step("start", c->start(xc::StartOptions{}))) {
        auto state = c->state();
        if (!state || state->state != xc::State::Running) {
            std::fprintf(stderr, "consumer: state after start: %s\n",
                         state ? xc::stateName(state->state) : state.error().message().c_str());
            rc = 1;
        }
        xc::AttachOptions ao;
        ao.cmd = {"/bin/sh", "-c", "echo attached-in-$(hostname); exit 7"};
        ao.pty = xc::AttachOptions::Pty::Never;
        auto ex = c->attach(ao);
        if (!ex) {
            rc = fail("attach", ex.error());
        } else if (ex->status != 7) {
            std::fprintf(stderr, "consumer: attach: exit status %d, expected 7\n", ex->status);
            rc = 1;
        }
        xc::StopOptions so;
        so.timeout = std::chrono::milliseconds(10000);
        step("stop", c->stop(so));
    }
    step("destroy", c->destroy(true));
    if (rc == 0) std::printf("consumer: created, started, attached, stopped and destroyed %s\n", name.c_str());
    return rc;
}
