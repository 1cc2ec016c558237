// ISO 8601 / epoch-millisecond parsing and formatting (warden/time.hpp).
// Hand-written because the fixes reader parses millions of these a second.
#include <warden/time.hpp>

#include <charconv>

namespace warden {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29u : dm[m - 1];
}

inline bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads exactly n digits at s[i..]; false when any is not a digit.
inline bool fixed(std::string_view s, std::size_t i, std::size_t n, unsigned& out) noexcept {
  if (i + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = s[i + k];
    if (!digit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

error bad(std::string_view text, const char* why) {
  std::string m = "'";
  m.append(text.substr(0, 64));
  m += "' is not a time: ";
  m += why;
  return make_error(errc::bad_time, std::move(m));
}

}  // namespace

result<instant> parse_instant(std::string_view s) noexcept {
  if (instant t; detail::parse_instant_fast(s, t)) return t;
  return detail::parse_instant_general(s);
}

result<instant> detail::parse_instant_general(std::string_view s) noexcept try {
  // Trim surrounding blanks: CSV writers are not always tidy.
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return bad(s, "empty");

  // Epoch milliseconds: all digits (optionally signed), no separators.
  bool all_digits = true;
  for (std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0; i < s.size(); ++i)
    if (!digit(s[i])) { all_digits = false; break; }
  if (all_digits && s.size() > 4 && s[4] != '-') {
    std::int64_t ms = 0;
    const char* b = s.data() + (s[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), ms);
    if (ec == std::errc::result_out_of_range)
      return make_error(errc::time_out_of_range, "epoch milliseconds out of range: " + std::string(s));
    if (ec != std::errc() || p != s.data() + s.size()) return bad(s, "malformed epoch milliseconds");
    const instant t = from_epoch_ms(ms);
    if (t < min_instant() || t >= max_instant())
      return make_error(errc::time_out_of_range, "epoch milliseconds out of range (1970..2199): " + std::string(s));
    return t;
  }

  unsigned y, mo, d, hh, mi, ss = 0;
  if (!fixed(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !fixed(s, 5, 2, mo) || s[7] != '-' ||
      !fixed(s, 8, 2, d))
    return bad(s, "expected YYYY-MM-DD");
  if (s.size() < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !fixed(s, 11, 2, hh) ||
      s[13] != ':' || !fixed(s, 14, 2, mi))
    return bad(s, "expected THH:MM after the date");
  std::size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!fixed(s, 17, 2, ss)) return bad(s, "expected seconds after HH:MM:");
    i = 19;
  }
  std::int64_t ms = 0;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    std::size_t n = 0;
    std::int64_t scale = 100;
    while (i < s.size() && digit(s[i])) {
      if (n < 3) ms += (s[i] - '0') * scale, scale /= 10;
      ++n, ++i;
      if (n > 9) return bad(s, "more than 9 fraction digits");
    }
    if (n == 0) return bad(s, "empty fraction");
  }
  if (mo < 1 || mo > 12) return bad(s, "month out of 1..12");
  if (d < 1 || d > days_in_month(y, mo)) return bad(s, "day out of range for the month");
  if (hh > 23) return bad(s, "hour out of 0..23");
  if (mi > 59) return bad(s, "minute out of 0..59");
  if (ss > 59) return bad(s, "second out of 0..59 (leap seconds are not represented)");

  std::int64_t offset_min = 0;
  if (i >= s.size()) return bad(s, "no Z or UTC offset (a bare local time is ambiguous)");
  const char z = s[i];
  if (z == 'Z' || z == 'z') {
    ++i;
  } else if (z == '+' || z == '-') {
    unsigned oh = 0, om = 0;
    if (!fixed(s, i + 1, 2, oh)) return bad(s, "malformed UTC offset");
    i += 3;
    if (i < s.size() && s[i] == ':') {
      if (!fixed(s, i + 1, 2, om)) return bad(s, "malformed UTC offset minutes");
      i += 3;
    } else if (i + 2 <= s.size() && fixed(s, i, 2, om)) {
      i += 2;
    }
    if (oh > 18 || om > 59) return bad(s, "UTC offset out of range");
    offset_min = (z == '-' ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
  } else {
    return bad(s, "unexpected character where Z or an offset belongs");
  }
  if (i != s.size()) return bad(s, "trailing characters");

  const std::int64_t days = days_from_civil(y, mo, d);
  const std::int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_min * 60;
  const instant t = from_epoch_ms(secs * 1000 + ms);
  if (t < min_instant() || t >= max_instant())
    return make_error(errc::time_out_of_range,
                      "time out of the supported range 1970..2199: " + std::string(s));
  return t;
} catch (...) {
  return make_error(errc::bad_time, "time could not be parsed");
}

void append_instant(std::string& out, instant t) {
  const std::int64_t total_ms = to_epoch_ms(t);
  std::int64_t days = total_ms / 86400000;
  std::int64_t rem = total_ms % 86400000;
  if (rem < 0) rem += 86400000, --days;
  const civil c = civil_from_days(days);
  const unsigned ms = static_cast<unsigned>(rem % 1000);
  const unsigned sec = static_cast<unsigned>(rem / 1000);
  char buf[32];
  char* p = buf;
  auto put = [&p](unsigned v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      p[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p += width;
  };
  put(static_cast<unsigned>(c.y), 4);
  *p++ = '-';
  put(c.m, 2);
  *p++ = '-';
  put(c.d, 2);
  *p++ = 'T';
  put(sec / 3600, 2);
  *p++ = ':';
  put(sec / 60 % 60, 2);
  *p++ = ':';
  put(sec % 60, 2);
  if (ms != 0) {
    *p++ = '.';
    put(ms, 3);
  }
  *p++ = 'Z';
  out.append(buf, p);
}

std::string format_instant(instant t) {
  std::string s;
  s.reserve(24);
  append_instant(s, t);
  return s;
}

}  // namespace warden
