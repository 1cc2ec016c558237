// Tests for warden/curfew.hpp: the scenarios (present all night,
// a 20-minute absence, a late arrival, RF flapping, no data, GPS jitter at
// a home on the zone edge) and the rules behind them.
#include <warden/curfew.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace Catch {
template <>
struct StringMaker<warden::instant> {
  static std::string convert(const warden::instant& t) { return warden::format_instant(t); }
};
}  // namespace Catch

using namespace warden;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

instant at(const char* text) {
  auto t = parse_instant(text);
  REQUIRE(t.ok());
  return *t;
}

// A 19:00-07:00 curfew night in March 2026 (GMT, so local = UTC).
const instant w0 = from_epoch_ms(1773169200000);  // 2026-03-10T19:00:00Z
const instant w1 = w0 + hours{12};
const utc_interval night{w0, w1};

// One sample a minute over [a, b) with state f(t).
template <class F>
void every_minute(std::vector<presence_sample>& out, instant a, instant b, F f) {
  for (instant t = a; t < b; t += minutes{1}) out.push_back({t, f(t)});
}

// Deterministic generator (64-bit LCG), so failures can be replayed.
struct lcg {
  std::uint64_t s;
  std::uint32_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(s >> 33);
  }
  double unit() { return next() / 2147483648.0; }  // [0, 1)
};

}  // namespace

TEST_CASE("the night is anchored where we think", "[curfew]") {
  CHECK(format_instant(w0) == "2026-03-10T19:00:00Z");
}

TEST_CASE("present all night: compliant", "[curfew]") {
  std::vector<presence_sample> v;
  every_minute(v, w0 - minutes{30}, w1 + minutes{30}, [](instant) { return presence::inside; });
  const auto r = evaluate_curfew(v, night);
  CHECK(r.status == curfew_status::compliant);
  CHECK(r.absences.empty());
  CHECK(r.unknown.empty());
  CHECK(r.inside_time == hours{12});
  CHECK(r.absent == milliseconds{0});
}

TEST_CASE("leaves at 23:10 for 20 minutes: one breach of 20 minutes", "[curfew]") {
  const instant out = w0 + hours{4} + minutes{10}, back = out + minutes{20};
  std::vector<presence_sample> v;
  every_minute(v, w0 - minutes{30}, w1, [&](instant t) { return t >= out && t < back ? presence::outside : presence::inside; });
  const auto r = evaluate_curfew(v, night);
  REQUIRE(r.absences.size() == 1);
  const auto& e = r.absences[0];
  CHECK(e.start == out);
  CHECK(e.end == back);
  CHECK(e.duration == minutes{20});
  CHECK(to_minutes(e.duration) == Approx(20.0));
  CHECK(e.breach);
  CHECK_FALSE(e.late_arrival);
  CHECK_FALSE(e.early_departure);
  CHECK(r.status == curfew_status::breach);
  CHECK(r.breach_time == minutes{20});
  CHECK(r.absent == minutes{20});

  SECTION("within the grace period it is an absence, not a breach") {
    std::vector<presence_sample> shortv;
    every_minute(shortv, w0 - minutes{30}, w1,
                 [&](instant t) { return t >= out && t < out + minutes{15} ? presence::outside : presence::inside; });
    const auto s = evaluate_curfew(shortv, night);
    REQUIRE(s.absences.size() == 1);
    CHECK(s.absences[0].duration == minutes{15});
    CHECK_FALSE(s.absences[0].breach);  // exactly the grace: not beyond it
    CHECK(s.status == curfew_status::compliant);
    curfew_options strict;
    strict.grace = minutes{5};
    CHECK(evaluate_curfew(shortv, night, strict).status == curfew_status::breach);
  }
}

TEST_CASE("arrives 40 minutes late: late arrival is a breach", "[curfew]") {
  const instant arrive = w0 + minutes{40};
  std::vector<presence_sample> v;
  every_minute(v, w0 - hours{1}, w1, [&](instant t) { return t < arrive ? presence::outside : presence::inside; });
  const auto r = evaluate_curfew(v, night);
  REQUIRE(r.absences.size() == 1);
  CHECK(r.absences[0].start == w0);
  CHECK(r.absences[0].end == arrive);
  CHECK(r.absences[0].late_arrival);
  CHECK(r.absences[0].breach);
  CHECK(r.late_arrival == minutes{40});
  CHECK(r.early_departure == milliseconds{0});
  CHECK(r.status == curfew_status::breach);
}

