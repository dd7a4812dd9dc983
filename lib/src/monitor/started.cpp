#include "monitor/started.hpp"

#include <unistd.h>

#include "base/fsutil.hpp"
#include "xc/config_editor.hpp"

namespace xc {

Status saveStartedConfig(const ContainerPaths& paths, const std::string& configFile) {
    XC_ASSIGN(ConfigEditor ed, ConfigEditor::load(configFile));
    XC_ASSIGN(std::string text, ed.flattened());
    return writeRuntimeFileAtomic(paths.startedConfigFile(), text, 0600).ctx("save the started config");
}

void dropStartedConfig(const ContainerPaths& paths) { (void)::unlink(paths.startedConfigFile().c_str()); }

}  // namespace xc
