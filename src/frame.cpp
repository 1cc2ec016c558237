// Transverse Mercator on WGS84 (warden/frame.hpp).
//
// Method and coefficients: C. F. F. Karney, "Transverse Mercator with an
// accuracy of a few nanometers", J. Geodesy 85, 475-485 (2011): Krüger's
// alpha and beta series to n^6, and Newton's method for the latitude from
// the conformal latitude.
#include <warden/frame.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace warden {
namespace {

constexpr double wgs84_a_m = 6378137.0;
constexpr double wgs84_f = 1.0 / 298.257223563;
constexpr double pi = 3.14159265358979323846;
constexpr double deg = pi / 180.0;
constexpr double e2 = wgs84_f * (2.0 - wgs84_f);
constexpr double e2m = 1.0 - e2;
constexpr double third_flattening = wgs84_f / (2.0 - wgs84_f);

// |lon - lon0| up to which project() uses power series instead of library
// transcendentals; its truncation bounds are stated for this value
// (|lam| <= 0.1397 rad).
constexpr double fast_lam_deg = 8.0;

// c[0] + c[1] u + ... + c[7] u^7 by Estrin's scheme (shorter dependency
// chains than Horner; the terms here fall off fast, so rounding is the same).
double poly8(const double* c, double u) noexcept {
  const double u2 = u * u, u4 = u2 * u2;
  return ((c[0] + c[1] * u) + u2 * (c[2] + c[3] * u)) + u4 * ((c[4] + c[5] * u) + u2 * (c[6] + c[7] * u));
}

double normalize_lon_deg(double lon_deg) noexcept {
  if (lon_deg > 180.0) return lon_deg - 360.0;
  if (lon_deg < -180.0) return lon_deg + 360.0;
  return lon_deg;
}

// Truncated power series in u = sin^2(phi), for expanding the conformal
// latitude once per frame.
using series = std::array<double, detail::tm_conformal_terms>;

series series_mul(const series& a, const series& b) noexcept {
  series c{};
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = 0; i + j < c.size(); ++j) c[i + j] += a[i] * b[j];
  return c;
}

series series_shift(const series& a) noexcept {  // u * a
  series c{};
  for (std::size_t i = 1; i < c.size(); ++i) c[i] = a[i - 1];
  return c;
}

// Coefficients of R(u) - 1 where tan(chi) cos(phi) = sin(phi) R(sin^2 phi):
// with w = e atanh(e s) = s A(u), sigma = sinh(w) = s B(u) and
// R = sqrt(1 + u B^2) - B (Karney's tau' multiplied by cos(phi)).
series conformal_series() noexcept {
  series a{}, unit{};
  unit[0] = 1;
  double e2k = e2;
  for (std::size_t k = 0; k < a.size(); ++k) {
    a[k] = e2k / static_cast<double>(2 * k + 1);
    e2k *= e2;
  }
  const series a2 = series_mul(a, a);
  series b{}, a_odd = a, u_pow = unit;
  double factorial = 1;  // (2j+1)!
  for (std::size_t j = 0; j < b.size(); ++j) {
    const series term = series_mul(u_pow, a_odd);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] += term[k] / factorial;
    a_odd = series_mul(a_odd, a2);
    u_pow = series_shift(u_pow);
    factorial *= static_cast<double>((2 * j + 2) * (2 * j + 3));
  }
  const series v = series_shift(series_mul(b, b));
  series root{};  // sqrt(1 + v) - 1
  series v_pow = unit;
  double binom = 1;  // binomial(1/2, k)
  for (std::size_t k = 1; k < root.size(); ++k) {
    v_pow = series_mul(v_pow, v);
    binom *= (0.5 - static_cast<double>(k - 1)) / static_cast<double>(k);
    for (std::size_t i = 0; i < root.size(); ++i) root[i] += binom * v_pow[i];
  }
  series rm1{};
  for (std::size_t i = 0; i < rm1.size(); ++i) rm1[i] = root[i] - b[i];
  return rm1;
}

void append_number(std::string& out, double v) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

}  // namespace

