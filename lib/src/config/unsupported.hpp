// What the config schema accepts but this xc cannot do yet. The schema
// keeps these keys valid (configs written for later versions stay
// readable); the start path refuses a config that uses one, and
// xc-checkconfig lists them, both from this one table.
#pragma once

#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/result.hpp"

namespace xc {

struct UnsupportedFeature {
    std::string name;    // "overlay rootfs", "idmap"
    std::string detail;  // what is accepted, what is refused, what to use instead
};
std::vector<UnsupportedFeature> unsupportedFeatures();

// ENOTSUP naming the first such feature the config uses; ok if none.
Status checkSupported(const ContainerConfig& c);

}  // namespace xc
