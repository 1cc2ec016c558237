// Zones: prepared_polygon and zone_index against their peers, all in one
// run, on the real Essex LSOA boundaries and police.uk crime locations
// (../shared/data). Results and the machine: bench/README.md.
//
//   one zone (median ~42-vertex LSOA, largest 400-vertex LSOA), random
//   points over its box: ours vs GEOS prepared contains / covers (C API,
//   points created before timing) vs boost::geometry::within / covered_by;
//   all 1,077 LSOAs, crime locations and uniform points over the county:
//   ours (zone_index, one query per point and batched) vs Boost packed R-tree + covered_by vs GEOS STRtree +
//   prepared covers;
//   a 100k-vertex synthetic polygon: build time and query rate.
//
// items_per_second is points per second on one core.
#include <warden/prepared_polygon.hpp>
#include <warden/zone_index.hpp>

#include "../tests/pip_geos_support.hpp"

#include <benchmark/benchmark.h>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using warden::xy;

namespace {

using bpoint = bg::model::d2::point_xy<double>;
using bpoly = bg::model::polygon<bpoint>;
using bmpoly = bg::model::multi_polygon<bpoly>;
using bbox = bg::model::box<bpoint>;

bmpoly to_boost(const warden::multipolygon& mp) {
  bmpoly out;
  for (const auto& p : mp) {
    bpoly bp;
    for (const xy& q : p.outer) bg::append(bp.outer(), bpoint(q.x_m, q.y_m));
    bg::append(bp.outer(), bpoint(p.outer[0].x_m, p.outer[0].y_m));
    for (const auto& h : p.holes) {
      bp.inners().emplace_back();
      for (const xy& q : h) bg::append(bp.inners().back(), bpoint(q.x_m, q.y_m));
      bg::append(bp.inners().back(), bpoint(h[0].x_m, h[0].y_m));
    }
    out.push_back(std::move(bp));
  }
  bg::correct(out);  // Boost needs its own orientation and closure
  return out;
}

struct dataset {
  std::vector<pip_test::named_area> lsoas;
  std::size_t median = 0, largest = 0;
  std::vector<xy> crimes, county;
  warden::box county_box;
};

const dataset& data() {
  static const dataset d = [] {
    dataset s;
    s.lsoas = pip_test::load_boundaries(WARDEN_SHARED_DATA "/boundaries/essex-lsoa", "LSOA11CD");
    std::vector<std::size_t> order(s.lsoas.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto nv = [&](std::size_t i) { return pip_test::vertex_count(s.lsoas[i].area); };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return nv(a) < nv(b); });
    s.median = order[order.size() / 2];
    s.largest = order.back();
    s.crimes = pip_test::load_crime_points(WARDEN_SHARED_DATA "/police");
    for (const auto& a : s.lsoas) {
      const warden::box b = warden::bounds(a.area);
      s.county_box.extend(b.min);
      s.county_box.extend(b.max);
    }
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> ux(s.county_box.min.x_m, s.county_box.max.x_m),
        uy(s.county_box.min.y_m, s.county_box.max.y_m);
    for (int i = 0; i < (1 << 16); ++i) s.county.push_back({ux(rng), uy(rng)});
    return s;
  }();
  return d;
}

std::vector<xy> box_points(const warden::multipolygon& mp, std::size_t n, std::uint64_t seed) {
  const warden::box b = warden::bounds(mp);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(b.min.x_m, b.max.x_m), uy(b.min.y_m, b.max.y_m);
  std::vector<xy> pts(n);
  for (auto& p : pts) p = {ux(rng), uy(rng)};
  return pts;
}

const warden::multipolygon& one_zone(const benchmark::State& st) {
  const dataset& d = data();
  return d.lsoas[st.range(0) == 0 ? d.median : d.largest].area;
}
void label_one(benchmark::State& st) {
  st.SetLabel((st.range(0) == 0 ? "median LSOA, " : "largest LSOA, ") +
              std::to_string(pip_test::vertex_count(one_zone(st))) + " vertices");
}

constexpr std::size_t one_zone_points = 1 << 16;

// ---- one zone --------------------------------------------------------------

void one_zone_ours(benchmark::State& st) {
  const auto& mp = one_zone(st);
  const warden::prepared_polygon pp = warden::prepared_polygon::build(mp).value();
  const auto pts = box_points(mp, one_zone_points, 7);
  std::size_t hits = 0;
  for (auto _ : st)
    for (const xy& p : pts) hits += pp.covers(p);
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_one(st);
  st.counters["inside_frac"] = static_cast<double>(hits) / static_cast<double>(st.iterations() * pts.size());
}

