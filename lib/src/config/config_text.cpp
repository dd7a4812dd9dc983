// In-place edits of libconfig text (config_text.hpp).
#include "config/config_text.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>

namespace xc::config_detail {

namespace {

class Scanner {
public:
    explicit Scanner(const std::string& t) : t_(t) {}

    Status settings(TextNode& group, char close) {
        for (;;) {
            blank();
            if (pos_ >= t_.size() || t_[pos_] == close) return {};
            TextNode n;
            n.begin = pos_;
            while (pos_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '_' ||
                                        t_[pos_] == '-' || t_[pos_] == '*'))
                ++pos_;
            n.name = t_.substr(n.begin, pos_ - n.begin);
            if (n.name.empty()) return fail("a setting name");
            blank();
            if (pos_ >= t_.size() || (t_[pos_] != '=' && t_[pos_] != ':')) return fail("'=' after " + n.name);
            ++pos_;
            blank();
            XC_TRY(value(n));
            terminator(n, ";,");
            group.children.push_back(std::move(n));
        }
    }

private:
    Status fail(const std::string& what) const {
        return Error::msg("config text: expected " + what + " at offset " + std::to_string(pos_), EINVAL);
    }

    void blank() {
        while (pos_ < t_.size()) {
            char c = t_[pos_];
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++pos_;
            } else if (c == '#' || t_.compare(pos_, 2, "//") == 0) {
                size_t nl = t_.find('\n', pos_);
                pos_ = nl == std::string::npos ? t_.size() : nl;
            } else if (t_.compare(pos_, 2, "/*") == 0) {
                size_t e = t_.find("*/", pos_ + 2);
                pos_ = e == std::string::npos ? t_.size() : e + 2;
            } else {
                return;
            }
        }
    }

    // After a value: its separator, if one follows.
    void terminator(TextNode& n, const char* seps) {
        size_t save = pos_;
        blank();
        if (pos_ < t_.size() && std::string(seps).find(t_[pos_]) != std::string::npos) {
            n.end = ++pos_;
        } else {
            n.end = n.valueEnd;
            pos_ = save;
        }
    }

    Status elements(TextNode& n, char close) {
        ++pos_;
        for (;;) {
            blank();
            if (pos_ >= t_.size()) return fail(std::string("'") + close + "'");
            if (t_[pos_] == close) break;
            TextNode el;
            el.begin = pos_;
            XC_TRY(value(el));
            terminator(el, ",");
            n.children.push_back(std::move(el));
        }
        n.valueEnd = ++pos_;
        return {};
    }

    Status value(TextNode& n) {
        n.valueBegin = pos_;
        if (pos_ >= t_.size()) return fail("a value");
        char c = t_[pos_];
        if (c == '{') {
            n.type = TextNode::Group;
            ++pos_;
            XC_TRY(settings(n, '}'));
            if (pos_ >= t_.size()) return fail("'}'");
            n.valueEnd = ++pos_;
            return {};
        }
        if (c == '(' || c == '[') {
            n.type = c == '(' ? TextNode::List : TextNode::Array;
            return elements(n, c == '(' ? ')' : ']');
        }
        n.type = TextNode::Scalar;
        if (c == '"') {
            for (;;) {  // adjacent strings are one value
                ++pos_;
                while (pos_ < t_.size() && t_[pos_] != '"') pos_ += t_[pos_] == '\\' ? 2 : 1;
                if (pos_ >= t_.size()) return fail("the end of a string");
                n.valueEnd = ++pos_;
                blank();
                if (pos_ >= t_.size() || t_[pos_] != '"') break;
            }
            pos_ = n.valueEnd;
            return {};
        }
        while (pos_ < t_.size() && !std::isspace(static_cast<unsigned char>(t_[pos_])) &&
               std::string(";,)]}#/").find(t_[pos_]) == std::string::npos)
            ++pos_;
        if (pos_ == n.valueBegin) return fail("a value");
        n.valueEnd = pos_;
        return {};
    }

    const std::string& t_;
    size_t pos_ = 0;
};

