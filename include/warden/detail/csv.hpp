// warden/detail/csv.hpp — the CSV machinery under warden/readers.hpp: a
// chunked RFC 4180 record reader, number parsing and field writing.
// Internal (warden::detail): use warden/readers.hpp; other components that
// read their own CSV (points files, ...) may use csv_reader directly.
//
// csv_reader semantics:
//   - Records are separated by LF or CRLF; a final record without a line
//     terminator is a record. A UTF-8 byte order mark at the very start of
//     the input is skipped. Blank lines (empty, or a lone CR) are skipped.
//   - A field that starts with `"` is quoted: it may hold commas, CR, LF and
//     doubled quotes (`""` -> `"`). A quote anywhere else in a field, or
//     text between a closing quote and the next comma, is `bad_quote`.
//     Spaces are data (they are not trimmed here; typed parsers trim).
//   - Line numbers are physical and 1-based; a record's line is the line on
//     which it starts, so a record with quoted newlines advances the count
//     by more than one.
//   - A physical line longer than max_line_bytes (terminator excluded) is
//     `line_too_long`; so is a quoted record whose lines together exceed it
//     (`bad_quote`: the quote is almost certainly unterminated). After a bad
//     record reading resumes at the next physical line, so one stray quote
//     costs one record, not the rest of the file.
//   - Reading more than max_file_bytes in total is fatal (`file_too_large`),
//     as is a read failure (`io_error`).
//   - Memory is bounded by max_line_bytes + chunk_bytes (clamped to 1 GiB
//     and 64 MiB) whatever the input size; no allocation per record once the
//     first records have been seen.
//
// Thread-safety: a csv_reader is used by one thread at a time.
#pragma once

#include <warden/result.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <istream>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace warden::detail {

// A non-owning reference to a callable: the callback type of the readers
// (std::function would allocate for large captures and costs a copy).
template <class Sig>
class function_ref;

template <class R, class... A>
class function_ref<R(A...)> {
 public:
  template <class F,
            std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
                                 !std::is_function_v<std::remove_reference_t<F>> &&
                                 std::is_invocable_r_v<R, F&, A...>,
                             int> = 0>
  function_ref(F&& f) noexcept  // NOLINT(implicit): binds a lambda at the call site
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, A... a) -> R {
          return std::invoke(*static_cast<std::remove_reference_t<F>*>(o), std::forward<A>(a)...);
        }) {}

  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// ---------------------------------------------------------------------------
// Fields and numbers

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

enum class number_status : std::uint8_t { ok, empty, garbage, not_finite, out_of_range };

// Clinger's fast path for the common spelling `[-]digits[.digits]` with at
// most 15 digits: the digits as an integer and the power of ten are both
// exact doubles, so one correctly rounded division gives exactly the double
// std::from_chars gives (tests compare the two). False: use from_chars.
// Appends the run of decimal digits at p to m; returns where the run ends.
// Two digits per step: the multiply-add chain, not the loads, bounds the
// speed of a coordinate with nine or ten digits. m wraps (harmlessly) on
// runs of 20 digits or more; callers reject more than 15 anyway.
inline const char* accumulate_digits(const char* p, const char* const e, std::uint64_t& m) noexcept {
  const char* const limit = e;
  while (limit - p >= 2) {
    const unsigned a = static_cast<unsigned>(static_cast<unsigned char>(p[0])) - 48u;
    const unsigned b = static_cast<unsigned>(static_cast<unsigned char>(p[1])) - 48u;
    if (a > 9) return p;
    if (b > 9) {
      m = m * 10 + a;
      return p + 1;
    }
    m = m * 100 + (a * 10 + b);
    p += 2;
  }
  if (p < limit) {
    const unsigned a = static_cast<unsigned>(static_cast<unsigned char>(p[0])) - 48u;
    if (a <= 9) {
      m = m * 10 + a;
      ++p;
    }
  }
  return p;
}

