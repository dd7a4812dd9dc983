// xc-user-nic: the set-uid-root helper that gives a non-root user's
// container a veth on a host bridge, within the quota /etc/xc/usernet
// allows (LXC's lxc-user-nic). Its own small static program, never part of
// the multicall binary; installed mode 4755. Everything, the hygiene of a
// set-uid start included, is the library's (lib/src/net/usernic_main.cpp).
#include "net/usernic.hpp"

int main(int argc, char** argv) { return xc::usernet::helperMain(argc, argv); }
