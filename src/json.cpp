// The strict JSON parser (warden/detail/json.hpp).
#include <warden/detail/json.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace warden::detail::json {

std::string_view to_string(type t) noexcept {
  switch (t) {
    case type::null: return "null";
    case type::boolean: return "boolean";
    case type::number: return "number";
    case type::string: return "string";
    case type::array: return "array";
    case type::object: return "object";
  }
  return "null";
}

// ---- value ---------------------------------------------------------------

type value::kind() const noexcept { return doc_ ? doc_->nodes_[index_].kind : type::null; }
std::uint32_t value::line() const noexcept { return doc_ ? doc_->nodes_[index_].line : 0; }

bool value::as_bool() const noexcept { return is_bool() && doc_->nodes_[index_].payload != 0; }

double value::as_number() const noexcept {
  return is_number() ? std::bit_cast<double>(doc_->nodes_[index_].payload) : 0.0;
}

std::string_view value::as_string() const noexcept {
  if (!is_string()) return {};
  const node& n = doc_->nodes_[index_];
  return std::string_view(doc_->strings_).substr(static_cast<std::size_t>(n.payload), n.count);
}

std::size_t value::size() const noexcept {
  const type t = kind();
  return (t == type::array || t == type::object) ? doc_->nodes_[index_].count : 0;
}

value value::operator[](std::size_t i) const noexcept {
  if (!is_array() || i >= size()) return {};
  return value(doc_, static_cast<std::uint32_t>(doc_->nodes_[index_].payload + i));
}

std::string_view value::key_at(std::size_t i) const noexcept {
  if (!is_object() || i >= size()) return {};
  return value(doc_, static_cast<std::uint32_t>(doc_->nodes_[index_].payload + 2 * i)).as_string();
}

value value::value_at(std::size_t i) const noexcept {
  if (!is_object() || i >= size()) return {};
  return value(doc_, static_cast<std::uint32_t>(doc_->nodes_[index_].payload + 2 * i + 1));
}

std::optional<value> value::find(std::string_view key) const noexcept {
  const std::size_t n = size();
  if (!is_object()) return std::nullopt;
  for (std::size_t i = 0; i < n; ++i)
    if (key_at(i) == key) return value_at(i);
  return std::nullopt;
}

// ---- parser --------------------------------------------------------------