inline bool parse_plain_decimal(const char* p, const char* const e, double& out) noexcept {
  static constexpr double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool neg = p < e && *p == '-';
  if (neg) ++p;
  std::uint64_t m = 0;
  const char* const int_begin = p;
  p = accumulate_digits(p, e, m);
  const bool has_int = p != int_begin;
  int digits = static_cast<int>(p - int_begin);
  int frac = 0;
  if (p < e && *p == '.') {
    const char* const frac_begin = ++p;
    p = accumulate_digits(p, e, m);
    frac = static_cast<int>(p - frac_begin);
    digits += frac;
  }
  if (p != e || digits == 0 || digits > 15 || (!has_int && frac == 0)) return false;
  const double v = static_cast<double>(m) / pow10[frac];
  out = neg ? -v : v;
  return true;
}

// Parses a whole field (surrounding blanks ignored, a leading '+' allowed) as
// a double, locale-independently. NaN and infinities parse but report
// not_finite; magnitudes a double cannot hold report out_of_range.
inline number_status parse_double(std::string_view s, double& out) noexcept {
  s = trim(s);
  if (s.empty()) return number_status::empty;
  const char* b = s.data();
  const char* const e = b + s.size();
  if (*b == '+') {
    ++b;
    if (b == e || *b == '-' || *b == '+') return number_status::garbage;
  }
  if (parse_plain_decimal(b, e, out)) return number_status::ok;
  const auto [p, ec] = std::from_chars(b, e, out, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return number_status::out_of_range;
  if (ec != std::errc() || p != e) return number_status::garbage;
  if (!std::isfinite(out)) return number_status::not_finite;
  return number_status::ok;
}

// A field quoted for an error message: at most 40 bytes, control characters
// shown as '?', so that a message is always one printable line.
inline std::string quote_for_message(std::string_view s) {
  std::string r = "'";
  const std::size_t n = std::min<std::size_t>(s.size(), 40);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    r += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (s.size() > n) r += "...";
  r += '\'';
  return r;
}

// Appends `text` as one CSV field, quoted only when it must be (comma, quote,
// CR, LF, or leading/trailing blanks that a reader would trim).
inline void append_csv_field(std::string& out, std::string_view text) {
  const bool needs = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.front() == '\t' ||
                                        text.back() == ' ' || text.back() == '\t'));
  if (!needs) {
    out.append(text);
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// Appends v with exactly `decimals` digits after the point (std::to_chars,
// so never locale-dependent). A value that rounds to zero is written without
// a minus sign, so -0.00000001 and 0 give the same bytes. Non-finite values
// are written as "nan" / "inf" / "-inf" (callers write validated values).
inline void append_decimal(std::string& out, double v, int decimals) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  const char* b = buf;
  if (r.ec != std::errc()) {
    out += std::isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
    return;
  }
  if (*b == '-' && std::all_of(b + 1, static_cast<const char*>(r.ptr), [](char c) { return c == '0' || c == '.'; }))
    ++b;
  out.append(b, static_cast<std::size_t>(r.ptr - b));
}

// ---------------------------------------------------------------------------
// Byte sources

// Where a csv_reader gets its bytes.
class byte_source {
 public:
  virtual ~byte_source() = default;
  // Reads up to n (> 0) bytes into p; returns how many, 0 at end of input or
  // on failure (then failed() is true).
  virtual std::size_t read(char* p, std::size_t n) = 0;
  virtual bool failed() const noexcept = 0;
};

// Reads an std::istream with unformatted read(); blocks until n bytes or the
// end of the stream.
class istream_source final : public byte_source {
 public:
  explicit istream_source(std::istream& in) noexcept : in_(in) {}
  std::size_t read(char* p, std::size_t n) override {
    if (in_.bad()) {
      failed_ = true;
      return 0;
    }
    if (in_.fail()) return 0;  // eof was reached on an earlier read
    try {
      in_.read(p, static_cast<std::streamsize>(n));
    } catch (...) {
      failed_ = true;
      return 0;
    }
    if (in_.bad()) {
      failed_ = true;
      return 0;
    }
    return static_cast<std::size_t>(in_.gcount());
  }
  bool failed() const noexcept override { return failed_; }

 private:
  std::istream& in_;
  bool failed_ = false;
};