// The forward map, following Karney (2011) but written in terms
// of (sin, cos) pairs: the conformal latitude tau' = tan(chi) is carried as
// T = tau' * cos(phi), and the sines and cosines of 2 xi', 2 eta' come from T
// algebraically. Within fast_lam_deg of the central meridian (all
// of Great Britain in the default frame, every UTM zone in its own) the
// remaining transcendentals are replaced by short power series that are exact
// to rounding there, leaving one sincos per projection; further out the
// library functions are used.
tm_frame::gauss_krueger tm_frame::project(double lat_deg, double lon_deg) const noexcept {
  using std::sqrt;
  double lam_deg = lon_deg - lon0_deg_;
  if (lam_deg > 180.0)
    lam_deg -= 360.0;
  else if (lam_deg <= -180.0)
    lam_deg += 360.0;
  const double phi = lat_deg * deg;
  const double s = std::sin(phi), c = std::cos(phi);

  const double rm1 = poly8(conformal_poly_.data(), s * s);
  const double t = s * (1.0 + rm1);  // tau' * cos(phi)
  const double t2 = t * t;

  double sl, cl, xip, etap;
  bool back = false;
  if (std::fabs(lam_deg) <= fast_lam_deg) {
    const double lam = lam_deg * deg;
    const double l2 = lam * lam;
    // Taylor series; first omitted terms lam^13/13! and lam^14/14! < 1e-20.
    sl = lam * (1.0 + l2 * (-1.0 / 6.0 + l2 * (1.0 / 120.0 + l2 * (-1.0 / 5040.0 + l2 * (1.0 / 362880.0 +
                                                                                         l2 * (-1.0 / 39916800.0))))));
    const double one_m_cl =
        l2 * (1.0 / 2.0 + l2 * (-1.0 / 24.0 + l2 * (1.0 / 720.0 + l2 * (-1.0 / 40320.0 + l2 * (1.0 / 3628800.0 +
                                                                                         l2 * (-1.0 / 479001600.0))))));
    cl = 1.0 - one_m_cl;
    // xi' - phi = atan(cos(phi) (T - sin(phi) cos(lam)) / (cos^2(phi) cos(lam) + T sin(phi))),
    // with |argument| < 0.0034 here, so its atan series to x^9 is exact (next term < 1e-28).
    const double num = c * s * (rm1 + one_m_cl);
    const double den = c * c * cl + t * s;
    const double x = num / den, x2 = x * x;
    xip = phi + x * (1.0 - x2 * (1.0 / 3.0 - x2 * (1.0 / 5.0 - x2 * (1.0 / 7.0 - x2 * (1.0 / 9.0)))));
    // eta' = atanh(cos(chi) sin(lam)), |z| <= sin(8 deg) < 0.14: the series
    // to z^17 leaves z^19 / 19 < 3e-18.
    static constexpr double atanh_c[8] = {1.0,        1.0 / 3.0,  1.0 / 5.0,  1.0 / 7.0,
                                          1.0 / 9.0,  1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0};
    const double z = c * sl / sqrt(t2 + c * c), z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    etap = z * (poly8(atanh_c, z2) + (z8 * z8) * (1.0 / 17.0));
  } else {
    // More than 90° from the central meridian: fold onto the front (eta keeps
    // its sign, xi becomes pi - xi), exactly as GeographicLib does.
    back = std::fabs(lam_deg) > 90.0;
    if (back) lam_deg = std::copysign(180.0, lam_deg) - lam_deg;
    const double lam = lam_deg * deg;
    sl = std::sin(lam);
    cl = std::cos(lam);
    xip = std::atan2(t, c * cl);
    etap = std::asinh(c * sl / sqrt(t2 + c * cl * (c * cl)));
  }

  const double ccl = c * cl, csl = c * sl;
  const double inv_d2 = 1.0 / (t2 + ccl * ccl);
  const double s2x = 2.0 * t * ccl * inv_d2;                  // sin(2 xi')
  const double c2x = (ccl * ccl - t2) * inv_d2;               // cos(2 xi')
  const double sh2e = 2.0 * csl * sqrt(t2 + c * c) * inv_d2;  // sinh(2 eta')
  const double ch2e = (t2 + c * c + csl * csl) * inv_d2;      // cosh(2 eta')

  // zeta = zeta' + sum alpha_j sin(2 j zeta'), by complex Clenshaw summation.
  const double ar = 2.0 * c2x * ch2e, ai = -2.0 * s2x * sh2e;  // 2 cos(2 zeta')
  double yr0 = alpha_[detail::tm_order], yi0 = 0, yr1 = 0, yi1 = 0;
  for (int j = detail::tm_order - 1; j >= 1; --j) {
    const double yr = ar * yr0 - ai * yi0 - yr1 + alpha_[j];
    const double yi = ai * yr0 + ar * yi0 - yi1;
    yr1 = yr0;
    yi1 = yi0;
    yr0 = yr;
    yi0 = yi;
  }
  const double sr = s2x * ch2e, si = c2x * sh2e;  // sin(2 zeta')
  double xi = xip + (sr * yr0 - si * yi0);
  const double eta = etap + (si * yr0 + sr * yi0);
  if (back) xi = std::copysign(pi, lat_deg == 0.0 ? -1.0 : lat_deg) - xi;
  return {xi, eta};
}

