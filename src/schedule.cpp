// Compiled weekly schedules in local time (warden/schedule.hpp).
//
// The tz database is consulted only when a 256-day block of UTC windows is
// expanded; queries then run on the cached, merged intervals.
#include <warden/schedule.hpp>

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <mutex>
#include <string_view>

namespace warden {
namespace detail {

// One weekly window on one weekday: minutes after local midnight of the
// start date; end_min > start_min and end_min <= start_min + 1440.
struct local_window {
  int start_min;
  int end_min;
};

struct schedule_state {
  std::string tz_name;
  const date::time_zone* tz = nullptr;
  std::array<std::vector<local_window>, 7> week;  // by date::weekday::c_encoding (sun = 0)
  std::vector<std::int32_t> except_days;          // sorted local days since 1970-01-01
  std::int32_t from_day = INT32_MIN;              // windows must start on a local day in
  std::int32_t until_day = INT32_MAX;             //   [from_day, until_day]
  std::int64_t from_ms = 0;                       // and are clipped to [from_ms, until_ms)
  std::int64_t until_ms = 0;
  std::int64_t lo_ms = 0, hi_ms = 0;  // never active outside [lo_ms, hi_ms)
  std::int64_t first_block = 0, block_count = 0;
  std::unique_ptr<std::atomic<const schedule_block*>[]> blocks;
  std::mutex build_mutex;
  std::vector<std::unique_ptr<schedule_block>> owned;  // guarded by build_mutex
};

}  // namespace detail

namespace {

using detail::ms_per_day;
using detail::schedule_block_days;
constexpr std::int64_t block_ms = schedule_block_days * ms_per_day;

bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
int two(std::string_view s, std::size_t i) noexcept { return (s[i] - '0') * 10 + (s[i + 1] - '0'); }

// "HH:MM" -> minutes after midnight; 24:00 only when allowed (an end).
std::optional<int> parse_hhmm(std::string_view s, bool allow_24) noexcept {
  if (s.size() != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]))
    return std::nullopt;
  const int h = two(s, 0), m = two(s, 3);
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

// "YYYY-MM-DD" (a real calendar date) -> days since 1970-01-01.
std::optional<std::int32_t> parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (!digit(s[i])) return std::nullopt;
  const int y = two(s, 0) * 100 + two(s, 2);
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(two(s, 5))},
                                 date::day{static_cast<unsigned>(two(s, 8))}};
  if (!ymd.ok() || y < 1970 || y > 2199) return std::nullopt;
  return static_cast<std::int32_t>(date::sys_days{ymd}.time_since_epoch().count());
}

std::optional<unsigned> parse_day(std::string_view s) noexcept {
  static constexpr std::string_view names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  if (s.size() != 3) return std::nullopt;
  char low[3];
  for (std::size_t i = 0; i < 3; ++i) low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
  for (unsigned i = 0; i < 7; ++i)
    if (std::string_view(low, 3) == names[i]) return i;
  return std::nullopt;
}

error fail(errc code, std::string msg) { return make_error(code, std::move(msg)); }

// A from/until value: a local date or an instant.
struct bound {
  std::optional<std::int32_t> day;
  std::optional<std::int64_t> ms;
};

result<bound> parse_bound(const std::string& text, const char* what) {
  bound b;
  if (text.empty()) return b;
  if (auto d = parse_date(text)) {
    b.day = *d;
    return b;
  }
  if (auto t = parse_instant(text)) {
    b.ms = to_epoch_ms(*t);
    return b;
  }
  return fail(errc::bad_date, std::string(what) + " '" + text +
                                  "' is neither a date YYYY-MM-DD (1970..2199) nor an instant");
}

// Local minute -> UTC milliseconds with the DESIGN.md choice for times that
// do not exist or happen twice. Remembers the current UTC-offset period, so
// that the common case (a day or more from any change) costs no tz lookup.
class local_to_utc {
 public:
  explicit local_to_utc(const date::time_zone* tz) noexcept : tz_(tz) {}

