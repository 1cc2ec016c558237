// Tests for warden/schedule.hpp: the Europe/London clock-change table,
// validation errors, except/from/until, merging, and a brute-force minute
// walk through the tz database that must agree with the compiled schedule.
#include <warden/schedule.hpp>

#include <date/tz.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace Catch {
template <>
struct StringMaker<warden::instant> {
  static std::string convert(const warden::instant& t) { return warden::format_instant(t); }
};
template <>
struct StringMaker<std::optional<warden::instant>> {
  static std::string convert(const std::optional<warden::instant>& t) {
    return t ? warden::format_instant(*t) : std::string("none");
  }
};
template <>
struct StringMaker<warden::utc_interval> {
  static std::string convert(const warden::utc_interval& w) {
    return "[" + warden::format_instant(w.start) + ", " + warden::format_instant(w.end) + ")";
  }
};
}  // namespace Catch

using namespace warden;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

instant at(const char* text) {
  auto t = parse_instant(text);
  REQUIRE(t.ok());
  return *t;
}

schedule compiled(const schedule_spec& spec) {
  auto s = schedule::compile(spec);
  INFO((s.ok() ? std::string() : s.err().message));
  REQUIRE(s.ok());
  return *s;
}

const std::vector<std::string> every_day = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

schedule_spec daily(const char* tz, const char* start, const char* end) {
  schedule_spec s;
  s.tz = tz;
  s.windows.push_back({every_day, start, end});
  return s;
}

// The one window that contains t (must exist).
utc_interval window_at(const schedule& s, instant t) {
  const auto ws = s.windows(t, t + milliseconds{1});
  REQUIRE(ws.size() == 1);
  return ws.front();
}

}  // namespace

// ---- clock-change nights ---------------------------------------------------

TEST_CASE("Europe/London 2024-2027: curfews on clock-change nights", "[schedule]") {
  // Date of the change; the change is at 01:00 UTC on that Sunday.
  struct change {
    const char* date;
    bool spring;  // clocks go forward (GMT -> BST)
  };
  const change changes[] = {
      {"2024-03-31", true}, {"2024-10-27", false}, {"2025-03-30", true}, {"2025-10-26", false},
      {"2026-03-29", true}, {"2026-10-25", false}, {"2027-03-28", true}, {"2027-10-31", false},
  };
  const auto night = daily("Europe/London", "19:00", "07:00");
  const auto late = daily("Europe/London", "23:00", "01:30");
  const auto small_hours = daily("Europe/London", "01:30", "06:00");
  const schedule s_night = compiled(night), s_late = compiled(late), s_small = compiled(small_hours);
  const date::time_zone* london = date::locate_zone("Europe/London");

  for (const change& c : changes) {
    INFO("change on " << c.date);
    const instant day = at((std::string(c.date) + "T00:00:00Z").c_str());  // midnight UTC of the Sunday
    const instant T = day + hours{1};
    // The table agrees with the tz database.
    const auto info = london->get_info(date::floor<seconds>(T));
    CHECK(info.begin == date::floor<seconds>(T));
    CHECK(info.offset == (c.spring ? hours{1} : hours{0}));
    const instant eve = day - hours{24};  // midnight UTC of the Saturday

    // 19:00-07:00 from Saturday evening: 11 h in spring, 13 h in autumn.
    const utc_interval n = window_at(s_night, T);
    CHECK(n.start == eve + (c.spring ? hours{19} : hours{18}));
    CHECK(n.end == day + (c.spring ? hours{6} : hours{7}));
    CHECK(n.end - n.start == (c.spring ? hours{11} : hours{13}));

    // 23:00-01:30: in spring 01:30 does not exist and the window ends at the
    // change (2 h); in autumn 01:30 happens twice and the later one ends it (3.5 h).
    const utc_interval l = window_at(s_late, T - seconds{1});
    CHECK(l.start == eve + (c.spring ? hours{23} : hours{22}));
    CHECK(l.end == (c.spring ? T : day + minutes{90}));

    // 01:30-06:00: in spring the start maps to the change instant (4 h); in
    // autumn the earlier 01:30 (BST) starts it (5.5 h).
    const utc_interval m = window_at(s_small, T + seconds{1});
    CHECK(m.start == (c.spring ? T : day + minutes{30}));
    CHECK(m.end == day + (c.spring ? hours{5} : hours{6}));

    struct probe {
      const schedule* s;
      const char* name;
      bool before, at_t, after;  // active at T-1s, T, T+1s
    };
    const probe probes[] = {
        {&s_night, "19:00-07:00", true, true, true},
        {&s_late, "23:00-01:30", true, !c.spring, !c.spring},
        {&s_small, "01:30-06:00", !c.spring, true, true},
    };
    for (const probe& p : probes) {
      INFO(p.name);
      CHECK(p.s->is_active(T - seconds{1}) == p.before);
      CHECK(p.s->is_active(T) == p.at_t);
      CHECK(p.s->is_active(T + seconds{1}) == p.after);
    }
    // next_transition walks the same instants.
    CHECK(s_late.next_transition(eve + hours{12}) == l.start);
    CHECK(s_late.next_transition(l.start) == l.end);
    CHECK(s_small.next_transition(eve + hours{12}) == m.start);
    CHECK(s_small.next_transition(m.start) == m.end);
  }
}

