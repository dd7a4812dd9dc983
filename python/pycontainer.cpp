// xc.Container: the lifecycle, state, network and cgroup methods. Every
// blocking call runs with the GIL released; none changes the
// interpreter's own process state (libxc forks for what runs inside).
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <chrono>

#include "pyxc.hpp"

namespace xcpy {

using namespace std::chrono;

namespace {
constexpr int kCreateQuiet = 1;             // LXC_CREATE_QUIET
constexpr int kCloneKeepName = 1;           // LXC_CLONE_KEEPNAME
constexpr int kCloneKeepMac = 2;            // LXC_CLONE_KEEPMACADDR
constexpr int kCloneSnapshot = 4;           // LXC_CLONE_SNAPSHOT
constexpr int kCloneKeepBdev = 8;           // LXC_CLONE_KEEPBDEVTYPE: what a copy does anyway
constexpr int kCloneMaybeSnapshot = 16;     // LXC_CLONE_MAYBE_SNAPSHOT: a copy when no snapshot can be had
// Longest wait for "no timeout" (stays far from the clock's overflow).
constexpr milliseconds kForever = hours(24 * 30);

milliseconds toMs(double seconds) { return seconds < 0 ? kForever : milliseconds(static_cast<long long>(seconds * 1000)); }

// Template arguments: a sequence of strings, or python3-lxc's dict
// {"release": "x"} as "--release x".
std::vector<std::string> templateArgs(const py::object& args) {
    std::vector<std::string> out;
    if (args.is_none()) return out;
    if (py::isinstance<py::dict>(args)) {
        for (auto kv : py::cast<py::dict>(args)) {
            out.push_back("--" + py::str(kv.first).cast<std::string>());
            out.push_back(py::str(kv.second).cast<std::string>());
        }
        return out;
    }
    if (py::isinstance<py::str>(args)) throw py::type_error("create(): args must be a sequence of strings or a dict");
    for (auto a : args) out.push_back(py::str(a).cast<std::string>());
    return out;
}
}  // namespace

PyContainer::PyContainer(const std::string& name, const std::optional<std::string>& configPath) {
    xc::ContextOptions o;
    o.base = configPath.value_or("");
    o.program = "python3";
    auto ctx = xc::Context::open(o);
    if (!ctx) raiseError(ctx.error());
    context_.emplace(std::move(*ctx));
    auto c = context_->container(name);
    if (!c) raiseError(std::move(c).error().wrap("container '" + name + "'"));
    container_.emplace(std::move(*c));
}

bool PyContainer::fail(const xc::Error& e) {
    xc::Error full = e.wrap(name());
    error_ = full.messageWithHint();
    if (raising()) raiseError(full);
    return false;
}

bool PyContainer::defined() const { return container_->defined(); }

std::string PyContainer::state() const {
    xc::Result<xc::StateInfo> st = xc::Error();
    {
        py::gil_scoped_release nogil;
        st = container_->state();
    }
    return st ? xc::stateName(st->state) : "STOPPED";
}

bool PyContainer::running() const { return state() != "STOPPED"; }

int PyContainer::initPid() const {
    xc::Result<xc::StateInfo> st = xc::Error();
    {
        py::gil_scoped_release nogil;
        st = container_->state();
    }
    return st && st->state != xc::State::Stopped ? st->initPid : -1;
}

bool PyContainer::create(const std::optional<std::string>& tmpl, int flags, const py::object& args,
                         const std::optional<std::string>& bdevtype) {
    if (flags & ~kCreateQuiet) return fail(xc::Error::msg("create: unknown flags " + std::to_string(flags), EINVAL));
    if (!tmpl || tmpl->empty())
        return fail(xc::Error::msg("create: name a template (\"busybox\", \"debian\", a path)", EINVAL));
    xc::CreateOptions o;
    o.templateName = *tmpl;
    o.templateArgs = templateArgs(args);
    if (bdevtype) o.backend = *bdevtype;
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->create(o, context_->log());
    }
    editor_.reset();
    return st ? succeed() : fail(st.error());
}

bool PyContainer::flushConfig() {
    if (!editor_ || !editor_->modified()) return true;
    auto st = editor_->save();
    return st ? true : fail(st.error());
}

bool PyContainer::start(bool useinit, bool daemonize, const std::vector<std::string>& cmd) {
    if (useinit)
        return fail(xc::Error::msg("start: useinit (lxc-init as the init of an application container) is not "
                                   "supported: pass the command as cmd",
                                   ENOTSUP));
    if (!flushConfig()) return false;
    xc::StartOptions o;
    o.cmd = cmd;
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->start(o);
        // In the foreground: until the container stops, as lxc-start -F.
        if (st && !daemonize) st = container_->waitFor({xc::State::Stopped}, kForever);
    }
    return st ? succeed() : fail(st.error());
}

namespace {
xc::Status stopWith(xc::Container& c, xc::StopOptions o) {
    py::gil_scoped_release nogil;
    return c.stop(o);
}
}  // namespace

