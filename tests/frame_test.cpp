// Tests for warden/frame.hpp: the transverse-Mercator frame, checked against
// GeographicLib's TransverseMercator (same Krüger series, independent code)
// and Geodesic as references.
#include <warden/frame.hpp>

#include <GeographicLib/Geodesic.hpp>
#include <GeographicLib/TransverseMercator.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

using namespace warden;

namespace {

constexpr double wgs84_a = 6378137.0;
constexpr double wgs84_f = 1 / 298.257223563;

lat_lon ll(double lat, double lon) { return lat_lon::from_degrees(lat, lon).value(); }

// GeographicLib's TM with our false origin: Forward(lon0, ...) measures
// northing from the equator, so subtract the origin's northing.
struct reference_tm {
  GeographicLib::TransverseMercator tm;
  double lon0, fe, fn, y_origin;

  reference_tm(double lat0, double lon0_deg, double k0, double fe_m, double fn_m)
      : tm(wgs84_a, wgs84_f, k0), lon0(lon0_deg), fe(fe_m), fn(fn_m), y_origin(0) {
    double x0, y0;
    tm.Forward(lon0, lat0, lon0, x0, y0);
    y_origin = y0;
  }
  explicit reference_tm(const tm_frame& f)
      : reference_tm(f.lat0_deg(), f.lon0_deg(), f.k0(), f.false_easting_m(), f.false_northing_m()) {}

