// Prepared polygon: exact predicates, boundary cases in binary-exact
// coordinates, metamorphic invariants, brute-force differential, distance,
// transit and verdicts. The real-data differential against GEOS is in
// pip_geos_test.cpp.
#include <warden/prepared_polygon.hpp>
#include <warden/verdict.hpp>

#include "pip_geos_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace warden;
using pip_test::reference_covers;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

double up(double v) { return std::nextafter(v, inf); }
double down(double v) { return std::nextafter(v, -inf); }

prepared_polygon prepare(const multipolygon& mp) {
  auto r = prepared_polygon::build(mp);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// A random star-shaped ring around c: integer vertices, n of them.
ring star(std::mt19937_64& rng, xy c, double r_min, double r_max, std::size_t n) {
  std::uniform_real_distribution<double> rad(r_min, r_max);
  ring r;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = 2 * 3.141592653589793 * static_cast<double>(i) / static_cast<double>(n);
    const double d = rad(rng);
    r.push_back({std::round(c.x_m + d * std::cos(a)), std::round(c.y_m + d * std::sin(a))});
  }
  return r;
}

// Query points for a polygon: random multiples of 2^-30, points on the
// quarter lattice (many exactly on edges), every vertex, edge midpoints.
std::vector<xy> probe_points(std::mt19937_64& rng, const multipolygon& mp, std::size_t random_count) {
  const box b = bounds(mp);
  const double pad = 4;
  std::uniform_real_distribution<double> ux(b.min.x_m - pad, b.max.x_m + pad), uy(b.min.y_m - pad, b.max.y_m + pad);
  auto snap = [](double v, double q) { return std::round(v * q) / q; };
  std::vector<xy> pts;
  for (std::size_t i = 0; i < random_count; ++i) pts.push_back({snap(ux(rng), 1 << 30), snap(uy(rng), 1 << 30)});
  for (std::size_t i = 0; i < random_count; ++i) pts.push_back({snap(ux(rng), 4), snap(uy(rng), 4)});
  for (const auto& poly : mp) {
    std::vector<const ring*> rings{&poly.outer};
    for (const auto& h : poly.holes) rings.push_back(&h);
    for (const ring* r : rings)
      for (std::size_t i = 0; i < r->size(); ++i) {
        const xy a = (*r)[i], c = (*r)[(i + 1) % r->size()];
        pts.push_back(a);
        pts.push_back({(a.x_m + c.x_m) / 2, (a.y_m + c.y_m) / 2});
        pts.push_back({a.x_m + 0x1p-20, a.y_m});
        pts.push_back({a.x_m, a.y_m - 0x1p-20});
      }
  }
  return pts;
}

// Exact closed-segment intersection in 128-bit integers (test reference).
bool reference_segments_meet(xy a, xy b, xy c, xy d) {
  using pip_test::orient_i;
  auto on = [](xy p, xy q, xy r) {
    return std::min(p.x_m, q.x_m) <= r.x_m && r.x_m <= std::max(p.x_m, q.x_m) && std::min(p.y_m, q.y_m) <= r.y_m &&
           r.y_m <= std::max(p.y_m, q.y_m) && orient_i(p, q, r) == 0;
  };
  const int o1 = orient_i(a, b, c), o2 = orient_i(a, b, d), o3 = orient_i(c, d, a), o4 = orient_i(c, d, b);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  return on(a, b, c) || on(a, b, d) || on(c, d, a) || on(c, d, b);
}

double reference_distance(const multipolygon& mp, xy p) {
  double best = inf;
  auto ring_d = [&](const ring& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const xy a = r[i], b = r[(i + 1) % r.size()];
      const long double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m, len2 = dx * dx + dy * dy;
      long double t = len2 > 0 ? ((p.x_m - a.x_m) * dx + (p.y_m - a.y_m) * dy) / len2 : 0;
      t = std::clamp<long double>(t, 0, 1);
      const long double ex = a.x_m + t * dx - p.x_m, ey = a.y_m + t * dy - p.y_m;
      best = std::min(best, static_cast<double>(std::sqrt(ex * ex + ey * ey)));
    }
  };
  for (const auto& poly : mp) {
    ring_d(poly.outer);
    for (const auto& h : poly.holes) ring_d(h);
  }
  return best;
}

