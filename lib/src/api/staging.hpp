// Where a create builds and a destroy tears down, so that neither can be
// seen half done: a create fills a hidden staging directory and renames it
// to BASE/NAME on commit; a destroy renames BASE/NAME to a hidden trash
// name first and removes it from there. Whatever an interrupted one leaves
// is hidden (no tool lists it as a container) and is removed under the
// container's run lock the next time create, destroy or ls runs.
#pragma once

#include <string>
#include <vector>

#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc::staging {

// BASE/.xc-staging-NAME-XXXXXX, made empty with mode 0750.
Result<std::string> makeStagingDir(const ContainerPaths& p);
// Renames the staging directory to BASE/NAME, never over anything there.
Status commit(const std::string& stagingDir, const ContainerPaths& p);

// The hidden directories interrupted creates and destroys of NAME left.
std::vector<std::string> leftoversOf(const std::string& base, const std::string& name);
// Removes them; the caller holds NAME's run lock. One notice line per
// directory is logged (NOTICE) and returned.
Result<std::vector<std::string>> removeLeftovers(const std::string& base, const std::string& name, const Log& log);

// Runs a template over the staging directory so that nothing it starts
// outlives the create (template.cpp): it keeps `lockFd` (the create's run
// lock) for as long as any of its processes lives.
// `env` is added to the caller's environment (NAME=VALUE entries).
Status runTemplate(const std::string& tmpl, const std::vector<std::string>& args,
                   const std::vector<std::string>& env, int lockFd, const Log& log);

}  // namespace xc::staging
