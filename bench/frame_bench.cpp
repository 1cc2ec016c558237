// Projection and geodesic throughput: warden's tm_frame and geodesic
// functions beside GeographicLib's TransverseMercator and Geodesic (the peer,
// when the bench was configured with GeographicLib) on the same points:
// 4,096 deterministic positions spread over Great Britain.
#include <warden/frame.hpp>
#include <warden/geo.hpp>

#include <benchmark/benchmark.h>

#if defined(WARDEN_HAVE_GEOGRAPHICLIB)
#include <GeographicLib/Geodesic.hpp>
#include <GeographicLib/TransverseMercator.hpp>
#endif

#include <cstdint>
#include <random>
#include <vector>

namespace {

const std::vector<warden::lat_lon>& gb_points() {
  static const std::vector<warden::lat_lon> pts = [] {
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> lat(49.9, 60.8), lon(-8.0, 1.7);
    std::vector<warden::lat_lon> v;
    v.reserve(4096);
    for (int i = 0; i < 4096; ++i) v.push_back(warden::lat_lon::from_degrees(lat(rng), lon(rng)).value());
    return v;
  }();
  return pts;
}

void bm_forward_warden(benchmark::State& state) {
  const warden::tm_frame frame;
  const auto& pts = gb_points();
  for (auto _ : state) {
    for (const auto& p : pts) {
      const warden::xy q = frame.forward(p);
      benchmark::DoNotOptimize(q);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pts.size()));
}
BENCHMARK(bm_forward_warden);

void bm_inverse_warden(benchmark::State& state) {
  const warden::tm_frame frame;
  std::vector<warden::xy> xys;
  for (const auto& p : gb_points()) xys.push_back(frame.forward(p));
  for (auto _ : state) {
    for (const auto& q : xys) {
      const warden::lat_lon p = frame.inverse(q);
      benchmark::DoNotOptimize(p);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xys.size()));
}
BENCHMARK(bm_inverse_warden);

void bm_geodesic_distance_warden(benchmark::State& state) {
  const auto& pts = gb_points();
  for (auto _ : state) {
    for (std::size_t i = 1; i < pts.size(); ++i) {
      const double d = warden::geodesic_distance_m(pts[i - 1], pts[i]);
      benchmark::DoNotOptimize(d);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (pts.size() - 1)));
}
BENCHMARK(bm_geodesic_distance_warden);

// Pairs up to 50 km apart (the range the scale-corrected distance is
// specified for), as projected points and as positions.
struct line_pairs {
  std::vector<warden::xy> a, b;
  std::vector<warden::lat_lon> pa, pb;
};
const line_pairs& gb_lines() {
  static const line_pairs lines = [] {
    const warden::tm_frame frame;
    std::mt19937_64 rng(777);
    std::uniform_real_distribution<double> off(-35000.0, 35000.0);
    line_pairs l;
    for (const auto& p : gb_points()) {
      const warden::xy a = frame.forward(p);
      const warden::xy b{a.x_m + off(rng), a.y_m + off(rng)};
      l.a.push_back(a);
      l.b.push_back(b);
      l.pa.push_back(p);
      l.pb.push_back(frame.inverse(b));
    }
    return l;
  }();
  return lines;
}

void bm_planar_distance(benchmark::State& state) {
  const auto& l = gb_lines();
  for (auto _ : state) {
    for (std::size_t i = 0; i < l.a.size(); ++i) {
      const double d = warden::distance_m(l.a[i], l.b[i]);
      benchmark::DoNotOptimize(d);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * l.a.size()));
}
BENCHMARK(bm_planar_distance);

void bm_scale_at_xy(benchmark::State& state) {
  const warden::tm_frame frame;
  const auto& l = gb_lines();
  for (auto _ : state) {
    for (const auto& q : l.a) {
      const double k = frame.scale_at(q);
      benchmark::DoNotOptimize(k);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * l.a.size()));
}
BENCHMARK(bm_scale_at_xy);

void bm_ellipsoid_distance_warden(benchmark::State& state) {
  const warden::tm_frame frame;
  const auto& l = gb_lines();
  for (auto _ : state) {
    for (std::size_t i = 0; i < l.a.size(); ++i) {
      const double d = frame.ellipsoid_distance_m(l.a[i], l.b[i]);
      benchmark::DoNotOptimize(d);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * l.a.size()));
}
BENCHMARK(bm_ellipsoid_distance_warden);

// The same lines by our geodesic from positions (the evidence path).
void bm_geodesic_lines_warden(benchmark::State& state) {
  const auto& l = gb_lines();
  for (auto _ : state) {
    for (std::size_t i = 0; i < l.pa.size(); ++i) {
      const double d = warden::geodesic_distance_m(l.pa[i], l.pb[i]);
      benchmark::DoNotOptimize(d);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * l.pa.size()));
}
BENCHMARK(bm_geodesic_lines_warden);

#if defined(WARDEN_HAVE_GEOGRAPHICLIB)
void bm_geodesic_lines_geographiclib(benchmark::State& state) {
  const auto& geod = GeographicLib::Geodesic::WGS84();
  const auto& l = gb_lines();
  for (auto _ : state) {
    for (std::size_t i = 0; i < l.pa.size(); ++i) {
      double s12;
      geod.Inverse(l.pa[i].lat_deg(), l.pa[i].lon_deg(), l.pb[i].lat_deg(), l.pb[i].lon_deg(), s12);
      benchmark::DoNotOptimize(s12);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * l.pa.size()));
}
BENCHMARK(bm_geodesic_lines_geographiclib);

void bm_forward_geographiclib(benchmark::State& state) {
  const GeographicLib::TransverseMercator tm(6378137.0, 1 / 298.257223563, 0.9996012717);
  double x0, y0;
  tm.Forward(-2.0, 49.0, -2.0, x0, y0);
  const auto& pts = gb_points();
  for (auto _ : state) {
    for (const auto& p : pts) {
      double x, y;
      tm.Forward(-2.0, p.lat_deg(), p.lon_deg(), x, y);
      // The same false origin arithmetic as ours, so the work compared is equal.
      x += 400000.0;
      y += -100000.0 - y0;
      benchmark::DoNotOptimize(x);
      benchmark::DoNotOptimize(y);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pts.size()));
}
BENCHMARK(bm_forward_geographiclib);

void bm_inverse_geographiclib(benchmark::State& state) {
  const GeographicLib::TransverseMercator tm(6378137.0, 1 / 298.257223563, 0.9996012717);
  double x0, y0;
  tm.Forward(-2.0, 49.0, -2.0, x0, y0);
  std::vector<std::pair<double, double>> xys;
  for (const auto& p : gb_points()) {
    double x, y;
    tm.Forward(-2.0, p.lat_deg(), p.lon_deg(), x, y);
    xys.emplace_back(x + 400000.0, y - 100000.0 - y0);
  }
  for (auto _ : state) {
    for (const auto& [x, y] : xys) {
      double lat, lon;
      tm.Reverse(-2.0, x - 400000.0, y + 100000.0 + y0, lat, lon);
      benchmark::DoNotOptimize(lat);
      benchmark::DoNotOptimize(lon);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xys.size()));
}
BENCHMARK(bm_inverse_geographiclib);

void bm_geodesic_distance_geographiclib(benchmark::State& state) {
  const auto& geod = GeographicLib::Geodesic::WGS84();
  const auto& pts = gb_points();
  for (auto _ : state) {
    for (std::size_t i = 1; i < pts.size(); ++i) {
      double s12;
      geod.Inverse(pts[i - 1].lat_deg(), pts[i - 1].lon_deg(), pts[i].lat_deg(), pts[i].lon_deg(), s12);
      benchmark::DoNotOptimize(s12);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * (pts.size() - 1)));
}
BENCHMARK(bm_geodesic_distance_geographiclib);
#endif

}  // namespace

BENCHMARK_MAIN();
