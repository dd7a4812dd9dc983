// xc.Container.attach_wait / attach: a command inside the running
// container, through libxc's attach (which forks; the interpreter never
// enters a namespace). `run` is xc.attach_run_command (payload: argv) or
// xc.attach_run_shell (the user's shell); a Python function cannot run
// inside, since xc execs only sealed, static helpers there.
#include <sys/wait.h>

#include <cstdlib>

#include "pyxc.hpp"

namespace xcpy {

py::handle runCommandMarker, runShellMarker;

namespace {

constexpr int kKeepEnv = 0;   // LXC_ATTACH_KEEP_ENV
constexpr int kClearEnv = 1;  // LXC_ATTACH_CLEAR_ENV

int fdOf(const py::object& o, int dflt) {
    if (o.is_none()) return dflt;
    if (py::isinstance<py::int_>(o)) return o.cast<int>();
    if (py::hasattr(o, "fileno")) return o.attr("fileno")().cast<int>();
    throw py::type_error("attach: stdin, stdout and stderr are files (with fileno()) or fds");
}

std::vector<std::string> strings(const py::object& o) {
    std::vector<std::string> out;
    if (o.is_none()) return out;
    if (py::isinstance<py::str>(o)) return {o.cast<std::string>()};
    for (auto item : o) out.push_back(py::str(item).cast<std::string>());
    return out;
}

// python3-lxc's keyword arguments, as AttachOptions.
xc::AttachOptions attachOptions(const py::object& run, const py::object& payload, const py::kwargs& kw) {
    xc::AttachOptions o;
    o.pty = xc::AttachOptions::Pty::Never;
    if (run.is(runCommandMarker)) {
        o.cmd = strings(payload);
        if (o.cmd.empty()) throw py::value_error("attach_run_command: the payload is the command's argv, not empty");
    } else if (!run.is(runShellMarker)) {
        throw py::type_error("attach: run is xc.attach_run_command (payload: argv) or xc.attach_run_shell; "
                             "a Python function cannot run inside an xc container");
    }
    int envPolicy = kKeepEnv;
    for (auto item : kw) {
        std::string k = py::str(item.first);
        py::object v = py::reinterpret_borrow<py::object>(item.second);
        if (k == "env_policy") envPolicy = v.cast<int>();
        else if (k == "extra_env_vars") o.setEnv = strings(v);
        else if (k == "extra_keep_env") {
            for (const auto& name : strings(v))
                if (const char* val = std::getenv(name.c_str())) o.setEnv.push_back(name + "=" + val);
        } else if (k == "uid") o.uid = v.is_none() || v.cast<long>() < 0 ? 0 : v.cast<uid_t>();
        else if (k == "gid") {
            o.gidSet = !v.is_none() && v.cast<long>() >= 0;
            if (o.gidSet) o.gid = v.cast<gid_t>();
        } else if (k == "stdin") o.stdioFds[0] = fdOf(v, 0);
        else if (k == "stdout") o.stdioFds[1] = fdOf(v, 1);
        else if (k == "stderr") o.stdioFds[2] = fdOf(v, 2);
        else if (k == "initial_cwd") o.cwd = v.is_none() ? "" : v.cast<std::string>();
        else if (k == "namespaces" || k == "personality") {
            if (v.cast<long>() != -1)
                throw py::value_error("attach: " + k + " other than -1 (all of the container's) is not supported");
        } else if (k != "attach_flags") {
            throw py::type_error("attach: unknown keyword argument '" + k + "'");
        }
    }
    if (envPolicy != kKeepEnv && envPolicy != kClearEnv)
        throw py::value_error("attach: env_policy is xc.LXC_ATTACH_KEEP_ENV or xc.LXC_ATTACH_CLEAR_ENV");
    o.keepEnv = envPolicy == kKeepEnv;
    return o;
}

}  // namespace

// The wait status as waitpid gives it (exit code = status >> 8); -1 if the
// attach failed. A command that cannot be run gives 126 or 127 << 8, as a
// shell, with the reason in c.error.
int PyContainer::attachWait(const py::object& run, const py::object& payload, const py::kwargs& kw) {
    xc::AttachOptions o = attachOptions(run, payload, kw);
    xc::Result<xc::AttachStarted> r = xc::Error();
    int status = 0;
    {
        py::gil_scoped_release nogil;
        r = container().attachStart(o);
        if (r && r->pid > 0)
            while (::waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
            }
    }
    if (!r) return fail(r.error().wrap("attach")), -1;
    if (r->execError) return fail(r->execError->wrap("attach")), r->status << 8;
    succeed();
    return status;
}

// The pid of the attached process (the caller reaps it with os.waitpid;
// its status is the command's), or -1.
int PyContainer::attach(const py::object& run, const py::object& payload, const py::kwargs& kw) {
    xc::AttachOptions o = attachOptions(run, payload, kw);
    xc::Result<xc::AttachStarted> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container().attachStart(o);
    }
    if (!r) return fail(r.error().wrap("attach")), -1;
    if (r->execError) return fail(r->execError->wrap("attach")), -1;
    succeed();
    return r->pid;
}

