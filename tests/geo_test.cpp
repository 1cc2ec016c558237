// Tests for warden/geo.hpp: lat_lon validation, and geodesic distance and
// bearing against GeographicLib's Geodesic::WGS84().Inverse.
#include <warden/geo.hpp>

#include <GeographicLib/Geodesic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

using namespace warden;

namespace {

lat_lon ll(double lat, double lon) { return lat_lon::from_degrees(lat, lon).value(); }

// Signed difference of two bearings, degrees in [-180, 180].
double bearing_diff_deg(double a, double b) { return std::remainder(a - b, 360.0); }

struct stats {
  double max_dist_err_m = 0;
  double max_bearing_err_m = 0;  // bearing error times distance: lateral miss at the far end
  int pairs = 0;
};

// Compares one pair with GeographicLib. Distance must agree to 0.1 mm; the
// bearing to 1e-9 degrees or to 0.1 mm of lateral offset at the far end
// (which is what matters for very short lines).
void compare(const char* category, std::uint64_t seed, int index, double lat1, double lon1, double lat2,
             double lon2, stats& st) {
  double s12, azi1, azi2;
  GeographicLib::Geodesic::WGS84().Inverse(lat1, lon1, lat2, lon2, s12, azi1, azi2);
  const lat_lon a = ll(lat1, lon1), b = ll(lat2, lon2);
  const double d = geodesic_distance_m(a, b);
  const double brg = geodesic_bearing_deg(a, b);
  const double dist_err = std::fabs(d - s12);
  const double daz = std::fabs(bearing_diff_deg(brg, azi1));
  const double lateral = daz * (3.14159265358979323846 / 180) * s12;
  st.max_dist_err_m = std::max(st.max_dist_err_m, dist_err);
  st.max_bearing_err_m = std::max(st.max_bearing_err_m, lateral);
  ++st.pairs;
  const bool ok = dist_err < 1e-4 && brg >= 0 && brg < 360 && (daz < 1e-9 || lateral < 1e-4);
  if (!ok) {
    INFO(category << " seed " << seed << " pair " << index << ": (" << lat1 << ", " << lon1 << ") -> (" << lat2
                  << ", " << lon2 << ")");
    INFO("ours " << d << " m, " << brg << " deg; GeographicLib " << s12 << " m, " << azi1 << " deg");
    CHECK(dist_err < 1e-4);
    CHECK(brg >= 0);
    CHECK(brg < 360);
    CHECK((daz < 1e-9 || lateral < 1e-4));
  }
}

}  // namespace

TEST_CASE("lat_lon::from_degrees rejects non-finite and out-of-range values", "[geo]") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  struct row {
    double lat, lon;
    errc code;
  };
  const row rows[] = {
      {nan, 0, errc::not_finite},         {0, nan, errc::not_finite},          {inf, 0, errc::not_finite},
      {0, -inf, errc::not_finite},        {-inf, inf, errc::not_finite},       {nan, 500, errc::not_finite},
      {90.0000001, 0, errc::lat_out_of_range}, {-90.5, 0, errc::lat_out_of_range}, {1e300, 0, errc::lat_out_of_range},
      {0, 180.0000001, errc::lon_out_of_range}, {0, -181, errc::lon_out_of_range}, {45, 360, errc::lon_out_of_range},
      {91, 181, errc::lat_out_of_range},
  };
  for (const row& r : rows) {
    INFO("from_degrees(" << r.lat << ", " << r.lon << ")");
    auto p = lat_lon::from_degrees(r.lat, r.lon);
    REQUIRE(!p.ok());
    CHECK(p.code() == r.code);
    CHECK(!p.err().message.empty());
  }
  for (auto [lat, lon] : {std::pair{90.0, 180.0}, {-90.0, -180.0}, {0.0, 0.0}, {51.5, -0.12}}) {
    auto p = lat_lon::from_degrees(lat, lon);
    REQUIRE(p.ok());
    CHECK(p->lat_deg() == lat);
    CHECK(p->lon_deg() == lon);
  }
}

TEST_CASE("geodesic distance matches published WGS84 values", "[geo]") {
  // Quarter meridian of WGS84 (Karney 2013, table 1): 10,001,965.729 m.
  CHECK(geodesic_distance_m(ll(0, 10), ll(90, 10)) == Approx(10001965.7293).margin(1e-4));
  // Along the equator, 1 degree is a * pi / 180 exactly.
  CHECK(geodesic_distance_m(ll(0, 0), ll(0, 1)) == Approx(6378137.0 * 3.14159265358979323846 / 180).margin(1e-6));
  CHECK(geodesic_bearing_deg(ll(0, 0), ll(0, 1)) == Approx(90).margin(1e-12));
  CHECK(geodesic_bearing_deg(ll(0, 1), ll(0, 0)) == Approx(270).margin(1e-12));
  CHECK(geodesic_bearing_deg(ll(10, 5), ll(20, 5)) == 0.0);
  CHECK(geodesic_bearing_deg(ll(20, 5), ll(10, 5)) == 180.0);
  CHECK(geodesic_distance_m(ll(51.5, -0.1), ll(51.5, -0.1)) == 0.0);
}

