#include "image/json.hpp"

#include <cstdlib>

namespace xc::image {

class JsonParser {
public:
    explicit JsonParser(const std::string& t) : t_(t) {}

    Result<Json> document() {
        XC_ASSIGN(Json v, value(0));
        space();
        if (i_ != t_.size()) return fail("trailing data");
        return v;
    }

private:
    Error fail(const std::string& what) const {
        return Error::msg("JSON: " + what + " at offset " + std::to_string(i_), EINVAL);
    }
    void space() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
    }
    bool literal(const char* word) {
        size_t n = std::char_traits<char>::length(word);
        if (t_.compare(i_, n, word) != 0) return false;
        i_ += n;
        return true;
    }

    Result<Json> value(int depth) {
        if (depth > 64) return fail("nested too deeply");
        space();
        if (i_ >= t_.size()) return fail("unexpected end");
        Json v;
        char c = t_[i_];
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') {
            v.type_ = Json::Type::String;
            XC_ASSIGN(v.string_, string());
            return v;
        }
        if (literal("true") || literal("false")) {
            v.type_ = Json::Type::Bool;
            v.bool_ = t_[i_ - 1] == 'e' && t_[i_ - 2] == 'u';
            return v;
        }
        if (literal("null")) return v;
        const char* start = t_.c_str() + i_;
        char* end = nullptr;
        double d = std::strtod(start, &end);
        if (end == start || !(c == '-' || (c >= '0' && c <= '9'))) return fail("unexpected character");
        i_ += static_cast<size_t>(end - start);
        v.type_ = Json::Type::Number;
        v.number_ = d;
        return v;
    }

    Result<Json> object(int depth) {
        Json v;
        v.type_ = Json::Type::Object;
        v.object_ = std::make_shared<std::map<std::string, Json>>();
        ++i_;
        space();
        if (i_ < t_.size() && t_[i_] == '}') {
            ++i_;
            return v;
        }
        for (;;) {
            space();
            if (i_ >= t_.size() || t_[i_] != '"') return fail("expected a member name");
            XC_ASSIGN(std::string key, string());
            space();
            if (i_ >= t_.size() || t_[i_] != ':') return fail("expected ':'");
            ++i_;
            XC_ASSIGN(Json member, value(depth + 1));
            (*v.object_)[key] = std::move(member);
            space();
            if (i_ < t_.size() && t_[i_] == ',') {
                ++i_;
                continue;
            }
            if (i_ < t_.size() && t_[i_] == '}') {
                ++i_;
                return v;
            }
            return fail("expected ',' or '}'");
        }
    }

    Result<Json> array(int depth) {
        Json v;
        v.type_ = Json::Type::Array;
        v.array_ = std::make_shared<std::vector<Json>>();
        ++i_;
        space();
        if (i_ < t_.size() && t_[i_] == ']') {
            ++i_;
            return v;
        }
        for (;;) {
            XC_ASSIGN(Json element, value(depth + 1));
            v.array_->push_back(std::move(element));
            space();
            if (i_ < t_.size() && t_[i_] == ',') {
                ++i_;
                continue;
            }
            if (i_ < t_.size() && t_[i_] == ']') {
                ++i_;
                return v;
            }
            return fail("expected ',' or ']'");
        }
    }

    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    Result<unsigned> hex4() {
        if (i_ + 4 > t_.size()) return fail("short \\u escape");
        unsigned cp = 0;
        for (int k = 0; k < 4; ++k) {
            char h = t_[i_++];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else return fail("bad \\u escape");
        }
        return cp;
    }

    Result<std::string> string() {
        std::string out;
        ++i_;
        while (i_ < t_.size()) {
            char c = t_[i_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= t_.size()) break;
            char e = t_[i_++];
            switch (e) {
                case '"': case '\\': case '/': out += e; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    XC_ASSIGN(unsigned cp, hex4());
                    if (cp >= 0xD800 && cp < 0xDC00 && t_.compare(i_, 2, "\\u") == 0) {
                        i_ += 2;
                        XC_ASSIGN(unsigned lo, hex4());
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    utf8(out, cp);
                    break;
                }
                default: return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }

    const std::string& t_;
    size_t i_ = 0;
};

Result<Json> Json::parse(const std::string& text) { return JsonParser(text).document(); }

const Json& Json::operator[](const std::string& key) const {
    static const Json null;
    if (!object_) return null;
    auto it = object_->find(key);
    return it == object_->end() ? null : it->second;
}

const std::string& Json::str() const {
    static const std::string empty;
    return type_ == Type::String ? string_ : empty;
}

const std::map<std::string, Json>& Json::members() const {
    static const std::map<std::string, Json> none;
    return object_ ? *object_ : none;
}

const std::vector<Json>& Json::elements() const {
    static const std::vector<Json> none;
    return array_ ? *array_ : none;
}

}  // namespace xc::image
