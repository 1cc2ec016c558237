// Tests of warden/prism.hpp: hand-computed cases (ellipse boundary,
// zero-length gaps, max speed 0, time-limited reach) and differential
// checks against exhaustive evaluation and dense sampling.
#include <catch2/catch.hpp>

#include <warden/prism.hpp>

#include "trail_gen.hpp"

#include <cmath>
#include <limits>

using namespace warden;

namespace {

timed_fix tf(double x, double y, std::int64_t t_ms, double acc) { return timed_fix{xy{x, y}, t_ms, acc}; }

// The reference for prism_reaches: g at every whole millisecond.
prism_reach exhaustive(xy q, double r, const timed_fix& f0, const timed_fix& f1, double v, std::int64_t lo,
                       std::int64_t hi) {
  prism_reach out;
  for (std::int64_t t = lo; t <= hi; ++t)
    if (prism_slice_distance_m(q, f0, f1, v, t) <= r) {
      if (!out.reaches) out.first_ms = t;
      out.reaches = true;
      out.last_ms = t;
    }
  return out;
}

}  // namespace

TEST_CASE("closest point on a segment", "[prism]") {
  CHECK(closest_on_segment(xy{5, 3}, xy{0, 0}, xy{10, 0}).distance_m == 3);
  CHECK(closest_on_segment(xy{5, 3}, xy{0, 0}, xy{10, 0}).u == 0.5);
  CHECK(closest_on_segment(xy{-3, 4}, xy{0, 0}, xy{10, 0}).distance_m == 5);
  CHECK(closest_on_segment(xy{13, 4}, xy{0, 0}, xy{10, 0}).u == 1);
  CHECK(closest_on_segment(xy{3, 4}, xy{0, 0}, xy{0, 0}).distance_m == 5);  // degenerate
}

