// The xc Python module: python3-lxc's surface over libxc, so that a script
// ports with `import xc as lxc`.
#include <cstring>

#include "pyxc.hpp"
#include "xc/state.hpp"

namespace xcpy {

namespace {
bool gRaise = false;
py::handle gErrorClass;  // the module holds it

// The context an error was wrapped in, outermost first: "start c1",
// "mount /proc", ... (the message split at ": ", the reason last).
py::list chainOf(const xc::Error& e) {
    py::list out;
    std::string m = e.message();
    size_t start = 0;
    for (size_t p; (p = m.find(": ", start)) != std::string::npos; start = p + 2) out.append(m.substr(start, p - start));
    out.append(m.substr(start));
    return out;
}
}  // namespace

bool raising() { return gRaise; }
void setRaising(bool on) { gRaise = on; }

void raiseError(const xc::Error& e) {
    py::object err = gErrorClass(e.messageWithHint());
    err.attr("errno") = e.code();
    err.attr("strerror") = e.code() ? std::strerror(e.code()) : "";
    err.attr("hint") = e.hint();
    err.attr("chain") = chainOf(e);
    PyErr_SetObject(gErrorClass.ptr(), err.ptr());
    throw py::error_already_set();
}

namespace {

py::object listContainers(bool active, bool defined, bool asObject, const std::optional<std::string>& configPath) {
    xc::ContextOptions o;
    o.base = configPath.value_or("");
    auto ctx = xc::Context::open(o);
    if (!ctx) raiseError(ctx.error());
    xc::Result<std::vector<std::string>> names = xc::Error();
    std::vector<std::string> picked;
    {
        py::gil_scoped_release nogil;
        names = ctx->containerNames();
        if (names)
            for (const auto& n : *names) {
                auto c = ctx->container(n);
                if (!c) continue;
                auto st = c->state();
                bool isActive = st && st->state != xc::State::Stopped;
                if ((defined && c->defined()) || (active && isActive)) picked.push_back(n);
            }
    }
    if (!names) raiseError(names.error().wrap("list containers in " + ctx->base()));
    py::list out;
    for (const auto& n : picked) {
        if (asObject) out.append(py::cast(PyContainer(n, ctx->base())));
        else out.append(n);
    }
    return py::tuple(out);
}

void bindLifecycle(py::class_<PyContainer>& cls) {
    cls.def(py::init<const std::string&, const std::optional<std::string>&>(), py::arg("name"),
            py::arg("config_path") = py::none(),
            "Container(name, config_path=None)\n\n"
            "The container `name` under the base directory config_path (default $XC_PATH, else\n"
            "xc.conf's path, else /var/lib/xc). A bad name raises xc.Error.");
    cls.def("create", &PyContainer::create, py::arg("template") = py::none(), py::arg("flags") = 0,
            py::arg("args") = py::tuple(), py::arg("bdevtype") = py::none(),
            "create(template, flags=0, args=(), bdevtype=None) -> bool\n\n"
            "Creates the container from a template (as xc-create -t): \"busybox\", \"debian\", ... or\n"
            "a path. args: the template's arguments (a list, or a dict {\"release\": \"x\"} given as\n"
            "--release x). bdevtype: the rootfs backend, \"dir\" (default) or \"overlay\".\n"
            "flags: LXC_CREATE_QUIET or 0.");
    cls.def("start", &PyContainer::start, py::arg("useinit") = false, py::arg("daemonize") = true,
            py::arg("cmd") = std::vector<std::string>(),
            "start(useinit=False, daemonize=True, cmd=()) -> bool\n\n"
            "Starts the container under its supervisor (as xc-start) and returns once it is RUNNING;\n"
            "cmd replaces init.cmd. daemonize=False waits until it has stopped again. Unsaved\n"
            "config changes are saved first. useinit=True is not supported.");
    cls.def("stop", &PyContainer::stop,
            "stop() -> bool\n\nKills every process of the container at once (xc-stop -k).");
    cls.def("shutdown", &PyContainer::shutdown, py::arg("timeout") = -1,
            "shutdown(timeout=-1) -> bool\n\n"
            "Sends the init its halt signal and waits for a clean stop (as xc-stop -t): after\n"
            "`timeout` seconds (-1: no limit) what is left is killed.");
    cls.def("reboot", &PyContainer::reboot, "reboot() -> bool\n\nReboots the container (xc-stop -r).");
    cls.def("freeze", &PyContainer::freeze, "freeze() -> bool\n\nFreezes every process (xc-freeze).");
    cls.def("unfreeze", &PyContainer::unfreeze, "unfreeze() -> bool\n\nThaws a frozen container (xc-unfreeze).");
    cls.def("destroy", &PyContainer::destroy,
            "destroy() -> bool\n\nRemoves a stopped container: its directory, rootfs and config (xc-destroy).");
    cls.def("clone", &PyContainer::clone, py::arg("newname"), py::arg("config_path") = py::none(),
            py::arg("flags") = 0, py::arg("bdevtype") = py::none(),
            "clone(newname, config_path=None, flags=0, bdevtype=None) -> Container | False\n\n"
            "Copies this stopped container as `newname` (as xc-clone), under config_path (default\n"
            "this container's). LXC_CLONE_SNAPSHOT makes a snapshot clone (xc-clone -s: an overlay\n"
            "over this container's rootfs, nothing copied; this one then cannot start or be\n"
            "destroyed while the clone exists). bdevtype: \"dir\" or \"overlay\" (default this one's).\n"
            "LXC_CLONE_KEEPBDEVTYPE and LXC_CLONE_MAYBE_SNAPSHOT are accepted; KEEPNAME and\n"
            "KEEPMACADDR are refused.");
    cls.def("rename", &PyContainer::rename, py::arg("newname"),
            "rename(newname) -> bool\n\nRenames this stopped container; the object then names the new one.");
    cls.def("wait", &PyContainer::wait, py::arg("state"), py::arg("timeout") = -1,
            "wait(state, timeout=-1) -> bool\n\n"
            "Waits until the container is in `state` (\"RUNNING\", \"STOPPED\", \"FROZEN\", ...) for at\n"
            "most `timeout` seconds (-1: no limit), as xc-wait.");
    cls.def("console", &PyContainer::console, py::arg("ttynum") = -1, py::arg("stdinfd") = 0,
            py::arg("stdoutfd") = 1, py::arg("stderrfd") = 2, py::arg("escape") = 1,
            "console(ttynum=-1, stdinfd=0, stdoutfd=1, stderrfd=2, escape=1) -> bool\n\n"
            "Attaches the terminal on stdinfd/stdoutfd to the console (ttynum -1 or 0) or /dev/ttyN\n"
            "until Ctrl-a q (escape: the prefix, 1 = Ctrl-a), as xc-console.");
    cls.def("get_ips", &PyContainer::getIps, py::arg("interface") = py::none(), py::arg("family") = py::none(),
            py::arg("scope") = py::none(),
            "get_ips(interface=None, family=None, scope=None) -> tuple[str, ...]\n\n"
            "Addresses inside the running container: of `interface` (else all but lo), of family\n"
            "\"inet\" or \"inet6\" (else both, IPv4 first), of scope (RT_SCOPE_*, default 0: global).");
    cls.def("get_interfaces", &PyContainer::getInterfaces,
            "get_interfaces() -> tuple[str, ...]\n\nThe interfaces inside the running container (lo too).");
    cls.def("get_cgroup_item", &PyContainer::getCgroupItem, py::arg("key"),
            "get_cgroup_item(key) -> str | False\n\n"
            "A cgroup value of the running container, in the config's vocabulary (\"memory.max\",\n"
            "\"pids.max\", ... on v1 and v2; other files by their name), as xc-cgroup.");
    cls.def("set_cgroup_item", &PyContainer::setCgroupItem, py::arg("key"), py::arg("value"),
            "set_cgroup_item(key, value) -> bool\n\nSets a cgroup value of the running container (not saved).");
}

// python3-lxc's snapshot methods (xc-snapshot).
void bindSnapshots(py::class_<PyContainer>& cls) {
    cls.def("destroy_with_snapshots", &PyContainer::destroyWithSnapshots,
            "destroy_with_snapshots() -> bool\n\nRemoves a stopped container with its snapshots and snapshot\n"
            "clones (xc-destroy -s).");
    cls.def("snapshot", &PyContainer::snapshot, py::arg("comment") = py::none(),
            "snapshot(comment=None) -> str | False\n\n"
            "Takes a snapshot of this stopped (or frozen) container, with `comment` (the text), as\n"
            "xc-snapshot; returns its name (\"snap0\", \"snap1\", ...).");
    cls.def("snapshot_list", &PyContainer::snapshotList,
            "snapshot_list() -> tuple[tuple[str, str, str, int], ...]\n\n"
            "The snapshots, oldest first: (name, comment, time, size) each, time as\n"
            "\"YYYY-MM-DDTHH:MM:SSZ\" (UTC), size in bytes of disk (as xc-snapshot -L).");
    cls.def("snapshot_restore", &PyContainer::snapshotRestore, py::arg("name"), py::arg("newname") = py::none(),
            "snapshot_restore(name, newname=None) -> bool\n\n"
            "Restores snapshot `name` into this stopped container, or into a new container `newname`\n"
            "(xc-snapshot -r NAME [-N NEWNAME]).");
    cls.def("snapshot_destroy", &PyContainer::snapshotDestroy, py::arg("name"),
            "snapshot_destroy(name) -> bool\n\nDestroys snapshot `name` (xc-snapshot -d).");
}

void bindProperties(py::class_<PyContainer>& cls) {
    cls.def_property_readonly("name", &PyContainer::name, "The container's name.");
    cls.def_property_readonly("config_path", &PyContainer::configPath, "The base directory.");
    cls.def_property_readonly("config_file_name", &PyContainer::configFileName, "The config file's path.");
    cls.def_property_readonly("state", &PyContainer::state,
                              "\"STOPPED\", \"STARTING\", \"RUNNING\", \"STOPPING\", \"ABORTING\", \"FREEZING\", \"FROZEN\".");
    cls.def_property_readonly("running", &PyContainer::running, "True unless STOPPED.");
    cls.def_property_readonly("defined", &PyContainer::defined, "True if the container has a config.");
    cls.def_property_readonly("init_pid", &PyContainer::initPid, "The init's pid on the host, -1 if stopped.");
    cls.def_property_readonly("error", &PyContainer::error,
                              "The error text of the last failed call (\"\" after a success).");
    cls.def("__repr__", [](const PyContainer& c) { return "<xc.Container " + c.name() + " in " + c.configPath() + ">"; });
}

}  // namespace

}  // namespace xcpy

