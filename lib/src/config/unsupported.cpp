#include "config/unsupported.hpp"

namespace xc {

std::vector<UnsupportedFeature> unsupportedFeatures() { return {}; }

Status checkSupported(const ContainerConfig&) { return {}; }

}  // namespace xc