TEST_CASE("America/New_York: clock changes at 02:00 local", "[schedule]") {
  const schedule night = compiled(daily("America/New_York", "19:00", "07:00"));
  const schedule gap = compiled(daily("America/New_York", "02:30", "05:00"));
  const schedule twice = compiled(daily("America/New_York", "00:30", "01:30"));
  // 2026: forward on 8 March at 07:00Z (02:00 EST), back on 1 November at 06:00Z (02:00 EDT).
  const instant spring = at("2026-03-08T07:00:00Z"), autumn = at("2026-11-01T06:00:00Z");

  const utc_interval ns = window_at(night, spring);
  CHECK(ns.start == at("2026-03-08T00:00:00Z"));  // 19:00 EST on the 7th
  CHECK(ns.end == at("2026-03-08T11:00:00Z"));    // 07:00 EDT
  CHECK(ns.end - ns.start == hours{11});
  const utc_interval na = window_at(night, autumn);
  CHECK(na.start == at("2026-10-31T23:00:00Z"));  // 19:00 EDT
  CHECK(na.end == at("2026-11-01T12:00:00Z"));    // 07:00 EST
  CHECK(na.end - na.start == hours{13});

  // 02:30 does not exist on 8 March: the window starts at the change.
  CHECK_FALSE(gap.is_active(spring - seconds{1}));
  CHECK(gap.is_active(spring));
  CHECK(window_at(gap, spring) == utc_interval{spring, at("2026-03-08T09:00:00Z")});
  // 01:30 happens twice on 1 November: the window ends at the later one.
  CHECK(window_at(twice, autumn - seconds{1}) == utc_interval{at("2026-11-01T04:30:00Z"), at("2026-11-01T06:30:00Z")});
  CHECK(twice.is_active(autumn));
  CHECK(twice.is_active(autumn + minutes{29}));
  CHECK_FALSE(twice.is_active(autumn + minutes{30}));
}

// ---- validation -------------------------------------------------------------