TEST_CASE("geodesic distance and bearing agree with GeographicLib", "[geo]") {
  const std::uint64_t seed = 7;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1), lon_d(-180, 180), az_d(-180, 180);
  const auto& geod = GeographicLib::Geodesic::WGS84();
  // Uniform on the sphere, so the poles are not over-weighted.
  auto random_lat = [&] { return std::asin(2 * u(rng) - 1) * 180 / 3.14159265358979323846; };
  auto clamp_lon = [](double lon) { return std::remainder(lon, 360.0); };
  stats all;
  auto run = [&](const char* category, int count, auto make_pair) {
    stats st;
    for (int i = 0; i < count; ++i) {
      double lat1, lon1, lat2, lon2;
      make_pair(lat1, lon1, lat2, lon2);
      compare(category, seed, i, lat1, lon1, lat2, clamp_lon(lon2), st);
    }
    std::printf("%-22s %6d pairs: max distance difference %.3g m, max bearing difference x distance %.3g m\n",
                category, st.pairs, st.max_dist_err_m, st.max_bearing_err_m);
    all.max_dist_err_m = std::max(all.max_dist_err_m, st.max_dist_err_m);
    all.max_bearing_err_m = std::max(all.max_bearing_err_m, st.max_bearing_err_m);
    all.pairs += st.pairs;
  };
  // From a random point, a random azimuth and a distance drawn from [lo, hi] metres.
  auto direct_pairs = [&](double lo_m, double hi_m) {
    return [&, lo_m, hi_m](double& lat1, double& lon1, double& lat2, double& lon2) {
      lat1 = random_lat();
      lon1 = lon_d(rng);
      const double d = lo_m * std::pow(hi_m / lo_m, u(rng));  // log-uniform
      geod.Direct(lat1, lon1, az_d(rng), d, lat2, lon2);
    };
  };

  run("short (1 cm - 10 m)", 20000, direct_pairs(0.01, 10));
  run("medium (10 m - 1000 km)", 20000, direct_pairs(10, 1e6));
  run("long (1000 - 20000 km)", 20000, direct_pairs(1e6, 2e7));
  run("any two points", 20000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    lat1 = random_lat();
    lon1 = lon_d(rng);
    lat2 = random_lat();
    lon2 = lon_d(rng);
  });
  run("nearly antipodal", 20000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    lat1 = random_lat();
    lon1 = lon_d(rng);
    const double scale = std::pow(10.0, -6 * u(rng));  // up to 1 degree off the antipode
    lat2 = std::clamp(-lat1 + scale * (2 * u(rng) - 1), -90.0, 90.0);
    lon2 = lon1 + 180 + scale * (2 * u(rng) - 1);
  });
  run("exactly antipodal", 2000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    lat1 = std::round(random_lat() * 8) / 8;  // representable, so -lat1 is exact
    lon1 = std::round(lon_d(rng) * 8) / 8;
    lat2 = -lat1;
    lon2 = lon1 + 180;
  });
  run("poles", 5000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    const double r = u(rng);
    lat1 = r < 0.5 ? 90 : -90;
    lon1 = lon_d(rng);
    lat2 = r < 0.25 ? random_lat() : (r < 0.75 ? (u(rng) < 0.5 ? 90 : -90) : 90 - u(rng) * 1e-6);
    lon2 = lon_d(rng);
  });
  run("antimeridian crossing", 20000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    lat1 = random_lat();
    lon1 = 180 - u(rng) * 2;
    lat2 = lat1 + (2 * u(rng) - 1);
    lat2 = std::clamp(lat2, -90.0, 90.0);
    lon2 = -180 + u(rng) * 2;
    if (u(rng) < 0.1) lon1 = 180;
    if (u(rng) < 0.1) lon2 = -180;
  });
  run("equator and meridians", 10000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    if (u(rng) < 0.5) {
      lat1 = lat2 = 0;
      lon1 = lon_d(rng);
      lon2 = lon_d(rng);
    } else {
      lat1 = random_lat();
      lat2 = random_lat();
      lon1 = lon_d(rng);
      lon2 = u(rng) < 0.5 ? lon1 : lon1 + 180;
    }
  });
  run("same point", 5000, [&](double& lat1, double& lon1, double& lat2, double& lon2) {
    lat2 = lat1 = random_lat();
    lon2 = lon1 = lon_d(rng);
  });
  std::printf("all %d pairs: max distance difference %.3g m, max bearing difference x distance %.3g m\n",
              all.pairs, all.max_dist_err_m, all.max_bearing_err_m);
  // The contract is 0.1 mm (checked pair by pair). Both sides implement
  // Karney's algorithm, accurate to ~15 nm, so anything beyond 100 nm means a
  // coefficient or a branch is wrong even while inside the contract.
  CHECK(all.max_dist_err_m < 1e-7);
  CHECK(all.max_bearing_err_m < 1e-6);
}

TEST_CASE("geodesic distance is symmetric and zero only for the same point", "[geo]") {
  const std::uint64_t seed = 99;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat_d(-90, 90), lon_d(-180, 180);
  for (int i = 0; i < 2000; ++i) {
    const lat_lon a = ll(lat_d(rng), lon_d(rng)), b = ll(lat_d(rng), lon_d(rng));
    CAPTURE(i, a.lat_deg(), a.lon_deg(), b.lat_deg(), b.lon_deg());
    CHECK(geodesic_distance_m(a, b) == Approx(geodesic_distance_m(b, a)).margin(1e-8));
    CHECK(geodesic_distance_m(a, a) == 0.0);
    CHECK(geodesic_distance_m(a, b) > 0.0);
    const double brg = geodesic_bearing_deg(a, b);
    CHECK(brg >= 0);
    CHECK(brg < 360);
  }
}