template <bool covers>
void one_zone_geos(benchmark::State& st) {
  const auto& mp = one_zone(st);
  pip_test::geos_handle gh;
  GEOSContextHandle_t h = gh.get();
  GEOSGeometry* g = pip_test::to_geos(h, mp);
  const GEOSPreparedGeometry* prep = GEOSPrepare_r(h, g);
  std::vector<GEOSGeometry*> pts;
  for (const xy& p : box_points(mp, one_zone_points, 7)) pts.push_back(GEOSGeom_createPointFromXY_r(h, p.x_m, p.y_m));
  std::size_t hits = 0;
  for (auto _ : st)
    for (GEOSGeometry* p : pts) hits += (covers ? GEOSPreparedCovers_r(h, prep, p) : GEOSPreparedContains_r(h, prep, p)) == 1;
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_one(st);
  for (GEOSGeometry* p : pts) GEOSGeom_destroy_r(h, p);
  GEOSPreparedGeom_destroy_r(h, prep);
  GEOSGeom_destroy_r(h, g);
}

template <bool covered_by>
void one_zone_boost(benchmark::State& st) {
  const auto& mp = one_zone(st);
  const bmpoly bp = to_boost(mp);
  std::vector<bpoint> pts;
  for (const xy& p : box_points(mp, one_zone_points, 7)) pts.emplace_back(p.x_m, p.y_m);
  std::size_t hits = 0;
  for (auto _ : st)
    for (const bpoint& p : pts) hits += covered_by ? bg::covered_by(p, bp) : bg::within(p, bp);
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_one(st);
}

// ---- all LSOAs -------------------------------------------------------------

const std::vector<xy>& all_points(const benchmark::State& st) {
  return st.range(0) == 0 ? data().crimes : data().county;
}
void label_all(benchmark::State& st) {
  st.SetLabel(st.range(0) == 0 ? "1,077 LSOAs, police.uk crime locations" : "1,077 LSOAs, uniform over the county");
}

void all_lsoas_ours(benchmark::State& st) {
  warden::zone_index_builder b;
  for (const auto& a : data().lsoas) b.add(a.area).value();
  const warden::zone_index idx = b.build().value();
  const auto& pts = all_points(st);
  std::size_t hits = 0;
  for (auto _ : st)
    for (const xy& p : pts) idx.for_each_covering(p, [&](std::uint32_t z) noexcept { hits += z + 1; });
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  st.counters["index_MiB"] = static_cast<double>(idx.memory_bytes()) / (1 << 20);
  label_all(st);
}

// The same through the batched query (neighbouring points' memory reads overlap).
void all_lsoas_ours_batched(benchmark::State& st) {
  warden::zone_index_builder b;
  for (const auto& a : data().lsoas) b.add(a.area).value();
  const warden::zone_index idx = b.build().value();
  const auto& pts = all_points(st);
  std::size_t hits = 0;
  for (auto _ : st)
    idx.for_each_covering(std::span<const xy>(pts), [&](std::size_t, std::uint32_t z) noexcept { hits += z + 1; });
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_all(st);
}

void all_lsoas_boost_rtree(benchmark::State& st) {
  std::vector<bmpoly> polys;
  std::vector<std::pair<bbox, std::uint32_t>> values;
  for (const auto& a : data().lsoas) {
    polys.push_back(to_boost(a.area));
    const warden::box b = warden::bounds(a.area);  // (Boost's own envelope trips GCC 12's -Wmaybe-uninitialized)
    values.emplace_back(bbox(bpoint(b.min.x_m, b.min.y_m), bpoint(b.max.x_m, b.max.y_m)),
                        static_cast<std::uint32_t>(values.size()));
  }
  const bgi::rtree<std::pair<bbox, std::uint32_t>, bgi::rstar<16>> rt(values.begin(), values.end());  // packed
  const auto& src = all_points(st);
  std::vector<bpoint> pts;
  for (const xy& p : src) pts.emplace_back(p.x_m, p.y_m);
  std::size_t hits = 0;
  for (auto _ : st)
    for (const bpoint& p : pts)
      rt.query(bgi::intersects(p), boost::make_function_output_iterator([&](const std::pair<bbox, std::uint32_t>& v) {
                 if (bg::covered_by(p, polys[v.second])) hits += v.second + 1;
               }));
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_all(st);
}

struct geos_query {
  GEOSContextHandle_t h;
  const std::vector<const GEOSPreparedGeometry*>* preps;
  const GEOSGeometry* point;
  std::size_t hits;
};