TEST_CASE("invalid schedules are errors with reason codes", "[schedule]") {
  struct row {
    const char* what;
    schedule_spec spec;
    errc code;
  };
  auto with = [](auto f) {
    schedule_spec s = daily("Europe/London", "19:00", "07:00");
    f(s);
    return s;
  };
  const row rows[] = {
      {"no windows", with([](schedule_spec& s) { s.windows.clear(); }), errc::empty_schedule},
      {"day name", with([](schedule_spec& s) { s.windows[0].days = {"mon", "funday"}; }), errc::bad_day},
      {"long day name", with([](schedule_spec& s) { s.windows[0].days = {"monday"}; }), errc::bad_day},
      {"no days", with([](schedule_spec& s) { s.windows[0].days.clear(); }), errc::bad_day},
      {"25:00", with([](schedule_spec& s) { s.windows[0].start = "25:00"; }), errc::bad_local_time},
      {"7pm", with([](schedule_spec& s) { s.windows[0].start = "7pm"; }), errc::bad_local_time},
      {"7:00", with([](schedule_spec& s) { s.windows[0].end = "7:00"; }), errc::bad_local_time},
      {"12:60", with([](schedule_spec& s) { s.windows[0].end = "12:60"; }), errc::bad_local_time},
      {"24:00 start", with([](schedule_spec& s) { s.windows[0].start = "24:00"; }), errc::bad_local_time},
      {"seconds", with([](schedule_spec& s) { s.windows[0].start = "19:00:00"; }), errc::bad_local_time},
      {"unknown zone", with([](schedule_spec& s) { s.tz = "Europe/Atlantis"; }), errc::unknown_time_zone},
      {"empty zone", with([](schedule_spec& s) { s.tz = ""; }), errc::unknown_time_zone},
      {"except", with([](schedule_spec& s) { s.except = {"2026-02-30"}; }), errc::bad_date},
      {"except text", with([](schedule_spec& s) { s.except = {"Christmas"}; }), errc::bad_date},
      {"from", with([](schedule_spec& s) { s.from = "next week"; }), errc::bad_date},
      {"until", with([](schedule_spec& s) { s.until = "2026-07-05T25:00:00Z"; }), errc::bad_date},
      {"from year", with([](schedule_spec& s) { s.from = "1969-12-31"; }), errc::bad_date},
      {"from after until", with([](schedule_spec& s) { s.from = "2026-07-06"; s.until = "2026-07-05"; }),
       errc::bad_schedule},
      {"instants reversed",
       with([](schedule_spec& s) { s.from = "2026-07-06T00:00:00Z"; s.until = "2026-07-05T00:00:00Z"; }),
       errc::bad_schedule},
  };
  for (const row& r : rows) {
    INFO(r.what);
    auto s = schedule::compile(r.spec);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == r.code);
    CHECK_FALSE(s.err().message.empty());
  }
  // Accepted spellings.
  CHECK(schedule::compile(with([](schedule_spec& s) { s.windows[0].days = {"Mon", "SUN"}; })).ok());
  CHECK(schedule::compile(with([](schedule_spec& s) { s.windows[0].end = "24:00"; })).ok());
  CHECK(schedule::compile(with([](schedule_spec& s) { s.tz = "US/Eastern"; })).ok());  // a link
}

// ---- semantics --------------------------------------------------------------

TEST_CASE("except removes windows that start on the date; from/until bound by start date or instant",
          "[schedule]") {
  schedule_spec spec = daily("Europe/London", "19:00", "07:00");
  spec.except = {"2026-12-25"};
  const schedule s = compiled(spec);
  CHECK(s.is_active(at("2026-12-25T06:59:59Z")));   // began on the 24th
  CHECK_FALSE(s.is_active(at("2026-12-25T07:00:00Z")));
  CHECK_FALSE(s.is_active(at("2026-12-25T19:00:00Z")));  // removed
  CHECK_FALSE(s.is_active(at("2026-12-26T06:00:00Z")));
  CHECK(s.is_active(at("2026-12-26T19:00:00Z")));
  CHECK(s.next_transition(at("2026-12-25T07:00:00Z")) == at("2026-12-26T19:00:00Z"));

  schedule_spec dated = daily("Europe/London", "19:00", "07:00");
  dated.from = "2026-01-05";
  dated.until = "2026-07-05";
  const schedule d = compiled(dated);
  CHECK_FALSE(d.is_active(at("2026-01-05T06:00:00Z")));  // window of the 4th: before from
  CHECK(d.is_active(at("2026-01-05T19:00:00Z")));
  CHECK(d.is_active(at("2026-07-06T05:59:59Z")));  // window of the 5th (BST) runs into the 6th
  CHECK_FALSE(d.is_active(at("2026-07-06T06:00:00Z")));
  CHECK_FALSE(d.is_active(at("2026-07-06T18:00:00Z")));
  const auto all = d.windows(min_instant(), max_instant());
  CHECK(all.size() == 182);  // 5 Jan .. 5 Jul 2026 inclusive
  CHECK(all.front() == utc_interval{at("2026-01-05T19:00:00Z"), at("2026-01-06T07:00:00Z")});
  CHECK(all.back() == utc_interval{at("2026-07-05T18:00:00Z"), at("2026-07-06T06:00:00Z")});
  CHECK_FALSE(d.next_transition(all.back().end).has_value());
  CHECK(d.next_transition(min_instant()) == all.front().start);

  schedule_spec clipped = daily("Europe/London", "19:00", "07:00");
  clipped.from = "2026-03-01T21:15:00Z";
  clipped.until = "2026-03-03T05:00:00+00:00";
  const schedule c = compiled(clipped);
  CHECK(c.windows(min_instant(), max_instant()) ==
        std::vector<utc_interval>{{at("2026-03-01T21:15:00Z"), at("2026-03-02T07:00:00Z")},
                                  {at("2026-03-02T19:00:00Z"), at("2026-03-03T05:00:00Z")}});
  CHECK_FALSE(c.is_active(at("2026-03-01T21:14:59.999Z")));
  CHECK(c.is_active(at("2026-03-01T21:15:00Z")));
  CHECK_FALSE(c.is_active(at("2026-03-03T05:00:00Z")));
}

