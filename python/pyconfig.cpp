// xc.Container's config items: libxc's ConfigEditor over the container's
// config file, by the dotted libconfig keys of xc.container.conf(5).
#include "pyxc.hpp"

namespace xcpy {

namespace {

// A Python value as a config value: str, int, bool, or a list/tuple of them.
xc::ConfigValue toValue(const py::object& v) {
    auto scalar = [](const py::handle& h) -> std::string {
        if (py::isinstance<py::bool_>(h)) return h.cast<bool>() ? "true" : "false";
        if (py::isinstance<py::int_>(h) || py::isinstance<py::str>(h)) return py::str(h).cast<std::string>();
        throw py::type_error("config values are str, int, bool or a list of them");
    };
    if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
        std::vector<std::string> items;
        for (auto item : v) items.push_back(scalar(item));
        return xc::ConfigValue::list(std::move(items));
    }
    return xc::ConfigValue::scalar(scalar(v));
}

}  // namespace

xc::ConfigEditor* PyContainer::editor() {
    if (editor_) return &*editor_;
    xc::Result<xc::ConfigEditor> ed = xc::Error();
    {
        py::gil_scoped_release nogil;
        ed = xc::ConfigEditor::load(configFileName());
    }
    if (!ed) {
        fail(ed.error().code() == ENOENT ? container_->notRunningError() : ed.error());
        return nullptr;
    }
    editor_.emplace(std::move(*ed));
    return &*editor_;
}

py::object PyContainer::getConfigItem(const std::string& key) {
    xc::ConfigEditor* ed = editor();
    if (!ed) return py::bool_(false);
    auto v = ed->get(key);
    if (!v) {
        // python3-lxc: a key it does not know is a KeyError.
        error_ = v.error().messageWithHint();
        if (v.error().code() == EINVAL || v.error().code() == EISDIR) throw py::key_error(error_);
        return py::bool_(fail(v.error()));
    }
    succeed();
    if (v->isList) return py::cast(v->items);
    return py::str(v->text);
}

bool PyContainer::setConfigItem(const std::string& key, const py::object& value) {
    xc::ConfigEditor* ed = editor();
    if (!ed) return false;
    auto st = ed->set(key, toValue(value));
    return st ? succeed() : fail(st.error());
}

bool PyContainer::appendConfigItem(const std::string& key, const py::object& value) {
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value))
        throw py::type_error("append_config_item(): one value");
    return setConfigItem(key, value);
}

bool PyContainer::clearConfigItem(const std::string& key) {
    xc::ConfigEditor* ed = editor();
    if (!ed) return false;
    auto st = ed->clear(key);
    return st ? succeed() : fail(st.error());
}

py::object PyContainer::getKeys(const std::optional<std::string>& key) {
    xc::ConfigEditor* ed = editor();
    if (!ed) return py::bool_(false);
    auto k = ed->keys(key.value_or(""));
    if (!k) {
        error_ = k.error().messageWithHint();
        throw py::key_error(error_);
    }
    succeed();
    return py::cast(*k);
}

bool PyContainer::saveConfig(const std::optional<std::string>& path) {
    xc::ConfigEditor* ed = editor();
    if (!ed) return false;
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = ed->save(path.value_or(""));
    }
    return st ? succeed() : fail(st.error());
}

bool PyContainer::loadConfig(const std::optional<std::string>& path) {
    xc::Result<xc::ConfigEditor> ed = xc::Error();
    std::string file = path.value_or(configFileName());
    {
        py::gil_scoped_release nogil;
        ed = xc::ConfigEditor::load(file);
    }
    if (!ed) return fail(ed.error());
    if (path) {
        // Loaded from elsewhere, saved to the container's own file.
        auto own = xc::ConfigEditor::fromText(ed->text(), configFileName());
        if (!own) return fail(own.error());
        editor_.emplace(std::move(*own));
    } else {
        editor_.emplace(std::move(*ed));
    }
    return succeed();
}

void bindConfig(py::class_<PyContainer>& cls) {
    cls.def("get_config_item", &PyContainer::getConfigItem, py::arg("key"),
            "get_config_item(key) -> str | list[str]\n\n"
            "The value in effect for a config key (the dotted libconfig path of xc.container.conf(5):\n"
            "\"cgroup.memory.max\", \"uts.hostname\", \"network.0.ipv4\"), includes merged as the loader\n"
            "merges them, with unsaved changes. Scalars as str (integers in decimal, booleans\n"
            "\"true\"/\"false\"), string lists as a list; \"\" or [] when unset. KeyError for a key\n"
            "outside the schema or a group (see get_keys()).");
    cls.def("set_config_item", &PyContainer::setConfigItem, py::arg("key"), py::arg("value"),
            "set_config_item(key, value) -> bool\n\n"
            "Sets a key (str, int, bool, or a list for a string list; one str appends to a string\n"
            "list). Validated exactly like the file: the whole config must load, else False with\n"
            "the loader's error in c.error. \"network.N.KEY\" with N the list's length adds an\n"
            "element. Written by save_config() (start() saves unsaved changes first).");
    cls.def("append_config_item", &PyContainer::appendConfigItem, py::arg("key"), py::arg("value"),
            "append_config_item(key, value) -> bool\n\nAppends one value to a string list key.");
    cls.def("clear_config_item", &PyContainer::clearConfigItem, py::arg("key"),
            "clear_config_item(key) -> bool\n\n"
            "Removes a key, a group or a list element (\"network.1\") from the file's own settings\n"
            "(what an @include sets stays in effect).");
    cls.def("get_keys", &PyContainer::getKeys, py::arg("key") = py::none(),
            "get_keys(key=None) -> list[str]\n\n"
            "The schema's keys (\"[]\" stands for a list index), or those under `key`\n"
            "(get_keys(\"network.0\"): that element's keys).");
    cls.def("save_config", &PyContainer::saveConfig, py::arg("path") = py::none(),
            "save_config(path=None) -> bool\n\n"
            "Writes the config (to `path`, default the container's file) atomically. The changed\n"
            "part is written in libconfig's layout; @include lines stay as written.");
    cls.def("load_config", &PyContainer::loadConfig, py::arg("path") = py::none(),
            "load_config(path=None) -> bool\n\nReads the config again (from `path`), dropping unsaved changes.");
}

}  // namespace xcpy
