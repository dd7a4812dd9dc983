// xc-unfreeze: thaw a frozen container.
#include "common.hpp"

int xc_unfreeze_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-unfreeze", "Thaw a frozen container",
                 "EXAMPLES\n  xc-unfreeze -n web\n\nEXIT STATUS\n  0 thawed, 1 failed, 2 usage error");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    tool::Tool::preferShortWaits();
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (auto st = c->thaw(); !st) return t.fail(st.error());
    return 0;
}