TEST_CASE("windows merge where they touch and are returned whole", "[schedule]") {
  schedule_spec spec;
  spec.tz = "Europe/London";
  spec.windows = {{{"mon"}, "08:00", "12:00"}, {{"mon"}, "12:00", "16:00"}, {{"mon"}, "15:00", "17:00"},
                  {{"tue"}, "09:00", "10:00"}};
  const schedule s = compiled(spec);
  // Monday 2 March 2026 (GMT).
  CHECK(s.windows(at("2026-03-02T00:00:00Z"), at("2026-03-04T00:00:00Z")) ==
        std::vector<utc_interval>{{at("2026-03-02T08:00:00Z"), at("2026-03-02T17:00:00Z")},
                                  {at("2026-03-03T09:00:00Z"), at("2026-03-03T10:00:00Z")}});
  // Asked about an hour in the middle, the whole window comes back.
  CHECK(s.windows(at("2026-03-02T13:00:00Z"), at("2026-03-02T14:00:00Z")) ==
        std::vector<utc_interval>{{at("2026-03-02T08:00:00Z"), at("2026-03-02T17:00:00Z")}});
  CHECK(s.windows(at("2026-03-02T17:00:00Z"), at("2026-03-03T09:00:00Z")).empty());  // half-open
  CHECK(s.windows(at("2026-03-02T13:00:00Z"), at("2026-03-02T13:00:00Z")).empty());
  CHECK(s.next_transition(at("2026-03-02T11:00:00Z")) == at("2026-03-02T17:00:00Z"));

  // Whole days every day of a bounded range: one window, across cache blocks.
  schedule_spec always = daily("Europe/London", "00:00", "00:00");
  always.from = "2024-01-01";
  always.until = "2027-12-31";
  const schedule a = compiled(always);
  const auto one = a.windows(at("2025-06-01T12:00:00Z"), at("2025-06-01T13:00:00Z"));
  CHECK(one == std::vector<utc_interval>{{at("2024-01-01T00:00:00Z"), at("2028-01-01T00:00:00Z")}});
  CHECK(a.next_transition(at("2025-06-01T12:00:00Z")) == at("2028-01-01T00:00:00Z"));
  CHECK(a.next_transition(at("2023-06-01T12:00:00Z")) == at("2024-01-01T00:00:00Z"));
}

TEST_CASE("a window cut by a cache block edge is still whole", "[schedule]") {
  // Midnight UTC at the start of a 256-day cache block in 2024-2027.
  const std::int64_t block_day = (19723 / detail::schedule_block_days + 1) * detail::schedule_block_days;
  const instant edge = from_epoch_ms(block_day * detail::ms_per_day);
  const schedule s = compiled(daily("Europe/London", "19:00", "07:00"));
  const utc_interval w = window_at(s, edge + hours{1});
  CHECK(w.start < edge);
  CHECK(w.end > edge);
  CHECK(w.end - w.start == hours{12});
  CHECK(s.windows(edge - hours{1}, edge) == std::vector<utc_interval>{w});
  CHECK(s.next_transition(edge - hours{1}) == w.end);
  CHECK(s.next_transition(edge - milliseconds{1}) == w.end);
}