// Square with a square hole, and a triangle across a gap (binary-exact).
multipolygon table_geometry() {
  multipolygon mp(2);
  mp[0].outer = {{0, 0}, {8, 0}, {8, 8}, {0, 8}};
  mp[0].holes = {{{2, 2}, {2, 6}, {6, 6}, {6, 2}}};
  mp[1].outer = {{10, 0}, {16, 0}, {10, 6}};
  return mp;
}

}  // namespace

TEST_CASE("orient is exact on near-degenerate triples", "[prepared_polygon][predicates]") {
  const std::uint64_t seed = 20260301;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> coord(0, std::int64_t{1} << 50), step(-(1 << 20), 1 << 20),
      mult(-(1 << 25), 1 << 25);
  std::uniform_int_distribution<int> nudge(-2, 2);
  auto q = [](std::int64_t k) { return static_cast<double>(k) / 1073741824.0; };  // multiple of 2^-30
  int zero = 0, nonzero = 0;
  for (int i = 0; i < 200000; ++i) {
    // a, b, c exactly collinear (c = a + t d, b = a + s d), then c nudged
    // by a few units of 2^-30 half of the time; or c merely near the line.
    const std::int64_t ax = coord(rng), ay = coord(rng), dx = step(rng), dy = step(rng);
    const std::int64_t s = mult(rng), t = mult(rng);
    const xy a{q(ax), q(ay)}, b{q(ax + s * dx), q(ay + s * dy)};
    xy c{q(ax + t * dx + (i % 2 ? nudge(rng) : 0)), q(ay + t * dy)};
    if (i % 5 == 4) {
      const double f = std::ldexp(static_cast<double>(t % 1024), -10);
      c = {std::round((a.x_m + f * (b.x_m - a.x_m)) * 1073741824.0) / 1073741824.0,
           std::round((a.y_m + f * (b.y_m - a.y_m)) * 1073741824.0) / 1073741824.0};
    }
    CAPTURE(i, a.x_m, a.y_m, b.x_m, b.y_m, c.x_m, c.y_m);
    const int expected = pip_test::orient_i(a, b, c);
    REQUIRE(detail::orient(a, b, c) == expected);
    REQUIRE(detail::orient_exact(a, b, c) == expected);
    (expected == 0 ? zero : nonzero)++;
  }
  CHECK(zero > 1000);  // the test does exercise exact collinearity
  CHECK(nonzero > 1000);
}

TEST_CASE("boundary cases in binary-exact coordinates", "[prepared_polygon][boundary]") {
  const multipolygon mp = table_geometry();
  const prepared_polygon pp = prepare(mp);
  struct row {
    double x, y;
    bool covered;
    const char* what;
  };
  const row rows[] = {
      {0, 0, true, "outer vertex"},
      {8, 8, true, "outer vertex"},
      {2, 2, true, "hole vertex"},
      {6, 6, true, "hole vertex"},
      {16, 0, true, "triangle vertex"},
      {10, 6, true, "triangle vertex"},
      {4, 0, true, "on horizontal outer edge"},
      {0, 5, true, "on vertical outer edge"},
      {8, 0.125, true, "on vertical outer edge, dyadic"},
      {4, 2, true, "on horizontal hole edge"},
      {6, 3, true, "on vertical hole edge"},
      {12, 0, true, "on triangle base"},
      {13, 3, true, "on slanted edge"},
      {13.25, 2.75, true, "on slanted edge, dyadic"},
      {13.25, down(2.75), true, "just inside slanted edge"},
      {13.25, up(2.75), false, "just outside slanted edge"},
      {up(13.25), 2.75, false, "just outside slanted edge"},
      {4, 4, false, "inside the hole"},
      {4, up(2), false, "just inside the hole"},
      {4, down(2), true, "just outside the hole"},
      {down(2), 4, true, "just left of the hole's left edge"},
      {up(2), 4, false, "just right of the hole's left edge"},
      {down(6), 4, false, "hole, just left of its right edge"},
      {1, 1, true, "interior"},
      {7, 7, true, "interior"},
      {9, 4, false, "gap between parts"},
      {9, 0, false, "gap, on the line of both bases"},
      {down(10), 0, false, "gap, next to the triangle's vertex"},
      {up(8), 4, false, "just right of the square"},
      {0, -0x1p-50, false, "just below a vertex"},
      {-1, 0, false, "on the line of the base, outside"},
      {16.5, 0, false, "beyond the triangle's vertex on its base line"},
      {17, -1, false, "on the slanted edge's line, beyond the vertex"},
      {9, 7, false, "on the slanted edge's line, beyond the other vertex"},
      {16, 0x1p-40, false, "just above the sharp vertex"},
      {down(16), 0x1p-50, true, "inside the sharp vertex"},
  };
  pip_test::geos_handle gh;
  pip_test::geos_prepared geos(gh.get(), mp);
  for (const row& r : rows) {
    CAPTURE(r.x, r.y, r.what);
    CHECK(pp.covers({r.x, r.y}) == r.covered);
    CHECK(reference_covers(mp, {r.x, r.y}) == r.covered);
    CHECK(geos.covers({r.x, r.y}) == r.covered);
  }
}

