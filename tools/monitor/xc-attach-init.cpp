// xc-attach-init: the last stage of xc-attach, run by the library from a
// sealed in-memory copy of this file (see lib/src/api/attach.hpp). Not
// meant to be run by hand. Linked statically: it maps nothing but itself.
#include "api/attach.hpp"

int main(int argc, char** argv, char** envp) { return xc::runAttachInit(argc, argv, envp); }
