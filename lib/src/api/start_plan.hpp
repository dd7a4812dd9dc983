// The start plan as xc-start --dry-run shows it (Container::startPlan).
#pragma once

#include <vector>

#include "plan/plan.hpp"
#include "xc/container.hpp"

namespace xc {

// Every part of `plan`, section by section, in the order the start runs it.
std::vector<PlanSection> describeStartPlan(const StartPlan& plan);

}  // namespace xc