TEST_CASE("zero-area spikes and duplicate vertices", "[prepared_polygon][boundary]") {
  // A square with a spike going up from (2,4) to (2,6) and back, and a
  // repeated vertex at (4,0).
  multipolygon mp(1);
  mp[0].outer = {{0, 0}, {4, 0}, {4, 0}, {4, 4}, {2, 4}, {2, 6}, {2, 4}, {0, 4}};
  const prepared_polygon pp = prepare(mp);
  struct row {
    double x, y;
    bool covered;
  };
  const row rows[] = {
      {2, 5, true},  {2, 6, true},          {2, up(6), false}, {up(2), 5, false}, {down(2), 5, false},
      {2, 4, true},  {2, down(4), true},    {4, 0, true},      {4, 2, true},      {up(4), 0, false},
      {1, 1, true},  {3, 4.5, false},       {2, 4.5, true},    {1, 4, true},      {1, up(4), false},
  };
  pip_test::geos_handle gh;
  pip_test::geos_prepared geos(gh.get(), mp);
  for (const row& r : rows) {
    CAPTURE(r.x, r.y);
    CHECK(pp.covers({r.x, r.y}) == r.covered);
    CHECK(reference_covers(mp, {r.x, r.y}) == r.covered);
    CHECK(geos.covers({r.x, r.y}) == r.covered);
  }
}

TEST_CASE("metamorphic: start vertex, winding, duplicates and power-of-two shifts", "[prepared_polygon][metamorphic]") {
  const std::uint64_t seed = 77;
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 24; ++iter) {
    CAPTURE(seed, iter);
    multipolygon mp(1);
    const std::size_t n = 3 + rng() % 60;
    mp[0].outer = star(rng, {1000, 1000}, 200, 900, n);
    if (iter % 2) mp[0].holes.push_back(star(rng, {1000, 1000}, 50, 150, 3 + rng() % 20));
    const prepared_polygon base = prepare(mp);
    const std::vector<xy> pts = probe_points(rng, mp, 1000);
    std::vector<char> expected;
    for (const xy& p : pts) expected.push_back(base.covers(p));

    auto check_same = [&](const multipolygon& other, double shift, const char* what) {
      CAPTURE(what);
      const prepared_polygon pp = prepare(other);
      for (std::size_t i = 0; i < pts.size(); ++i) {
        const xy q{pts[i].x_m + shift, pts[i].y_m + shift};
        CAPTURE(pts[i].x_m, pts[i].y_m);
        REQUIRE(static_cast<char>(pp.covers(q)) == expected[i]);
      }
    };
    multipolygon m = mp;
    std::rotate(m[0].outer.begin(), m[0].outer.begin() + static_cast<std::ptrdiff_t>(rng() % n), m[0].outer.end());
    check_same(m, 0, "rotated start vertex");
    m = mp;
    std::reverse(m[0].outer.begin(), m[0].outer.end());
    for (auto& h : m[0].holes) std::reverse(h.begin(), h.end());
    check_same(m, 0, "reversed winding");
    m = mp;
    for (std::size_t k = 0; k < 5; ++k) {
      const std::size_t at = rng() % m[0].outer.size();
      m[0].outer.insert(m[0].outer.begin() + static_cast<std::ptrdiff_t>(at), m[0].outer[at]);
    }
    check_same(m, 0, "duplicate vertices");
    for (double shift : {1048576.0, -2048.0}) {
      m = mp;
      for (auto& p : m[0].outer) p = {p.x_m + shift, p.y_m + shift};
      for (auto& h : m[0].holes)
        for (auto& p : h) p = {p.x_m + shift, p.y_m + shift};
      check_same(m, shift, "translated by a power of two");
    }
    // And the base itself agrees with the exact reference.
    for (std::size_t i = 0; i < pts.size(); ++i) {
      CAPTURE(pts[i].x_m, pts[i].y_m);
      REQUIRE(static_cast<char>(reference_covers(mp, pts[i])) == expected[i]);
    }
  }
}