TEST_CASE("leaves 30 minutes early: early departure", "[curfew]") {
  const instant leave = w1 - minutes{30};
  std::vector<presence_sample> v;
  every_minute(v, w0 - hours{1}, w1 + hours{1}, [&](instant t) { return t < leave ? presence::inside : presence::outside; });
  const auto r = evaluate_curfew(v, night);
  REQUIRE(r.absences.size() == 1);
  CHECK(r.absences[0].start == leave);
  CHECK(r.absences[0].end == w1);
  CHECK(r.absences[0].early_departure);
  CHECK_FALSE(r.absences[0].late_arrival);
  CHECK(r.early_departure == minutes{30});
  CHECK(r.status == curfew_status::breach);

  SECTION("away all night is a late arrival covering the window") {
    std::vector<presence_sample> away;
    every_minute(away, w0 - hours{1}, w1, [](instant) { return presence::outside; });
    const auto a = evaluate_curfew(away, night);
    REQUIRE(a.absences.size() == 1);
    CHECK(a.absences[0].duration == hours{12});
    CHECK(a.absences[0].late_arrival);
    CHECK_FALSE(a.absences[0].early_departure);
  }
}

TEST_CASE("RF out-of-range flapping at the edge of range: one episode, not hundreds", "[curfew]") {
  const std::uint64_t seed = 20260310;
  INFO("seed " << seed);
  lcg g{seed};
  const instant from = w0 + hours{4}, to = from + minutes{30};
  std::vector<device_event> ev;
  ev.push_back({"S1", w0 - hours{1}, device_event_type::rf_in_range, 0});
  instant t = from;
  bool out = true;
  int flips = 0;
  while (t < to) {
    ev.push_back({"S1", t, out ? device_event_type::rf_out_of_range : device_event_type::rf_in_range, 0});
    out = !out;
    ++flips;
    t += seconds{2 + g.next() % 6};
  }
  ev.push_back({"S1", to, device_event_type::rf_in_range, 0});
  ev.push_back({"S1", to + minutes{1}, device_event_type::battery_low, 0});  // ignored
  REQUIRE(flips > 200);
  const auto samples = presence_from_rf(ev);
  CHECK(samples.size() == ev.size() - 1);
  const auto r = evaluate_curfew(samples, night, curfew_options::rf());
  REQUIRE(r.absences.size() == 1);
  CHECK(r.absences[0].start == from);
  CHECK(r.absences[0].end <= to);
  CHECK(r.absences[0].end > to - seconds{10});
  CHECK(r.absences[0].bridged_returns > 100);
  CHECK(r.absences[0].outside < r.absences[0].duration);
  CHECK(r.unknown.empty());  // RF silence means unchanged

  SECTION("without bridging it would be hundreds") {
    curfew_options raw = curfew_options::rf();
    raw.min_return = milliseconds{0};
    CHECK(evaluate_curfew(samples, night, raw).absences.size() > 100);
  }
}

TEST_CASE("no data for two hours: unknown, not compliant", "[curfew]") {
  const instant gap0 = w0 + hours{4}, gap1 = gap0 + hours{2};
  std::vector<presence_sample> v;
  every_minute(v, w0 - minutes{30}, gap0, [](instant) { return presence::inside; });
  every_minute(v, gap1, w1, [](instant) { return presence::inside; });
  const curfew_options o;  // stale after 10 minutes
  const auto r = evaluate_curfew(v, night, o);
  CHECK(r.absences.empty());
  CHECK(r.status == curfew_status::incomplete);
  REQUIRE(r.unknown.size() == 1);
  // The last fix (gap0 - 1 min) speaks for 10 minutes; then nothing is known.
  CHECK(r.unknown[0].start == gap0 - minutes{1} + o.stale_after);
  CHECK(r.unknown[0].end == gap1);
  CHECK(r.unknown_time == hours{2} + minutes{1} - o.stale_after);
  CHECK(r.inside_time + r.unknown_time == hours{12});

  SECTION("the staleness rule is a parameter") {
    curfew_options lax;
    lax.stale_after = hours{3};
    CHECK(evaluate_curfew(v, night, lax).status == curfew_status::compliant);
  }
  SECTION("RF: a home unit offline for two hours") {
    const std::vector<device_event> ev = {
        {"S1", w0 - hours{1}, device_event_type::rf_in_range, 0},
        {"S1", gap0, device_event_type::device_offline, 0},
        {"S1", gap1, device_event_type::device_online, 0},  // says nothing about range
        {"S1", gap1 + minutes{5}, device_event_type::rf_in_range, 0},
    };
    const auto rf = evaluate_curfew(presence_from_rf(ev), night, curfew_options::rf());
    CHECK(rf.status == curfew_status::incomplete);
    REQUIRE(rf.unknown.size() == 1);
    CHECK(rf.unknown[0].start == gap0);
    CHECK(rf.unknown[0].end == gap1 + minutes{5});
  }
  SECTION("no samples at all") {
    const auto none = evaluate_curfew({}, night);
    CHECK(none.status == curfew_status::incomplete);
    CHECK(none.unknown_time == hours{12});
  }
}

