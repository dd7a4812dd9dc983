// xc-checkconfig's two output forms of the host report (xc/hostcheck.hpp).
#pragma once

#include <string>
#include <vector>

#include "json.hpp"
#include "xc/hostcheck.hpp"

namespace xc::tool {

// Human-readable report, grouped by section in the order the items come:
//   --- Namespaces ---
//     pid:     enabled
//     time:    missing (rebuild ...)
//       -> fix: ...
// Status words: enabled (Ok), missing (Missing), warning (Warn), "not
// supported by this xc yet" (Unsupported); an Info item shows its detail
// only. With `color`, ANSI colours: green enabled, red missing of a required
// item, yellow warnings and optional missing items. Ends with a summary
// line: "N required features missing" (with "(M of them unverified)" when
// some required items could only be warned about, e.g. probes that need
// root) or "All required features are available".
std::string formatProbeItems(const std::vector<ProbeItem>& items, bool color);

// A JSON array of objects {"section","name","status","required","detail","fix"}.
std::string probeItemsJson(const std::vector<ProbeItem>& items);

}  // namespace xc::tool