bool blankRange(const std::string& t, size_t a, size_t b) {
    for (size_t i = a; i < b; ++i)
        if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r') return false;
    return true;
}

size_t lineStart(const std::string& t, size_t at) {
    size_t nl = at == 0 ? std::string::npos : t.rfind('\n', at - 1);
    return nl == std::string::npos ? 0 : nl + 1;
}

std::string indentOf(const std::string& t, size_t at) {
    size_t ls = lineStart(t, at);
    size_t e = ls;
    while (e < t.size() && (t[e] == ' ' || t[e] == '\t')) ++e;
    return t.substr(ls, e - ls);
}

}  // namespace

Result<TextNode> scanConfigText(const std::string& text) {
    TextNode root;
    root.type = TextNode::Group;
    root.root = true;
    Scanner s(text);
    XC_TRY(s.settings(root, '\0'));
    root.valueEnd = root.end = text.size();
    return root;
}

const TextNode* findTextNode(const TextNode& root, const std::vector<std::string>& parts, size_t* found) {
    const TextNode* n = &root;
    *found = 0;
    for (const auto& p : parts) {
        const TextNode* next = nullptr;
        if (n->type == TextNode::Group) {
            for (const auto& c : n->children)
                if (c.name == p) next = &c;
        } else if (n->type == TextNode::List || n->type == TextNode::Array) {
            bool digits = !p.empty() && p.size() < 7;
            for (char c : p) digits = digits && std::isdigit(static_cast<unsigned char>(c));
            if (digits && std::stoul(p) < n->children.size()) next = &n->children[std::stoul(p)];
        }
        if (!next) return n;
        n = next;
        ++*found;
    }
    return n;
}

std::string quoteConfigString(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
                out += buf;
            } else {
                out.push_back(c);
            }
        }
    }
    return out + "\"";
}

void insertIntoNode(std::string& text, const TextNode& parent, const std::string& entry) {
    if (parent.root) {
        if (!text.empty() && text.back() != '\n') text += "\n";
        text += entry + "\n";
        return;
    }
    const bool list = parent.type != TextNode::Group;
    const TextNode* last = parent.children.empty() ? nullptr : &parent.children.back();
    const bool needComma = list && last && last->end == last->valueEnd;
    const size_t close = parent.valueEnd - 1;
    const size_t anchor = last ? last->end : parent.valueBegin + 1;
    const size_t closeLine = lineStart(text, close);
    if (closeLine > anchor && blankRange(text, closeLine, close)) {
        // The closing bracket on its own line: a line of its own before it.
        std::string indent = last ? indentOf(text, last->begin) : indentOf(text, close) + "    ";
        text.insert(closeLine, indent + entry + "\n");
    } else {
        text.insert(anchor, " " + entry + (anchor == close ? " " : ""));
    }
    if (needComma) text.insert(last->valueEnd, ",");
}

void removeNode(std::string& text, const TextNode& parent, const TextNode& node) {
    size_t a = node.begin, b = node.end;
    if (parent.type != TextNode::Group && node.end == node.valueEnd) {
        // The last element: the comma before it goes with it.
        for (size_t i = 0; i + 1 < parent.children.size(); ++i)
            if (&parent.children[i + 1] == &node) a = parent.children[i].valueEnd;
    }
    size_t ls = lineStart(text, a);
    size_t le = text.find('\n', b);
    if (le == std::string::npos) le = text.size();
    size_t rest = b;
    while (rest < le && (text[rest] == ' ' || text[rest] == '\t' || text[rest] == '\r')) ++rest;
    bool onlyComment = rest == le || text[rest] == '#' || text.compare(rest, 2, "//") == 0;
    if (a == node.begin && blankRange(text, ls, a) && onlyComment) {
        text.erase(ls, le < text.size() ? le - ls + 1 : le - ls);
        return;
    }
    while (a > ls && (text[a - 1] == ' ' || text[a - 1] == '\t')) --a;
    text.erase(a, b - a);
}

}  // namespace xc::config_detail