TEST_CASE("outside the supported range nothing is active; default schedule never is", "[schedule]") {
  const schedule s = compiled(daily("Europe/London", "00:00", "00:00"));
  CHECK_FALSE(s.is_active(min_instant() - milliseconds{1}));
  CHECK(s.is_active(min_instant()));
  CHECK(s.is_active(max_instant() - milliseconds{1}));
  CHECK_FALSE(s.is_active(max_instant()));
  CHECK_FALSE(s.next_transition(at("2150-01-01T00:00:00Z")).has_value());
  const schedule none;
  CHECK_FALSE(none.is_active(at("2026-01-01T00:00:00Z")));
  CHECK(none.windows(min_instant(), max_instant()).empty());
  CHECK_FALSE(none.next_transition(min_instant()).has_value());
  CHECK_FALSE(none.next_transition(min_instant() - hours{1}).has_value());
  CHECK(s.next_transition(min_instant() - hours{1}) == min_instant());
  CHECK(none.time_zone_name().empty());
  CHECK(s.time_zone_name() == "Europe/London");
}

TEST_CASE("concurrent first use of the cache gives the same answers", "[schedule][threads]") {
  const schedule_spec spec = daily("Europe/London", "19:00", "07:00");
  const schedule reference = compiled(spec);
  const schedule shared = compiled(spec);
  const std::int64_t t0 = to_epoch_ms(at("2024-01-01T00:00:00Z"));
  const std::int64_t step = 7 * 60 * 1000 + 13;
  constexpr int n = 200000;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < n; ++i) {
        // Each thread walks the years in a different order, so blocks are
        // first built by different threads.
        const std::int64_t j = (static_cast<std::int64_t>(i) * (2 * k + 1)) % n;
        const instant t = from_epoch_ms(t0 + j * step);
        if (shared.is_active(t) != reference.is_active(t)) ++mismatches;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}

// ---- brute force through the tz database ------------------------------------

namespace {

// The reference decides activity per UTC minute from the local wall clock
// alone, independently of the schedule's to_sys-based expansion:
//   a window [ls, le) (local minutes) has started at u iff the local clock
//   has shown >= ls at some minute <= u (so a start in the spring gap starts
//   at the change and an ambiguous start at its first occurrence), and has
//   not yet ended iff the clock shows < le at u or will show <= le at some
//   minute after u (so an ambiguous end is its last occurrence, even when the
//   clock falls back to exactly le, and an end in the gap is the change).
struct reference_walk {
  std::int64_t u0_min;             // first UTC minute walked
  std::vector<std::int64_t> local; // local minute for each UTC minute
  std::vector<std::int64_t> high;  // running max of local up to u
  std::vector<std::int64_t> low;   // min of local over the minutes after u

  reference_walk(const date::time_zone* tz, std::int64_t u0, std::int64_t u1) : u0_min(u0) {
    const auto n = static_cast<std::size_t>(u1 - u0);
    local.resize(n);
    date::sys_info info{};
    bool have = false;
    for (std::size_t i = 0; i < n; ++i) {
      const date::sys_seconds t{minutes{u0 + static_cast<std::int64_t>(i)}};
      if (!have || t >= info.end) {
        info = tz->get_info(t);
        have = true;
      }
      local[i] = u0 + static_cast<std::int64_t>(i) + std::chrono::duration_cast<minutes>(info.offset).count();
    }
    high = local;
    for (std::size_t i = 1; i < n; ++i) high[i] = std::max(high[i - 1], local[i]);
    low.assign(n, INT64_MAX);
    for (std::size_t i = n - 1; i-- > 0;) low[i] = std::min(low[i + 1], local[i + 1]);
  }
};

struct ref_window {
  std::int64_t ls, le;  // local minutes since 1970-01-01 00:00 local
};

// All windows of `spec` (hand-parsed here, not via the library) starting on
// local days [d0, d1], honouring except and date bounds.
std::vector<ref_window> reference_windows(const schedule_spec& spec, std::int64_t d0, std::int64_t d1) {
  auto days_of = [](const std::string& ymd) -> std::int64_t {
    const int y = std::stoi(ymd.substr(0, 4));
    const unsigned m = static_cast<unsigned>(std::stoi(ymd.substr(5, 2)));
    const unsigned d = static_cast<unsigned>(std::stoi(ymd.substr(8, 2)));
    return date::sys_days{date::year{y} / date::month{m} / date::day{d}}.time_since_epoch().count();
  };
  auto mins = [](const std::string& hhmm) { return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2)); };
  const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::int64_t from_day = INT64_MIN, until_day = INT64_MAX;
  if (spec.from.size() == 10) from_day = days_of(spec.from);
  if (spec.until.size() == 10) until_day = days_of(spec.until);
  std::vector<std::int64_t> except;
  for (const auto& x : spec.except) except.push_back(days_of(x));
  std::vector<ref_window> out;
  for (std::int64_t d = d0; d <= d1; ++d) {
    if (d < from_day || d > until_day) continue;
    if (std::find(except.begin(), except.end(), d) != except.end()) continue;
    const unsigned wd = date::weekday{date::sys_days{date::days{d}}}.c_encoding();
    for (const auto& w : spec.windows) {
      if (std::find(w.days.begin(), w.days.end(), names[wd]) == w.days.end()) continue;
      const int s = mins(w.start), e = mins(w.end);
      out.push_back({d * 1440 + s, d * 1440 + (e > s ? e : e + 1440)});
    }
  }
  return out;
}