// Reads a byte range already in memory (no copy of the whole input).
class memory_source final : public byte_source {
 public:
  explicit memory_source(std::string_view data) noexcept : data_(data) {}
  std::size_t read(char* p, std::size_t n) override {
    const std::size_t k = std::min(n, data_.size());
    std::memcpy(p, data_.data(), k);
    data_.remove_prefix(k);
    return k;
  }
  bool failed() const noexcept override { return false; }

 private:
  std::string_view data_;
};

// ---------------------------------------------------------------------------
// The record reader

struct csv_limits {
  std::size_t max_line_bytes = 64 * 1024;
  std::uint64_t max_file_bytes = std::numeric_limits<std::uint64_t>::max();
  std::size_t chunk_bytes = 256 * 1024;  // bytes asked of the source per read
};

enum class csv_status : std::uint8_t {
  record,      // fields() holds the record starting at line()
  bad_record,  // the record at line() is malformed: error_code(), error_message()
  end,         // no more input
  fatal,       // io_error or file_too_large: error_code(), error_message(); stop
};

class csv_reader {
 public:
  explicit csv_reader(byte_source& src, csv_limits lim = {})
      : src_(src),
        lim_(sanitise(lim)),
        cap_(lim_.max_line_bytes + 2 + lim_.chunk_bytes),
        buf_(new char[cap_]) {
    fields_.reserve(32);
  }