  std::int64_t operator()(std::int64_t local_day, int minute, date::choose c) {
    const std::int64_t local_s = (local_day * 1440 + minute) * 60;
    if (have_) {
      // Offsets of neighbouring periods differ by at most a day (Samoa,
      // 2011), so a local time whose UTC reading lies two days inside this
      // period is neither skipped nor repeated.
      const std::int64_t sys_s = local_s - offset_s_;
      if (sys_s >= begin_s_ + 2 * 86400 && sys_s < end_s_ - 2 * 86400) return sys_s * 1000;
    }
    const date::local_seconds lt{std::chrono::seconds{local_s}};
    const date::sys_seconds sys = tz_->to_sys(lt, c);
    const date::sys_info info = tz_->get_info(sys);
    offset_s_ = info.offset.count();
    begin_s_ = info.begin.time_since_epoch().count();
    end_s_ = info.end.time_since_epoch().count();
    have_ = true;
    return sys.time_since_epoch().count() * 1000;
  }

 private:
  const date::time_zone* tz_;
  bool have_ = false;
  std::int64_t offset_s_ = 0, begin_s_ = 0, end_s_ = 0;
};

// Index of the first interval of block k (which holds t) that ends after t.
std::size_t first_ending_after(const detail::schedule_block& b, std::int64_t k, instant t) noexcept {
  const auto d = static_cast<std::size_t>(to_epoch_ms(t) / ms_per_day - k * schedule_block_days);
  std::size_t i = b.day_first[d];
  const std::size_t e = b.day_first[d + 1];
  while (i < e && b.w[i].end <= t) ++i;
  return i;
}

}  // namespace

result<schedule> schedule::compile(const schedule_spec& spec) {
  auto st = std::make_shared<detail::schedule_state>();
  if (spec.windows.empty()) return fail(errc::empty_schedule, "the schedule has no windows");
  if (spec.windows.size() > 1000) return fail(errc::bad_schedule, "more than 1000 windows");
  for (std::size_t k = 0; k < spec.windows.size(); ++k) {
    const auto& w = spec.windows[k];
    const std::string which = "window " + std::to_string(k + 1);
    if (w.days.empty()) return fail(errc::bad_day, which + " has no days");
    const auto s = parse_hhmm(w.start, false);
    if (!s) return fail(errc::bad_local_time, which + ": start '" + w.start + "' is not a local time HH:MM");
    const auto e = parse_hhmm(w.end, true);
    if (!e) return fail(errc::bad_local_time, which + ": end '" + w.end + "' is not a local time HH:MM");
    const int end_min = *e > *s ? *e : *e + 1440;
    for (const std::string& name : w.days) {
      const auto d = parse_day(name);
      if (!d) return fail(errc::bad_day, which + ": '" + name + "' is not a day (mon..sun)");
      st->week[*d].push_back({*s, end_min});
    }
  }
  for (auto& v : st->week) {
    std::sort(v.begin(), v.end(), [](auto a, auto b) { return a.start_min != b.start_min ? a.start_min < b.start_min : a.end_min < b.end_min; });
    v.erase(std::unique(v.begin(), v.end(), [](auto a, auto b) { return a.start_min == b.start_min && a.end_min == b.end_min; }), v.end());
  }

  if (spec.tz.empty()) return fail(errc::unknown_time_zone, "empty time zone name");
  try {
    st->tz = date::locate_zone(spec.tz);
    // Loads the zone's rules now, so that no later query meets a read error.
    (void)st->tz->get_info(date::sys_seconds{});
  } catch (const std::exception&) {
    return fail(errc::unknown_time_zone, "time zone '" + spec.tz + "' is not in the tz database");
  }
  st->tz_name = spec.tz;

  if (spec.except.size() > 100000) return fail(errc::bad_schedule, "more than 100000 except dates");
  for (const std::string& x : spec.except) {
    const auto d = parse_date(x);
    if (!d) return fail(errc::bad_date, "except date '" + x + "' is not a date YYYY-MM-DD (1970..2199)");
    st->except_days.push_back(*d);
  }
  std::sort(st->except_days.begin(), st->except_days.end());
  st->except_days.erase(std::unique(st->except_days.begin(), st->except_days.end()), st->except_days.end());

  auto from = parse_bound(spec.from, "from");
  if (!from) return std::move(from).err();
  auto until = parse_bound(spec.until, "until");
  if (!until) return std::move(until).err();

  st->from_ms = to_epoch_ms(min_instant());
  st->until_ms = to_epoch_ms(max_instant());
  // Loose day bounds around the real ones are enough for [lo, hi): a window
  // starting on local day D lies within [D - 1 day, D + 3 days) in UTC.
  std::int64_t lo = st->from_ms, hi = st->until_ms;
  if (from->day) {
    st->from_day = *from->day;
    lo = std::max(lo, (std::int64_t{*from->day} - 1) * ms_per_day);
  }
  if (from->ms) lo = std::max(lo, st->from_ms = *from->ms);
  if (until->day) {
    st->until_day = *until->day;
    hi = std::min(hi, (std::int64_t{*until->day} + 3) * ms_per_day);
  }
  if (until->ms) hi = std::min(hi, st->until_ms = *until->ms);
  if (st->from_day > st->until_day || lo >= hi)
    return fail(errc::bad_schedule, "from '" + spec.from + "' is not before until '" + spec.until + "'");

  st->lo_ms = lo;
  st->hi_ms = hi;
  st->first_block = lo / block_ms;
  st->block_count = hi > lo ? (hi - 1) / block_ms - st->first_block + 1 : 0;
  st->blocks = std::make_unique<std::atomic<const detail::schedule_block*>[]>(static_cast<std::size_t>(st->block_count));
  for (std::int64_t i = 0; i < st->block_count; ++i) st->blocks[i].store(nullptr, std::memory_order_relaxed);

  schedule out;
  out.lo_ms_ = st->lo_ms;
  out.hi_ms_ = st->hi_ms;
  out.first_block_ = st->first_block;
  out.blocks_ = st->blocks.get();
  out.s_ = std::move(st);
  return out;
}