  xy forward(double lat, double lon) const {
    double x, y;
    tm.Forward(lon0, lat, lon, x, y);
    return {x + fe, y - y_origin + fn};
  }
  double scale(double lat, double lon) const {
    double x, y, gamma, k;
    tm.Forward(lon0, lat, lon, x, y, gamma, k);
    return k;
  }
  void reverse(xy p, double& lat, double& lon) const {
    tm.Reverse(lon0, p.x_m - fe, p.y_m - fn + y_origin, lat, lon);
  }
};

// Metres between two positions given in degrees (reference geodesic).
double geodesic_m(double lat1, double lon1, double lat2, double lon2) {
  double s12;
  GeographicLib::Geodesic::WGS84().Inverse(lat1, lon1, lat2, lon2, s12);
  return s12;
}

// The contract is 1 mm (checked point by point), but both sides evaluate the
// same order-6 series, so over the frames' useful areas they agree to
// rounding of ~1e7 m coordinates; a larger difference means a term or its
// evaluation is wrong even if it is still far inside the contract.
constexpr double same_series_tolerance_m = 5e-8;

struct grid_stats {
  double max_forward_err_m = 0;
  double max_scale_rel_err = 0;
  std::size_t points = 0;
};

// Dense grid: forward position and point scale against GeographicLib.
grid_stats compare_grid(const tm_frame& frame, double lat_lo, double lat_hi, double lon_lo, double lon_hi,
                        double step_deg) {
  const reference_tm ref(frame);
  grid_stats s;
  const int nlat = static_cast<int>(std::round((lat_hi - lat_lo) / step_deg));
  const int nlon = static_cast<int>(std::round((lon_hi - lon_lo) / step_deg));
  for (int i = 0; i <= nlat; ++i) {
    for (int j = 0; j <= nlon; ++j) {
      const double lat = lat_lo + (lat_hi - lat_lo) * i / nlat;
      const double lon = std::remainder(lon_lo + (lon_hi - lon_lo) * j / nlon, 360.0);
      const xy ours = frame.forward(ll(lat, lon));
      const xy theirs = ref.forward(lat, lon);
      const double err = distance_m(ours, theirs);
      if (!(err < 1e-3)) {
        INFO("frame " << frame.describe() << " lat " << lat << " lon " << lon);
        CHECK(err < 1e-3);
      }
      s.max_forward_err_m = std::max(s.max_forward_err_m, err);
      const double k_ref = ref.scale(lat, lon);
      s.max_scale_rel_err = std::max(s.max_scale_rel_err, std::fabs(frame.scale_at(ll(lat, lon)) / k_ref - 1));
      ++s.points;
    }
  }
  return s;
}

// A coarse outline of Great Britain (mainland and the main island groups),
// lat/lon degrees; good to a few km, which is all the scale checks need.
const std::vector<std::vector<std::pair<double, double>>>& gb_outline() {
  static const std::vector<std::vector<std::pair<double, double>>> polys = {
      {{50.07, -5.72}, {49.96, -5.20}, {50.22, -3.64}, {50.52, -2.45}, {50.72, -0.79}, {50.73, 0.24},
       {50.91, 0.98},  {51.38, 1.45},  {51.60, 0.95},  {52.09, 1.58},  {52.48, 1.76},  {52.93, 1.30},
       {52.94, 0.49},  {53.15, 0.35},  {53.58, 0.11},  {54.12, -0.08}, {54.49, -0.61}, {54.69, -1.18},
       {55.77, -2.00}, {55.91, -2.13}, {56.28, -2.58}, {57.15, -2.08}, {57.61, -1.82}, {57.69, -2.00},
       {57.70, -3.49}, {57.86, -3.77}, {58.64, -3.03}, {58.67, -3.38}, {58.62, -5.00}, {57.90, -5.40},
       {57.28, -5.71}, {56.73, -6.23}, {55.31, -5.80}, {54.64, -4.86}, {54.95, -3.50}, {54.51, -3.64},
       {54.07, -2.87}, {53.40, -3.05}, {53.34, -3.85}, {53.31, -4.68}, {52.78, -4.77}, {52.41, -4.09},
       {51.90, -5.31}, {51.68, -5.17}, {51.56, -4.33}, {51.45, -3.10}, {51.35, -2.98}, {51.02, -4.53},
       {50.54, -4.94}},
      // Outer Hebrides, from the Butt of Lewis down the east side to Barra Head.
      {{58.52, -6.26}, {58.20, -6.30}, {57.85, -6.60}, {57.55, -7.10}, {57.10, -7.25}, {56.80, -7.55},
       {56.78, -7.65}, {57.05, -7.50}, {57.40, -7.45}, {57.70, -7.40}, {57.90, -7.15}, {58.25, -7.05},
       {58.45, -6.60}},
      {{57.70, -6.30}, {57.60, -6.75}, {57.20, -6.30}, {57.05, -5.95}, {57.25, -5.65}, {57.55, -5.95}},  // Skye
      {{56.60, -6.35}, {56.35, -6.40}, {56.30, -5.65}, {56.55, -5.70}},  // Mull
      {{55.58, -6.50}, {55.90, -6.45}, {55.85, -6.05}, {55.60, -6.10}},  // Islay
      {{59.35, -3.35}, {59.30, -2.40}, {58.75, -2.90}, {58.80, -3.40}},  // Orkney
      {{60.85, -0.85}, {60.40, -1.65}, {59.85, -1.30}, {60.30, -0.95}},  // Shetland
      {{49.97, -6.38}, {49.97, -6.25}, {49.88, -6.25}, {49.88, -6.38}},  // Scilly
  };
  return polys;
}

bool in_gb(double lat, double lon) {
  bool inside = false;
  for (const auto& poly : gb_outline()) {
    for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
      const auto [ya, xa] = poly[i];
      const auto [yb, xb] = poly[j];
      if ((ya > lat) != (yb > lat) && lon < (xb - xa) * (lat - ya) / (yb - ya) + xa) inside = !inside;
    }
  }
  return inside;
}

// West of this meridian lie only Barra Head, Mingulay and St Kilda, where the
// BNG-on-WGS84 frame's scale error exceeds 0.1% (see the test below).
constexpr double west_limit_for_0_1_percent_deg = -7.4;

}  // namespace

TEST_CASE("default frame is BNG on WGS84 and describes itself stably", "[frame]") {
  const tm_frame f;
  CHECK(f.lat0_deg() == 49.0);
  CHECK(f.lon0_deg() == -2.0);
  CHECK(f.k0() == 0.9996012717);
  CHECK(f.false_easting_m() == 400000.0);
  CHECK(f.false_northing_m() == -100000.0);
  CHECK(f.describe() == "tm(49,-2,0.9996012717,400000,-100000)");
  CHECK(tm_frame::british_national_grid().describe() == f.describe());
  // The true origin maps to the false origin.
  const xy o = f.forward(ll(49.0, -2.0));
  CHECK(std::fabs(o.x_m - 400000.0) < 1e-9);
  CHECK(std::fabs(o.y_m + 100000.0) < 1e-9);

  auto z31 = tm_frame::utm(31);
  REQUIRE(z31.ok());
  CHECK(z31->describe() == "tm(0,3,0.9996,500000,0)");
  auto z30s = tm_frame::utm(30, false);
  REQUIRE(z30s.ok());
  CHECK(z30s->describe() == "tm(0,-3,0.9996,500000,10000000)");
  auto c = tm_frame::custom(52.25, 0.125, 0.9999, 123456.5, -2000);
  REQUIRE(c.ok());
  CHECK(c->describe() == "tm(52.25,0.125,0.9999,123456.5,-2000)");
}

