// warden/schedule.hpp — weekly windows in local time (curfews, school-hours
// exclusion zones), evaluated as UTC instants.
//
// A schedule_spec is what a zone's GeoJSON `schedule` property says
// (FORMATS.md); schedule::compile validates it once, and the compiled
// `schedule` then answers "is it active at instant t?" without touching the
// time-zone database.
//
//   auto s = warden::schedule::compile({.tz = "Europe/London",
//                                       .windows = {{{"mon", "tue"}, "19:00", "07:00"}}});
//   if (!s) report(s.err());
//   bool on = s->is_active(t);                 // t: warden::instant (UTC, ms)
//   for (auto w : s->windows(a, b)) ...        // [start, end) UTC intervals
//
// Semantics (all times in a window spec are local wall-clock times in `tz`):
// - A window {days, start, end} opens at `start` on each listed day; it
//   closes at `end` the same day when end is after start, otherwise at `end`
//   on the next day ("19:00"-"07:00" crosses midnight; "00:00"-"00:00" is a
//   whole day). "24:00" is accepted as an end only (midnight at the end of the
//   start day). Times are exactly "HH:MM"; days are "mon".."sun" (any case).
// - Clock changes (DESIGN.md): a local start or end time that does not exist
//   (the spring-forward gap) maps to the transition instant; one that occurs
//   twice (the autumn hour) takes the EARLIER instant for a start and the
//   LATER instant for an end, so a window is never silently shortened. So a
//   19:00-07:00 curfew lasts 11 h on the spring-forward night and 13 h on the
//   fall-back night in Europe/London. A window entirely inside the
//   spring-forward gap (e.g. 01:10-01:50 in London) is empty that night.
// - `except` dates remove the windows that START on those local dates (the
//   19:00-07:00 window starting on 2026-12-25 is removed; the one that began
//   on 24 December and ends on the 25th at 07:00 is kept).
// - `from` / `until`: a local date "YYYY-MM-DD" keeps only windows that start
//   on or after / on or before that date (inclusive, same rule as except);
//   an instant (anything parse_instant accepts) clips the active time to
//   t >= from / t < until. Empty = unbounded.
// - Overlapping or touching windows merge: activity is a set of instants.
// - Outside the supported instant range [min_instant, max_instant) a
//   schedule is never active.
//
// Boundaries: windows are half-open, [start, end): active at start, not at
// end. Resolution is the millisecond of warden::instant.
//
// Cost and thread-safety: compile() looks the zone up once. The UTC windows
// are expanded lazily, 256 UTC days at a time, on the first query that
// needs a block, then kept for the life of the schedule (about 5 KiB per
// block for a daily curfew); afterwards is_active is a range check, one
// atomic load and one or two comparisons. The block cache is thread-safe:
// all const member functions may be called concurrently from any number of
// threads (blocks are built under a mutex and published with release/acquire
// atomics). Copies of a schedule share one cache. The first query in a
// block allocates and reads the tz database; call prepare(a, b) at load time
// to keep that off the hot path. Allocation failure inside the noexcept
// queries terminates the process, as with any noexcept allocation.
#pragma once

#include <warden/result.hpp>
#include <warden/time.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace warden {

// The schedule as written in a zone's GeoJSON `schedule` property
// (FORMATS.md), before validation. Strings are kept verbatim.
struct schedule_spec {
  struct window {
    std::vector<std::string> days;  // "mon".."sun"
    std::string start;              // "HH:MM" local
    std::string end;                // "HH:MM" local; not after start => next day
  };
  std::string tz = "Europe/London";
  std::vector<window> windows;
  std::vector<std::string> except;  // local dates "YYYY-MM-DD"
  std::string from;                 // local date (inclusive) or instant; empty = unbounded
  std::string until;                // local date (inclusive) or instant; empty = unbounded
};

// A half-open UTC interval [start, end).
struct utc_interval {
  instant start;
  instant end;
  friend constexpr bool operator==(const utc_interval&, const utc_interval&) = default;
};