TEST_CASE("GPS jitter at a home on the zone edge: no breach", "[curfew]") {
  const std::uint64_t seed = 4242;
  INFO("seed " << seed);
  lcg g{seed};
  const tm_frame frame = tm_frame::british_national_grid();
  // Chelmsford; the home zone is a 40 m circle and the bedroom is 36 m from its centre.
  const lat_lon centre = *lat_lon::from_degrees(51.7356, 0.4685);
  const circle home{frame.forward(centre), 40.0};
  const double north_m_per_deg = 111250.0, east_m_per_deg = 111250.0 * std::cos(51.7356 * 3.141592653589793 / 180);
  std::vector<fix> fixes;
  int outside_by_truth = 0;
  for (instant t = w0 - minutes{30}; t < w1; t += minutes{1}) {
    // Error within the reported 95% accuracy (indoors: 12..25 m).
    const float acc_m = static_cast<float>(12.0 + 13.0 * g.unit());
    const double r_m = acc_m * 0.9 * std::sqrt(g.unit()), a = 2 * 3.141592653589793 * g.unit();
    const double north_m = 36.0 + r_m * std::cos(a), east_m = r_m * std::sin(a);
    if (std::hypot(north_m, east_m) > 40.0) ++outside_by_truth;
    fix f;
    f.subject_id = "S1";
    f.time = t;
    f.pos = *lat_lon::from_degrees(51.7356 + north_m / north_m_per_deg, 0.4685 + east_m / east_m_per_deg);
    f.accuracy_m = acc_m;
    fixes.push_back(f);
  }
  REQUIRE(outside_by_truth > 50);  // a bare point-in-circle test would see many "absences"
  const auto samples = presence_from_fixes(fixes, home, frame);
  CHECK(std::count_if(samples.begin(), samples.end(), [](auto s) { return s.state == presence::outside; }) == 0);
  const auto r = evaluate_curfew(samples, night, curfew_options::gps());
  CHECK(r.absences.empty());
  CHECK(r.status == curfew_status::compliant);
  CHECK(r.uncertain_time > hours{1});

  SECTION("walking away is seen") {
    std::vector<fix> away = fixes;
    for (auto& f : away)
      if (f.time >= w0 + hours{2} && f.time < w0 + hours{3})
        f.pos = *lat_lon::from_degrees(51.7356 + 300.0 / north_m_per_deg, 0.4685);
    const auto b = evaluate_curfew(presence_from_fixes(away, home, frame), night);
    REQUIRE(b.absences.size() == 1);
    CHECK(b.absences[0].start == w0 + hours{2});
    CHECK(b.absences[0].duration == hours{1});
    CHECK(b.status == curfew_status::breach);
  }
}

TEST_CASE("circle verdicts are accuracy-aware with the boundary inside", "[curfew]") {
  const circle home{{1000.0, 2000.0}, 50.0};
  struct row {
    double x_m, acc_m, tol_m;
    presence want;
  };
  const row rows[] = {
      {1000.0, 10.0, 0, presence::inside},   {1040.0, 10.0, 0, presence::inside},  // d + acc == r
      {1040.5, 10.0, 0, presence::uncertain}, {1050.0, 0.0, 0, presence::inside},  // on the boundary
      {1060.0, 10.0, 0, presence::outside},  // d - acc == r: at least its accuracy away (DESIGN.md)
      {1059.5, 10.0, 0, presence::uncertain},
      {1060.5, 10.0, 0, presence::outside},   {1060.5, 10.0, 5, presence::uncertain},
      {1065.5, 10.0, 5, presence::outside},   {1200.0, 200.0, 0, presence::uncertain},
  };
  for (const row& r : rows) {
    INFO("x " << r.x_m << " acc " << r.acc_m << " tol " << r.tol_m);
    CHECK(circle_presence(home, {r.x_m, 2000.0}, r.acc_m, r.tol_m) == r.want);
  }
}