TEST_CASE("utm and custom reject bad parameters with usage", "[frame]") {
  const double nan = std::nan(""), inf = HUGE_VAL;
  for (int zone : {0, -1, 61, 100}) {
    INFO("zone " << zone);
    CHECK(tm_frame::utm(zone).code() == errc::usage);
    CHECK(tm_frame::utm(zone, false).code() == errc::usage);
  }
  CHECK(tm_frame::utm(1).ok());
  CHECK(tm_frame::utm(60, false).ok());
  CHECK(tm_frame::utm(1)->lon0_deg() == -177.0);
  CHECK(tm_frame::utm(60)->lon0_deg() == 177.0);

  struct row {
    double lat0, lon0, k0, fe, fn;
  };
  const row bad[] = {
      {nan, 0, 1, 0, 0},   {0, nan, 1, 0, 0},   {0, 0, nan, 0, 0},  {0, 0, 1, nan, 0},   {0, 0, 1, 0, nan},
      {inf, 0, 1, 0, 0},   {0, -inf, 1, 0, 0},  {0, 0, inf, 0, 0},  {0, 0, 1, inf, 0},   {0, 0, 1, 0, -inf},
      {90.5, 0, 1, 0, 0},  {-91, 0, 1, 0, 0},   {0, 180.1, 1, 0, 0}, {0, -181, 1, 0, 0}, {0, 0, 0, 0, 0},
      {0, 0, -0.9996, 0, 0}, {0, 0, 9996, 0, 0}, {0, 0, 0.49, 0, 0}, {0, 0, 1.51, 0, 0}, {0, 0, 1, 1.1e8, 0},
      {0, 0, 1, 0, -1.1e8},
  };
  for (const row& r : bad) {
    INFO("custom(" << r.lat0 << ", " << r.lon0 << ", " << r.k0 << ", " << r.fe << ", " << r.fn << ")");
    auto f = tm_frame::custom(r.lat0, r.lon0, r.k0, r.fe, r.fn);
    CHECK(f.code() == errc::usage);
    if (!f.ok()) CHECK(!f.err().message.empty());
  }
  const row good[] = {{90, 180, 1.5, 1e8, -1e8}, {-90, -180, 0.5, -1e8, 1e8}, {0, 0, 1, 0, 0}};
  for (const row& r : good) {
    INFO("custom(" << r.lat0 << ", " << r.lon0 << ", " << r.k0 << ", " << r.fe << ", " << r.fn << ")");
    CHECK(tm_frame::custom(r.lat0, r.lon0, r.k0, r.fe, r.fn).ok());
  }
}

TEST_CASE("forward and scale agree with GeographicLib over Great Britain", "[frame]") {
  const grid_stats s = compare_grid(tm_frame{}, 49.8, 60.9, -8.7, 1.8, 0.025);
  std::printf("GB grid (%zu points): max forward difference %.3g m, max scale relative difference %.3g\n",
              s.points, s.max_forward_err_m, s.max_scale_rel_err);
  CHECK(s.points > 150000);
  CHECK(s.max_forward_err_m < same_series_tolerance_m);
  CHECK(s.max_scale_rel_err < 1e-12);
}

