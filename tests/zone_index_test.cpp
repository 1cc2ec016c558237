// Zone index: against an exact brute force over overlapping random zones
// (polygons with holes, multipolygons, circles), against per-zone prepared
// polygons and GEOS on all Essex LSOAs and wards at once (shared boundaries
// and vertices are covered by every zone that has them), and queries that
// never allocate.
#include <warden/prepared_polygon.hpp>
#include <warden/verdict.hpp>
#include <warden/zone_index.hpp>

#include "pip_geos_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>

// Counts heap allocations so that the test can show queries make none.
// (GCC 12 mistakes the malloc/free pairing below for a mismatch once
// library code is inlined around it.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::uint64_t> allocations{0};
}
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (Catch2 registers tests with them): left to the
// runtime, they come from a different allocator than the delete above,
// which AddressSanitizer reports as alloc-dealloc-mismatch.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace warden;

namespace {

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

struct zone_set {
  std::vector<multipolygon> polys;  // zone i is polys[i] when kind[i] == 0
  std::vector<circle> circles;      // zone i is circles[i] when kind[i] == 1
  std::vector<int> kind;
  std::vector<prepared_polygon> prepared;  // for polygon zones, same index
  std::vector<box> boxes;
};

// Every zone, one by one: the exact integer reference, or (fast) the
// prepared polygon, itself checked against that reference elsewhere.
std::vector<std::uint32_t> brute_force(const zone_set& zs, xy p, bool exact) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < zs.kind.size(); ++i) {
    bool in;
    if (zs.kind[i] == 1)
      in = covers(zs.circles[i], p);
    else if (exact)
      in = pip_test::reference_covers(zs.polys[i], p);
    else
      in = zs.boxes[i].contains(p) && zs.prepared[i].covers(p);
    if (in) out.push_back(i);
  }
  return out;
}

std::vector<std::uint32_t> query(const zone_index& idx, xy p) {
  std::vector<std::uint32_t> out;
  idx.for_each_covering(p, [&](std::uint32_t z) { out.push_back(z); });
  return out;
}

std::string where(std::uint64_t seed, xy p) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "seed=%" PRIu64 " point=(%a, %a) = (%.6f, %.6f)", seed, p.x_m, p.y_m, p.x_m, p.y_m);
  return buf;
}

}  // namespace

TEST_CASE("zone index agrees with brute force on overlapping random zones", "[zone_index][differential]") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    zone_set zs;
    zone_index_builder b;
    const int zones = 20 + static_cast<int>(rng() % 60);
    std::uniform_real_distribution<double> pos(0, 20000);
    for (int z = 0; z < zones; ++z) {
      const xy c{std::round(pos(rng)), std::round(pos(rng))};
      if (rng() % 4 == 0) {
        const circle ci{c, std::round(pos(rng) / 8) + 0.5};
        REQUIRE(b.add(ci).value() == zs.kind.size());
        zs.circles.push_back(ci);
        zs.polys.emplace_back();
        zs.prepared.emplace_back();
        zs.boxes.emplace_back();
        zs.kind.push_back(1);
        continue;
      }
      multipolygon mp(1);
      const double r = 200 + pos(rng) / 4;
      mp[0].outer = star(rng, c, r / 3, r, 3 + rng() % (seed % 2 ? 400 : 40));
      if (rng() % 2) mp[0].holes.push_back(star(rng, c, r / 12, r / 4, 3 + rng() % 20));
      if (rng() % 3 == 0) {  // a second part far away
        polygon extra;
        extra.outer = star(rng, {c.x_m + 3 * r, c.y_m}, r / 4, r / 2, 3 + rng() % 20);
        mp.push_back(extra);
      }
      REQUIRE(b.add(mp).value() == zs.kind.size());
      zs.polys.push_back(mp);
      zs.prepared.push_back(prepared_polygon::build(mp).value());
      zs.boxes.push_back(bounds(mp));
      zs.circles.emplace_back();
      zs.kind.push_back(0);
    }
    zone_index_options opt;
    if (seed == 6) opt.max_depth = 0;  // the single-level layout is correct too
    const zone_index idx = b.build(opt).value();
    CHECK(idx.zone_count() == zs.kind.size());
    std::uniform_real_distribution<double> u(-3000, 23000);
    std::size_t multi = 0;
    for (int i = 0; i < 20000; ++i) {
      xy p{std::round(u(rng) * 1073741824.0) / 1073741824.0, std::round(u(rng) * 1073741824.0) / 1073741824.0};
      if (i % 3 == 1) p = {std::round(p.x_m * 2) / 2, std::round(p.y_m * 2) / 2};  // often on edges
      if (i % 3 == 2 && zs.kind[i % zs.kind.size()] == 0) {                        // vertices
        const ring& r = zs.polys[i % zs.kind.size()][0].outer;
        p = r[rng() % r.size()];
      }
      INFO(where(seed, p));
      const auto expected = brute_force(zs, p, i % 10 == 0);
      REQUIRE(query(idx, p) == expected);
      std::uint32_t buf[4];
      REQUIRE(idx.covering(p, buf) == expected.size());
      REQUIRE(idx.covered_by_any(p) == !expected.empty());
      multi += expected.size() > 1;
    }
    CHECK(multi > 50);  // overlaps are exercised

    // The batched query gives the same answers, point by point.
    std::vector<xy> batch;
    for (int i = 0; i < 3000; ++i) batch.push_back({std::round(u(rng) * 2) / 2, std::round(u(rng) * 2) / 2});
    std::vector<std::vector<std::uint32_t>> got(batch.size());
    std::size_t last = 0;
    idx.for_each_covering(std::span<const xy>(batch), [&](std::size_t i, std::uint32_t z) {
      REQUIRE(i >= last);
      last = i;
      got[i].push_back(z);
    });
    for (std::size_t i = 0; i < batch.size(); ++i) {
      INFO(where(seed, batch[i]));
      REQUIRE(got[i] == query(idx, batch[i]));
    }
  }
}