class parser {
 public:
  parser(std::string_view text, const parse_options& options)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()),
        line_start_(text.data()), max_depth_(options.max_depth) {}

  result<document> run(location* where) {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF)
      p_ += 3;
    // Each node comes from at least one byte; a rough reservation saves most regrowth.
    doc_.nodes_.reserve(static_cast<std::size_t>(end_ - begin_) / 12 + 1);
    bool ok = parse_value();
    if (ok) {
      skip_ws();
      if (p_ != end_) ok = fail(errc::json_syntax, "unexpected " + describe_here() + " after the JSON value");
    }
    if (!ok) {
      if (where) *where = err_where_;
      return std::move(err_);
    }
    doc_.nodes_.push_back(stack_.back());
    doc_.root_ = static_cast<std::uint32_t>(doc_.nodes_.size() - 1);
    return std::move(doc_);
  }

 private:
  bool fail(errc code, std::string message) {
    err_ = make_error(code, std::move(message));
    err_where_.line = line_;
    err_where_.column = static_cast<std::uint32_t>(p_ - line_start_ + 1);
    return false;
  }

  std::string describe_here() const {
    if (p_ >= end_) return "end of input";
    const auto c = static_cast<unsigned char>(*p_);
    if (c >= 0x20 && c < 0x7F) return std::string("character '") + static_cast<char>(c) + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
  }

  void skip_ws() noexcept {
    while (p_ != end_) {
      const char c = *p_;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p_;
      } else if (c == '\n') {
        ++p_;
        ++line_;
        line_start_ = p_;
      } else {
        break;
      }
    }
  }

  void push(type t, std::uint32_t line, std::uint32_t count, std::uint64_t payload) {
    stack_.push_back(node{t, line, count, payload});
  }

  bool parse_value() {
    skip_ws();
    if (p_ == end_) return fail(errc::json_syntax, "unexpected end of input, expected a value");
    switch (*p_) {
      case '{': return parse_object();
      case '[': return parse_array();
      case '"': return parse_string();
      case 't': return parse_literal("true", type::boolean, 1);
      case 'f': return parse_literal("false", type::boolean, 0);
      case 'n': return parse_literal("null", type::null, 0);
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return parse_number();
        return fail(errc::json_syntax, "unexpected " + describe_here() + ", expected a value");
    }
  }

  bool parse_literal(std::string_view word, type t, std::uint64_t payload) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
      return fail(errc::json_syntax, "unexpected " + describe_here() + ", expected a value");
    p_ += word.size();
    push(t, line_, 0, payload);
    return true;
  }

  bool enter() {
    if (++depth_ > max_depth_)
      return fail(errc::json_too_deep, "nesting deeper than " + std::to_string(max_depth_) + " levels");
    return true;
  }

  // Moves the children pushed since `base` into the document, contiguously.
  std::pair<std::uint64_t, std::size_t> settle(std::size_t base) {
    const std::uint64_t first = doc_.nodes_.size();
    const std::size_t n = stack_.size() - base;
    doc_.nodes_.insert(doc_.nodes_.end(), stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return {first, n};
  }

  bool parse_array() {
    const std::uint32_t line = line_;
    ++p_;
    if (!enter()) return false;
    const std::size_t base = stack_.size();
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        if (!parse_value()) return false;
        skip_ws();
        if (p_ == end_) return fail(errc::json_syntax, "unexpected end of input in an array");
        if (*p_ == ',') {
          ++p_;
          continue;
        }
        if (*p_ == ']') {
          ++p_;
          break;
        }
        return fail(errc::json_syntax, "unexpected " + describe_here() + " in an array, expected ',' or ']'");
      }
    }
    const auto [first, n] = settle(base);
    push(type::array, line, static_cast<std::uint32_t>(n), first);
    --depth_;
    return true;
  }

  bool parse_object() {
    const std::uint32_t line = line_;
    ++p_;
    if (!enter()) return false;
    const std::size_t base = stack_.size();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        skip_ws();
        if (p_ == end_ || *p_ != '"')
          return fail(errc::json_syntax, "unexpected " + describe_here() + " in an object, expected a member name");
        if (!parse_string()) return false;
        skip_ws();
        if (p_ == end_ || *p_ != ':')
          return fail(errc::json_syntax, "unexpected " + describe_here() + " after a member name, expected ':'");
        ++p_;
        if (!parse_value()) return false;
        skip_ws();
        if (p_ == end_) return fail(errc::json_syntax, "unexpected end of input in an object");
        if (*p_ == ',') {
          ++p_;
          continue;
        }
        if (*p_ == '}') {
          ++p_;
          break;
        }
        return fail(errc::json_syntax, "unexpected " + describe_here() + " in an object, expected ',' or '}'");
      }
    }
    if (!check_unique_names(base)) return false;
    const auto [first, n] = settle(base);
    push(type::object, line, static_cast<std::uint32_t>(n / 2), first);
    --depth_;
    return true;
  }

  std::string_view name_of(const node& n) const noexcept {
    return std::string_view(doc_.strings_).substr(static_cast<std::size_t>(n.payload), n.count);
  }

  // Duplicate names make an object mean different things to different
  // parsers; in untrusted input that ambiguity is refused.
  bool check_unique_names(std::size_t base) {
    const std::size_t members = (stack_.size() - base) / 2;
    const node* dup = nullptr;
    if (members <= 16) {
      for (std::size_t i = 1; i < members && !dup; ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (name_of(stack_[base + 2 * i]) == name_of(stack_[base + 2 * j])) {
            dup = &stack_[base + 2 * i];
            break;
          }
    } else {
      std::vector<std::size_t> order(members);
      for (std::size_t i = 0; i < members; ++i) order[i] = base + 2 * i;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return name_of(stack_[a]) < name_of(stack_[b]); });
      for (std::size_t i = 1; i < members; ++i)
        if (name_of(stack_[order[i]]) == name_of(stack_[order[i - 1]])) {
          const node* later = &stack_[std::max(order[i], order[i - 1])];
          if (!dup || later < dup) dup = later;
        }
    }
    if (!dup) return true;
    const std::string name(name_of(*dup).substr(0, 64));
    fail(errc::json_syntax, "duplicate member name \"" + name + "\" in an object");
    err_where_.line = dup->line;
    err_where_.column = 0;
    return false;
  }

  static int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool read_hex4(std::uint32_t& cp) {
    if (end_ - p_ < 4) return fail(errc::json_syntax, "truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_digit(p_[i]);
      if (d < 0) return fail(errc::json_syntax, "bad hex digit in \\u escape");
      cp = cp * 16 + static_cast<std::uint32_t>(d);
    }
    p_ += 4;
    return true;
  }

  void append_utf8(std::uint32_t cp) {
    std::string& s = doc_.strings_;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parse_escape() {
    ++p_;  // the backslash
    if (p_ == end_) return fail(errc::json_syntax, "unterminated string");
    const char c = *p_++;
    switch (c) {
      case '"': doc_.strings_ += '"'; return true;
      case '\\': doc_.strings_ += '\\'; return true;
      case '/': doc_.strings_ += '/'; return true;
      case 'b': doc_.strings_ += '\b'; return true;
      case 'f': doc_.strings_ += '\f'; return true;
      case 'n': doc_.strings_ += '\n'; return true;
      case 'r': doc_.strings_ += '\r'; return true;
      case 't': doc_.strings_ += '\t'; return true;
      case 'u': break;
      default:
        --p_;
        return fail(errc::json_syntax, "invalid escape: backslash followed by " + describe_here());
    }
    std::uint32_t cp = 0;
    if (!read_hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(errc::json_syntax, "unpaired low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
        return fail(errc::json_syntax, "unpaired high surrogate in \\u escape");
      p_ += 2;
      std::uint32_t lo = 0;
      if (!read_hex4(lo)) return false;
      if (lo < 0xDC00 || lo > 0xDFFF) return fail(errc::json_syntax, "unpaired high surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    append_utf8(cp);
    return true;
  }

  // Copies one well-formed UTF-8 sequence (RFC 3629: no overlongs, no
  // surrogates, nothing above U+10FFFF).
  bool copy_utf8() {
    const auto b0 = static_cast<unsigned char>(p_[0]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return fail(errc::json_syntax, "invalid UTF-8 in a string");
    }
    if (static_cast<std::size_t>(end_ - p_) < len) return fail(errc::json_syntax, "invalid UTF-8 in a string");
    const auto b1 = static_cast<unsigned char>(p_[1]);
    if (b1 < lo || b1 > hi) return fail(errc::json_syntax, "invalid UTF-8 in a string");
    for (std::size_t i = 2; i < len; ++i) {
      const auto b = static_cast<unsigned char>(p_[i]);
      if (b < 0x80 || b > 0xBF) return fail(errc::json_syntax, "invalid UTF-8 in a string");
    }
    doc_.strings_.append(p_, len);
    p_ += len;
    return true;
  }

  bool parse_string() {
    const std::uint32_t line = line_;
    ++p_;  // opening quote
    const std::size_t offset = doc_.strings_.size();
    for (;;) {
      const char* run = p_;
      while (p_ != end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      doc_.strings_.append(run, p_);
      if (p_ == end_) return fail(errc::json_syntax, "unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        break;
      }
      if (c == '\\') {
        if (!parse_escape()) return false;
      } else if (c < 0x20) {
        return fail(errc::json_syntax, "control character in a string (escape it)");
      } else if (!copy_utf8()) {
        return false;
      }
    }
    const std::size_t n = doc_.strings_.size() - offset;
    push(type::string, line, static_cast<std::uint32_t>(n), offset);
    return true;
  }

  bool parse_number() {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail(errc::json_syntax, "a number needs a digit after '-'");
    const char* int_start = p_;
    if (*p_ == '0') {
      ++p_;
      if (p_ != end_ && *p_ >= '0' && *p_ <= '9') return fail(errc::json_syntax, "leading zeros are not allowed");
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const char* int_end = p_;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail(errc::json_syntax, "a number needs a digit after '.'");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail(errc::json_syntax, "a number needs a digit in its exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    double d = 0;
    const auto [ptr, ec] = std::from_chars(start, p_, d);
    if (ec == std::errc::result_out_of_range) {
      d = overflows(int_start, int_end) ? std::numeric_limits<double>::infinity() : 0.0;
      if (negative) d = -d;
    } else if (ec != std::errc() || ptr != p_) {
      return fail(errc::json_syntax, "malformed number");
    }
    push(type::number, line_, 0, std::bit_cast<std::uint64_t>(d));
    return true;
  }

  // For a grammatical number that from_chars found out of range: too large
  // (true) or too small (false). Decided by the decimal exponent of its
  // leading significant digit.
  bool overflows(const char* int_start, const char* int_end) const {
    long long lead = -1;  // power of ten of the first significant digit
    bool found = false;
    long long pos = static_cast<long long>(int_end - int_start) - 1;
    for (const char* q = int_start; q != int_end; ++q, --pos)
      if (*q != '0') {
        lead = pos;
        found = true;
        break;
      }
    const char* q = int_end;
    if (q != p_ && *q == '.') {
      ++q;
      long long frac_pos = -1;
      for (; q != p_ && *q >= '0' && *q <= '9'; ++q, --frac_pos)
        if (!found && *q != '0') {
          lead = frac_pos;
          found = true;
        }
    }
    long long exp = 0;
    if (q != p_ && (*q == 'e' || *q == 'E')) {
      ++q;
      bool neg = false;
      if (*q == '+' || *q == '-') neg = *q++ == '-';
      for (; q != p_; ++q) {
        exp = exp * 10 + (*q - '0');
        if (exp > 1000000) break;  // far beyond any double either way
      }
      if (neg) exp = -exp;
    }
    return lead + exp > 0;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const char* line_start_;
  std::uint32_t line_ = 1;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  std::vector<node> stack_;
  document doc_;
  error err_;
  location err_where_;
};

result<document> parse(std::string_view text, const parse_options& options, location* where) {
  // Node indices and string offsets are 32-bit.
  const std::size_t hard_cap = std::numeric_limits<std::uint32_t>::max() / 2;
  const std::size_t cap = std::min(options.max_bytes, hard_cap);
  if (text.size() > cap) {
    if (where) *where = location{0, 0};
    return make_error(errc::file_too_large,
                      "JSON text of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                          std::to_string(cap) + " bytes");
  }
  parser p(text, options);
  return p.run(where);
}

// ---- writer --------------------------------------------------------------

void write_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void write(std::string& out, value v) {
  switch (v.kind()) {
    case type::null: out += "null"; return;
    case type::boolean: out += v.as_bool() ? "true" : "false"; return;
    case type::number: {
      const double d = v.as_number();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      return;
    }
    case type::string: write_string(out, v.as_string()); return;
    case type::array:
      out += '[';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        write(out, v[i]);
      }
      out += ']';
      return;
    case type::object:
      out += '{';
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        write_string(out, v.key_at(i));
        out += ':';
        write(out, v.value_at(i));
      }
      out += '}';
      return;
  }
}

std::string to_json(value v) {
  std::string s;
  write(s, v);
  return s;
}

}  // namespace warden::detail::json
