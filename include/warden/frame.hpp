// warden/frame.hpp — the transverse-Mercator frame in which all geometry is
// computed, in metres.
//
// The default frame uses the British National Grid projection parameters
// (true origin 49°N 2°W, central-meridian scale 0.9996012717, false easting
// 400,000 m, false northing -100,000 m) but on the WGS84 ellipsoid
// (a = 6,378,137 m, f = 1/298.257223563), so WGS84 fixes project without a
// datum shift; coordinates are therefore close to, but not equal to, OSGB36
// grid references. Its scale error is under 0.1% everywhere in Great Britain
// east of 7.4°W; the far western isles exceed that (Barra Head 0.106%, St
// Kilda 0.147%; tests/frame_test.cpp), which is why ground distances come
// from ellipsoid_distance_m (scale-corrected, 3e-8) rather than from the
// raw planar distance_m. UTM zones and custom meridians are configuration.
//
// Accuracy: forward and inverse use Krüger's series to order n^6 (Karney
// 2011, "Transverse Mercator with an accuracy of a few nanometers"); within
// 3,900 km of the central meridian the series error is about 5 nm, and the
// forward -> inverse round trip is exact to a few nanometres (tests check
// both against GeographicLib). The mapping stays defined over the whole
// ellipsoid (longitudes more than 90° from the central meridian map to the
// "back side", beyond a quarter meridian in xi, as in GeographicLib), but
// accuracy degrades far from the central meridian: the points on the
// equator 90° from it map to infinity, and within about 10° of them the
// series no longer inverts.
//
// Units: latitudes/longitudes in degrees, x/y in metres, scale factors
// dimensionless. Domain: forward and scale_at accept every lat_lon (there is
// no boundary to respect); inverse accepts any xy.
//
// Thread-safety: a tm_frame is an immutable value; share it freely.
#pragma once

#include <warden/geo.hpp>
#include <warden/result.hpp>

#include <array>
#include <string>

namespace warden {

namespace detail {
// Order of Krüger's series (Karney 2011 gives the coefficients to n^8; n^6
// already leaves a series error of nanometres on WGS84).
inline constexpr int tm_order = 6;
// Terms of the power series of the conformal latitude in sin^2(phi) (see
// conformal_poly_): the next term is O(e^18) ~ 3e-20.
inline constexpr int tm_conformal_terms = 8;
}  // namespace detail

class tm_frame {
 public:
  // BNG parameters on WGS84 (the default frame).
  static tm_frame british_national_grid() noexcept;
  // UTM zone 1..60 (central meridian -183° + 6° * zone, scale 0.9996, false
  // easting 500,000 m, false northing 0 north or 10,000,000 m south).
  // Errors: usage (zone outside 1..60).
  static result<tm_frame> utm(int zone, bool north = true) noexcept;
  // Any transverse-Mercator frame on WGS84. Accepted: |lat0_deg| <= 90,
  // |lon0_deg| <= 180, 0.5 <= k0 <= 1.5, |false_easting_m| and
  // |false_northing_m| <= 1e8 m, all finite. Errors: usage.
  static result<tm_frame> custom(double lat0_deg, double lon0_deg, double k0, double false_easting_m,
                                 double false_northing_m) noexcept;

  // Projects p. On the engine's hot path: one sincos and a few dozen flops
  // within 8° of the central meridian (bench/frame_bench.cpp).
  xy forward(lat_lon p) const noexcept;
  // Unprojects p. Non-finite or absurdly distant input (beyond the
  // projection's image) yields lat_lon{} (0, 0) rather than NaN.
  lat_lon inverse(xy p) const noexcept;
  // Point scale factor at p (k0 on the central meridian, about 1 + (distance
  // from it / R)^2 / 2 times k0 off it): ratio of a short projected distance
  // to the true one; used to state error bounds.
  double scale_at(lat_lon p) const noexcept;
  // The same point scale factor from grid coordinates, without unprojecting:
  // k0 (1 + q/2 + q^2/24), q = ((x - false easting) / k0)^2 / (rho nu) with
  // the radii of curvature at the footpoint latitude (Redfearn; the
  // spherical cosh series with the ellipsoid's mean radius). Agrees with
  // scale_at(inverse(p)) to 2e-8 (relative) within 500 km of the central
  // meridian and 4e-7 within 1,000 km (tests/frame_test.cpp).
  double scale_at(xy p) const noexcept;

  // Distance on the WGS84 ellipsoid between two projected points, metres:
  // the planar (grid) distance divided by the line scale factor, i.e. the
  // point scale 1/k integrated along the line by Simpson's rule over both
  // ends and the midpoint (the "line scale factor" of the Ordnance Survey's
  // "A guide to coordinate systems in Great Britain").
  //
  // When to use it: for anything stated as a distance in metres on the
  // ground — evidence, closest approach, victim and crime radii checks
  // near the edges of the frame. Raw planar distance (distance_m) is off by
  // the scale error, -0.04% on the central meridian to +0.147% at St Kilda
  // in the default frame, fine for deciding which side of a polygon a point
  // lies but not for a radius of 100 m that must hold to the metre. It
  // agrees with the geodesic (Karney, GeographicLib) to 3e-8 relative for
  // lines up to 50 km anywhere in Great Britain, St Kilda, Shetland and
  // Scilly included (tests/frame_test.cpp), and costs three point scales
  // instead of two inverse projections and a geodesic
  // (bench/frame_bench.cpp).
  double ellipsoid_distance_m(xy a, xy b) const noexcept;

  double lat0_deg() const noexcept { return lat0_deg_; }
  double lon0_deg() const noexcept { return lon0_deg_; }
  double k0() const noexcept { return k0_; }
  double false_easting_m() const noexcept { return fe_; }
  double false_northing_m() const noexcept { return fn_; }
  // A short stable description, e.g. "tm(49,-2,0.9996012717,400000,-100000)":
  // each parameter in the shortest fixed notation that reads back exactly.
  std::string describe() const;

  tm_frame() noexcept;  // == british_national_grid()

 private:
  // Gauss-Krüger coordinates (xi, eta) in radians of the rectifying sphere.
  struct gauss_krueger {
    double xi;
    double eta;
  };
  void init(double lat0_deg, double lon0_deg, double k0, double fe, double fn) noexcept;
  gauss_krueger project(double lat_deg, double lon_deg) const noexcept;

  double lat0_deg_ = 0, lon0_deg_ = 0, k0_ = 0, fe_ = 0, fn_ = 0;
  double radius_m_ = 0;          // k0 * rectifying radius: metres per radian of xi / eta
  double northing_offset_m_ = 0; // false northing minus the origin's northing
  // Footpoint latitude from the rectifying latitude mu (radians):
  // phi' = mu + sum_j footpoint_[j] sin(2 j mu), j = 1..4.
  std::array<double, 5> footpoint_{};
  // tan(chi) cos(phi) = sin(phi) * (1 + sum_k conformal_poly_[k] sin^(2k)(phi)),
  // chi the conformal latitude: Karney's tau' = tau sqrt(1 + sigma^2) -
  // sigma sqrt(1 + tau^2), sigma = sinh(e atanh(e sin(phi))), expanded once in
  // init() so that no log, exp or sqrt is needed per point.
  std::array<double, detail::tm_conformal_terms> conformal_poly_{};
  std::array<double, detail::tm_order + 1> alpha_{}, beta_{};  // Krüger's series, index 1..order
};

}  // namespace warden
