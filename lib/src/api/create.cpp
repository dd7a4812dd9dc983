// Creating and destroying containers: the template run, the merged
// config, and a guarantee that a failure leaves nothing behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "cgroup/cgroup.hpp"
#include "xc/container.hpp"
#include "base/fsutil.hpp"
#include "base/lock.hpp"
#include "base/scope.hpp"
#include "net/net.hpp"
#include "process/process.hpp"

namespace xc {

namespace {

Result<std::string> findTemplate(const HostPaths& host, const std::string& name) {
    if (name.empty()) return Error::msg("no template given (use -t busybox, or -t /path/to/template)", EINVAL);
    std::string path = name.find('/') != std::string::npos ? name : host.templateDir + "/" + name;
    // One that exists is run: if it cannot be (not executable, a missing
    // interpreter), the exec's errno says why.
    if (::access(path.c_str(), F_OK) == 0) return path;
    std::string avail;
    if (auto names = listDir(host.templateDir))
        for (const auto& n : *names)
            if (n != "README.md") avail += (avail.empty() ? "" : ", ") + n;
    return Error::msg("no template '" + name + "' (looked for " + path +
                          (avail.empty() ? std::string(")") : "; available: " + avail + ")"),
                      ENOENT);
}

Status runTemplate(const std::string& tmpl, const std::vector<std::string>& args, const Log& log) {
    Program cmd;
    cmd.argv = {tmpl};
    cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
    cmd.stdinFd = 0;
    cmd.stdoutFd = 1;
    cmd.stderrFd = 2;
    std::string cmdline;
    for (const auto& a : cmd.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
    log.info("running template: " + cmdline);
    // The template dies with us (parent-death signal): a killed xc-create
    // leaves no template writing into a directory nobody will commit.
    XC_ASSIGN(Process child, startProgram(cmd).ctx("run template " + tmpl));
    XC_ASSIGN(int status, child.wait().ctx("wait for template " + tmpl));
    if (status != 0) return Error::msg("template " + tmpl + " failed: it " + describeWaitStatus(status), EIO);
    return {};
}

}  // namespace

Status Container::create(const CreateOptions& o, const Log& log) {
    if (o.backend != "dir")
        return Error::msg("backing store '" + o.backend + "' is not supported by xc-create yet (use -B dir)", ENOTSUP);
    if (defined() || pathExists(paths_.dir())) return Error::msg("already exists in " + paths_.base(), EEXIST);
    XC_ASSIGN(std::string tmpl, findTemplate(host_, o.templateName));

    // Check the admin's settings before anything is made.
    CreateInputs in;
    if (pathExists(host_.defaultConf())) in.defaults = host_.defaultConf();
    in.userConf = o.configFile;
    in.name = name();
    in.rootfsPath = paths_.defaultRootfs();
    in.backend = o.backend;
    XC_TRY(buildCreateConfig(in));

    XC_TRY(makeDirs(paths_.runDir(), 0700));
    auto lock = RunLock::tryAcquire(paths_.lockFile());
    if (!lock) {
        if (lock.error().code() == EBUSY) return Error::msg("is being created, started or destroyed by another command", EBUSY);
        return std::move(lock).error();
    }
    // No lock file is left, whatever happens (declared after `lock`, so
    // it runs while the lock is still held).
    ScopeExit dropLockFile([&] { lock->removeFile(); });
    XC_TRY(makeDirs(paths_.base(), 0755));
    if (::mkdir(paths_.dir().c_str(), 0750) < 0) {
        if (errno == EEXIST) return Error::msg("already exists in " + paths_.base(), EEXIST);
        return Error::sys("create " + paths_.dir());
    }
    // A half-made container directory goes unless the create commits.
    ScopeExit removeDir([&] { (void)removeTree(paths_.dir()); });
    if (::mkdir(paths_.defaultRootfs().c_str(), 0755) < 0) return Error::sys("create " + paths_.defaultRootfs());

    std::string tmplConf = paths_.dir() + "/template.conf";
    std::vector<std::string> args = {"--name", name(), "--path", paths_.dir(), "--rootfs", paths_.defaultRootfs(),
                                     "--config", tmplConf};
    args.insert(args.end(), o.templateArgs.begin(), o.templateArgs.end());
    XC_TRY(runTemplate(tmpl, args, log));

    // The template's output is untrusted input like any config file.
    if (pathExists(tmplConf)) in.templateConf = tmplConf;
    XC_ASSIGN(std::string text, buildCreateConfig(in).ctx("config written by template " + o.templateName));
    // Each veth/macvlan gets its hardware address now, once: kept across restarts.
    XC_ASSIGN(text, assignHwaddrs(text));
    XC_TRY(writeFileAtomic(paths_.configFile(), text, 0640));
    ::unlink(tmplConf.c_str());
    removeDir.dismiss();
    log.info("created with template " + tmpl);
    return {};
}

Status Container::destroy(bool force) {
    if (!defined() && !pathExists(paths_.dir())) return undefinedError();
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    auto lock = RunLock::tryAcquire(paths_.lockFile());
    if (!lock && lock.error().code() == EBUSY) {
        if (!force) return Error::msg("is running; stop it first (xc-stop -n " + name() + ") or use -f", EBUSY);
        StopOptions so;
        so.kill = true;
        XC_TRY(stop(so).ctx("destroy"));
        lock = RunLock::tryAcquire(paths_.lockFile());
    }
    if (!lock) return std::move(lock).error();
    // Nobody supervises it, yet processes may be left (a supervisor killed
    // before it could take them down): they go with the container.
    if (auto layout = CgroupLayout::detect()) {
        Cgroup cg(*layout, paths_.cgroupPath());
        if (cg.exists()) {
            (void)cg.killAll();
            (void)cg.waitEmpty(std::chrono::milliseconds(5000));
            XC_TRY(cg.destroy().ctx("destroy: remove the container's cgroup"));
        }
    }
    XC_TRY(removeTree(paths_.dir()).ctx("destroy"));
    lock->removeFile();
    return {};
}

}  // namespace xc
