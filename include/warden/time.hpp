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

}  // namespace warden