bool PyContainer::stop() {
    xc::StopOptions o;
    o.kill = true;  // python3-lxc's stop(): no clean shutdown
    auto st = stopWith(*container_, o);
    return st ? succeed() : fail(st.error());
}

bool PyContainer::shutdown(int timeout) {
    xc::StopOptions o;
    o.timeout = timeout < 0 ? kForever : milliseconds(seconds(timeout));
    auto st = stopWith(*container_, o);
    return st ? succeed() : fail(st.error());
}

bool PyContainer::reboot() {
    xc::StopOptions o;
    o.reboot = true;
    auto st = stopWith(*container_, o);
    return st ? succeed() : fail(st.error());
}

bool PyContainer::freeze() {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->freeze(seconds(30));
    }
    return st ? succeed() : fail(st.error());
}

bool PyContainer::unfreeze() {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->thaw();
    }
    return st ? succeed() : fail(st.error());
}

bool PyContainer::destroy() {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->destroy(false, context_->log());
    }
    editor_.reset();
    return st ? succeed() : fail(st.error());
}

py::object PyContainer::clone(const std::string& newname, const std::optional<std::string>& configPath, int flags,
                              const std::optional<std::string>& bdevtype) {
    if (flags & (kCloneKeepName | kCloneKeepMac))
        return py::bool_(fail(xc::Error::msg("clone: LXC_CLONE_KEEPNAME and LXC_CLONE_KEEPMACADDR are not supported "
                                             "(a clone has its own name and hardware addresses)",
                                             ENOTSUP)));
    if (flags & ~(kCloneSnapshot | kCloneKeepBdev | kCloneMaybeSnapshot))
        return py::bool_(fail(xc::Error::msg("clone: unknown flags " + std::to_string(flags), EINVAL)));
    xc::CloneOptions o;
    o.newName = newname;
    o.newBase = configPath.value_or("");
    // LXC_CLONE_SNAPSHOT: an overlay over this container's rootfs (xc-clone -s).
    o.snapshot = (flags & kCloneSnapshot) != 0;
    if (bdevtype) o.backend = *bdevtype;
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->clone(o, context_->log());
    }
    if (!st) return py::bool_(fail(st.error()));
    succeed();
    return py::cast(PyContainer(newname, configPath ? *configPath : this->configPath()));
}

bool PyContainer::rename(const std::string& newname) {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->rename(newname, context_->log());
    }
    if (!st) return fail(st.error());
    auto c = context_->container(newname);
    if (!c) return fail(c.error());
    container_.emplace(std::move(*c));
    editor_.reset();
    return succeed();
}

bool PyContainer::wait(const std::string& state, double timeout) {
    auto s = xc::parseState(state);
    if (!s) return fail(s.error().wrap("wait"));
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->waitFor({*s}, toMs(timeout));
    }
    return st ? succeed() : fail(st.error());
}

bool PyContainer::console(int ttynum, int stdinfd, int stdoutfd, int /*stderrfd*/, int escape) {
    xc::ConsoleOptions o;
    o.tty = ttynum < 0 ? 0 : ttynum;
    o.inFd = stdinfd;
    o.outFd = stdoutfd;
    o.escape = escape;
    xc::Result<xc::ConsoleExit> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->console(o);
    }
    return r ? succeed() : fail(r.error());
}

py::tuple PyContainer::getIps(const std::optional<std::string>& interface, const std::optional<std::string>& family,
                              const std::optional<int>& scope) {
    int fam = 0;
    if (family && *family == "inet") fam = AF_INET;
    else if (family && *family == "inet6") fam = AF_INET6;
    else if (family) throw py::value_error("get_ips(): family is \"inet\" or \"inet6\"");
    xc::Result<std::vector<xc::NetAddress>> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->allAddresses();
    }
    py::list out;
    if (!r) {
        fail(r.error());
        return py::tuple(out);
    }
    for (const auto& a : *r) {
        if (interface ? a.interface != *interface : a.interface == "lo") continue;
        if (fam && a.family != fam) continue;
        if (a.scope != scope.value_or(RT_SCOPE_UNIVERSE)) continue;
        out.append(a.address);
    }
    succeed();
    return py::tuple(out);
}

py::tuple PyContainer::getInterfaces() {
    xc::Result<std::vector<std::string>> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->interfaces();
    }
    if (!r) {
        fail(r.error());
        return py::tuple();
    }
    succeed();
    return py::tuple(py::cast(*r));
}

py::object PyContainer::getCgroupItem(const std::string& key) {
    xc::Result<std::string> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->cgroupGet(key);
    }
    if (!r) return py::bool_(fail(r.error()));
    succeed();
    std::string v = *r;
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return py::str(v);
}

bool PyContainer::setCgroupItem(const std::string& key, const std::string& value) {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->cgroupSet(key, value);
    }
    return st ? succeed() : fail(st.error());
}

}  // namespace xcpy
