// warden/geo.hpp — positions: validated WGS84 degrees and projected metres.
//
// `lat_lon` is a WGS84 latitude/longitude in degrees that has been checked:
// finite, |lat| <= 90, |lon| <= 180. It can only be made through
// lat_lon::from_degrees, so a lat_lon in hand is always valid.
// `xy` is a point in a projected frame (warden/frame.hpp), in metres: x east
// (easting), y north (northing). The two do not convert implicitly; mixing
// them does not compile.
//
// geodesic_distance_m is the distance on the WGS84 ellipsoid (Karney's
// algorithm, accurate to well under a millimetre) and is what evidence
// reports. Planar distances in a frame are for decisions.
//
// Thread-safety: values and pure functions.
#pragma once

#include <warden/result.hpp>

#include <cmath>

namespace warden {

// Projected coordinates in metres.
struct xy {
  double x_m = 0;  // easting
  double y_m = 0;  // northing
  friend constexpr bool operator==(const xy&, const xy&) = default;
};

// Euclidean distance between projected points, metres.
inline double distance_m(xy a, xy b) noexcept { return std::hypot(a.x_m - b.x_m, a.y_m - b.y_m); }

class lat_lon {
 public:
  // Errors: not_finite, lat_out_of_range, lon_out_of_range.
  static result<lat_lon> from_degrees(double lat_deg, double lon_deg) noexcept {
    if (!std::isfinite(lat_deg) || !std::isfinite(lon_deg))
      return make_error(errc::not_finite, "latitude and longitude must be finite numbers");
    if (lat_deg < -90.0 || lat_deg > 90.0)
      return make_error(errc::lat_out_of_range, "latitude outside -90..90 degrees");
    if (lon_deg < -180.0 || lon_deg > 180.0)
      return make_error(errc::lon_out_of_range, "longitude outside -180..180 degrees");
    return lat_lon(lat_deg, lon_deg);
  }
  constexpr double lat_deg() const noexcept { return lat_; }
  constexpr double lon_deg() const noexcept { return lon_; }
  friend constexpr bool operator==(const lat_lon&, const lat_lon&) = default;

  // The origin (0, 0); exists so that containers of lat_lon can be sized.
  constexpr lat_lon() = default;

 private:
  constexpr lat_lon(double lat, double lon) noexcept : lat_(lat), lon_(lon) {}
  double lat_ = 0;
  double lon_ = 0;
};

// Geodesic distance on the WGS84 ellipsoid, metres.
double geodesic_distance_m(lat_lon a, lat_lon b) noexcept;
// Initial bearing from a to b along the geodesic, degrees clockwise from
// true north in [0, 360). Conventions follow GeographicLib: at a pole, north
// is the direction of a's meridian (lon_deg); for a == b the bearing is that
// of a degenerate meridian arc (180 north of the equator, 0 south).
double geodesic_bearing_deg(lat_lon a, lat_lon b) noexcept;

}  // namespace warden