TEST_CASE("forward agrees with GeographicLib for UTM zones 30, 31 and custom meridians", "[frame]") {
  for (bool north : {true, false}) {
    for (int zone : {30, 31}) {
      const tm_frame f = tm_frame::utm(zone, north).value();
      const double lon0 = f.lon0_deg();
      // The zone and a 3° margin each side; UTM spans 80°S..84°N.
      const grid_stats s = north ? compare_grid(f, 0, 84, lon0 - 6, lon0 + 6, 0.1)
                                 : compare_grid(f, -80, 0, lon0 - 6, lon0 + 6, 0.1);
      std::printf("UTM %d%c: max forward difference %.3g m, scale %.3g\n", zone, north ? 'N' : 'S',
                  s.max_forward_err_m, s.max_scale_rel_err);
      CHECK(s.max_forward_err_m < same_series_tolerance_m);
      CHECK(s.max_scale_rel_err < 1e-12);
    }
  }
  struct row {
    double lat0, lon0, k0, fe, fn;
  };
  const row frames[] = {{52.5, 0.5, 0.99998, 200000, 300000}, {-33.5, 151.25, 1.0, 0, 0}, {0, 179.5, 0.9996, 500000, 0}};
  for (const row& r : frames) {
    const tm_frame f = tm_frame::custom(r.lat0, r.lon0, r.k0, r.fe, r.fn).value();
    // +/-10° of longitude around the meridian, crossing the antimeridian for the last.
    const grid_stats s = compare_grid(f, std::max(-89.0, r.lat0 - 15), std::min(89.0, r.lat0 + 15), r.lon0 - 10,
                                      r.lon0 + 10, 0.1);
    std::printf("%s: max forward difference %.3g m, scale %.3g\n", f.describe().c_str(), s.max_forward_err_m,
                s.max_scale_rel_err);
    CHECK(s.max_forward_err_m < same_series_tolerance_m);
    CHECK(s.max_scale_rel_err < 1e-12);
  }
}

TEST_CASE("forward and inverse agree with GeographicLib anywhere, including the back side and poles", "[frame]") {
  const std::uint64_t seed = 20260321;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat_d(-90, 90), lam_d(-180, 180);
  const tm_frame f = tm_frame::utm(31).value();
  const reference_tm ref(f);
  double max_fwd = 0, max_inv = 0;
  for (int i = 0; i < 20000; ++i) {
    double lat = lat_d(rng), lam = lam_d(rng);
    if (i % 50 == 0) lat = (i % 100 == 0) ? 90 : -90;
    // Stay clear of the singular points (equator, 90° from the meridian):
    // coordinates run to infinity there and Krüger's series, ours and
    // GeographicLib's alike, no longer inverts within about 10° of them.
    if (std::fabs(std::fabs(lam) - 90) < 10 && std::fabs(lat) < 10) continue;
    const double lon = std::remainder(f.lon0_deg() + lam, 360.0);
    CAPTURE(i, lat, lon);
    const xy ours = f.forward(ll(lat, lon));
    const xy theirs = ref.forward(lat, lon);
    const double fwd_err = distance_m(ours, theirs);
    max_fwd = std::max(max_fwd, fwd_err);
    CHECK(fwd_err < 1e-6);
    const lat_lon back = f.inverse(theirs);
    double rlat, rlon;
    ref.reverse(theirs, rlat, rlon);
    const double inv_err = geodesic_m(back.lat_deg(), back.lon_deg(), rlat, rlon);
    max_inv = std::max(max_inv, inv_err);
    CHECK(inv_err < 1e-3);
  }
  std::printf("global: max forward difference %.3g m, max inverse difference %.3g m\n", max_fwd, max_inv);
  CHECK(max_inv < 1e-6);
}

TEST_CASE("inverse agrees with GeographicLib and round trips under 1 mm across Great Britain", "[frame]") {
  const tm_frame f;
  const reference_tm ref(f);
  double max_round_trip = 0, max_vs_ref = 0;
  for (double lat = 49.8; lat <= 60.9; lat += 0.05) {
    for (double lon = -8.7; lon <= 1.8; lon += 0.05) {
      CAPTURE(lat, lon);
      const xy p = f.forward(ll(lat, lon));
      const lat_lon q = f.inverse(p);
      const double rt = geodesic_m(lat, lon, q.lat_deg(), q.lon_deg());
      max_round_trip = std::max(max_round_trip, rt);
      CHECK(rt < 1e-3);
      double rlat, rlon;
      ref.reverse(p, rlat, rlon);
      const double vs = geodesic_m(q.lat_deg(), q.lon_deg(), rlat, rlon);
      max_vs_ref = std::max(max_vs_ref, vs);
      CHECK(vs < 1e-3);
    }
  }
  std::printf("GB round trip: max %.3g m; inverse vs GeographicLib: max %.3g m\n", max_round_trip, max_vs_ref);
  CHECK(max_round_trip < same_series_tolerance_m);
  CHECK(max_vs_ref < same_series_tolerance_m);
}

