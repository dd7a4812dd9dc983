// The xc Python module's pieces: one container object over xc::Container,
// its config editor, and the error convention (True/False plus c.error, or
// xc.Error when xc.raise_errors(True)).
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "xc/config_editor.hpp"
#include "xc/container.hpp"
#include "xc/context.hpp"

namespace xcpy {

namespace py = pybind11;

// xc.raise_errors(): whether failures raise xc.Error.
bool raising();
void setRaising(bool on);
// Raises xc.Error (errno, strerror, hint, chain) for `e`.
[[noreturn]] void raiseError(const xc::Error& e);

class PyContainer {
public:
    PyContainer(const std::string& name, const std::optional<std::string>& configPath);

    const std::string& name() const { return container_->name(); }
    std::string configPath() const { return container_->paths().base(); }
    std::string configFileName() const { return container_->paths().configFile(); }
    const std::string& error() const { return error_; }
    bool defined() const;
    std::string state() const;
    bool running() const;
    int initPid() const;

    // Lifecycle (pycontainer.cpp).
    bool create(const std::optional<std::string>& tmpl, int flags, const py::object& args,
                const std::optional<std::string>& bdevtype);
    bool start(bool useinit, bool daemonize, const std::vector<std::string>& cmd);
    bool stop();
    bool shutdown(int timeout);
    bool reboot();
    bool freeze();
    bool unfreeze();
    bool destroy();
    py::object clone(const std::string& newname, const std::optional<std::string>& configPath, int flags,
                     const std::optional<std::string>& bdevtype);
    bool rename(const std::string& newname);
    bool destroyWithSnapshots();
    // Snapshots (pysnapshot.cpp).
    py::object snapshot(const std::optional<std::string>& comment);
    py::object snapshotList();
    bool snapshotRestore(const std::string& name, const std::optional<std::string>& newname);
    bool snapshotDestroy(const std::string& name);
    bool wait(const std::string& state, double timeout);
    bool console(int ttynum, int stdinfd, int stdoutfd, int stderrfd, int escape);
    py::tuple getIps(const std::optional<std::string>& interface, const std::optional<std::string>& family,
                     const std::optional<int>& scope);
    py::tuple getInterfaces();
    py::object getCgroupItem(const std::string& key);
    bool setCgroupItem(const std::string& key, const std::string& value);

    // Attach (pyattach.cpp).
    int attachWait(const py::object& run, const py::object& payload, const py::kwargs& kw);
    int attach(const py::object& run, const py::object& payload, const py::kwargs& kw);

    // Config (pyconfig.cpp).
    py::object getConfigItem(const std::string& key);
    bool setConfigItem(const std::string& key, const py::object& value);
    bool appendConfigItem(const std::string& key, const py::object& value);
    bool clearConfigItem(const std::string& key);
    py::object getKeys(const std::optional<std::string>& key);
    bool saveConfig(const std::optional<std::string>& path);
    bool loadConfig(const std::optional<std::string>& path);

    // Records a failure: c.error, and xc.Error when raising. Returns false.
    bool fail(const xc::Error& e);
    bool succeed() {
        error_.clear();
        return true;
    }
    // The editor of the config file, loaded at first use.
    xc::ConfigEditor* editor();
    xc::Container& container() { return *container_; }
    const xc::Context& context() const { return *context_; }

private:
    // Saves unsaved config changes before a start (xc's supervisor reads the file).
    bool flushConfig();

    std::optional<xc::Context> context_;
    std::optional<xc::Container> container_;
    std::optional<xc::ConfigEditor> editor_;
    std::string error_;
};

void bindAttach(py::module_& m, py::class_<PyContainer>& cls);
void bindConfig(py::class_<PyContainer>& cls);

// attach_run_command / attach_run_shell: what `run` may be.
enum class RunKind { Command, Shell };
extern py::handle runCommandMarker, runShellMarker;

}  // namespace xcpy
