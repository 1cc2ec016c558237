// warden/detail/json.hpp — a small, strict JSON parser for untrusted input
// (RFC 8259), internal to warden's readers.
//
// Why our own: diagnostics name FILE:LINE, so every value remembers the
// 1-based line where it starts; and input from outside needs hard limits on
// nesting depth and size before anything is allocated for it.
//
// Strict: no comments, no trailing commas, no NaN/Infinity, no leading zeros
// or '+', no control characters or invalid UTF-8 inside strings, no unpaired
// surrogates, no duplicate member names in one object, nothing after the
// value. A UTF-8 byte-order mark at the start is skipped. \uXXXX escapes
// (including surrogate pairs) are decoded to UTF-8. Numbers are IEEE doubles,
// correctly rounded; a number too large for a double becomes +-infinity (so
// that a reader can reject that one record rather than the whole file).
// Member order is preserved.
//
// The document owns all nodes in one array and all string bytes in one
// buffer; a `value` is a small handle into it, valid while the document
// lives (documents are move-only in practice: copying copies everything).
//
// Thread-safety: a parsed document is immutable; share it across threads.
#pragma once

#include <warden/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::detail::json {

enum class type : std::uint8_t { null = 0, boolean, number, string, array, object };
// "null", "boolean", "number", "string", "array", "object".
std::string_view to_string(type t) noexcept;

struct parse_options {
  std::size_t max_depth = 256;                       // arrays/objects nested deeper -> json_too_deep
  std::size_t max_bytes = std::size_t{256} << 20;    // longer text -> file_too_large
};

// Where a parse error was found: 1-based line, 1-based byte column.
struct location {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

class document;

// A handle to one value of a document. Accessors whose precondition is a
// type (as_number on a number, ...) return a neutral value otherwise.
class value {
 public:
  value() = default;

  type kind() const noexcept;
  std::uint32_t line() const noexcept;  // 1-based line where the value starts
  bool is_null() const noexcept { return kind() == type::null; }
  bool is_bool() const noexcept { return kind() == type::boolean; }
  bool is_number() const noexcept { return kind() == type::number; }
  bool is_string() const noexcept { return kind() == type::string; }
  bool is_array() const noexcept { return kind() == type::array; }
  bool is_object() const noexcept { return kind() == type::object; }

  bool as_bool() const noexcept;            // false unless a true boolean
  double as_number() const noexcept;        // 0 unless a number
  std::string_view as_string() const noexcept;  // empty unless a string (may hold NUL bytes)

  // Elements of an array or members of an object; 0 for other types.
  std::size_t size() const noexcept;
  // Array element i < size().
  value operator[](std::size_t i) const noexcept;
  // Object member i < size(): its name and its value.
  std::string_view key_at(std::size_t i) const noexcept;
  value value_at(std::size_t i) const noexcept;
  // The member named `key` of an object (names are unique), or nullopt.
  std::optional<value> find(std::string_view key) const noexcept;

 private:
  friend class document;
  value(const document* doc, std::uint32_t index) noexcept : doc_(doc), index_(index) {}
  const document* doc_ = nullptr;
  std::uint32_t index_ = 0;
};

// Internal node layout (public only so that the document can be a plain
// aggregate of vectors). Children of an array or object are contiguous;
// object children alternate name (a string node) and value.
struct node {
  type kind = type::null;
  std::uint32_t line = 0;
  std::uint32_t count = 0;    // string bytes, array elements or object members
  std::uint64_t payload = 0;  // number bits, boolean, first child, or string offset
};

class document {
 public:
  value root() const noexcept { return value(this, root_); }
  std::size_t node_count() const noexcept { return nodes_.size(); }

 private:
  friend class value;
  friend class parser;
  std::vector<node> nodes_;
  std::string strings_;
  std::uint32_t root_ = 0;
};

// Parses `text` as one JSON value. Errors: json_syntax, json_too_deep,
// file_too_large; `where`, if given, receives the error's position.
result<document> parse(std::string_view text, const parse_options& options = {},
                       location* where = nullptr);

// Appends `s` as a JSON string literal: '"' and '\\' get a backslash, LF, CR
// and TAB are written \n \r \t, every other byte below 0x20 (\b and \f
// included) \u00XX with lower-case hex digits, all other bytes as they are
// (UTF-8 is kept, not checked). The one string escaper of warden: the alert
// stream (FORMATS.md; append_json_string in warden/alert.hpp) is written
// with it, so its spelling is part of that format.
void write_string(std::string& out, std::string_view s);

// Appends `v` as compact JSON (no spaces; numbers in shortest round-trip
// form, integers without a fraction; non-finite numbers as null; strings as
// write_string writes them). Deterministic.
void write(std::string& out, value v);
std::string to_json(value v);

}  // namespace warden::detail::json