void all_lsoas_geos_strtree(benchmark::State& st) {
  pip_test::geos_handle gh;
  GEOSContextHandle_t h = gh.get();
  std::vector<GEOSGeometry*> geoms;
  std::vector<const GEOSPreparedGeometry*> preps;
  GEOSSTRtree* tree = GEOSSTRtree_create_r(h, 10);
  for (const auto& a : data().lsoas) {
    geoms.push_back(pip_test::to_geos(h, a.area));
    preps.push_back(GEOSPrepare_r(h, geoms.back()));
    GEOSSTRtree_insert_r(h, tree, geoms.back(), reinterpret_cast<void*>(preps.size()));  // 1-based id
  }
  std::vector<GEOSGeometry*> pts;
  for (const xy& p : all_points(st)) pts.push_back(GEOSGeom_createPointFromXY_r(h, p.x_m, p.y_m));
  geos_query q{h, &preps, nullptr, 0};
  for (auto _ : st)
    for (GEOSGeometry* p : pts) {
      q.point = p;
      GEOSSTRtree_query_r(
          h, tree, p,
          [](void* item, void* user) {
            auto* qq = static_cast<geos_query*>(user);
            const auto id = reinterpret_cast<std::size_t>(item);
            if (GEOSPreparedCovers_r(qq->h, (*qq->preps)[id - 1], qq->point) == 1) qq->hits += id;
          },
          &q);
    }
  benchmark::DoNotOptimize(q.hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  label_all(st);
  for (GEOSGeometry* p : pts) GEOSGeom_destroy_r(h, p);
  GEOSSTRtree_destroy_r(h, tree);
  for (auto* p : preps) GEOSPreparedGeom_destroy_r(h, p);
  for (auto* g : geoms) GEOSGeom_destroy_r(h, g);
}

void all_lsoas_build_ours(benchmark::State& st) {
  std::size_t bytes = 0;
  for (auto _ : st) {
    warden::zone_index_builder b;
    for (const auto& a : data().lsoas) b.add(a.area).value();
    const warden::zone_index idx = b.build().value();
    bytes = idx.memory_bytes();
  }
  st.counters["index_MiB"] = static_cast<double>(bytes) / (1 << 20);
  st.SetLabel("1,077 LSOAs");
}

// ---- a 100k-vertex synthetic polygon -------------------------------------

// A wobbly disc of radius ~50 km with 100,000 vertices and a little noise,
// in frame coordinates.
const warden::multipolygon& synthetic() {
  static const warden::multipolygon mp = [] {
    std::mt19937_64 rng(100000);
    std::uniform_real_distribution<double> noise(-20, 20);
    warden::multipolygon m(1);
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
      const double a = 2 * 3.141592653589793 * i / n;
      const double r = 50000 * (1 + 0.1 * std::sin(7 * a) + 0.03 * std::sin(61 * a)) + noise(rng);
      m[0].outer.push_back({560000 + r * std::cos(a), 200000 + r * std::sin(a)});
    }
    return m;
  }();
  return mp;
}

void synthetic_build_ours(benchmark::State& st) {
  std::size_t bytes = 0;
  for (auto _ : st) {
    const warden::prepared_polygon pp = warden::prepared_polygon::build(synthetic()).value();
    bytes = pp.memory_bytes();
  }
  st.counters["MiB"] = static_cast<double>(bytes) / (1 << 20);
  st.counters["bytes_per_vertex"] = static_cast<double>(bytes) / 100000;
  st.SetLabel("100,000 vertices");
}

void synthetic_query_ours(benchmark::State& st) {
  const warden::prepared_polygon pp = warden::prepared_polygon::build(synthetic()).value();
  const auto pts = box_points(synthetic(), one_zone_points, 9);
  std::size_t hits = 0;
  for (auto _ : st)
    for (const xy& p : pts) hits += pp.covers(p);
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  st.SetLabel("100,000 vertices");
}

void synthetic_prepare_and_query_geos(benchmark::State& st) {
  pip_test::geos_handle gh;
  GEOSContextHandle_t h = gh.get();
  GEOSGeometry* g = pip_test::to_geos(h, synthetic());
  const GEOSPreparedGeometry* prep = GEOSPrepare_r(h, g);
  std::vector<GEOSGeometry*> pts;
  for (const xy& p : box_points(synthetic(), one_zone_points, 9))
    pts.push_back(GEOSGeom_createPointFromXY_r(h, p.x_m, p.y_m));
  std::size_t hits = 0;
  for (auto _ : st)
    for (GEOSGeometry* p : pts) hits += GEOSPreparedCovers_r(h, prep, p) == 1;
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pts.size()));
  st.SetLabel("100,000 vertices");
  for (GEOSGeometry* p : pts) GEOSGeom_destroy_r(h, p);
  GEOSPreparedGeom_destroy_r(h, prep);
  GEOSGeom_destroy_r(h, g);
}

}  // namespace

BENCHMARK(one_zone_ours)->Arg(0)->Arg(1);
BENCHMARK(one_zone_geos<false>)->Name("one_zone_geos_prepared_contains")->Arg(0)->Arg(1);
BENCHMARK(one_zone_geos<true>)->Name("one_zone_geos_prepared_covers")->Arg(0)->Arg(1);
BENCHMARK(one_zone_boost<false>)->Name("one_zone_boost_within")->Arg(0)->Arg(1);
BENCHMARK(one_zone_boost<true>)->Name("one_zone_boost_covered_by")->Arg(0)->Arg(1);
BENCHMARK(all_lsoas_ours)->Arg(0)->Arg(1);
BENCHMARK(all_lsoas_ours_batched)->Arg(0)->Arg(1);
BENCHMARK(all_lsoas_boost_rtree)->Arg(0)->Arg(1);
BENCHMARK(all_lsoas_geos_strtree)->Arg(0)->Arg(1);
BENCHMARK(all_lsoas_build_ours)->Unit(benchmark::kMillisecond);
BENCHMARK(synthetic_build_ours)->Unit(benchmark::kMillisecond);
BENCHMARK(synthetic_query_ours);
BENCHMARK(synthetic_prepare_and_query_geos);

BENCHMARK_MAIN();
