#include "xc/settings.hpp"

#include <libconfig.h++>

#include "base/fsutil.hpp"

namespace xc {

Result<GlobalSettings> loadGlobalSettings(const HostPaths& host) {
    GlobalSettings s;
    std::string file = host.globalConf();
    if (!pathExists(file)) return s;
    libconfig::Config cfg;
    try {
        cfg.readFile(file.c_str());
    } catch (const libconfig::ParseException& e) {
        return Error::msg(file + ":" + std::to_string(e.getLine()) + ": syntax error: " + e.getError(), EINVAL);
    } catch (const libconfig::FileIOException&) {
        return Error::sys("read " + file);
    }
    const libconfig::Setting& root = cfg.getRoot();
    for (int i = 0; i < root.getLength(); ++i) {
        const libconfig::Setting& st = root[i];
        std::string name = st.getName() ? st.getName() : "";
        std::string where = file + ":" + std::to_string(st.getSourceLine()) + ": " + name;
        if (name == "path") {
            if (st.getType() != libconfig::Setting::TypeString || std::string(st.c_str()).empty() || st.c_str()[0] != '/')
                return Error::msg(where + ": expected an absolute path string", EINVAL);
            s.path = st.c_str();
        } else if (name == "log") {
            if (!st.isGroup()) return Error::msg(where + ": expected a group", EINVAL);
            for (int j = 0; j < st.getLength(); ++j) {
                const libconfig::Setting& l = st[j];
                std::string key = l.getName() ? l.getName() : "";
                std::string w = file + ":" + std::to_string(l.getSourceLine()) + ": log." + key;
                if (key != "level") return Error::msg(w + ": unknown key (known: log.level)", EINVAL);
                if (l.getType() != libconfig::Setting::TypeString) return Error::msg(w + ": expected a string", EINVAL);
                auto lvl = parseLogLevel(l.c_str());
                if (!lvl) return std::move(lvl).error().wrap(w);
                s.logLevel = *lvl;
            }
        } else {
            return Error::msg(where + ": unknown key (known: path, log.level)", EINVAL);
        }
    }
    return s;
}

}  // namespace xc
