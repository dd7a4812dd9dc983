// The command a tty.login starts on tty N: "%t" names the tty, "%%" is a
// percent sign, anything else passes as written.
#include <gtest/gtest.h>

#include "monitor/tty_logins.hpp"

using namespace xc;

TEST(TtyLogin, PercentTNamesTheTtyAndPercentPercentIsOnePercent) {
    const std::vector<std::string> cmd = {"/sbin/getty", "-L", "0", "%t", "vt100"};
    EXPECT_EQ(loginCommandFor(cmd, 1), (std::vector<std::string>{"/sbin/getty", "-L", "0", "tty1", "vt100"}));
    EXPECT_EQ(loginCommandFor(cmd, 40), (std::vector<std::string>{"/sbin/getty", "-L", "0", "tty40", "vt100"}));
    EXPECT_EQ(loginCommandFor({"/bin/x", "/dev/%t", "%%t", "100%%", "%t%t"}, 3),
              (std::vector<std::string>{"/bin/x", "/dev/tty3", "%t", "100%", "tty3tty3"}));
    EXPECT_EQ(loginCommandFor({"/bin/login", "-f", "root"}, 2), (std::vector<std::string>{"/bin/login", "-f", "root"}));
}
