// A small JSON reader for image indexes (simplestreams' index.json and
// products files): parses a document into a tree of values. Numbers are
// kept as doubles (sizes up to 2^53 are exact); strings are UTF-8 with
// \uXXXX escapes decoded. Nesting deeper than 64 and documents with
// trailing data are refused.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::image {

class Json {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };

    static Result<Json> parse(const std::string& text);

    Type type() const { return type_; }
    bool isObject() const { return type_ == Type::Object; }
    bool isString() const { return type_ == Type::String; }
    bool isNumber() const { return type_ == Type::Number; }
    // The member of an object, or a shared null value.
    const Json& operator[](const std::string& key) const;
    // The string, or "" for any other type.
    const std::string& str() const;
    double number() const { return type_ == Type::Number ? number_ : 0; }
    const std::map<std::string, Json>& members() const;  // empty unless an object
    const std::vector<Json>& elements() const;           // empty unless an array

private:
    friend class JsonParser;
    Type type_ = Type::Null;
    bool bool_ = false;
    double number_ = 0;
    std::string string_;
    std::shared_ptr<std::map<std::string, Json>> object_;
    std::shared_ptr<std::vector<Json>> array_;
};

}  // namespace xc::image