void bindAttach(py::module_& m, py::class_<PyContainer>& cls) {
    m.attr("LXC_ATTACH_KEEP_ENV") = kKeepEnv;
    m.attr("LXC_ATTACH_CLEAR_ENV") = kClearEnv;
    m.def(
        "attach_run_command",
        [](const py::object&) {
            throw py::type_error("xc.attach_run_command is passed to attach_wait()/attach() as `run`, not called");
        },
        "Pass as `run` to Container.attach_wait()/attach(): the payload is the command's argv\n"
        "(a list of strings, or one string for a command without arguments).");
    m.def(
        "attach_run_shell",
        [](const py::object&) {
            throw py::type_error("xc.attach_run_shell is passed to attach_wait()/attach() as `run`, not called");
        },
        "Pass as `run` to Container.attach_wait()/attach(): runs the user's login shell from the\n"
        "container's /etc/passwd (the payload is ignored).");
    // The module holds them for the interpreter's life.
    runCommandMarker = m.attr("attach_run_command").ptr();
    runShellMarker = m.attr("attach_run_shell").ptr();
    const char* kwdoc =
        "Keyword arguments (python3-lxc's): env_policy=LXC_ATTACH_KEEP_ENV (or LXC_ATTACH_CLEAR_ENV:\n"
        "  PATH, HOME, TERM and container=xc only), extra_env_vars=[\"VAR=VALUE\", ...],\n"
        "  extra_keep_env=[\"VAR\", ...] (kept from this process with CLEAR_ENV), uid=0, gid=uid's,\n"
        "  initial_cwd=the user's home, stdin/stdout/stderr=files or fds (default this process's),\n"
        "  namespaces=-1 and personality=-1 (all of the container's; nothing else).\n"
        "Never a pty: stdio passes through untouched. Requires the container RUNNING (not frozen).";
    cls.def("attach_wait", &PyContainer::attachWait, py::arg("run"), py::arg("payload") = py::none(),
            (std::string("attach_wait(run, payload=None, **kwargs) -> int\n\n"
                         "Runs a command inside the running container and waits for it (as xc-attach).\n"
                         "Returns the wait status as os.waitpid gives it (exit code = status >> 8), 126 or\n"
                         "127 << 8 if the command cannot be run (c.error says why), -1 if the attach failed.\n\n") +
             kwdoc)
                .c_str());
    cls.def("attach", &PyContainer::attach, py::arg("run"), py::arg("payload") = py::none(),
            (std::string("attach(run, payload=None, **kwargs) -> int\n\n"
                         "Starts a command inside without waiting: returns the pid of a child of this process\n"
                         "that exits as the command does (reap it with os.waitpid), or -1. The child dies with\n"
                         "the thread that called attach().\n\n") +
             kwdoc)
                .c_str());
}

}  // namespace xcpy
