// Differential test of prepared_polygon against GEOS prepared geometry
// (GEOSPreparedCovers_r: the boundary is covered) on the real Essex LSOA and
// ward boundaries, plus distance against GEOSDistance and transit against
// GEOSIntersects. Both sides see the same projected coordinates: the files
// are read with GEOS's GeoJSON reader and projected with tm_frame once.
#include <warden/prepared_polygon.hpp>

#include "pip_geos_support.hpp"

#include <catch2/catch.hpp>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

using namespace warden;

namespace {

const std::vector<pip_test::named_area>& lsoas() {
  static const auto v = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-lsoa", "LSOA11CD");
  return v;
}
const std::vector<pip_test::named_area>& wards() {
  static const auto v = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-wards", "WD13CD");
  return v;
}

std::string where(std::uint64_t seed, const std::string& id, xy p) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "seed=%" PRIu64 " polygon=%s point=(%a, %a) = (%.6f, %.6f)", seed, id.c_str(), p.x_m,
                p.y_m, p.x_m, p.y_m);
  return buf;
}

// Points in and around one polygon: uniform over its box grown by 10%,
// every vertex, points just off each vertex, and points interpolated along
// edges (not exactly on them after rounding: the hardest cases).
std::vector<xy> probes(std::mt19937_64& rng, const multipolygon& mp, std::size_t uniform) {
  const box b = bounds(mp);
  const double gx = 0.1 * (b.max.x_m - b.min.x_m), gy = 0.1 * (b.max.y_m - b.min.y_m);
  std::uniform_real_distribution<double> ux(b.min.x_m - gx, b.max.x_m + gx), uy(b.min.y_m - gy, b.max.y_m + gy);
  std::uniform_real_distribution<double> t01(0, 1);
  std::vector<xy> pts;
  for (std::size_t i = 0; i < uniform; ++i) pts.push_back({ux(rng), uy(rng)});
  for (const polygon& poly : mp) {
    std::vector<const ring*> rings{&poly.outer};
    for (const ring& h : poly.holes) rings.push_back(&h);
    for (const ring* r : rings)
      for (std::size_t i = 0; i < r->size(); ++i) {
        const xy a = (*r)[i], c = (*r)[(i + 1) % r->size()];
        pts.push_back(a);
        pts.push_back({std::nextafter(a.x_m, 1e300), a.y_m});
        pts.push_back({a.x_m, std::nextafter(a.y_m, -1e300)});
        const double t = t01(rng);
        pts.push_back({a.x_m + t * (c.x_m - a.x_m), a.y_m + t * (c.y_m - a.y_m)});
        pts.push_back({(a.x_m + c.x_m) / 2, (a.y_m + c.y_m) / 2});
      }
  }
  return pts;
}

struct tally {
  std::size_t points = 0, covered = 0, polygons = 0;
};

void covers_agree(const std::vector<pip_test::named_area>& areas, std::uint64_t seed, std::size_t uniform,
                  tally& t) {
  pip_test::geos_handle gh;
  std::mt19937_64 rng(seed);
  for (const auto& a : areas) {
    const prepared_polygon pp = prepared_polygon::build(a.area).value();
    const pip_test::geos_prepared ref(gh.get(), a.area);
    for (const xy& p : probes(rng, a.area, uniform)) {
      const bool ours = pp.covers(p), theirs = ref.covers(p);
      if (ours != theirs) {
        INFO(where(seed, a.id, p));
        CHECK(ours == theirs);  // prints seed, polygon and point
        return;
      }
      ++t.points;
      t.covered += ours;
    }
    ++t.polygons;
  }
}

}  // namespace

TEST_CASE("covers agrees with GEOS prepared covers on every Essex LSOA and ward", "[pip_geos][differential]") {
  const std::uint64_t seed = 20260321;
  tally t;
  covers_agree(lsoas(), seed, 600, t);
  covers_agree(wards(), seed + 1, 600, t);
  CAPTURE(t.points, t.covered);
  CHECK(t.polygons == 1077 + 304);
  CHECK(t.points >= 1000000);
  CHECK(t.covered > t.points / 4);  // the points do land inside as well as outside
}