TEST_CASE("inverse of non-finite or far-away coordinates is a valid lat_lon", "[frame]") {
  const tm_frame f;
  const double nan = std::nan("");
  for (xy p : {xy{nan, 0}, xy{0, nan}, xy{HUGE_VAL, 0}, xy{0, -HUGE_VAL}, xy{1e300, 1e300}}) {
    CAPTURE(p.x_m, p.y_m);
    const lat_lon q = f.inverse(p);
    CHECK(std::isfinite(q.lat_deg()));
    CHECK(std::isfinite(q.lon_deg()));
    CHECK(std::fabs(q.lat_deg()) <= 90);
    CHECK(std::fabs(q.lon_deg()) <= 180);
  }
  // The poles map to the central meridian's end points and back.
  const xy north = f.forward(ll(90, 0));
  CHECK(std::fabs(north.x_m - f.false_easting_m()) < 1e-6);
  CHECK(f.inverse(north).lat_deg() == Approx(90).margin(1e-9));
}

TEST_CASE("planar distance is within 0.1% of the geodesic over Great Britain", "[frame]") {
  const std::uint64_t seed = 42;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat_d(49.8, 60.9), lon_d(-8.7, 1.8), az_d(-180, 180), dist_d(1, 50000);
  const tm_frame f;
  const auto& geod = GeographicLib::Geodesic::WGS84();
  double worst = 1, worst_lat = 0, worst_lon = 0;
  int pairs = 0;
  while (pairs < 100000) {
    const double lat1 = lat_d(rng), lon1 = lon_d(rng);
    const double az = az_d(rng), d = dist_d(rng);
    if (!in_gb(lat1, lon1) || lon1 < west_limit_for_0_1_percent_deg) continue;
    double lat2, lon2;
    geod.Direct(lat1, lon1, az, d, lat2, lon2);
    if (!in_gb(lat2, lon2) || lon2 < west_limit_for_0_1_percent_deg) continue;
    ++pairs;
    const double planar = distance_m(f.forward(ll(lat1, lon1)), f.forward(ll(lat2, lon2)));
    const double ratio = planar / geodesic_m(lat1, lon1, lat2, lon2);
    if (std::fabs(ratio - 1) > std::fabs(worst - 1)) {
      worst = ratio;
      worst_lat = lat1;
      worst_lon = lon1;
    }
    if (!(std::fabs(ratio - 1) < 1e-3)) {
      INFO("pair " << pairs << " from " << lat1 << "," << lon1 << " az " << az << " d " << d << " m: ratio "
                   << ratio);
      CHECK(std::fabs(ratio - 1) < 1e-3);
    }
  }
  std::printf("planar/geodesic over GB (seed %llu, %d pairs <= 50 km): worst ratio %.6f near %.3f,%.3f\n",
              static_cast<unsigned long long>(seed), pairs, worst, worst_lat, worst_lon);
  CHECK(std::fabs(worst - 1) < 1e-3);
}

TEST_CASE("scale error over Great Britain is under 0.1% except the far western isles", "[frame]") {
  const tm_frame f;
  const reference_tm ref(f);
  double max_err = 0, max_err_all = 0;
  for (double lat = 49.8; lat <= 60.9; lat += 0.02) {
    for (double lon = -8.7; lon <= 1.8; lon += 0.02) {
      if (!in_gb(lat, lon)) continue;
      const double err = std::fabs(f.scale_at(ll(lat, lon)) - 1);
      max_err_all = std::max(max_err_all, err);
      if (lon >= west_limit_for_0_1_percent_deg) max_err = std::max(max_err, err);
    }
  }
  // Barra Head and St Kilda: the frame's claim of < 0.1% does not hold there.
  const double barra_head = f.scale_at(ll(56.78, -7.65)), st_kilda = f.scale_at(ll(57.81, -8.57));
  std::printf("GB scale error: max %.5f%% east of 7.4W, %.5f%% over the outline; Barra Head %.5f%%, St Kilda %.5f%%\n",
              100 * max_err, 100 * max_err_all, 100 * (barra_head - 1), 100 * (st_kilda - 1));
  CHECK(max_err < 1e-3);
  CHECK(barra_head == Approx(ref.scale(56.78, -7.65)).epsilon(1e-12));
  CHECK(barra_head > 1.001);
}

