#include "config/unsupported.hpp"

namespace xc {

std::vector<UnsupportedFeature> unsupportedFeatures() {
    return {
        {"overlay rootfs",
         "the config schema accepts rootfs.backend = \"overlay\", but xc-create -B overlay and xc-start refuse it; "
         "use backend \"dir\""},
        {"idmap",
         "the config schema accepts idmap, the user namespace mappings of unprivileged containers, but xc-start "
         "refuses a config with it; containers run privileged, as root"},
    };
}

Status checkSupported(const ContainerConfig& c) {
    if (c.rootfsBackend != "dir")
        return Error::msg("rootfs.backend \"" + c.rootfsBackend + "\" is not supported by this xc build yet (use \"dir\")",
                          ENOTSUP);
    if (!c.idmap.empty())
        return Error::msg("idmap (unprivileged containers) is not supported by this xc build yet", ENOTSUP);
    return {};
}

}  // namespace xc