TEST_CASE("covers agrees with an exact brute force on random multipolygons", "[prepared_polygon][differential]") {
  const std::uint64_t seed = 4242;
  std::mt19937_64 rng(seed);
  std::size_t checked = 0;
  for (int iter = 0; iter < 48; ++iter) {
    CAPTURE(seed, iter);
    multipolygon mp;
    const int parts = 1 + iter % 3;
    for (int k = 0; k < parts; ++k) {
      polygon poly;
      const xy c{3000.0 * k, 1000.0 * (k % 2)};
      const std::size_t n = iter < 44 ? 3 + rng() % 200 : 2000 + rng() % 2000;
      poly.outer = star(rng, c, 300, 1400, n);
      if (rng() % 2) poly.holes.push_back(star(rng, c, 40, 250, 3 + rng() % 40));
      mp.push_back(std::move(poly));
    }
    const prepared_polygon pp = prepare(mp);
    const std::vector<xy> pts = probe_points(rng, mp, 1200);
    const std::size_t stride = iter < 44 ? 1 : 32;  // the brute force is slow on big polygons
    for (std::size_t i = 0; i < pts.size(); i += stride) {
      const xy p = pts[i];
      CAPTURE(p.x_m, p.y_m);
      REQUIRE(pp.covers(p) == reference_covers(mp, p));
      ++checked;
    }
  }
  CHECK(checked > 100000);
}

TEST_CASE("boundary distance and signed distance against brute force", "[prepared_polygon][distance]") {
  const std::uint64_t seed = 99;
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 20; ++iter) {
    CAPTURE(seed, iter);
    multipolygon mp(1);
    mp[0].outer = star(rng, {0, 0}, 100, 5000, 3 + rng() % 300);
    mp[0].holes.push_back(star(rng, {0, 0}, 10, 90, 3 + rng() % 10));
    const prepared_polygon pp = prepare(mp);
    std::uniform_real_distribution<double> u(-20000, 20000), near(-6000, 6000);
    for (int i = 0; i < 800; ++i) {
      const xy p = i % 3 ? xy{near(rng), near(rng)} : xy{u(rng), u(rng)};
      CAPTURE(p.x_m, p.y_m);
      const double d = pp.boundary_distance_m(p), ref = reference_distance(mp, p);
      REQUIRE(d == Approx(ref).margin(1e-9).epsilon(1e-12));
      REQUIRE(pp.boundary_distance_lower_bound_m(p) <= d);
      const double s = pp.signed_distance_m(p);
      REQUIRE(std::fabs(s) == d);
      REQUIRE((s > 0) == (pp.covers(p) && d > 0));
    }
    for (const xy& v : mp[0].outer) REQUIRE(pp.boundary_distance_m(v) == 0);
  }
}

TEST_CASE("transit against exact intersection and a densely sampled segment", "[prepared_polygon][transit]") {
  const std::uint64_t seed = 1234;
  std::mt19937_64 rng(seed);
  std::size_t meets = 0, crosses = 0;
  for (int iter = 0; iter < 40; ++iter) {
    CAPTURE(seed, iter);
    multipolygon mp(1);
    mp[0].outer = star(rng, {0, 0}, 200, 1500, 3 + rng() % 100);
    mp[0].holes.push_back(star(rng, {0, 0}, 20, 150, 3 + rng() % 10));
    const prepared_polygon pp = prepare(mp);
    std::uniform_real_distribution<double> u(-2500, 2500);
    const ring& outer = mp[0].outer;
    for (int i = 0; i < 300; ++i) {
      xy a{std::round(u(rng) * 4) / 4, std::round(u(rng) * 4) / 4};
      xy b{std::round(u(rng) * 4) / 4, std::round(u(rng) * 4) / 4};
      if (i % 10 == 0) b = {a.x_m + (u(rng) > 0 ? 30 : -30), a.y_m};  // short hops
      if (i % 10 == 1) a = outer[rng() % outer.size()], b = outer[rng() % outer.size()];  // through vertices
      CAPTURE(a.x_m, a.y_m, b.x_m, b.y_m);
      const transit_result t = pp.transit(a, b);
      REQUIRE(t.start_covered == pp.covers(a));
      REQUIRE(t.end_covered == pp.covers(b));
      // Exact: meets iff a is covered or the segment touches some edge.
      bool exact = reference_covers(mp, a);
      for (const auto* r : {&mp[0].outer, &mp[0].holes[0]})
        for (std::size_t k = 0; k < r->size() && !exact; ++k)
          exact = reference_segments_meet(a, b, (*r)[k], (*r)[(k + 1) % r->size()]);
      REQUIRE(t.meets == exact);
      meets += t.meets;
      crosses += t.crosses();
      if (!t.meets) continue;
      REQUIRE(t.entry_t >= 0);
      REQUIRE(t.entry_t <= 1);
      if (!t.start_covered) REQUIRE(pp.boundary_distance_m(t.entry) < 1e-6);
      // No sample before the entry is clearly inside.
      const int samples = 4000;
      for (int k = 0; k <= samples; ++k) {
        const double s = static_cast<double>(k) / samples;
        const xy q{a.x_m + s * (b.x_m - a.x_m), a.y_m + s * (b.y_m - a.y_m)};
        if (s < t.entry_t - 1e-9 && pp.covers(q)) REQUIRE(pp.boundary_distance_m(q) < 1e-6);
      }
    }
  }
  CHECK(meets > 1000);
  CHECK(crosses > 100);
}