  csv_status next() {
    if (fatal_) return csv_status::fatal;
    if (!started_) {
      started_ = true;
      while (end_ - pos_ < 3 && refill()) {}
      if (fatal_) return csv_status::fatal;
      if (end_ - pos_ >= 3 && std::memcmp(buf_.get() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
    }
    const std::size_t max_line = lim_.max_line_bytes;
    for (;;) {
      line_ = next_line_;
      // Find the end of the physical line, reading more as needed; never
      // look further than a line may be long.
      const char* nl = nullptr;
      for (;;) {
        const std::size_t avail = end_ - pos_;
        nl = static_cast<const char*>(std::memchr(buf_.get() + pos_, '\n', std::min(avail, max_line + 2)));
        if (nl != nullptr || avail >= max_line + 2) break;
        if (!refill()) {
          if (fatal_) return csv_status::fatal;
          break;  // end of input: the rest is the final line
        }
      }
      const char* const b = buf_.get() + pos_;
      const std::size_t avail = end_ - pos_;
      if (nl == nullptr && avail == 0) return csv_status::end;
      if (nl == nullptr && avail >= max_line + 2) {
        if (!skip_line()) return csv_status::fatal;
        return bad(errc::line_too_long, "line longer than " + std::to_string(max_line) + " bytes");
      }
      const char* const le = nl != nullptr ? nl : buf_.get() + end_;
      const std::size_t after = static_cast<std::size_t>(le - buf_.get()) + (nl != nullptr ? 1 : 0);
      std::size_t len = static_cast<std::size_t>(le - b);
      if (len > 0 && b[len - 1] == '\r') --len;
      if (len > max_line) {
        pos_ = after;
        ++next_line_;
        return bad(errc::line_too_long, "line of " + std::to_string(len) + " bytes, longer than " +
                                            std::to_string(max_line));
      }
      if (len == 0) {
        pos_ = after;
        ++next_line_;
        continue;
      }
      if (next_quote() >= pos_ + len) {
        split_plain(b, len);
        pos_ = after;
        ++next_line_;
        return csv_status::record;
      }
      return parse_quoted();
    }
  }

  // The fields of the last record; valid until the next call of next().
  const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  // First physical line (1-based) of the last record or bad record.
  std::uint64_t line() const noexcept { return line_; }
  // Physical lines consumed so far.
  std::uint64_t lines() const noexcept { return next_line_ - 1; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  errc error_code() const noexcept { return error_.code; }
  const std::string& error_message() const noexcept { return error_.message; }

 private:
  // The buffer holds a whole line plus a chunk, so both are clamped to
  // sizes that can be allocated (a line of 1 GiB is no longer a CSV line).
  static csv_limits sanitise(csv_limits l) noexcept {
    l.max_line_bytes = std::clamp<std::size_t>(l.max_line_bytes, 1, std::size_t{1} << 30);
    l.chunk_bytes = std::clamp<std::size_t>(l.chunk_bytes, 1, std::size_t{1} << 26);
    return l;
  }

  csv_status bad(errc code, std::string message) {
    error_ = make_error(code, std::move(message));
    return csv_status::bad_record;
  }

  // Moves the unread bytes to the front and reads more. False at the end of
  // input or on a fatal error (fatal_ set).
  bool refill() {
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      end_ -= pos_;
      qpos_ = qpos_ != npos && qpos_ >= pos_ ? qpos_ - pos_ : npos;
      qscan_ = qscan_ > pos_ ? qscan_ - pos_ : 0;
      pos_ = 0;
    }
    if (eof_ || end_ == cap_) return false;
    const std::size_t n = src_.read(buf_.get() + end_, std::min(cap_ - end_, lim_.chunk_bytes));
    if (src_.failed()) {
      fatal_ = true;
      error_ = make_error(errc::io_error, "read failed");
      return false;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    bytes_ += n;
    end_ += n;
    if (bytes_ > lim_.max_file_bytes) {
      fatal_ = true;
      error_ = make_error(errc::file_too_large,
                          "input larger than the limit of " + std::to_string(lim_.max_file_bytes) + " bytes");
      return false;
    }
    return true;
  }

  // Discards input up to and including the next LF. False on a fatal error.
  bool skip_line() {
    for (;;) {
      const auto* nl = static_cast<const char*>(std::memchr(buf_.get() + pos_, '\n', end_ - pos_));
      if (nl != nullptr) {
        pos_ = static_cast<std::size_t>(nl - buf_.get()) + 1;
        break;
      }
      pos_ = end_;
      if (!refill()) {
        if (fatal_) return false;
        break;
      }
    }
    ++next_line_;
    return true;
  }

  // The hot loop of every reader. Fields are short, so a memchr call per
  // field costs more than it saves; 16 bytes at a time with SSE2 (always
  // present on x86-64), a byte loop elsewhere and for the tail.
  void split_plain(const char* b, std::size_t len) {
    fields_.clear();
    const char* start = b;
    const char* p = b;
    const char* const e = b + len;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(',');
    for (; e - p >= 16; p += 16) {
      auto mask = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), comma)));
      while (mask != 0) {
        const char* const c = p + __builtin_ctz(mask);
        fields_.emplace_back(start, static_cast<std::size_t>(c - start));
        start = c + 1;
        mask &= mask - 1;
      }
    }
#endif
    for (; p < e; ++p) {
      if (*p != ',') continue;
      fields_.emplace_back(start, static_cast<std::size_t>(p - start));
      start = p + 1;
    }
    fields_.emplace_back(start, static_cast<std::size_t>(e - start));
  }

  // Offset of the first '"' at or after pos_, or end_ when there is none in
  // the buffer. Each buffered byte is searched once (one memchr per buffer,
  // not one per line).
  std::size_t next_quote() noexcept {
    if (qpos_ != npos && qpos_ >= pos_) return qpos_;
    const std::size_t from = std::max(qscan_, pos_);
    const auto* q = from < end_ ? static_cast<const char*>(std::memchr(buf_.get() + from, '"', end_ - from)) : nullptr;
    if (q == nullptr) {
      qpos_ = npos;
      qscan_ = end_;
      return end_;
    }
    qpos_ = static_cast<std::size_t>(q - buf_.get());
    qscan_ = qpos_ + 1;
    return qpos_;
  }

  enum class scan : std::uint8_t { done, need_more, unterminated, too_long };

  // Parses the record at pos_ (which contains a quote) into scratch_ and
  // spans_. The whole record must be in the buffer: need_more asks for a
  // refill and a restart (bounded: a record is at most max_line_bytes).
  scan scan_quoted(std::size_t& rec_end, std::uint64_t& newlines, bool& misplaced) {
    scratch_.clear();
    spans_.clear();
    newlines = 0;
    misplaced = false;
    const char* const b = buf_.get() + pos_;
    const char* const e = buf_.get() + end_;
    const char* const limit = b + std::min<std::size_t>(static_cast<std::size_t>(e - b), lim_.max_line_bytes + 2);
    const char* p = b;
    for (;;) {
      const std::size_t start = scratch_.size();
      if (p < e && *p == '"') {
        ++p;
        for (;;) {
          if (p >= limit) {
            if (limit < e) return scan::too_long;
            return eof_ ? scan::unterminated : scan::need_more;
          }
          const char c = *p;
          if (c == '"') {
            if (p + 1 >= e && !eof_) return scan::need_more;
            if (p + 1 < e && p[1] == '"') {
              scratch_ += '"';
              p += 2;
              continue;
            }
            ++p;
            break;
          }
          if (c == '\n') ++newlines;
          scratch_ += c;
          ++p;
        }
        // Only a comma, a line end or the end of input may follow.
        while (p < e && *p != ',' && *p != '\n') {
          if (*p == '\r') {
            if (p + 1 >= e && !eof_) return scan::need_more;
            if (p + 1 >= e || p[1] == '\n') {
              ++p;
              continue;
            }
          }
          misplaced = true;
          ++p;
        }
      } else {
        while (p < e && *p != ',' && *p != '\n') {
          if (*p == '"') misplaced = true;
          scratch_ += *p;
          ++p;
        }
        if ((p >= e || *p == '\n') && scratch_.size() > start && scratch_.back() == '\r') scratch_.pop_back();
      }
      spans_.emplace_back(start, scratch_.size() - start);
      if (static_cast<std::size_t>(p - b) > lim_.max_line_bytes + 1) return scan::too_long;
      if (p >= e) {
        if (!eof_) return scan::need_more;
        rec_end = end_;
        return scan::done;
      }
      if (*p == ',') {
        ++p;
        continue;
      }
      rec_end = static_cast<std::size_t>(p - buf_.get()) + 1;  // past the LF
      return scan::done;
    }
  }

  csv_status parse_quoted() {
    for (;;) {
      std::size_t rec_end = 0;
      std::uint64_t newlines = 0;
      bool misplaced = false;
      scan s = scan_quoted(rec_end, newlines, misplaced);
      if (s == scan::need_more) {
        if (refill()) continue;
        if (fatal_) return csv_status::fatal;
        // At the end of input, scan again to conclude; with a full buffer
        // (text after a quoted line break) the record is simply too long.
        if (eof_) continue;
        s = scan::too_long;
      }
      if (s == scan::done) {
        pos_ = rec_end;
        next_line_ += 1 + newlines;
        if (misplaced) return bad(errc::bad_quote, "quote inside an unquoted field or text after a closing quote");
        fields_.clear();
        for (const auto& [off, n] : spans_) fields_.emplace_back(scratch_.data() + off, n);
        return csv_status::record;
      }
      // Unterminated quote: give up on this physical line only.
      const char* const b = buf_.get() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(b, '\n', end_ - pos_));
      pos_ = nl != nullptr ? static_cast<std::size_t>(nl - buf_.get()) + 1 : end_;
      ++next_line_;
      return bad(errc::bad_quote, s == scan::unterminated
                                      ? "quoted field not terminated before the end of input"
                                      : "quoted field not terminated within " +
                                            std::to_string(lim_.max_line_bytes) + " bytes");
    }
  }

  byte_source& src_;
  csv_limits lim_;
  std::size_t cap_;
  std::unique_ptr<char[]> buf_;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t pos_ = 0;  // first unread byte
  std::size_t end_ = 0;  // end of buffered bytes
  bool eof_ = false;
  bool fatal_ = false;
  bool started_ = false;
  std::size_t qpos_ = npos;  // a known quote at or after pos_ (npos: none known)
  std::size_t qscan_ = 0;    // no quote in [pos_, qscan_) other than at qpos_
  std::uint64_t bytes_ = 0;
  std::uint64_t line_ = 0;
  std::uint64_t next_line_ = 1;
  std::vector<std::string_view> fields_;
  std::string scratch_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  error error_;
};

}  // namespace warden::detail