TEST_CASE("straight path against a disc: hand-computed", "[prism]") {
  // (0,0) at t = 0 to (1000,0) at t = 100 s, crime at (500, 30), r = 50:
  // inside while |x - 500| <= 40, i.e. 46 s .. 54 s.
  const xy q{500, 30};
  auto pv = path_against_disc(q, 50, xy{0, 0}, 0, xy{1000, 0}, 100'000, 0, 100'000);
  CHECK(pv.min_distance_m == Approx(30));
  CHECK(pv.closest_ms == Approx(50'000));
  REQUIRE(pv.touches);
  CHECK(pv.enter_ms == Approx(46'000));
  CHECK(pv.exit_ms == Approx(54'000));
  CHECK(pv.dwell_ms == Approx(8'000));
  // Clipped to [0, 48 s]: closest at the end of the clip.
  pv = path_against_disc(q, 50, xy{0, 0}, 0, xy{1000, 0}, 100'000, 0, 48'000);
  CHECK(pv.min_distance_m == Approx(std::sqrt(20.0 * 20 + 30 * 30)));
  CHECK(pv.closest_ms == Approx(48'000));
  CHECK(pv.dwell_ms == Approx(2'000));
  // Clipped to [60 s, 100 s]: outside the disc.
  pv = path_against_disc(q, 50, xy{0, 0}, 0, xy{1000, 0}, 100'000, 60'000, 100'000);
  CHECK_FALSE(pv.touches);
  CHECK(pv.min_distance_m == Approx(std::sqrt(100.0 * 100 + 30 * 30)));
  // Tangent exactly on the radius: passes, for an instant.
  pv = path_against_disc(xy{500, 50}, 50, xy{0, 0}, 0, xy{1000, 0}, 100'000, 0, 100'000);
  CHECK(pv.touches);
  CHECK(pv.min_distance_m == 50);
  CHECK(pv.dwell_ms == Approx(0).margin(1e-6));
  pv = path_against_disc(xy{500, 50.01}, 50, xy{0, 0}, 0, xy{1000, 0}, 100'000, 0, 100'000);
  CHECK_FALSE(pv.touches);
  // Zero-length interval: the first fix only.
  pv = path_against_disc(xy{10, 0}, 5, xy{0, 0}, 7, xy{20, 0}, 7, 7, 7);
  CHECK(pv.min_distance_m == 10);
  CHECK_FALSE(pv.touches);
}

TEST_CASE("path against a disc matches sampling", "[prism]") {
  testgen::rng r(101);
  for (int k = 0; k < 2000; ++k) {
    const xy p0{r.uniform(-500, 500), r.uniform(-500, 500)}, p1{r.uniform(-500, 500), r.uniform(-500, 500)};
    const xy q{r.uniform(-500, 500), r.uniform(-500, 500)};
    const double rad = r.uniform(1, 400);
    const std::int64_t t0 = 1000, t1 = t0 + static_cast<std::int64_t>(r.below(100'000)) + 1;
    std::int64_t lo = t0 + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(t1 - t0)));
    std::int64_t hi = lo + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(t1 - lo) + 1));
    const auto pv = path_against_disc(q, rad, p0, t0, p1, t1, lo, hi);
    double best = std::numeric_limits<double>::infinity(), inside_ms = 0;
    const int steps = 20000;
    for (int i = 0; i <= steps; ++i) {
      const double t = static_cast<double>(lo) + static_cast<double>(hi - lo) * i / steps;
      const double u = (t - static_cast<double>(t0)) / static_cast<double>(t1 - t0);
      const double d = std::hypot(p0.x_m + u * (p1.x_m - p0.x_m) - q.x_m, p0.y_m + u * (p1.y_m - p0.y_m) - q.y_m);
      best = std::min(best, d);
      if (d <= rad && i < steps) inside_ms += static_cast<double>(hi - lo) / steps;
    }
    CAPTURE(k, p0.x_m, p0.y_m, p1.x_m, p1.y_m, q.x_m, q.y_m, rad, t0, t1, lo, hi);
    REQUIRE(pv.min_distance_m <= best + 1e-9);
    REQUIRE(pv.min_distance_m >= best - 0.2);  // sampling step is at most 0.07 m of path
    REQUIRE(pv.dwell_ms == Approx(inside_ms).margin(static_cast<double>(hi - lo) / steps * 2 + 1e-6));
  }
}

TEST_CASE("lens distance: hand-computed", "[prism]") {
  // D((0,0),5) ∩ D((8,0),5): corners (4, ±3), left end (3, 0), right end (5, 0).
  CHECK(lens_distance_m(xy{4, 10}, xy{0, 0}, 5, xy{8, 0}, 5) == Approx(7));
  CHECK(lens_distance_m(xy{-10, 0}, xy{0, 0}, 5, xy{8, 0}, 5) == Approx(13));
  CHECK(lens_distance_m(xy{20, 0}, xy{0, 0}, 5, xy{8, 0}, 5) == Approx(15));
  CHECK(lens_distance_m(xy{4, 0}, xy{0, 0}, 5, xy{8, 0}, 5) == 0);
  CHECK(lens_distance_m(xy{4, 3}, xy{0, 0}, 5, xy{8, 0}, 5) == Approx(0).margin(1e-12));
  CHECK(std::isinf(lens_distance_m(xy{4, 0}, xy{0, 0}, 5, xy{11, 0}, 5)));  // disjoint discs
  // One disc inside the other: the lens is the small disc.
  CHECK(lens_distance_m(xy{20, 0}, xy{0, 0}, 10, xy{3, 0}, 2) == Approx(15));
  CHECK(lens_distance_m(xy{3, 0}, xy{0, 0}, 10, xy{3, 0}, 2) == 0);
  // Concentric, and a zero radius (a point).
  CHECK(lens_distance_m(xy{0, 9}, xy{0, 0}, 4, xy{0, 0}, 6) == Approx(5));
  CHECK(lens_distance_m(xy{3, 4}, xy{0, 0}, 0, xy{1, 0}, 1) == Approx(5));
}

TEST_CASE("lens distance matches dense sampling", "[prism]") {
  testgen::rng r(202);
  for (int k = 0; k < 1000; ++k) {
    const xy c0{r.uniform(-50, 50), r.uniform(-50, 50)}, c1{r.uniform(-50, 50), r.uniform(-50, 50)};
    const double r0 = r.uniform(0, 80), r1 = r.uniform(0, 80);
    const xy q{r.uniform(-150, 150), r.uniform(-150, 150)};
    const double got = lens_distance_m(q, c0, r0, c1, r1);
    // Sample the lens on a polar grid over the smaller disc.
    const xy c = r0 < r1 ? c0 : c1;
    const double rr = std::min(r0, r1);
    double best = std::numeric_limits<double>::infinity();
    const int nr = 60, na = 360;
    for (int i = 0; i <= nr; ++i)
      for (int j = 0; j < na; ++j) {
        const double rad = rr * i / nr, ang = 6.283185307179586 * j / na;
        const xy p{c.x_m + rad * std::cos(ang), c.y_m + rad * std::sin(ang)};
        if (std::hypot(p.x_m - c0.x_m, p.y_m - c0.y_m) <= r0 + 1e-9 && std::hypot(p.x_m - c1.x_m, p.y_m - c1.y_m) <= r1 + 1e-9)
          best = std::min(best, std::hypot(p.x_m - q.x_m, p.y_m - q.y_m));
      }
    CAPTURE(k, c0.x_m, c0.y_m, r0, c1.x_m, c1.y_m, r1, q.x_m, q.y_m, got, best);
    const double d = std::hypot(c0.x_m - c1.x_m, c0.y_m - c1.y_m);
    if (d > r0 + r1) {
      REQUIRE(std::isinf(got));
      continue;
    }
    if (std::isinf(best)) continue;  // a lens thinner than the sampling grid
    REQUIRE(got <= best + 1e-9);
    REQUIRE(got >= best - rr * 6.283185307179586 / na - rr / nr - 1e-9);
  }
}

TEST_CASE("prism: ellipse boundary, hand-computed", "[prism]") {
  // Foci (0,0) and (1000,0), 100 s apart, 20 m/s, exact fixes: the ellipse
  // |p - f0| + |p - f1| <= 2000 has semi-minor axis sqrt(1000^2 - 500^2) =
  // 866.0254 m (reached at t = 50 s) and ends at x = -500 (t = 25 s) and x =
  // 1500 (t = 75 s).
  const timed_fix f0 = tf(0, 0, 0, 0), f1 = tf(1000, 0, 100'000, 0);
  const double b = std::sqrt(1000.0 * 1000 - 500.0 * 500);
  CHECK(prism_reach_bound_m(f0, f1, 20) == Approx(b));
  const double r = 100;
  auto top = prism_reaches(xy{500, b + r - 0.01}, r, f0, f1, 20, 0, 100'000, true);
  REQUIRE(top.reaches);
  CHECK(top.first_ms <= 50'000);
  CHECK(top.last_ms >= 50'000);
  const auto ref = exhaustive(xy{500, b + r - 0.01}, r, f0, f1, 20, 0, 100'000);
  CHECK(top.first_ms == ref.first_ms);
  CHECK(top.last_ms == ref.last_ms);
  CHECK_FALSE(prism_reaches(xy{500, b + r + 0.01}, r, f0, f1, 20, 0, 100'000, true).reaches);
  // The far end of the major axis is reached at exactly 75 s.
  auto end = prism_reaches(xy{1500 + r, 0}, r, f0, f1, 20, 0, 100'000, true);
  REQUIRE(end.reaches);
  CHECK(end.first_ms == 75'000);
  CHECK(end.last_ms == 75'000);
  CHECK_FALSE(prism_reaches(xy{1500 + r + 0.01, 0}, r, f0, f1, 20, 0, 100'000, true).reaches);
  CHECK_FALSE(prism_reaches(xy{-500 - r - 0.01, 0}, r, f0, f1, 20, 0, 100'000, true).reaches);
  // ... but not when the window closes before 75 s.
  CHECK_FALSE(prism_reaches(xy{1500 + r, 0}, r, f0, f1, 20, 0, 74'999, true).reaches);
  // Accuracies widen the ellipse: 2000 + 10 + 20.
  const timed_fix g0 = tf(0, 0, 0, 10), g1 = tf(1000, 0, 100'000, 20);
  const double bb = std::sqrt(1015.0 * 1015 - 500.0 * 500);
  CHECK(prism_reach_bound_m(g0, g1, 20) == Approx(bb));
  CHECK(prism_reaches(xy{500, bb + r - 0.01}, r, g0, g1, 20, 0, 100'000, false).reaches);
  CHECK_FALSE(prism_reaches(xy{500, bb + r + 0.01}, r, g0, g1, 20, 0, 100'000, false).reaches);
}

TEST_CASE("prism: time-limited reach, zero-length gap, max speed 0", "[prism]") {
  // Standing at (0,0) at 0 s and at 100 s, 10 m/s: (300, 0) is reachable
  // from 30 s (going) to 70 s (coming back).
  const timed_fix s0 = tf(0, 0, 0, 0), s1 = tf(0, 0, 100'000, 0);
  auto pr = prism_reaches(xy{300, 0}, 0, s0, s1, 10, 0, 100'000, true);
  REQUIRE(pr.reaches);
  CHECK(pr.first_ms == 30'000);
  CHECK(pr.last_ms == 70'000);
  pr = prism_reaches(xy{300, 0}, 0, s0, s1, 10, 40'000, 50'000, true);
  CHECK(pr.first_ms == 40'000);
  CHECK(pr.last_ms == 50'000);
  CHECK_FALSE(prism_reaches(xy{300, 0}, 0, s0, s1, 10, 70'001, 100'000, true).reaches);
  CHECK_FALSE(prism_reaches(xy{500.01, 0}, 0, s0, s1, 10, 0, 100'000, true).reaches);
  CHECK(prism_reaches(xy{500, 0}, 0, s0, s1, 10, 0, 100'000, true).first_ms == 50'000);

  // Zero-length gap: two fixes at the same instant; the lens of their
  // accuracy circles D((0,0),10) ∩ D((15,0),10) has corners (7.5, ±6.6144).
  const timed_fix z0 = tf(0, 0, 5000, 10), z1 = tf(15, 0, 5000, 10);
  const double h = std::sqrt(100 - 7.5 * 7.5);
  CHECK(prism_reaches(xy{7.5, h + 5 - 0.001}, 5, z0, z1, 40, 5000, 5000, true).reaches);
  CHECK_FALSE(prism_reaches(xy{7.5, h + 5 + 0.001}, 5, z0, z1, 40, 5000, 5000, true).reaches);
  // Two simultaneous fixes 25 m apart with 10 m accuracies cannot both be right.
  CHECK_FALSE(prism_reaches(xy{12.5, 0}, 50, z0, tf(25, 0, 5000, 10), 40, 5000, 5000, true).reaches);

  // Max speed 0: the person stays inside both accuracy circles.
  const timed_fix m0 = tf(0, 0, 0, 10), m1 = tf(0, 0, 3'600'000, 10);
  pr = prism_reaches(xy{110, 0}, 100, m0, m1, 0, 0, 3'600'000, true);
  REQUIRE(pr.reaches);  // exactly on r + accuracy
  CHECK(pr.first_ms == 0);
  CHECK(pr.last_ms == 3'600'000);
  CHECK_FALSE(prism_reaches(xy{110.01, 0}, 100, m0, m1, 0, 0, 3'600'000, true).reaches);
  // ... and fixes 100 m apart with 10 m accuracy cannot be joined at speed 0.
  CHECK(prism_reach_bound_m(m0, tf(100, 0, 3'600'000, 10), 0) < 0);
  CHECK_FALSE(prism_reaches(xy{0, 0}, 100, m0, tf(100, 0, 3'600'000, 10), 0, 0, 3'600'000, true).reaches);
}

TEST_CASE("prism points lie within the semi-minor axis of the segment", "[prism]") {
  testgen::rng r(303);
  for (int k = 0; k < 500; ++k) {
    const timed_fix f0 = tf(r.uniform(-100, 100), r.uniform(-100, 100), 0, r.uniform(0, 20));
    const timed_fix f1 = tf(r.uniform(-100, 100), r.uniform(-100, 100), static_cast<std::int64_t>(r.below(60'000)), r.uniform(0, 20));
    const double v = r.uniform(0, 10);
    const double b = prism_reach_bound_m(f0, f1, v);
    if (b < 0) continue;
    for (int j = 0; j < 200; ++j) {
      // A random point of a random slice L(t): sample and keep it if inside.
      const std::int64_t t = static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(f1.t_ms) + 1));
      const double r0 = prism_radius0_m(f0, v, t);
      const double ang = r.uniform(0, 6.283185307179586), rad = r0 * std::sqrt(r.uniform());
      const xy p{f0.pos.x_m + rad * std::cos(ang), f0.pos.y_m + rad * std::sin(ang)};
      if (std::hypot(p.x_m - f1.pos.x_m, p.y_m - f1.pos.y_m) > prism_radius1_m(f1, v, t)) continue;
      CAPTURE(k, j, b);
      REQUIRE(closest_on_segment(p, f0.pos, f1.pos).distance_m <= b + 1e-9);
    }
  }
}

TEST_CASE("prism_reaches equals exhaustive evaluation at every millisecond", "[prism]") {
  testgen::rng r(404);
  int reached = 0;
  for (int k = 0; k < 1500; ++k) {
    const std::int64_t dt = static_cast<std::int64_t>(r.below(20'000));
    const timed_fix f0 = tf(r.uniform(-300, 300), r.uniform(-300, 300), 1'000'000, r.uniform(0, 30));
    const timed_fix f1 = tf(r.uniform(-300, 300), r.uniform(-300, 300), 1'000'000 + dt, r.uniform(0, 30));
    const double v = r.chance(0.1) ? 0.0 : r.uniform(1, 60);
    const xy q{r.uniform(-800, 800), r.uniform(-800, 800)};
    const std::int64_t lo = f0.t_ms + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(dt) + 1));
    const std::int64_t hi = lo + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(f1.t_ms - lo) + 1));
    // Put the radius near the smallest distance so that the answer is close.
    double gmin = std::numeric_limits<double>::infinity();
    for (std::int64_t t = lo; t <= hi; t += std::max<std::int64_t>(1, (hi - lo) / 50))
      gmin = std::min(gmin, prism_slice_distance_m(q, f0, f1, v, t));
    const double rad = std::isinf(gmin) ? 50.0 : std::max(0.5, gmin + r.uniform(-5, 5));
    const auto got = prism_reaches(q, rad, f0, f1, v, lo, hi, true);
    const auto ref = exhaustive(q, rad, f0, f1, v, lo, hi);
    CAPTURE(k, f0.pos.x_m, f0.pos.y_m, f0.accuracy_m, f1.pos.x_m, f1.pos.y_m, f1.accuracy_m, dt, v, q.x_m, q.y_m, rad, lo, hi);
    REQUIRE(got.reaches == ref.reaches);
    if (ref.reaches) {
      ++reached;
      REQUIRE(got.first_ms == ref.first_ms);
      REQUIRE(got.last_ms == ref.last_ms);
    }
  }
  CHECK(reached > 300);
  CHECK(reached < 1300);
}

TEST_CASE("prism_reaches: each end asked alone equals exhaustive evaluation", "[prism]") {
  // reach_times::first / last search one end only, starting from the
  // instant the growing (shrinking) disc around one fix first (last)
  // touches the crime disc; half the crimes are put where that guess is the
  // answer (on the line through the fixes, beyond one of them) and half
  // anywhere near, so both the accepted and the rejected guess are covered.
  const std::uint64_t seed = 405;
  testgen::rng r(seed);
  int reached = 0, guessed = 0;
  for (int k = 0; k < 1500; ++k) {
    const std::int64_t dt = 1 + static_cast<std::int64_t>(r.below(20'000));
    const timed_fix f0 = tf(r.uniform(-300, 300), r.uniform(-300, 300), 1'000'000, r.uniform(0, 30));
    const timed_fix f1 = tf(r.uniform(-300, 300), r.uniform(-300, 300), 1'000'000 + dt, r.uniform(0, 30));
    const double v = r.chance(0.1) ? 0.0 : r.uniform(1, 60);
    const std::int64_t lo = f0.t_ms + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(dt) + 1));
    const std::int64_t hi = lo + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(f1.t_ms - lo) + 1));
    xy q{r.uniform(-800, 800), r.uniform(-800, 800)};
    const bool on_axis = r.chance(0.5);
    if (on_axis) {  // beyond f0 or f1 on the line through them
      const double dx = f1.pos.x_m - f0.pos.x_m, dy = f1.pos.y_m - f0.pos.y_m, d = std::hypot(dx, dy);
      if (d > 0) {
        const double u = r.chance(0.5) ? -r.uniform(0, 1.5) : 1 + r.uniform(0, 1.5);
        q = xy{f0.pos.x_m + u * dx, f0.pos.y_m + u * dy};
      }
    }
    double gmin = std::numeric_limits<double>::infinity();
    for (std::int64_t t = lo; t <= hi; t += std::max<std::int64_t>(1, (hi - lo) / 50))
      gmin = std::min(gmin, prism_slice_distance_m(q, f0, f1, v, t));
    const double rad = std::isinf(gmin) ? 50.0 : std::max(0.5, gmin + r.uniform(-5, 20));
    const auto ref = exhaustive(q, rad, f0, f1, v, lo, hi);
    const auto first = prism_reaches(q, rad, f0, f1, v, lo, hi, reach_times::first);
    const auto last = prism_reaches(q, rad, f0, f1, v, lo, hi, reach_times::last);
    const auto none = prism_reaches(q, rad, f0, f1, v, lo, hi, reach_times::none);
    CAPTURE(seed, k, on_axis, f0.pos.x_m, f0.pos.y_m, f0.accuracy_m, f1.pos.x_m, f1.pos.y_m, f1.accuracy_m, dt, v, q.x_m,
            q.y_m, rad, lo, hi);
    REQUIRE(first.reaches == ref.reaches);
    REQUIRE(last.reaches == ref.reaches);
    REQUIRE(none.reaches == ref.reaches);
    if (!ref.reaches) continue;
    ++reached;
    REQUIRE(first.first_ms == ref.first_ms);
    REQUIRE(last.last_ms == ref.last_ms);
    // The end not asked for is an instant at which the prism reaches.
    REQUIRE(prism_slice_distance_m(q, f0, f1, v, first.last_ms) <= rad);
    REQUIRE(prism_slice_distance_m(q, f0, f1, v, last.first_ms) <= rad);
    if (v > 0 && ref.first_ms > lo) {
      const double ta = static_cast<double>(f0.t_ms) +
                        1000.0 * (std::hypot(q.x_m - f0.pos.x_m, q.y_m - f0.pos.y_m) - rad - f0.accuracy_m) / v;
      guessed += static_cast<std::int64_t>(std::ceil(ta)) == ref.first_ms;
    }
  }
  CHECK(reached > 300);
  CHECK(guessed > 50);  // the guess was the answer often enough to be tested
}