TEST_CASE("zone index on all Essex LSOAs and wards agrees with prepared polygons and GEOS",
          "[zone_index][differential]") {
  const std::uint64_t seed = 2018;
  auto areas = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-lsoa", "LSOA11CD");
  const auto w = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-wards", "WD13CD");
  areas.insert(areas.end(), w.begin(), w.end());
  REQUIRE(areas.size() == 1077 + 304);
  zone_index_builder b;
  std::vector<prepared_polygon> pps;
  std::vector<box> boxes;
  for (const auto& a : areas) {
    REQUIRE(b.add(a.area).ok());
    pps.push_back(prepared_polygon::build(a.area).value());
    boxes.push_back(bounds(a.area));
  }
  const zone_index idx = b.build().value();
  CAPTURE(idx.memory_bytes(), idx.nested_grid_count(), idx.leaf_count());

  std::mt19937_64 rng(seed);
  std::vector<xy> pts = pip_test::load_crime_points(WARDEN_SHARED_DATA "/police");
  REQUIRE(pts.size() > 40000);
  box county;
  for (const box& bx : boxes) county.extend(bx.min), county.extend(bx.max);
  std::uniform_real_distribution<double> ux(county.min.x_m - 1000, county.max.x_m + 1000),
      uy(county.min.y_m - 1000, county.max.y_m + 1000);
  for (int i = 0; i < 60000; ++i) pts.push_back({ux(rng), uy(rng)});
  for (std::size_t k = 0; k < areas.size(); k += 7)  // shared vertices: several zones each
    for (const xy& v : areas[k].area[0].outer) pts.push_back(v);

  pip_test::geos_handle gh;
  std::vector<std::unique_ptr<pip_test::geos_prepared>> geos(areas.size());
  std::size_t shared = 0, covered = 0;
  for (std::size_t n = 0; n < pts.size(); ++n) {
    const xy p = pts[n];
    std::vector<std::uint32_t> expected;
    for (std::uint32_t z = 0; z < areas.size(); ++z)
      if (boxes[z].contains(p) && pps[z].covers(p)) expected.push_back(z);
    const auto got = query(idx, p);
    if (got != expected) {
      INFO(where(seed, p));
      REQUIRE(got == expected);
    }
    covered += !got.empty();
    shared += got.size() > 2;  // an LSOA and a ward always overlap; more means a shared boundary
    if (n % 10 == 0) {  // GEOS itself on a sample
      for (std::uint32_t z = 0; z < areas.size(); ++z) {
        if (!boxes[z].contains(p)) continue;
        if (!geos[z]) geos[z] = std::make_unique<pip_test::geos_prepared>(gh.get(), areas[z].area);
        const bool in = std::binary_search(got.begin(), got.end(), z);
        if (geos[z]->covers(p) != in) {
          INFO(where(seed, p) + " polygon=" + areas[z].id);
          REQUIRE(geos[z]->covers(p) == in);
        }
      }
    }
  }
  CAPTURE(pts.size(), covered, shared);
  CHECK(covered > pts.size() / 2);
  CHECK(shared > 1000);
}