// Active minutes of [u0, u1) (UTC minutes) for one spec, by the reference rule.
std::vector<char> reference_active(const reference_walk& walk, const schedule_spec& spec, std::int64_t u0,
                                   std::int64_t u1) {
  const std::int64_t d0 = u0 / 1440 - 3, d1 = u1 / 1440 + 2;
  auto ws = reference_windows(spec, d0, d1);
  std::sort(ws.begin(), ws.end(), [](const ref_window& a, const ref_window& b) { return a.ls < b.ls; });
  std::int64_t from_min = INT64_MIN, until_min = INT64_MAX;
  if (!spec.from.empty() && spec.from.size() != 10) from_min = to_epoch_ms(*parse_instant(spec.from)) / 60000;
  if (!spec.until.empty() && spec.until.size() != 10) until_min = to_epoch_ms(*parse_instant(spec.until)) / 60000;
  std::vector<char> out(static_cast<std::size_t>(u1 - u0), 0);
  std::size_t first = 0;  // windows before this ended long ago
  for (std::int64_t u = u0; u < u1; ++u) {
    if (u < from_min || u >= until_min) continue;
    const auto i = static_cast<std::size_t>(u - walk.u0_min);
    const std::int64_t hi = walk.high[i], lo = walk.low[i], now = walk.local[i];
    while (first < ws.size() && ws[first].ls < hi - 3 * 1440) ++first;
    for (std::size_t k = first; k < ws.size() && ws[k].ls <= hi; ++k)
      if (now < ws[k].le || lo <= ws[k].le) {
        out[static_cast<std::size_t>(u - u0)] = 1;
        break;
      }
  }
  return out;
}

std::vector<schedule_spec> brute_force_specs(const char* tz) {
  std::vector<schedule_spec> v;
  v.push_back(daily(tz, "19:00", "07:00"));
  v.push_back(daily(tz, "23:00", "01:30"));
  v.push_back(daily(tz, "01:30", "06:00"));
  v.push_back(daily(tz, "01:00", "02:00"));  // inside the change hour in London
  v.push_back(daily(tz, "02:00", "03:00"));  // inside the change hour in New York
  v.push_back(daily(tz, "02:15", "02:45"));
  {
    schedule_spec s;  // school days and a Saturday class, with holidays
    s.tz = tz;
    s.windows = {{{"mon", "tue", "wed", "thu", "fri"}, "08:00", "16:00"}, {{"sat"}, "10:00", "12:00"}};
    s.except = {"2024-03-29", "2024-12-25", "2025-04-18", "2026-03-27", "2026-10-26", "2027-12-27"};
    v.push_back(s);
  }
  {
    schedule_spec s;  // overlapping, touching and whole-day windows; weekends only nights
    s.tz = tz;
    s.windows = {{{"mon"}, "18:00", "23:00"}, {{"mon"}, "22:00", "02:00"}, {{"tue"}, "02:00", "03:00"},
                 {{"wed"}, "00:00", "00:00"}, {{"fri", "sat"}, "21:30", "08:15"}, {{"sun"}, "01:59", "01:58"}};
    s.except = {"2024-03-30", "2025-10-25", "2026-03-29", "2027-10-30"};
    v.push_back(s);
  }
  {
    schedule_spec s = daily(tz, "19:00", "07:00");
    s.from = "2024-03-30";
    s.until = "2027-10-30";
    s.except = {"2025-03-29", "2026-10-24"};
    v.push_back(s);
  }
  {
    schedule_spec s = daily(tz, "20:00", "06:30");
    s.from = "2025-03-30T00:30:00Z";
    s.until = "2026-10-25T01:15:00Z";
    v.push_back(s);
  }
  return v;
}

