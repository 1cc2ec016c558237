// warden/time.hpp — UTC instants and their text forms.
//
// An instant is a UTC time point with millisecond resolution. Local time
// never appears here: it exists only inside schedules (warden/schedule.hpp).
//
// Text forms accepted by parse_instant:
//   2026-03-29T00:59:30Z            (UTC)
//   2026-03-29T01:59:30+01:00       (offset; also +0100 and +01)
//   2026-03-29T00:59:30.250Z        (fraction: up to 9 digits; digits finer
//                                    than a millisecond are truncated)
//   2026-03-29 00:59:30Z            (space instead of T)
//   1774745970000                   (integer epoch milliseconds)
// A time without Z or an offset is rejected (bad_time): a bare local time is
// ambiguous and the formats say so.
//
// Supported range: 1970-01-01T00:00:00Z <= t < 2200-01-01T00:00:00Z; other
// well-formed times give time_out_of_range.
//
// format_instant always writes `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` only when
// the milliseconds are not zero, so formatting is deterministic.
//
// Thread-safety: pure functions.
#pragma once

#include <warden/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden {

using milliseconds = std::chrono::milliseconds;
// A UTC instant, millisecond resolution.
using instant = std::chrono::sys_time<milliseconds>;

// Epoch milliseconds <-> instant.
constexpr instant from_epoch_ms(std::int64_t ms) noexcept { return instant{milliseconds{ms}}; }
constexpr std::int64_t to_epoch_ms(instant t) noexcept { return t.time_since_epoch().count(); }

// The supported range, [min_instant, max_instant).
constexpr instant min_instant() noexcept { return from_epoch_ms(0); }
constexpr instant max_instant() noexcept { return from_epoch_ms(7258118400000LL); }  // 2200-01-01

// Parses one of the forms above. Errors: bad_time, time_out_of_range.
result<instant> parse_instant(std::string_view text) noexcept;

// Formats as `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
std::string format_instant(instant t);
// Appends the same text to `out` without allocating beyond out's growth.
void append_instant(std::string& out, instant t);

namespace detail {

// The general parser behind parse_instant, without the fast path below
// (tests compare the two).
result<instant> parse_instant_general(std::string_view text) noexcept;

inline constexpr std::uint16_t month_start_doy[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

// The spelling that writers (and format_instant) produce almost always:
// exactly `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ`, no blanks,
// year 1970..2199. Accepts only text that parse_instant accepts, and gives
// the same instant; false means "not this spelling, or not valid": use
// parse_instant, which then reports the error. Exists because the fixes
// reader parses two times per row and result<instant> is not free.
inline bool parse_instant_fast(std::string_view s, instant& out) noexcept {
  const std::size_t n = s.size();
  if (n != 20 && n != 24) return false;
  const char* const p = s.data();
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || p[n - 1] != 'Z') return false;
  // Unsigned byte differences: a non-digit becomes > 9.
  auto dv = [p](std::size_t i) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(p[i])) - 48u; };
  const unsigned y0 = dv(0), y1 = dv(1), y2 = dv(2), y3 = dv(3), mo0 = dv(5), mo1 = dv(6), d0 = dv(8), d1 = dv(9),
                 h0 = dv(11), h1 = dv(12), mi0 = dv(14), mi1 = dv(15), s0 = dv(17), s1 = dv(18);
  unsigned frac = 0;
  if (n == 24) {
    if (p[19] != '.') return false;
    const unsigned f0 = dv(20), f1 = dv(21), f2 = dv(22);
    if ((f0 > 9) | (f1 > 9) | (f2 > 9)) return false;
    frac = f0 * 100 + f1 * 10 + f2;
  }
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (mo0 > 9) | (mo1 > 9) | (d0 > 9) | (d1 > 9) | (h0 > 9) |
      (h1 > 9) | (mi0 > 9) | (mi1 > 9) | (s0 > 9) | (s1 > 9))
    return false;
  const unsigned y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const unsigned mo = mo0 * 10 + mo1, d = d0 * 10 + d1, hh = h0 * 10 + h1, mi = mi0 * 10 + mi1, ss = s0 * 10 + s1;
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || hh > 23 || mi > 59 || ss > 59) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  constexpr std::uint8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > dim[mo - 1] + static_cast<unsigned>(leap && mo == 2)) return false;
  // Leap days in [1970, y): leap years below y minus those below 1970 (477).
  const unsigned yb = y - 1;
  const unsigned leaps = yb / 4 - yb / 100 + yb / 400 - 477u;
  const std::int64_t days = static_cast<std::int64_t>((y - 1970) * 365 + leaps + month_start_doy[mo - 1] +
                                                      static_cast<unsigned>(leap && mo > 2) + d - 1);
  const std::int64_t secs = days * 86400 + static_cast<std::int64_t>(hh * 3600 + mi * 60 + ss);
  out = from_epoch_ms(secs * 1000 + frac);
  return true;
}

}  // namespace detail

}  // namespace warden