namespace detail {
// Days per cache block (a power of two so the block index is a shift).
inline constexpr std::int64_t schedule_block_days = 256;
inline constexpr std::int64_t ms_per_day = 86'400'000;
// The merged active intervals overlapping one block, clipped to it, and for
// each UTC day of the block the index of the first interval ending after
// that day's midnight (entry 256 is for the block's end).
struct schedule_block {
  std::vector<utc_interval> w;
  std::array<std::uint32_t, schedule_block_days + 1> day_first{};
};
struct schedule_state;  // the compiled spec and the block cache (schedule.cpp)
}  // namespace detail

class schedule {
 public:
  // Validates and compiles a spec. Errors (with a message naming the value):
  //   empty_schedule     no windows
  //   bad_day            a day name not in mon..sun, or a window with no days
  //   bad_local_time     start/end not "HH:MM" 00:00..23:59 (end may be 24:00)
  //   unknown_time_zone  tz not in the system tz database (or empty)
  //   bad_date           an except / from / until value that is not a date
  //                      (or, for from/until, an instant)
  //   bad_schedule       from after until; more than 1,000 windows or
  //                      100,000 except dates
  static result<schedule> compile(const schedule_spec& spec);

  // A schedule that is never active (what a default-constructed member of a
  // container holds; a zone without a schedule is "always active" by the
  // zone's own rule, not by this).
  schedule() noexcept = default;

  // True when t lies in an active window. Hot path: no tz lookup and no
  // allocation once t's block is cached.
  bool is_active(instant t) const noexcept;

  // The active windows overlapping [a, b), in order, merged where they touch
  // or overlap, each with its full extent (a window that began before a is
  // returned from its real start). Empty when a >= b.
  std::vector<utc_interval> windows(instant a, instant b) const;

  // The first instant u > t at which is_active changes (a window opens or
  // closes); nullopt when there is none before max_instant().
  std::optional<instant> next_transition(instant t) const noexcept;

  // Expands the cache over [a, b) now, so that later queries there never
  // allocate or read the tz database.
  void prepare(instant a, instant b) const noexcept;

  // The IANA name the schedule was compiled with (empty when default-constructed).
  const std::string& time_zone_name() const noexcept;

 private:
  const detail::schedule_block* block(std::int64_t block_index) const noexcept;
  const detail::schedule_block* build_block(std::int64_t block_index) const noexcept;

  std::shared_ptr<detail::schedule_state> s_;
  // Copies of the state's hot fields, so is_active needs no pointer chase.
  std::int64_t lo_ms_ = 0;  // never active before this
  std::int64_t hi_ms_ = 0;  // never active at or after this
  std::int64_t first_block_ = 0;
  std::atomic<const detail::schedule_block*>* blocks_ = nullptr;
};

inline const detail::schedule_block* schedule::block(std::int64_t block_index) const noexcept {
  const detail::schedule_block* b = blocks_[block_index - first_block_].load(std::memory_order_acquire);
  if (b == nullptr) [[unlikely]]
    b = build_block(block_index);
  return b;
}

inline bool schedule::is_active(instant t) const noexcept {
  const std::int64_t ms = t.time_since_epoch().count();
  if (ms < lo_ms_ || ms >= hi_ms_) return false;
  // lo_ms_ >= 0, so the unsigned division is exact and cheaper.
  const std::uint64_t day = static_cast<std::uint64_t>(ms) / static_cast<std::uint64_t>(detail::ms_per_day);
  const detail::schedule_block* b = block(static_cast<std::int64_t>(day / detail::schedule_block_days));
  const std::size_t d = day % detail::schedule_block_days;
  // The first interval ending after t has an index in [day_first[d], day_first[d+1]].
  std::size_t i = b->day_first[d];
  const std::size_t e = b->day_first[d + 1];
  const utc_interval* w = b->w.data();
  while (i < e && w[i].end <= t) ++i;
  return i < b->w.size() && w[i].start <= t;
}

}  // namespace warden
