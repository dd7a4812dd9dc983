// The per-container supervisor's entry point: the whole of the xc-supervisor
// program, which Container::start runs (its options are Container::start's
// internal interface, not a user interface).
#pragma once

namespace xc {

// Parses the supervisor's command line, starts the container and
// supervises it until it stops. Returns the process's exit status (0 once
// the container stopped normally, 1 if it could not start, 2 on a bad
// command line).
int runSupervisor(int argc, char** argv);

}  // namespace xc
