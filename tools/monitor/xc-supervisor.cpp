// xc-supervisor: the per-container supervisor, started by xc-start. Not meant
// to be run by hand; its options are xc-start's internal interface.
#include "xc/supervisor.hpp"

int main(int argc, char** argv) { return xc::runSupervisor(argc, argv); }