TEST_CASE("scale_at(xy) from grid coordinates agrees with GeographicLib's point scale", "[frame]") {
  // Over a box around Great Britain and out to ~1,000 km from the central
  // meridian (UTM-like frames use 3 degrees either side; GB's frame 7).
  const tm_frame f;
  const reference_tm ref(f);
  double max_gb = 0, max_wide = 0;
  for (double lat = 49.0; lat <= 61.5; lat += 0.25) {
    for (double lon = -16.0; lon <= 12.0; lon += 0.25) {
      const double k_ref = ref.scale(lat, lon);
      const double err = std::fabs(f.scale_at(f.forward(ll(lat, lon))) / k_ref - 1);
      const double from_centre_m = std::fabs(f.forward(ll(lat, lon)).x_m - f.false_easting_m());
      if (from_centre_m <= 500000) {
        max_gb = std::max(max_gb, err);
        if (!(err < 2e-8)) {
          INFO("lat " << lat << " lon " << lon);
          CHECK(err < 2e-8);
        }
      }
      max_wide = std::max(max_wide, err);
    }
  }
  std::printf("scale_at(xy) vs GeographicLib: max rel err %.2e within 500 km of the meridian, %.2e to 16W..12E\n",
              max_gb, max_wide);
  CHECK(max_wide < 4e-7);
}

TEST_CASE("ellipsoid_distance_m is within 0.1% of the geodesic everywhere in GB, St Kilda included", "[frame]") {
  // A grid over the whole box of GB (sea included, so St Kilda, Rockall's
  // side of the Hebrides, Shetland's Muckle Flugga, Scilly and Lowestoft are
  // all inside it); from each node lines of 100 m to 50 km in 8 directions.
  const tm_frame f;
  const auto& geod = GeographicLib::Geodesic::WGS84();
  double worst = 0, worst_planar = 0, worst_lat = 0, worst_lon = 0, worst_az = 0, worst_d = 0;
  std::size_t lines = 0;
  auto check_line = [&](double lat1, double lon1, double az, double d) {
    double lat2, lon2;
    geod.Direct(lat1, lon1, az, d, lat2, lon2);
    const xy a = f.forward(ll(lat1, lon1)), b = f.forward(ll(lat2, lon2));
    const double geo = geodesic_m(lat1, lon1, lat2, lon2);
    const double rel = std::fabs(f.ellipsoid_distance_m(a, b) / geo - 1);
    worst_planar = std::max(worst_planar, std::fabs(distance_m(a, b) / geo - 1));
    ++lines;
    if (rel > worst) worst = rel, worst_lat = lat1, worst_lon = lon1, worst_az = az, worst_d = d;
    if (!(rel <= 1e-3)) {
      INFO("from " << lat1 << "," << lon1 << " az " << az << " d " << d << " m: rel err " << rel);
      CHECK(rel <= 1e-3);
    }
  };
  for (double lat = 49.8; lat <= 61.0 + 1e-9; lat += 0.1)
    for (double lon = -8.7; lon <= 1.9 + 1e-9; lon += 0.1)
      for (int k = 0; k < 8; ++k)
        for (const double d : {100.0, 5000.0, 50000.0}) check_line(lat, lon, -180 + 45 * k + 10, d);
  struct place {
    const char* name;
    double lat, lon;
  };
  const place places[] = {{"St Kilda", 57.81, -8.57},     {"Barra Head", 56.78, -7.65},
                          {"Muckle Flugga", 60.86, -0.89}, {"Scilly, St Agnes", 49.89, -6.34},
                          {"Lowestoft Ness", 52.48, 1.76}, {"Lizard Point", 49.96, -5.20}};
  for (const auto& p : places) {
    INFO(p.name);
    for (int k = 0; k < 360; k += 5)
      for (const double d : {1.0, 1000.0, 25000.0, 50000.0}) check_line(p.lat, p.lon, k, d);
  }
  std::printf("ellipsoid_distance_m vs GeographicLib geodesic over GB (%zu lines, 100 m..50 km): max rel err %.2e "
              "(from %.2f,%.2f az %.0f d %.0f m); raw planar over the same lines: %.4f%%\n",
              lines, worst, worst_lat, worst_lon, worst_az, worst_d, 100 * worst_planar);
  CHECK(worst <= 1e-3);
  // The method's own accuracy (arc-to-chord and Simpson terms, grid scale
  // factor): far inside the requirement (measured 3.0e-8); a larger value
  // means a broken scale or midpoint.
  CHECK(worst <= 1e-7);
  // Raw planar exceeds 0.1% over the same lines (St Kilda): what the
  // correction is for.
  CHECK(worst_planar > 1e-3);
}
