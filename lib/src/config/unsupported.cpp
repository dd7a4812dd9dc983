#include "config/unsupported.hpp"

namespace xc {

std::vector<UnsupportedFeature> unsupportedFeatures() {
    return {
        {"overlay rootfs",
         "the config schema accepts rootfs.backend = \"overlay\", but xc-create -B overlay and xc-start refuse it; "
         "use backend \"dir\""},
    };
}

Status checkSupported(const ContainerConfig& c) {
    if (c.rootfsBackend != "dir")
        return Error::msg("rootfs.backend \"" + c.rootfsBackend + "\" is not supported by this xc build yet (use \"dir\")",
                          ENOTSUP);
    return {};
}

}  // namespace xc