xy tm_frame::forward(lat_lon p) const noexcept {
  const gauss_krueger g = project(p.lat_deg(), p.lon_deg());
  return xy{fe_ + radius_m_ * g.eta, northing_offset_m_ + radius_m_ * g.xi};
}

void tm_frame::init(double lat0_deg, double lon0_deg, double k0, double fe, double fn) noexcept {
  lat0_deg_ = lat0_deg;
  lon0_deg_ = lon0_deg;
  k0_ = k0;
  fe_ = fe;
  fn_ = fn;

  conformal_poly_ = conformal_series();

  const double n = third_flattening;
  const double n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
  alpha_[0] = beta_[0] = 0;
  alpha_[1] = n / 2 - n2 * 2 / 3 + n3 * 5 / 16 + n4 * 41 / 180 - n5 * 127 / 288 + n6 * 7891 / 37800;
  alpha_[2] = n2 * 13 / 48 - n3 * 3 / 5 + n4 * 557 / 1440 + n5 * 281 / 630 - n6 * 1983433 / 1935360;
  alpha_[3] = n3 * 61 / 240 - n4 * 103 / 140 + n5 * 15061 / 26880 + n6 * 167603 / 181440;
  alpha_[4] = n4 * 49561 / 161280 - n5 * 179 / 168 + n6 * 6601661 / 7257600;
  alpha_[5] = n5 * 34729 / 80640 - n6 * 3418889 / 1995840;
  alpha_[6] = n6 * 212378941 / 319334400;
  beta_[1] = n / 2 - n2 * 2 / 3 + n3 * 37 / 96 - n4 / 360 - n5 * 81 / 512 + n6 * 96199 / 604800;
  beta_[2] = n2 / 48 + n3 / 15 - n4 * 437 / 1440 + n5 * 46 / 105 - n6 * 1118711 / 3870720;
  beta_[3] = n3 * 17 / 480 - n4 * 37 / 840 - n5 * 209 / 4480 + n6 * 5569 / 90720;
  beta_[4] = n4 * 4397 / 161280 - n5 * 11 / 504 - n6 * 830251 / 7257600;
  beta_[5] = n5 * 4583 / 161280 - n6 * 108847 / 3991680;
  beta_[6] = n6 * 20648693 / 638668800;

  // Rectifying radius A, scaled by k0.
  const double rectifying_radius_m = wgs84_a_m / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
  radius_m_ = k0 * rectifying_radius_m;
  // Footpoint latitude series (inverse of the meridian arc; Helmert / Snyder 3-26).
  footpoint_ = {0, 3 * n / 2 - 27 * n * n2 / 32, 21 * n2 / 16 - 55 * n4 / 32, 151 * n * n2 / 96, 1097 * n4 / 512};
  northing_offset_m_ = fn - radius_m_ * project(lat0_deg, lon0_deg).xi;
}

tm_frame::tm_frame() noexcept { init(49.0, -2.0, 0.9996012717, 400000.0, -100000.0); }

tm_frame tm_frame::british_national_grid() noexcept { return tm_frame(); }

result<tm_frame> tm_frame::utm(int zone, bool north) noexcept {
  if (zone < 1 || zone > 60)
    return make_error(errc::usage, "UTM zone " + std::to_string(zone) + " outside 1..60");
  tm_frame f;
  f.init(0.0, -183.0 + 6.0 * zone, 0.9996, 500000.0, north ? 0.0 : 10000000.0);
  return f;
}

