#include "toml_guard.hpp"

#include "nmsweep/core/error.hpp"

#include <algorithm>

namespace nms {

namespace {

// A small TOML lexer: just enough to know, for every character, whether it
// is inside a string or comment, a key or a value, and how deep in arrays
// and inline tables. It never rejects what TOML allows; toml11 judges syntax.
class scanner {
  public:
    scanner(const std::string& in, const std::string& path) : in_(in), path_(path) {
        out_.text.reserve(in.size() + in.size() / 500);
        out_.line_of.push_back(1);
    }

    guarded_toml run() {
        while (i_ < in_.size()) step();
        return std::move(out_);
    }

  private:
    enum class str { none, basic, literal, ml_basic, ml_literal };

    const std::string& in_;
    const std::string& path_;
    guarded_toml out_;
    std::size_t i_ = 0;
    int line_ = 1;
    std::size_t line_start_ = 0, out_line_len_ = 0;
    std::string stack_; // '[' array, '{' inline table
    str s_ = str::none;
    bool comment_ = false, key_ = true, header_ = false;
    int key_parts_ = 1;

    [[noreturn]] void fail(const std::string& what) const {
        throw input_error(path_ + ":" + std::to_string(line_) + ":" + std::to_string(i_ - line_start_ + 1) +
                          ": " + what);
    }

    bool ahead(const char* t) const { return in_.compare(i_, std::char_traits<char>::length(t), t) == 0; }

    void emit(char c) {
        out_.text += c;
        ++out_line_len_;
        if (c == '\n') {
            out_.line_of.push_back(line_);
            out_line_len_ = 0;
        }
    }
    void copy(std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) emit(in_[i_++]);
    }

    void newline() {
        copy(1);
        ++line_;
        out_.line_of.back() = line_;
        line_start_ = i_;
        comment_ = false;
        if (stack_.empty() && s_ == str::none) {
            key_ = true;
            key_parts_ = 1;
        }
    }

    void count_part() {
        if (++key_parts_ > max_key_parts)
            fail("a key with more than " + std::to_string(max_key_parts) + " dotted parts");
    }

    void step() {
        const char c = in_[i_];
        if (c == '\0') fail("a NUL byte (is this a binary file?)");
        if (c == '\n') return newline();
        if (comment_) return copy(1);
        if (s_ != str::none) return in_string(c);
        switch (c) {
        case '#':
            comment_ = true;
            return copy(1);
        case '"':
            s_ = ahead("\"\"\"") ? str::ml_basic : str::basic;
            return copy(s_ == str::ml_basic ? 3 : 1);
        case '\'':
            s_ = ahead("'''") ? str::ml_literal : str::literal;
            return copy(s_ == str::ml_literal ? 3 : 1);
        case '=':
            key_ = false;
            return copy(1);
        case '.':
            if (key_ || header_) count_part();
            return copy(1);
        case '[':
            if (stack_.empty() && key_ && !header_) { // [table] or [[array of tables]]
                header_ = true;
                key_parts_ = 1;
                return copy(1);
            }
            if (header_) return copy(1);
            return open('[');
        case '{':
            return open('{');
        case ']':
            if (header_ && stack_.empty()) {
                if (i_ + 1 >= in_.size() || in_[i_ + 1] != ']') header_ = false;
                return copy(1);
            }
            return close();
        case '}':
            return close();
        case ',':
            copy(1);
            if (!stack_.empty() && stack_.back() == '{') {
                key_ = true;
                key_parts_ = 1;
            }
            // A newline after a comma is valid inside an array: keep lines short.
            if (!stack_.empty() && stack_.back() == '[' && out_line_len_ > 1000) emit('\n');
            return;
        default:
            return copy(1);
        }
    }

    void open(char c) {
        if (int(stack_.size()) >= max_toml_depth)
            fail("arrays or inline tables nested deeper than " + std::to_string(max_toml_depth) + " levels");
        stack_ += c;
        key_ = c == '{';
        key_parts_ = 1;
        copy(1);
    }
    void close() {
        if (!stack_.empty()) stack_.pop_back();
        key_ = false;
        copy(1);
    }

    void in_string(char c) {
        switch (s_) {
        case str::basic:
        case str::ml_basic:
            if (c == '\\') return copy(i_ + 1 < in_.size() && in_[i_ + 1] != '\n' ? 2 : 1);
            if (s_ == str::basic && c == '"') {
                s_ = str::none;
                return copy(1);
            }
            if (s_ == str::ml_basic && ahead("\"\"\"")) {
                // Up to two quotes may close the content before the delimiter.
                std::size_t n = 3;
                while (n < 5 && i_ + n < in_.size() && in_[i_ + n] == '"') ++n;
                s_ = str::none;
                return copy(n);
            }
            return copy(1);
        case str::literal:
            if (c == '\'') s_ = str::none;
            return copy(1);
        case str::ml_literal:
            if (ahead("'''")) {
                std::size_t n = 3;
                while (n < 5 && i_ + n < in_.size() && in_[i_ + n] == '\'') ++n;
                s_ = str::none;
                return copy(n);
            }
            return copy(1);
        case str::none:
            return;
        }
    }
};

// Offset of the first byte that is not valid UTF-8 (TOML is UTF-8; toml11
// misreads other bytes), or npos.
std::size_t invalid_utf8(const std::string& t) {
    std::size_t i = 0;
    while (i < t.size()) {
        const auto c = static_cast<unsigned char>(t[i]);
        std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (n == 9 || (n == 1 && c < 0xc2) || i + n >= t.size() + (n ? 0 : 1)) return i;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(t[i + k]) >> 6) != 2) return i;
        i += n + 1;
    }
    return std::string::npos;
}

} // namespace

guarded_toml guard_toml(const std::string& text, const std::string& path) {
    if (text.size() > max_spec_bytes)
        throw input_error(path + ": the spec is " + std::to_string(text.size()) + " bytes, more than the " +
                          std::to_string(max_spec_bytes >> 20) + " MiB allowed");
    if (const auto bad = invalid_utf8(text); bad != std::string::npos) {
        const auto nl = text.rfind('\n', bad);
        const std::size_t line = 1 + std::size_t(std::count(text.begin(), text.begin() + long(bad), '\n'));
        const std::size_t col = bad - (nl == std::string::npos ? 0 : nl + 1) + 1;
        throw input_error(path + ":" + std::to_string(line) + ":" + std::to_string(col) +
                          ": a byte that is not UTF-8 (a TOML spec must be UTF-8 text)");
    }
    return scanner(text, path).run();
}

} // namespace nms
