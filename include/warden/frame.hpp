// warden/frame.hpp — the transverse-Mercator frame in which all geometry is
// computed, in metres.
//
// The default frame uses the British National Grid projection parameters
// (true origin 49°N 2°W, central-meridian scale 0.9996012717, false easting
// 400,000 m, false northing -100,000 m) but on the WGS84 ellipsoid, so WGS84
// fixes project without a datum shift; its scale error over Great Britain is
// under 0.1%. Coordinates are therefore close to, but not equal to, OSGB36
// grid references. UTM zones and custom meridians are configuration.
//
// Accuracy: forward and inverse use Krüger's series (Karney 2011); the round
// trip is exact to well under 1 mm within 1,000 km of the central meridian.
//
// Thread-safety: a tm_frame is an immutable value; share it freely.
#pragma once

#include <warden/geo.hpp>
#include <warden/result.hpp>

#include <array>
#include <string>

namespace warden {

class tm_frame {
 public:
  // BNG parameters on WGS84 (the default frame).
  static tm_frame british_national_grid() noexcept;
  // UTM zone 1..60, northern or southern hemisphere. Errors: usage.
  static result<tm_frame> utm(int zone, bool north = true) noexcept;
  // Any transverse-Mercator frame on WGS84. Errors: usage (non-finite or
  // out-of-range parameters).
  static result<tm_frame> custom(double lat0_deg, double lon0_deg, double k0, double false_easting_m,
                                 double false_northing_m) noexcept;

  xy forward(lat_lon p) const noexcept;
  lat_lon inverse(xy p) const noexcept;
  // Point scale factor at p (1 at the standard lines); used to state error bounds.
  double scale_at(lat_lon p) const noexcept;

  double lat0_deg() const noexcept { return lat0_deg_; }
  double lon0_deg() const noexcept { return lon0_deg_; }
  double k0() const noexcept { return k0_; }
  double false_easting_m() const noexcept { return fe_; }
  double false_northing_m() const noexcept { return fn_; }
  // A short stable description, e.g. "tm(49,-2,0.9996012717,400000,-100000)".
  std::string describe() const;

  tm_frame() noexcept;  // == british_national_grid()

 private:
  void init(double lat0_deg, double lon0_deg, double k0, double fe, double fn) noexcept;
  double lat0_deg_, lon0_deg_, k0_, fe_, fn_;
  double lon0_rad_ = 0, a1_ = 0, y0_ = 0;  // scaled rectifying radius; northing of the origin
  std::array<double, 7> alpha_{}, beta_{};
};

}  // namespace warden