TEST_CASE("transit samples: every clearly covered sample implies an earlier entry", "[prepared_polygon][transit]") {
  multipolygon mp = table_geometry();
  const prepared_polygon pp = prepare(mp);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-2, 18);
  for (int i = 0; i < 3000; ++i) {
    const xy a{u(rng), u(rng)}, b{u(rng), u(rng)};
    CAPTURE(a.x_m, a.y_m, b.x_m, b.y_m);
    const transit_result t = pp.transit(a, b);
    for (int k = 0; k <= 1000; ++k) {
      const double s = k / 1000.0;
      const xy q{a.x_m + s * (b.x_m - a.x_m), a.y_m + s * (b.y_m - a.y_m)};
      if (pp.covers(q) && pp.boundary_distance_m(q) > 1e-9) {
        REQUIRE(t.meets);
        REQUIRE(t.entry_t <= s + 1e-12);
        break;
      }
    }
  }
  // A short hop straight through the 2 m wide gap's neighbour: the hole.
  const transit_result through = pp.transit({3, 4}, {5, 4});
  CHECK_FALSE(through.meets);
  const transit_result across = pp.transit({-1, 1}, {9, 1});
  CHECK(across.crosses());
  CHECK(across.entry_t == Approx(0.1));
  CHECK(across.entry.x_m == Approx(0).margin(1e-12));
  CHECK(across.entry.y_m == 1);
}

TEST_CASE("verdicts: accuracy, tolerance and breach side", "[verdict]") {
  struct row {
    double d, acc, tol;
    breach_side side;
    verdict v;
  };
  const row rows[] = {
      {20, 10, 0, breach_side::inside, verdict::inside},      {10, 10, 0, breach_side::inside, verdict::inside},
      {9.99, 10, 0, breach_side::inside, verdict::uncertain}, {0, 10, 0, breach_side::inside, verdict::uncertain},
      {-10, 10, 0, breach_side::inside, verdict::outside},    {-9.99, 10, 0, breach_side::inside, verdict::uncertain},
      {0, 0, 0, breach_side::inside, verdict::inside},        {-1e-9, 0, 0, breach_side::inside, verdict::outside},
      {12, 10, 5, breach_side::inside, verdict::uncertain},   {15, 10, 5, breach_side::inside, verdict::inside},
      {-5, 10, 5, breach_side::inside, verdict::outside},     {-5, 10, 5, breach_side::outside, verdict::uncertain},
      {-15, 10, 5, breach_side::outside, verdict::outside},   {5, 10, 5, breach_side::outside, verdict::inside},
  };
  for (const row& r : rows) {
    CAPTURE(r.d, r.acc, r.tol, static_cast<int>(r.side));
    CHECK(decide(r.d, r.acc, r.tol, r.side) == r.v);
  }
  CHECK(to_string(verdict::uncertain) == "uncertain");
}