void brute_force(const char* tz_name, const char* first_day, const char* end_day) {
  const std::int64_t u0 = to_epoch_ms(at(first_day)) / 60000, u1 = to_epoch_ms(at(end_day)) / 60000;
  // Walk three days either side so that running max/min see the whole night.
  const reference_walk walk(date::locate_zone(tz_name), u0 - 3 * 1440, u1 + 3 * 1440);
  const auto specs = brute_force_specs(tz_name);
  for (std::size_t k = 0; k < specs.size(); ++k) {
    INFO(tz_name << " spec " << k << ": " << specs[k].windows.front().start << "-" << specs[k].windows.front().end);
    const schedule s = compiled(specs[k]);
    const auto ref = reference_active(walk, specs[k], u0, u1);
    std::int64_t mismatches = 0, first_bad = -1, active_minutes = 0;
    for (std::int64_t u = u0; u < u1; ++u) {
      const bool r = ref[static_cast<std::size_t>(u - u0)] != 0;
      active_minutes += r;
      const instant t = from_epoch_ms(u * 60000);
      // Minute starts and the last millisecond before the next minute.
      const bool fast = s.is_active(t), fast_end = s.is_active(t + seconds{60} - milliseconds{1});
      if (fast != r || fast_end != r) {
        if (first_bad < 0) first_bad = u;
        ++mismatches;
      }
    }
    INFO("first mismatch at " << (first_bad < 0 ? std::string("-") : format_instant(from_epoch_ms(first_bad * 60000))));
    CHECK(mismatches == 0);
    if (specs[k].from.empty()) CHECK(active_minutes > 0);

    // windows() and next_transition() agree with the reference's runs.
    std::vector<utc_interval> runs;
    for (std::int64_t u = u0; u < u1; ++u) {
      if (!ref[static_cast<std::size_t>(u - u0)]) continue;
      const instant t = from_epoch_ms(u * 60000);
      if (!runs.empty() && runs.back().end == t)
        runs.back().end = t + seconds{60};
      else
        runs.push_back({t, t + seconds{60}});
    }
    auto ws = s.windows(from_epoch_ms(u0 * 60000), from_epoch_ms(u1 * 60000));
    // The reference does not see beyond the walk; clip ours to compare.
    for (auto& w : ws) {
      w.start = std::max(w.start, from_epoch_ms(u0 * 60000));
      w.end = std::min(w.end, from_epoch_ms(u1 * 60000));
    }
    CHECK(ws == runs);
    std::vector<instant> changes, walked;
    for (const auto& r : runs) {
      changes.push_back(r.start);
      changes.push_back(r.end);
    }
    for (auto t = s.next_transition(from_epoch_ms(u0 * 60000)); t && *t < from_epoch_ms(u1 * 60000);
         t = s.next_transition(*t))
      walked.push_back(*t);
    if (!changes.empty() && changes.front() == from_epoch_ms(u0 * 60000)) changes.erase(changes.begin());
    if (!changes.empty() && changes.back() == from_epoch_ms(u1 * 60000)) changes.pop_back();
    CHECK(walked == changes);
  }
}

}  // namespace

// The full walk takes about a second, so it always runs.
TEST_CASE("brute force: every minute of 2024-2027 in Europe/London and America/New_York", "[schedule][brute]") {
  brute_force("Europe/London", "2024-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
  brute_force("America/New_York", "2024-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
}

TEST_CASE("brute force: half-hour DST (Lord Howe) and a skipped day (Samoa, 2011)", "[schedule][brute]") {
  brute_force("Australia/Lord_Howe", "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z");
  brute_force("Pacific/Apia", "2011-06-01T00:00:00Z", "2012-06-01T00:00:00Z");
}