TEST_CASE("zone index queries do not allocate", "[zone_index]") {
  std::mt19937_64 rng(3);
  zone_index_builder b;
  for (int z = 0; z < 50; ++z) {
    multipolygon mp(1);
    mp[0].outer = star(rng, {100.0 * z, 50.0 * (z % 7)}, 100, 400, 50);
    REQUIRE(b.add(mp).ok());
    REQUIRE(b.add(circle{{100.0 * z, 0}, 120}).ok());
  }
  const zone_index idx = b.build().value();
  std::vector<xy> pts;
  std::uniform_real_distribution<double> u(-500, 5500);
  for (int i = 0; i < 20000; ++i) pts.push_back({u(rng), u(rng) / 5});
  std::uint32_t buf[64];
  std::size_t total = 0;
  const std::uint64_t before = allocations.load();
  for (const xy& p : pts) {
    total += idx.covering(p, buf);
    idx.for_each_covering(p, [&](std::uint32_t z) { total += z; });
  }
  idx.for_each_covering(std::span<const xy>(pts), [&](std::size_t i, std::uint32_t z) { total += i + z; });
  const std::uint64_t after = allocations.load();
  CHECK(after == before);
  CHECK(total > 0);
}

TEST_CASE("zone index edge cases and errors", "[zone_index]") {
  zone_index_builder empty;
  const zone_index none = empty.build().value();
  CHECK(none.zone_count() == 0);
  CHECK_FALSE(none.covered_by_any({0, 0}));

  zone_index_builder b;
  CHECK(b.add(multipolygon{}).code() == errc::empty_geometry);
  CHECK(b.add(circle{{0, 0}, -1}).code() == errc::bad_radius);
  CHECK(b.add(circle{{0, std::nan("")}, 1}).code() == errc::not_finite);
  multipolygon tri(1);
  tri[0].outer = {{0, 0}, {4, 0}, {0, 4}};
  CHECK(b.add(tri).value() == 0);
  CHECK(b.add(circle{{0, 0}, 1}).value() == 1);
  CHECK(b.add(circle{{10, 10}, 0}).value() == 2);  // a point zone
  const zone_index idx = b.build().value();
  CHECK(query(idx, {0, 0}) == std::vector<std::uint32_t>{0, 1});
  CHECK(query(idx, {2, 2}) == std::vector<std::uint32_t>{0});
  CHECK(query(idx, {1, 0}) == std::vector<std::uint32_t>{0, 1});
  CHECK(query(idx, {10, 10}) == std::vector<std::uint32_t>{2});
  CHECK(query(idx, {10, std::nextafter(10.0, 11.0)}).empty());
  CHECK(query(idx, {-1, 0}) == std::vector<std::uint32_t>{1});
  CHECK(query(idx, {std::nextafter(-1.0, -2.0), 0}).empty());
  CHECK(query(idx, {1e9, 1e9}).empty());
  CHECK(query(idx, {std::nan(""), 0}).empty());
}

// Leaves hold edges as float offsets and fall back to the exact vertices only
// when a determinant is within the floats' rounding of zero: points on and a
// few ulps beside real edges (shared LSOA boundaries, where the answer
// changes within one ulp) must still get the exact answer.
TEST_CASE("zone index is exact within ulps of real edges", "[zone_index][differential]") {
  const std::uint64_t seed = 77;
  const auto areas = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-lsoa", "LSOA11CD");
  zone_index_builder b;
  std::vector<prepared_polygon> pps;
  std::vector<box> boxes;
  for (const auto& a : areas) {
    REQUIRE(b.add(a.area).ok());
    pps.push_back(prepared_polygon::build(a.area).value());
    boxes.push_back(bounds(a.area));
  }
  const zone_index idx = b.build().value();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> t01(0, 1);
  std::uniform_int_distribution<int> ulps(-3, 3);
  std::size_t checked = 0, split = 0;
  for (std::size_t k = 0; k < areas.size(); k += 3) {
    const ring& r = areas[k].area[0].outer;
    for (std::size_t i = 0; i < r.size(); i += 2) {
      const xy a = r[i], c = r[(i + 1) % r.size()];
      const double t = t01(rng);
      xy p{a.x_m + t * (c.x_m - a.x_m), a.y_m + t * (c.y_m - a.y_m)};
      for (int n = ulps(rng); n != 0; n += n > 0 ? -1 : 1) p.x_m = std::nextafter(p.x_m, n > 0 ? 1e300 : -1e300);
      for (int n = ulps(rng); n != 0; n += n > 0 ? -1 : 1) p.y_m = std::nextafter(p.y_m, n > 0 ? 1e300 : -1e300);
      std::vector<std::uint32_t> expected;
      for (std::uint32_t z = 0; z < areas.size(); ++z)
        if (boxes[z].contains(p) && pps[z].covers(p)) expected.push_back(z);
      const auto got = query(idx, p);
      if (got != expected) {
        INFO(where(seed, p) + " near an edge of " + areas[k].id);
        REQUIRE(got == expected);
      }
      ++checked;
      split += expected.size() != 1;  // on a shared edge, or just outside the area
    }
  }
  CAPTURE(checked, split);
  CHECK(checked > 5000);
  CHECK(split > checked / 20);
}