TEST_CASE("fast verdicts equal exact verdicts", "[verdict]") {
  std::mt19937_64 rng(31);
  multipolygon mp(1);
  mp[0].outer = star(rng, {0, 0}, 500, 3000, 300);
  const prepared_polygon pp = prepare(mp);
  const circle c{{100, 200}, 750};
  std::uniform_real_distribution<double> u(-4000, 4000), acc(0, 200), tol(0, 100);
  for (int i = 0; i < 20000; ++i) {
    const xy p{u(rng), u(rng)};
    const double a = acc(rng), t = i % 2 ? tol(rng) : 0;
    const breach_side side = i % 3 ? breach_side::inside : breach_side::outside;
    CAPTURE(p.x_m, p.y_m, a, t);
    const zone_verdict v = classify(pp, p, a, t, side);
    REQUIRE(decide(pp, p, a, t, side) == v.state);
    REQUIRE(v.signed_distance_m == pp.signed_distance_m(p));
    const zone_verdict vc = classify(c, p, a, t, side);
    REQUIRE((vc.signed_distance_m >= 0) == covers(c, p));
  }
}

TEST_CASE("circle transit", "[verdict][transit]") {
  const circle c{{0, 0}, 10};
  CHECK(transit(c, {-20, 0}, {20, 0}).crosses());
  CHECK(transit(c, {-20, 0}, {20, 0}).entry_t == Approx(0.25));
  CHECK(transit(c, {-20, 0}, {20, 0}).entry.x_m == Approx(-10));
  CHECK_FALSE(transit(c, {-20, 10.5}, {20, 10.5}).meets);
  CHECK(transit(c, {-20, 10}, {20, 10}).meets);  // tangent
  CHECK_FALSE(transit(c, {-20, 0}, {-15, 0}).meets);
  CHECK(transit(c, {-20, 0}, {-10, 0}).enters());
  CHECK(transit(c, {0, 0}, {50, 0}).start_covered);
  CHECK_FALSE(transit(c, {15, 0}, {50, 0}).meets);
}

TEST_CASE("build rejects unusable input with a reason", "[prepared_polygon]") {
  CHECK(prepared_polygon::build({}).code() == errc::empty_geometry);
  multipolygon two(1);
  two[0].outer = {{0, 0}, {1, 1}};
  CHECK(prepared_polygon::build(two).code() == errc::ring_too_few_points);
  multipolygon nan(1);
  nan[0].outer = {{0, 0}, {1, std::nan("")}, {1, 1}};
  CHECK(prepared_polygon::build(nan).code() == errc::not_finite);
  multipolygon ok(1);
  ok[0].outer = {{0, 0}, {1, 0}, {0, 1}};
  prepared_polygon_options small;
  small.max_vertices = 3;
  CHECK(prepared_polygon::build(ok, small).code() == errc::too_many_vertices);
  CHECK(prepared_polygon::build(ok).ok());
}

TEST_CASE("memory stays bounded for 100k-vertex polygons", "[prepared_polygon][memory]") {
  std::mt19937_64 rng(8);
  for (double noise_m : {100.0, 10000.0}) {
    CAPTURE(noise_m);
    multipolygon mp(1);
    mp[0].outer = star(rng, {500000, 200000}, 50000 - noise_m, 50000, 100000);
    const prepared_polygon pp = prepare(mp);
    CAPTURE(pp.cell_count(), pp.boundary_cell_count(), pp.memory_bytes());
    CHECK(pp.memory_bytes() < 100 * 100000);
    std::uniform_real_distribution<double> ux(440000, 560000), uy(140000, 260000);
    for (int i = 0; i < 60; ++i) {
      const xy p{std::round(ux(rng) * 64) / 64, std::round(uy(rng) * 64) / 64};
      CAPTURE(p.x_m, p.y_m);
      REQUIRE(pp.covers(p) == reference_covers(mp, p));
    }
  }
  {  // comb of long thin teeth: every edge crosses many cells

    multipolygon mp(1);
    ring& r = mp[0].outer;
    const int teeth = 25000;
    for (int i = 0; i < teeth; ++i) {
      r.push_back({4.0 * i, 0});
      r.push_back({4.0 * i + 1, 100000});
      r.push_back({4.0 * i + 2, 100000});
      r.push_back({4.0 * i + 3, 0});
    }
    r.push_back({4.0 * teeth, -10});
    r.push_back({0, -10});
    const prepared_polygon pp = prepare(mp);
    CAPTURE(pp.cell_count(), pp.boundary_cell_count(), pp.memory_bytes());
    CHECK(pp.memory_bytes() < 100 * r.size());
    std::uniform_real_distribution<double> ux(0, 4.0 * teeth), uy(-20, 100010);
    for (int i = 0; i < 60; ++i) {
      const xy p{std::round(ux(rng) * 64) / 64, std::round(uy(rng))};
      CAPTURE(p.x_m, p.y_m);
      REQUIRE(pp.covers(p) == reference_covers(mp, p));
    }
  }
}