PYBIND11_MODULE(xc, m) {
    using namespace xcpy;
    m.doc() =
        "xc: system containers, python3-lxc's API over libxc (`import xc as lxc` ports scripts).\n\n"
        "Methods return True/False; a failure leaves its error text in c.error, and with\n"
        "xc.raise_errors(True) raises xc.Error (errno, strerror, hint, chain). Config keys are the\n"
        "dotted libconfig paths of xc.container.conf(5). See xc-python(3).";
    gErrorClass = py::handle(PyErr_NewExceptionWithDoc(
        "xc.Error",
        "A failed xc call: str(e) is the whole message; e.errno, e.strerror, e.hint (where to read\n"
        "more) and e.chain (the context, outermost first).",
        PyExc_RuntimeError, nullptr));
    m.attr("Error") = py::reinterpret_borrow<py::object>(gErrorClass);
    m.def(
        "raise_errors",
        [](bool on) {
            bool was = raising();
            setRaising(on);
            return was;
        },
        py::arg("enable") = true,
        "raise_errors(enable=True) -> bool\n\n"
        "Whether failures raise xc.Error instead of returning False; returns the previous setting.");
    m.def("list_containers", &listContainers, py::arg("active") = true, py::arg("defined") = true,
          py::arg("as_object") = false, py::arg("config_path") = py::none(),
          "list_containers(active=True, defined=True, as_object=False, config_path=None) -> tuple\n\n"
          "Names (or Container objects) of the containers under config_path: the defined ones\n"
          "and/or the active (not STOPPED) ones, sorted.");
    m.attr("LXC_CREATE_QUIET") = 1;
    m.attr("LXC_CLONE_KEEPNAME") = 1;
    m.attr("LXC_CLONE_KEEPMACADDR") = 2;
    m.attr("LXC_CLONE_SNAPSHOT") = 4;
    m.attr("LXC_CLONE_KEEPBDEVTYPE") = 8;
    m.attr("LXC_CLONE_MAYBE_SNAPSHOT") = 16;
    m.attr("__version__") = "0.1.0";
    py::class_<PyContainer> cls(m, "Container",
                                "A system container by name under a base directory (python3-lxc's Container).");
    bindProperties(cls);
    bindLifecycle(cls);
    bindSnapshots(cls);
    bindAttach(m, cls);
    bindConfig(cls);
}