result<tm_frame> tm_frame::custom(double lat0_deg, double lon0_deg, double k0, double false_easting_m,
                                  double false_northing_m) noexcept {
  if (!std::isfinite(lat0_deg) || !std::isfinite(lon0_deg) || !std::isfinite(k0) ||
      !std::isfinite(false_easting_m) || !std::isfinite(false_northing_m))
    return make_error(errc::usage, "frame parameters must be finite numbers");
  if (std::fabs(lat0_deg) > 90.0) return make_error(errc::usage, "frame origin latitude outside -90..90 degrees");
  if (std::fabs(lon0_deg) > 180.0)
    return make_error(errc::usage, "frame central meridian outside -180..180 degrees");
  // A scale far from 1 is a unit or typing mistake, not a real TM frame.
  if (!(k0 >= 0.5 && k0 <= 1.5)) return make_error(errc::usage, "frame scale factor k0 outside 0.5..1.5");
  constexpr double max_offset_m = 1e8;
  if (std::fabs(false_easting_m) > max_offset_m || std::fabs(false_northing_m) > max_offset_m)
    return make_error(errc::usage, "frame false easting / northing beyond 1e8 m");
  tm_frame f;
  f.init(lat0_deg, lon0_deg, k0, false_easting_m, false_northing_m);
  return f;
}

lat_lon tm_frame::inverse(xy p) const noexcept {
  double xi = (p.y_m - northing_offset_m_) / radius_m_;
  const double eta = (p.x_m - fe_) / radius_m_;
  const bool back = std::fabs(xi) > pi / 2;
  if (back) xi = std::copysign(pi, xi) - xi;

  // zeta' = zeta - sum beta_j sin(2 j zeta): the reverted Krüger series.
  const double s2x = std::sin(2 * xi), c2x = std::cos(2 * xi);
  const double ex = std::exp(2 * eta), emx = 1 / ex;
  const double sh2e = (ex - emx) / 2, ch2e = (ex + emx) / 2;
  const double ar = 2 * c2x * ch2e, ai = -2 * s2x * sh2e;
  double yr0 = beta_[detail::tm_order], yi0 = 0, yr1 = 0, yi1 = 0;
  for (int j = detail::tm_order - 1; j >= 1; --j) {
    const double yr = ar * yr0 - ai * yi0 - yr1 + beta_[j];
    const double yi = ai * yr0 + ar * yi0 - yi1;
    yr1 = yr0;
    yi1 = yi0;
    yr0 = yr;
    yi0 = yi;
  }
  const double sr = s2x * ch2e, si = c2x * sh2e;
  const double xip = xi - (sr * yr0 - si * yi0);
  const double etap = eta - (si * yr0 + sr * yi0);

  // Gauss-Schreiber (xi', eta') back to conformal latitude and longitude.
  const double shp = std::sinh(etap), sxp = std::sin(xip), cxp = std::cos(xip);
  const double r = std::hypot(shp, cxp);
  const double taup = sxp / r;
  double lam_deg = std::atan2(shp, cxp) / deg;

  // Newton's method for tau = tan(phi) from tau'; converges in
  // two or three steps for any latitude.
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon()) / 10;
  double tau = taup / e2m;
  for (int i = 0; i < 5; ++i) {
    const double sec = std::hypot(1.0, tau);
    const double s = tau / sec;
    const double taupa = tau * (1 + poly8(conformal_poly_.data(), s * s));
    const double dtau = (taup - taupa) * (1 + e2m * tau * tau) / (e2m * sec * std::hypot(1.0, taupa));
    tau += dtau;
    if (!(std::fabs(dtau) >= tol * std::fmax(1.0, std::fabs(tau)))) break;
  }
  double lat_deg = std::atan(tau) / deg;
  if (back) lam_deg = std::copysign(180.0, lam_deg) - lam_deg;
  const double lon_deg = normalize_lon_deg(lon0_deg_ + lam_deg);
  if (!std::isfinite(lat_deg) || !std::isfinite(lon_deg)) return lat_lon{};
  lat_deg = std::fmin(90.0, std::fmax(-90.0, lat_deg));
  auto ll = lat_lon::from_degrees(lat_deg, lon_deg);
  return ll ? *ll : lat_lon{};
}

