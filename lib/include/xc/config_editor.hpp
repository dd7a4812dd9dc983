// Editing one container config by key, as the Python API's
// get_config_item / set_config_item / clear_config_item / save_config do.
// Keys are the dotted libconfig paths of the schema ("cgroup.memory.max",
// "uts.hostname", "network.0.ipv4": a list element by its index). Every
// edit is validated like the file itself (the whole config, includes
// expanded, must load), and refused with the loader's error otherwise; the
// file changes only at save().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "xc/result.hpp"

namespace xc {

// A value: a scalar as text (integers in decimal, booleans "true" or
// "false"), or the items of a string list.
struct ConfigValue {
    bool isList = false;
    std::string text;
    std::vector<std::string> items;

    static ConfigValue scalar(std::string t) { return {false, std::move(t), {}}; }
    static ConfigValue list(std::vector<std::string> v) { return {true, "", std::move(v)}; }
};

class ConfigEditor {
public:
    // The config file at `path` (its @include lines resolved relative to
    // its directory, as the loader does).
    static Result<ConfigEditor> load(const std::string& path);
    // Text shown (and saved) as `path`.
    static Result<ConfigEditor> fromText(const std::string& text, const std::string& path);

    // The value in effect (includes and the file's own settings merged as
    // the loader merges them). A key of the schema that nothing sets gives
    // an empty value; a key outside the schema is EINVAL; a group ("cgroup",
    // "network.0") is EISDIR.
    Result<ConfigValue> get(const std::string& key) const;
    // Sets a key in the file's own settings, making the groups on its path:
    // in place where the file already sets the key or its group, keeping
    // every other byte of the file (comments, order, layout).
    // Scalars are typed by the schema ("256M" and "268435456" both for a
    // size; "true"/"false"/"1"/"0" for a boolean). A string list takes a
    // list whole, or one string to append. "network.N.KEY" with N the
    // list's length appends an element.
    Status set(const std::string& key, const ConfigValue& value);
    // Removes a key, a group or a list element ("network.1") from the
    // file's own settings (a value an @include gives stays in effect); its
    // line goes too when nothing else is on it.
    Status clear(const std::string& key);
    // Schema keys under `prefix` ("" for all: the schema's paths, "[]" for
    // a list index; "network.0": that element's keys).
    Result<std::vector<std::string>> keys(const std::string& prefix) const;

    // Every key in effect (includes and the file's own settings merged as
    // the loader merges them), in the order the file sets them; list
    // elements by index ("network.0.ipv4").
    Result<std::vector<std::pair<std::string, ConfigValue>>> values() const;
    // The config in effect as one text without includes (values() as libconfig).
    Result<std::string> flattened() const;

    const std::string& path() const { return path_; }
    std::string text() const;
    bool modified() const { return modified_; }
    // Writes text() atomically to `to` ("": path(); same mode as the file
    // had, 0644 for a new one). Saved to path(), the editor is unmodified.
    Status save(const std::string& to = "");

private:
    ConfigEditor() = default;
    struct Segment {
        bool include = false;  // an @include line, kept as written
        std::string text;
    };
    size_t targetSegment(const std::string& top);
    Status commit(std::vector<Segment> next);

    std::string path_;
    std::vector<Segment> segments_;
    bool modified_ = false;
};

}  // namespace xc
