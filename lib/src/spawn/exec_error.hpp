// The error of a failed exec of a container's init (exec_error.cpp).
#pragma once

#include <string>

#include "xc/result.hpp"

namespace xc {

// `err` is execve's errno; called in the child after pivot_root. An
// ENOENT for a program that exists names what is missing: the interpreter
// of its "#!" line or its ELF loader ("init /sbin/init: interpreter
// /bin/nosuch not found in the container"); otherwise "exec PROGRAM in the
// container: <errno>".
Error initExecError(int err, const std::string& program);

}  // namespace xc