double tm_frame::scale_at(lat_lon p) const noexcept {
  // k = k0 * b1 * sqrt(1 - e^2 sin^2 phi) / hypot(T, cos(phi) cos(lam)) *
  //     |d zeta / d zeta'| (Karney 2011, in the T = tau' cos(phi) form of project()).
  double lam_deg = p.lon_deg() - lon0_deg_;
  if (lam_deg > 180.0)
    lam_deg -= 360.0;
  else if (lam_deg <= -180.0)
    lam_deg += 360.0;
  if (std::fabs(lam_deg) > 90.0) lam_deg = std::copysign(180.0, lam_deg) - lam_deg;
  const double phi = p.lat_deg() * deg, lam = lam_deg * deg;
  const double s = std::sin(phi), c = std::cos(phi), sl = std::sin(lam), cl = std::cos(lam);
  const double t = s * (1 + poly8(conformal_poly_.data(), s * s));
  const double ccl = c * cl, csl = c * sl, t2 = t * t;
  const double d2 = t2 + ccl * ccl;
  const double s2x = 2 * t * ccl / d2, c2x = (ccl * ccl - t2) / d2;
  const double sh2e = 2 * csl * std::sqrt(t2 + c * c) / d2, ch2e = (t2 + c * c + csl * csl) / d2;
  // d zeta / d zeta' = 1 + sum 2 j alpha_j cos(2 j zeta'), complex Clenshaw.
  const double ar = 2 * c2x * ch2e, ai = -2 * s2x * sh2e;
  double yr0 = 2 * detail::tm_order * alpha_[detail::tm_order], yi0 = 0, yr1 = 0, yi1 = 0;
  for (int j = detail::tm_order - 1; j >= 1; --j) {
    const double yr = ar * yr0 - ai * yi0 - yr1 + 2 * j * alpha_[j];
    const double yi = ai * yr0 + ar * yi0 - yi1;
    yr1 = yr0;
    yi1 = yi0;
    yr0 = yr;
    yi0 = yi;
  }
  const double cr = ar / 2, ci = ai / 2;  // cos(2 zeta')
  const double dr = 1 - yr1 + (cr * yr0 - ci * yi0);
  const double di = -yi1 + (ci * yr0 + cr * yi0);
  return radius_m_ / wgs84_a_m * std::sqrt(1 - e2 * s * s) / std::sqrt(d2) * std::hypot(dr, di);
}

double tm_frame::scale_at(xy p) const noexcept {
  const double mu = (p.y_m - northing_offset_m_) / radius_m_;
  const double s2 = std::sin(2 * mu), c2 = std::cos(2 * mu);
  // sin(2j mu) by the recurrence sin(2(j+1)mu) = 2 cos(2mu) sin(2j mu) - sin(2(j-1)mu).
  const double s4 = 2 * c2 * s2, s6 = 2 * c2 * s4 - s2, s8 = 2 * c2 * s6 - s4;
  const double phi = mu + footpoint_[1] * s2 + footpoint_[2] * s4 + footpoint_[3] * s6 + footpoint_[4] * s8;
  const double sp = std::sin(phi);
  const double w = 1 - e2 * sp * sp;
  // rho nu = a^2 (1 - e^2) / w^2
  const double x = (p.x_m - fe_) / k0_;
  const double q = x * x * w * w / (wgs84_a_m * wgs84_a_m * e2m);
  return k0_ * (1 + q * (0.5 + q / 24));
}

double tm_frame::ellipsoid_distance_m(xy a, xy b) const noexcept {
  const xy m{0.5 * (a.x_m + b.x_m), 0.5 * (a.y_m + b.y_m)};
  const double inv_k = (1 / scale_at(a) + 4 / scale_at(m) + 1 / scale_at(b)) / 6;
  return distance_m(a, b) * inv_k;
}

std::string tm_frame::describe() const {
  std::string out = "tm(";
  append_number(out, lat0_deg_);
  out += ',';
  append_number(out, lon0_deg_);
  out += ',';
  append_number(out, k0_);
  out += ',';
  append_number(out, fe_);
  out += ',';
  append_number(out, fn_);
  out += ')';
  return out;
}

}  // namespace warden