TEST_CASE("order does not matter; disagreeing samples at one instant are uncertain", "[curfew]") {
  const std::uint64_t seed = 77;
  INFO("seed " << seed);
  lcg g{seed};
  std::vector<presence_sample> v;
  every_minute(v, w0 - minutes{20}, w1, [&](instant) {
    const auto k = g.next() % 10;
    return k < 6 ? presence::inside : k < 9 ? presence::outside : presence::uncertain;
  });
  const auto a = evaluate_curfew(v, night);
  std::vector<presence_sample> shuffled = v;
  for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[g.next() % i]);
  const auto b = evaluate_curfew(shuffled, night);
  REQUIRE(a.absences.size() == b.absences.size());
  CHECK(a.absences.size() > 3);
  for (std::size_t i = 0; i < a.absences.size(); ++i) {
    CHECK(a.absences[i].start == b.absences[i].start);
    CHECK(a.absences[i].end == b.absences[i].end);
  }
  CHECK(a.absent == b.absent);

  const std::vector<presence_sample> clash = {{w0 - minutes{1}, presence::inside},
                                              {w0 + hours{1}, presence::outside},
                                              {w0 + hours{1}, presence::inside},
                                              {w0 + hours{1} + minutes{5}, presence::inside}};
  curfew_options o;
  o.stale_after = hours{2};
  const auto c = evaluate_curfew(clash, night, o);
  CHECK(c.absences.empty());
  CHECK(c.uncertain_time == minutes{5});
}

TEST_CASE("a short data gap inside an absence is bridged; a long one splits it", "[curfew]") {
  const instant out = w0 + hours{3};
  std::vector<presence_sample> v;
  every_minute(v, w0 - minutes{5}, out, [](instant) { return presence::inside; });
  every_minute(v, out, out + minutes{10}, [](instant) { return presence::outside; });
  // Last outside fix at out+9; it speaks until out+19 (stale 10). Next fix at out+20.
  every_minute(v, out + minutes{20}, out + minutes{30}, [](instant) { return presence::outside; });
  every_minute(v, out + minutes{30}, w1, [](instant) { return presence::inside; });
  const auto r = evaluate_curfew(v, night);
  REQUIRE(r.absences.size() == 1);  // 1 minute unknown < min_return
  CHECK(r.absences[0].duration == minutes{30});
  CHECK(r.absences[0].outside == minutes{29});
  CHECK(r.unknown_time == minutes{1});
  CHECK(r.status == curfew_status::breach);

  curfew_options tight;
  tight.stale_after = minutes{5};
  const auto s = evaluate_curfew(v, night, tight);
  REQUIRE(s.absences.size() == 2);  // 6 minutes unknown: the episode ends where data stopped
  CHECK(s.absences[0].end == out + minutes{14});
  CHECK(s.absences[1].start == out + minutes{20});
  CHECK(s.status == curfew_status::incomplete);  // neither part beyond grace, but time unknown
}

TEST_CASE("evaluate_curfews follows the schedule across the spring-forward night", "[curfew]") {
  schedule_spec spec;
  spec.windows = {{{"sat"}, "19:00", "07:00"}};
  const auto s = schedule::compile(spec);
  REQUIRE(s.ok());
  std::vector<presence_sample> v;
  every_minute(v, at("2026-03-28T18:00:00Z"), at("2026-03-29T08:00:00Z"), [](instant) { return presence::inside; });
  const auto rs = evaluate_curfews(v, *s, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z"));
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].window.start == at("2026-03-28T19:00:00Z"));
  CHECK(rs[0].window.end == at("2026-03-29T06:00:00Z"));
  CHECK(rs[0].inside_time == hours{11});
  CHECK(rs[0].status == curfew_status::compliant);
  CHECK(to_string(rs[0].status) == "compliant");
}

TEST_CASE("zone verdicts feed the evaluator", "[curfew]") {
  CHECK(to_presence(verdict::inside) == presence::inside);
  CHECK(to_presence(verdict::outside) == presence::outside);
  CHECK(to_presence(verdict::uncertain) == presence::uncertain);
  // The zones' circle verdict and ours agree away from exact ties.
  const circle home{{0.0, 0.0}, 50.0};
  for (double x_m = 0; x_m < 120; x_m += 0.7)
    for (double acc_m : {0.0, 5.0, 20.0}) {
      INFO("x " << x_m << " acc " << acc_m);
      CHECK(to_presence(classify(home, {x_m, 0.0}, acc_m, 0, breach_side::outside).state) ==
            circle_presence(home, {x_m, 0.0}, acc_m));
    }
}