TEST_CASE("covers agrees with GEOS, exhaustive", "[pip_geos][differential][slow]") {
  tally t;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    covers_agree(lsoas(), seed, 5000, t);
    covers_agree(wards(), seed, 5000, t);
  }
  CHECK(t.points >= 50000000);
}

TEST_CASE("boundary distance within 1 mm of GEOSDistance", "[pip_geos][distance]") {
  const std::uint64_t seed = 7;
  std::mt19937_64 rng(seed);
  pip_test::geos_handle gh;
  std::size_t n = 0;
  for (const auto* set : {&lsoas(), &wards()})
    for (std::size_t k = 0; k < set->size(); k += 3) {
      const auto& a = (*set)[k];
      const prepared_polygon pp = prepared_polygon::build(a.area).value();
      const pip_test::geos_prepared ref(gh.get(), a.area);
      const box b = bounds(a.area);
      const double g = std::max(b.max.x_m - b.min.x_m, b.max.y_m - b.min.y_m);
      std::uniform_real_distribution<double> ux(b.min.x_m - g, b.max.x_m + g), uy(b.min.y_m - g, b.max.y_m + g);
      for (int i = 0; i < 60; ++i) {
        const xy p{ux(rng), uy(rng)};
        INFO(where(seed, a.id, p));
        const double ours = pp.boundary_distance_m(p), theirs = ref.boundary_distance(p);
        REQUIRE(std::fabs(ours - theirs) <= 1e-3);
        REQUIRE(pp.boundary_distance_lower_bound_m(p) <= ours);
        ++n;
      }
    }
  CHECK(n > 20000);
}

TEST_CASE("transit agrees with GEOSIntersects on segments between random fixes", "[pip_geos][transit]") {
  const std::uint64_t seed = 11;
  std::mt19937_64 rng(seed);
  pip_test::geos_handle gh;
  GEOSContextHandle_t h = gh.get();
  std::size_t meets = 0, crosses = 0, n = 0;
  for (std::size_t k = 0; k < lsoas().size(); k += 2) {
    const auto& a = lsoas()[k];
    const prepared_polygon pp = prepared_polygon::build(a.area).value();
    const pip_test::geos_prepared ref(gh.get(), a.area);
    const box b = bounds(a.area);
    const double g = 0.5 * std::max(b.max.x_m - b.min.x_m, b.max.y_m - b.min.y_m);
    std::uniform_real_distribution<double> ux(b.min.x_m - g, b.max.x_m + g), uy(b.min.y_m - g, b.max.y_m + g);
    std::uniform_real_distribution<double> hop(-300, 300);
    for (int i = 0; i < 40; ++i) {
      const xy p{ux(rng), uy(rng)};
      const xy q = i % 2 ? xy{ux(rng), uy(rng)} : xy{p.x_m + hop(rng), p.y_m + hop(rng)};
      INFO(where(seed, a.id, p) + " to " + where(seed, a.id, q));
      GEOSCoordSequence* cs = GEOSCoordSeq_create_r(h, 2, 2);
      GEOSCoordSeq_setXY_r(h, cs, 0, p.x_m, p.y_m);
      GEOSCoordSeq_setXY_r(h, cs, 1, q.x_m, q.y_m);
      GEOSGeometry* line = GEOSGeom_createLineString_r(h, cs);
      const char theirs = GEOSIntersects_r(h, ref.geometry(), line);
      GEOSGeom_destroy_r(h, line);
      const transit_result t = pp.transit(p, q);
      REQUIRE(t.meets == (theirs == 1));
      if (t.meets && !t.start_covered) REQUIRE(ref.boundary_distance(t.entry) < 1e-6);
      meets += t.meets;
      crosses += t.crosses();
      ++n;
    }
  }
  CAPTURE(n, meets, crosses);
  CHECK(meets > n / 4);
  CHECK(crosses > 100);
}
