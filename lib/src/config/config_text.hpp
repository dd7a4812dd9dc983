// Edits of libconfig text in place (ConfigEditor's set and clear): a
// scanner that finds where each setting of a text is (byte offsets), so
// that a value is replaced, a key inserted or removed without rewriting
// anything else: the admin's comments, order, indentation and blank lines
// stay as written.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::config_detail {

struct TextNode {
    enum Type { Scalar, Group, List, Array } type = Scalar;
    std::string name;         // "" for a list element (and the root)
    size_t begin = 0;         // the name (an element: its value)
    size_t valueBegin = 0;    // the value; a group, list or array: its opening bracket
    size_t valueEnd = 0;      // after the value (after the closing bracket)
    size_t end = 0;           // after the separator (';' or ','), if any
    std::vector<TextNode> children;
    bool root = false;        // the whole text (no brackets)
};

// The settings of a text that libconfig parses (no @include inside): the
// root is a Group spanning the whole text, without brackets.
Result<TextNode> scanConfigText(const std::string& text);

// The node at `parts` (names, and decimal indexes inside lists), or the
// deepest one on the way: `found` is how many parts it matched.
const TextNode* findTextNode(const TextNode& root, const std::vector<std::string>& parts, size_t* found);

// A libconfig literal: a quoted string with escapes.
std::string quoteConfigString(const std::string& s);

// Inserts `entry` ("key = value;", or a list element "{ ... }") as the
// last child of `parent` (a group: the root too, or a list), indented as
// its other children are.
void insertIntoNode(std::string& text, const TextNode& parent, const std::string& entry);
// Removes `node` (a child of `parent`), its separator and, if nothing else
// is left on its line but blanks or a comment, the whole line.
void removeNode(std::string& text, const TextNode& parent, const TextNode& node);

}  // namespace xc::config_detail
