// xc-create: build a container's rootfs with a template and write its config.
#include "common.hpp"

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-create", "Create a system container from a template",
                 "DESCRIPTION\n"
                 "  Runs TEMPLATE to fill <path>/<name>/rootfs and writes <path>/<name>/config:\n"
                 "  /etc/xc/default.conf, then what the template asks for, then the settings of -f,\n"
                 "  each merged over the one before (groups key by key, lists whole). Every input is\n"
                 "  validated first; any failure removes everything the create made.\n"
                 "  TEMPLATE is a name from the template directory (e.g. busybox) or a path.\n"
                 "  Arguments after -- go to the template (see: xc-create -t busybox -n x -- --help).\n\n"
                 "EXAMPLES\n"
                 "  xc-create -n web -t busybox\n"
                 "  xc-create -n db -t busybox -f db.conf -- --ttys 2\n\n"
                 "EXIT STATUS\n  0 created, 1 failed (nothing left behind), 2 usage error");
    CreateOptions o;
    t.app().add_option("-t,--template", o.templateName, "Template name or path")->required();
    t.app().add_option("-f,--config", o.configFile, "Config file merged over the defaults");
    t.app().add_option("-B,--bdev", o.backend, "Backing store: dir (default)");
    t.app().add_option("template-args", o.templateArgs, "Arguments for the template (after --)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (auto st = c->create(o, t.log()); !st) return t.fail(st.error());
    return 0;
}
