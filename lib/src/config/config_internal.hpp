// Shared between config.cpp (reading, walking, merging) and
// config_schema.cpp (the key table and value validators).
#pragma once

#include <libconfig.h++>

#include <string>
#include <vector>

#include "xc/config.hpp"

namespace xc::config_detail {

// What a key accepts; the walker checks this before calling the entry's
// apply function, so apply functions can read the value without checks.
enum class Kind {
    String,
    Int,
    Bool,
    Size,         // integer bytes or "256M"
    SizeOrMax,    // a size or "max"
    IntOrMax,     // an integer or "max"
    StringOrInt,  // "50000 100000" or 50000
    BoolOrAuto,   // true, false or "auto"
    StringList,   // [ "a", "b" ]
    GroupList,    // ( { ... }, { ... } ): each element is walked as a group
};

template <class T>
struct KeyEntry;
// The container config's keys. Paths are dotted; "[]" stands for every
// element of a group list. For GroupList keys apply is called first with
// the list itself (to clear what an earlier list set), then once per
// element before its keys (to append a default element that the element's
// keys then fill in).
using SchemaEntry = KeyEntry<ContainerConfig>;

const std::vector<SchemaEntry>& schemaTable();
// The documented default of a key ("128K", "the container name"), or
// nullptr when it has none (config_defaults.cpp; the manual shows it).
const char* keyDefault(const char* path);
std::vector<std::string> keysWithDefaults();
const char* kindName(Kind kind);      // "size or \"max\"" (configKeys)
const char* kindExpected(Kind kind);  // "a size or \"max\"" (type errors)
bool kindAccepts(Kind kind, const libconfig::Setting& value);
// "a string", "an integer", "a group", ... for type errors.
std::string describeType(const libconfig::Setting& value);

// A bad value: EINVAL without an errno reason.
Error invalid(const std::string& what);

}  // namespace xc::config_detail