const detail::schedule_block* schedule::build_block(std::int64_t index) const noexcept {
  detail::schedule_state& st = *s_;
  std::lock_guard<std::mutex> lock(st.build_mutex);
  auto& slot = st.blocks[index - st.first_block];
  if (const auto* b = slot.load(std::memory_order_acquire)) return b;

  auto blk = std::make_unique<detail::schedule_block>();
  const std::int64_t b0 = index * block_ms, b1 = b0 + block_ms;
  const std::int64_t c0 = std::max(b0, st.lo_ms), c1 = std::min(b1, st.hi_ms);
  const std::int64_t c0_clip = std::max(c0, st.from_ms), c1_clip = std::min(c1, st.until_ms);
  // Windows overlapping [b0, b1) start on local days in [day(b0) - 3, day(b1) + 1]:
  // UTC offsets stay within -12 h..+14 h and a window lasts at most 25 h.
  const std::int64_t d0 = b0 / ms_per_day - 3, d1 = b1 / ms_per_day + 1;
  auto& w = blk->w;
  local_to_utc to_utc(st.tz);
  for (std::int64_t d = d0; d <= d1; ++d) {
    if (d < st.from_day || d > st.until_day) continue;
    if (std::binary_search(st.except_days.begin(), st.except_days.end(), static_cast<std::int32_t>(d))) continue;
    // 1970-01-01 was a Thursday (c_encoding 4).
    const auto wd = static_cast<std::size_t>(((d % 7) + 7 + 4) % 7);
    for (const detail::local_window& lw : st.week[wd]) {
      std::int64_t s = to_utc(d, lw.start_min, date::choose::earliest);
      std::int64_t e = to_utc(d, lw.end_min, date::choose::latest);
      s = std::max(s, c0_clip);
      e = std::min(e, c1_clip);
      if (s < e) w.push_back({from_epoch_ms(s), from_epoch_ms(e)});
    }
  }
  std::sort(w.begin(), w.end(), [](const utc_interval& a, const utc_interval& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
  std::size_t n = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (n > 0 && w[i].start <= w[n - 1].end) {
      w[n - 1].end = std::max(w[n - 1].end, w[i].end);
    } else {
      w[n++] = w[i];
    }
  }
  w.resize(n);
  w.shrink_to_fit();
  std::size_t i = 0;
  for (std::int64_t k = 0; k <= schedule_block_days; ++k) {
    const instant midnight = from_epoch_ms(b0 + k * ms_per_day);
    while (i < n && w[i].end <= midnight) ++i;
    blk->day_first[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(i);
  }

  const detail::schedule_block* out = blk.get();
  st.owned.push_back(std::move(blk));
  slot.store(out, std::memory_order_release);
  return out;
}

void schedule::prepare(instant a, instant b) const noexcept {
  const std::int64_t lo = std::max(to_epoch_ms(a), lo_ms_), hi = std::min(to_epoch_ms(b), hi_ms_);
  if (lo >= hi) return;
  for (std::int64_t k = lo / block_ms; k <= (hi - 1) / block_ms; ++k) (void)block(k);
}

const std::string& schedule::time_zone_name() const noexcept {
  static const std::string none;
  return s_ ? s_->tz_name : none;
}

std::vector<utc_interval> schedule::windows(instant a, instant b) const {
  std::vector<utc_interval> out;
  const std::int64_t lo = std::max(to_epoch_ms(a), lo_ms_), hi = std::min(to_epoch_ms(b), hi_ms_);
  if (lo >= hi) return out;
  const instant ta = from_epoch_ms(lo), tb = from_epoch_ms(hi);
  const std::int64_t k0 = lo / block_ms, k1 = (hi - 1) / block_ms;
  for (std::int64_t k = k0; k <= k1; ++k) {
    const detail::schedule_block* blk = block(k);
    for (const utc_interval& w : blk->w) {
      if (w.end <= ta || w.start >= tb) continue;
      if (!out.empty() && w.start <= out.back().end)
        out.back().end = std::max(out.back().end, w.end);
      else
        out.push_back(w);
    }
  }
  if (out.empty()) return out;
  // Blocks clip their intervals; a window cut at a block edge continues in
  // the neighbouring block, so follow it there for its full extent.
  for (;;) {
    const std::int64_t s = to_epoch_ms(out.front().start);
    if (s % block_ms != 0 || s <= lo_ms_) break;
    const detail::schedule_block* prev = block(s / block_ms - 1);
    if (prev->w.empty() || prev->w.back().end != out.front().start) break;
    out.front().start = prev->w.back().start;
  }
  for (;;) {
    const std::int64_t e = to_epoch_ms(out.back().end);
    if (e % block_ms != 0 || e >= hi_ms_) break;
    const detail::schedule_block* next = block(e / block_ms);
    if (next->w.empty() || next->w.front().start != out.back().end) break;
    out.back().end = next->w.front().end;
  }
  return out;
}

std::optional<instant> schedule::next_transition(instant t) const noexcept {
  const std::int64_t ms = to_epoch_ms(t);
  if (!s_ || ms + 1 >= hi_ms_) return std::nullopt;
  if (is_active(t)) {
    // The window holding t ends at e, unless a block edge cut it there.
    const detail::schedule_block* blk = block(ms / block_ms);
    instant e = blk->w[first_ending_after(*blk, ms / block_ms, t)].end;
    for (;;) {
      const std::int64_t e_ms = to_epoch_ms(e);
      if (e_ms % block_ms != 0 || e_ms >= hi_ms_) break;
      const detail::schedule_block* next = block(e_ms / block_ms);
      if (next->w.empty() || next->w.front().start != e) break;
      e = next->w.front().end;
    }
    if (e >= max_instant()) return std::nullopt;
    return e;
  }
  // Inactive at t: no interval contains t, so the first one ending after
  // max(t + 1 ms, lo) starts at or after it.
  const std::int64_t from = std::max(ms + 1, lo_ms_);
  const std::int64_t k1 = (hi_ms_ - 1) / block_ms;
  for (std::int64_t k = from / block_ms; k <= k1; ++k) {
    const detail::schedule_block* blk = block(k);
    const std::size_t i = k == from / block_ms ? first_ending_after(*blk, k, from_epoch_ms(from)) : 0;
    if (i < blk->w.size()) return blk->w[i].start;
  }
  return std::nullopt;
}

}  // namespace warden
