// Geodesic distance and initial bearing on WGS84 (warden/geo.hpp).
//
// Method: C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55
// (2013), and its addenda: the inverse problem is solved on the auxiliary
// sphere with its series to order 6 in eps and n, Newton's method on the
// azimuth at the first point, and the astroid starting guess for nearly
// antipodal points, so that it converges for every pair of points, unlike
// Vincenty's method. The error is about 15 nm on WGS84 for any pair; the
// tests agree with GeographicLib to a few nanometres.
#include <warden/geo.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace warden {
namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double deg = pi / 180;
constexpr double a = 6378137.0;
constexpr double f = 1 / 298.257223563;
constexpr double f1 = 1 - f;
constexpr double e2 = f * (2 - f);
constexpr double ep2 = e2 / (f1 * f1);
constexpr double n = f / (2 - f);
constexpr double b = a * f1;

constexpr double epsilon = std::numeric_limits<double>::epsilon();
constexpr double tiny = 0x1p-511;  // sqrt(DBL_MIN): keeps cos(beta) positive at the poles
constexpr double tol0 = epsilon;
constexpr double tol1 = 200 * tol0;
constexpr double tol2 = 0x1p-26;  // sqrt(epsilon)
constexpr double tolb = tol0;
constexpr double xthresh = 1000 * tol2;
constexpr int maxit1 = 20;
constexpr int maxit2 = maxit1 + std::numeric_limits<double>::digits + 10;

constexpr double const_sqrt(double x) {
  double r = x < 1 ? 1 : x;
  for (int i = 0; i < 64; ++i) r = 0.5 * (r + x / r);
  return r;
}
// Below this arc length the spherical solution with a mean radius is exact
// to rounding (Karney's etol2, with f > 0.001 for WGS84).
constexpr double etol2 = 0.1 * tol2 / const_sqrt(f * (1 - f / 2) / 2);

constexpr int order = 6;

// A3 = sum_j a3[j] eps^j, the coefficients polynomials in n.
constexpr double a3[order] = {
    1.0,
    -(1.0 / 2 - n / 2),
    -(1.0 / 4 + n / 8 - 3 * n * n / 8),
    -(1.0 / 16 + 3 * n / 16 + n * n / 16),
    -(3.0 / 64 + n / 32),
    -3.0 / 128,
};

// C3[l] = sum_j c3[l][j] eps^j, l = 1..5, j = l..5.
constexpr double c3[order][order] = {
    {},
    {0, 1.0 / 4 - n / 4, 1.0 / 8 - n * n / 8, 3.0 / 64 + 3 * n / 64 - n * n / 64, 5.0 / 128 + n / 64, 3.0 / 128},
    {0, 0, 1.0 / 16 - 3 * n / 32 + n * n / 32, 3.0 / 64 - n / 32 - 3 * n * n / 64, 3.0 / 128 + n / 128, 5.0 / 256},
    {0, 0, 0, 5.0 / 192 - 3 * n / 64 + 5 * n * n / 192, 3.0 / 128 - 5 * n / 192, 7.0 / 512},
    {0, 0, 0, 0, 7.0 / 512 - 7 * n / 256, 7.0 / 512},
    {0, 0, 0, 0, 0, 21.0 / 2560},
};

constexpr double sq(double x) noexcept { return x * x; }

void norm2(double& s, double& c) noexcept {
  const double r = std::hypot(s, c);
  s /= r;
  c /= r;
}

// u + v = s + t exactly (Knuth's two-sum).
double two_sum(double u, double v, double& t) noexcept {
  const double s = u + v;
  double up = s - v;
  double vpp = s - up;
  up -= u;
  vpp -= v;
  t = s != 0 ? 0 - (up + vpp) : s;
  return s;
}

// Rounds tiny angles to 0 (and keeps representable ones) so that points
// within about 1e-17 degrees of the equator are treated as on it.
double ang_round(double x) noexcept {
  constexpr double z = 1.0 / 16;
  double y = std::fabs(x);
  const double w = z - y;
  y = w > 0 ? z - w : y;
  return std::copysign(y, x);
}

// lon2 - lon1 reduced to [-180, 180], with its rounding error in e.
double ang_diff(double lon1, double lon2, double& e) noexcept {
  double t;
  double d = two_sum(std::remainder(-lon1, 360.0), std::remainder(lon2, 360.0), t);
  d = two_sum(std::remainder(d, 360.0), t, t);
  if (d == 0 || std::fabs(d) == 180) d = std::copysign(d, t == 0 ? lon2 - lon1 : -t);
  e = t;
  return d;
}

// sin and cos of (x + t) degrees, reducing x exactly to [-45, 45] first.
void sincos_deg(double x, double t, double& sinx, double& cosx) noexcept {
  int q = 0;
  double r = std::remquo(x, 90.0, &q);
  r = ang_round(r + t) * deg;
  const double s = std::sin(r), c = std::cos(r);
  switch (static_cast<unsigned>(q) & 3U) {
    case 0U: sinx = s; cosx = c; break;
    case 1U: sinx = c; cosx = -s; break;
    case 2U: sinx = -s; cosx = -c; break;
    default: sinx = -c; cosx = s; break;
  }
  cosx += 0;
  if (sinx == 0) sinx = std::copysign(sinx, x);
}

// atan2 in degrees, computed in [-45, 45] and mapped to the quadrant.
double atan2_deg(double y, double x) noexcept {
  int q = 0;
  if (std::fabs(y) > std::fabs(x)) {
    std::swap(x, y);
    q = 2;
  }
  if (std::signbit(x)) {
    x = -x;
    ++q;
  }
  double ang = std::atan2(y, x) / deg;
  switch (q) {
    case 1: ang = std::copysign(180.0, y) - ang; break;
    case 2: ang = 90 - ang; break;
    case 3: ang = -90 + ang; break;
    default: break;
  }
  return ang;
}

// sum_{k=1..count} c[k] sin(2 k x) by Clenshaw summation.
double sin_series(double sinx, double cosx, const double* c, int count) noexcept {
  const double ar = 2 * (cosx - sinx) * (cosx + sinx);  // 2 cos(2x)
  double y0 = 0, y1 = 0;
  for (int k = count; k >= 1; --k) {
    const double y2 = y1;
    y1 = y0;
    y0 = ar * y1 - y2 + c[k];
  }
  return 2 * sinx * cosx * y0;
}

double a3_of(double eps) noexcept {
  double v = 0;
  for (int j = order - 1; j >= 0; --j) v = v * eps + a3[j];
  return v;
}

void c3_of(double eps, double c[order]) noexcept {
  for (int l = 1; l < order; ++l) {
    double v = 0;
    for (int j = order - 1; j >= l; --j) v = v * eps + c3[l][j];
    for (int j = 0; j < l; ++j) v *= eps;
    c[l] = v;
  }
}

// A1 - 1 and the C1 coefficients (distance).
double a1m1_of(double eps) noexcept {
  const double e2s = eps * eps;
  const double t = e2s * (1.0 / 4 + e2s * (1.0 / 64 + e2s * (1.0 / 256)));
  return (t + eps) / (1 - eps);
}

void c1_of(double eps, double c[order + 1]) noexcept {
  const double e2s = eps * eps;
  double d = eps;
  c[1] = d * (-1.0 / 2 + e2s * (3.0 / 16 - e2s * (1.0 / 32)));
  d *= eps;
  c[2] = d * (-1.0 / 16 + e2s * (1.0 / 32 - e2s * (9.0 / 2048)));
  d *= eps;
  c[3] = d * (-1.0 / 48 + e2s * (3.0 / 256));
  d *= eps;
  c[4] = d * (-5.0 / 512 + e2s * (3.0 / 512));
  d *= eps;
  c[5] = d * (-7.0 / 1280);
  d *= eps;
  c[6] = d * (-7.0 / 2048);
}

// A2 - 1 and the C2 coefficients (reduced length).
double a2m1_of(double eps) noexcept {
  const double e2s = eps * eps;
  const double t = e2s * (-3.0 / 4 + e2s * (-7.0 / 64 + e2s * (-11.0 / 256)));
  return (t - eps) / (1 + eps);
}

void c2_of(double eps, double c[order + 1]) noexcept {
  const double e2s = eps * eps;
  double d = eps;
  c[1] = d * (1.0 / 2 + e2s * (1.0 / 16 + e2s * (1.0 / 32)));
  d *= eps;
  c[2] = d * (3.0 / 16 + e2s * (1.0 / 32 + e2s * (35.0 / 2048)));
  d *= eps;
  c[3] = d * (5.0 / 48 + e2s * (5.0 / 256));
  d *= eps;
  c[4] = d * (35.0 / 512 + e2s * (7.0 / 512));
  d *= eps;
  c[5] = d * (63.0 / 1280);
  d *= eps;
  c[6] = d * (77.0 / 2048);
}

struct arc {
  double sig12;  // arc length on the auxiliary sphere, radians
  double ssig1, csig1, dn1;
  double ssig2, csig2, dn2;
};

// Distance and reduced length, both divided by b.
void lengths(double eps, const arc& g, double& s12b, double& m12b) noexcept {
  double ca[order + 1], cb[order + 1];
  const double a1m1 = a1m1_of(eps), a2m1 = a2m1_of(eps);
  c1_of(eps, ca);
  c2_of(eps, cb);
  const double m0 = a1m1 - a2m1, a1 = 1 + a1m1, a2 = 1 + a2m1;
  const double b1 = sin_series(g.ssig2, g.csig2, ca, order) - sin_series(g.ssig1, g.csig1, ca, order);
  const double b2 = sin_series(g.ssig2, g.csig2, cb, order) - sin_series(g.ssig1, g.csig1, cb, order);
  s12b = a1 * (g.sig12 + b1);
  const double j12 = m0 * g.sig12 + (a1 * b1 - a2 * b2);
  // Parenthesised products cancel exactly for coincident points.
  m12b = g.dn2 * (g.csig1 * g.ssig2) - g.dn1 * (g.ssig1 * g.csig2) - g.csig1 * g.csig2 * j12;
}

// Positive root k of k^4 + 2k^3 - (x^2 + y^2 - 1) k^2 - 2 y^2 k - y^2 = 0
// (Karney's astroid equation), solved in closed form avoiding cancellation.
double astroid(double x, double y) noexcept {
  const double p = sq(x), q = sq(y), r = (p + q - 1) / 6;
  if (q == 0 && r <= 0) return 0;
  const double s = p * q / 4;  // r^3 * s
  const double r2 = sq(r), r3 = r * r2;
  const double disc = s * (s + 2 * r3);  // zero on the evolute
  double u = r;
  if (disc >= 0) {
    double t3 = s + r3;
    t3 += t3 < 0 ? -std::sqrt(disc) : std::sqrt(disc);  // larger |t3|: less cancellation
    const double t = std::cbrt(t3);
    u += t + (t != 0 ? r2 / t : 0);
  } else {
    const double ang = std::atan2(std::sqrt(-disc), -(s + r3));
    u += 2 * r * std::cos(ang / 3);
  }
  const double v = std::sqrt(sq(u) + q);
  const double uv = u < 0 ? q / (v - u) : u + v;
  const double w = (uv - q) / (2 * v);
  return uv / (std::sqrt(uv + sq(w)) + w);
}

// The canonical configuration the solver works in:
// 0 <= lon12 <= 180, -90 <= lat1 <= 0, lat1 <= lat2 <= -lat1.
struct endpoints {
  double sbet1, cbet1, dn1;
  double sbet2, cbet2, dn2;
};

struct start_guess {
  double sig12 = -1;  // >= 0 when the short-line solution is final
  double salp1 = 0, calp1 = 0, salp2 = 0, calp2 = 0;
  double dnm = 0;
};

start_guess inverse_start(const endpoints& e, double lam12, double slam12, double clam12) noexcept {
  start_guess out;
  const double sbet12 = e.sbet2 * e.cbet1 - e.cbet2 * e.sbet1;  // bet2 - bet1
  const double cbet12 = e.cbet2 * e.cbet1 + e.sbet2 * e.sbet1;
  const double sbet12a = e.sbet2 * e.cbet1 + e.cbet2 * e.sbet1;  // bet2 + bet1
  const bool shortline = cbet12 >= 0 && sbet12 < 0.5 && e.cbet2 * lam12 < 0.5;
  double somg12, comg12;
  if (shortline) {
    double sbetm2 = sq(e.sbet1 + e.sbet2);
    sbetm2 /= sbetm2 + sq(e.cbet1 + e.cbet2);
    out.dnm = std::sqrt(1 + ep2 * sbetm2);
    const double omg12 = lam12 / (f1 * out.dnm);
    somg12 = std::sin(omg12);
    comg12 = std::cos(omg12);
  } else {
    somg12 = slam12;
    comg12 = clam12;
  }

  double salp1 = e.cbet2 * somg12;
  double calp1 = comg12 >= 0 ? sbet12 + e.cbet2 * e.sbet1 * sq(somg12) / (1 + comg12)
                             : sbet12a - e.cbet2 * e.sbet1 * sq(somg12) / (1 - comg12);
  const double ssig12 = std::hypot(salp1, calp1);
  const double csig12 = e.sbet1 * e.sbet2 + e.cbet1 * e.cbet2 * comg12;

  if (shortline && ssig12 < etol2) {
    out.salp2 = e.cbet1 * somg12;
    out.calp2 = sbet12 - e.cbet1 * e.sbet2 * (comg12 >= 0 ? sq(somg12) / (1 + comg12) : 1 - comg12);
    norm2(out.salp2, out.calp2);
    out.sig12 = std::atan2(ssig12, csig12);
  } else if (csig12 >= 0 || ssig12 >= 6 * n * pi * sq(e.cbet1)) {
    // The spherical estimate is good enough away from the antipode.
  } else {
    // Nearly antipodal: scale to coordinates in which the antipode is the
    // origin and solve the astroid problem.
    const double lam12x = std::atan2(-slam12, -clam12);  // lam12 - pi
    const double k2 = sq(e.sbet1) * ep2;
    const double eps = k2 / (2 * (1 + std::sqrt(1 + k2)) + k2);
    const double lamscale = f * e.cbet1 * a3_of(eps) * pi;
    const double betscale = lamscale * e.cbet1;
    const double x = lam12x / lamscale;
    const double y = sbet12a / betscale;
    if (y > -tol1 && x > -1 - xthresh) {
      salp1 = std::fmin(1.0, -x);
      calp1 = -std::sqrt(1 - sq(salp1));
    } else {
      const double k = astroid(x, y);
      const double omg12a = lamscale * (-x * k / (1 + k));
      somg12 = std::sin(omg12a);
      comg12 = -std::cos(omg12a);
      salp1 = e.cbet2 * somg12;
      calp1 = sbet12a - e.cbet2 * e.sbet1 * sq(somg12) / (1 - comg12);
    }
  }
  if (!(salp1 <= 0)) {
    norm2(salp1, calp1);
  } else {
    salp1 = 1;
    calp1 = 0;
  }
  out.salp1 = salp1;
  out.calp1 = calp1;
  return out;
}

struct lambda_out {
  double v;  // lambda12(alp1) - lam12: the residual Newton drives to 0
  double salp2, calp2;
  arc g;
  double eps;
  double dv;  // d v / d alp1
};

lambda_out lambda12(const endpoints& e, double salp1, double calp1, double slam120, double clam120,
                    bool want_derivative) noexcept {
  lambda_out o{};
  if (e.sbet1 == 0 && calp1 == 0) calp1 = -tiny;  // equatorial lines were handled already
  const double salp0 = salp1 * e.cbet1;
  const double calp0 = std::hypot(calp1, salp1 * e.sbet1);

  double ssig1 = e.sbet1, csig1 = calp1 * e.cbet1;
  const double somg1 = salp0 * e.sbet1, comg1 = calp1 * e.cbet1;
  norm2(ssig1, csig1);

  // Enforce the symmetry |bet2| = -bet1 exactly: the Newton iteration is
  // singular there otherwise.
  const double salp2 = e.cbet2 != e.cbet1 ? salp0 / e.cbet2 : salp1;
  const double calp2 =
      e.cbet2 != e.cbet1 || std::fabs(e.sbet2) != -e.sbet1
          ? std::sqrt(sq(calp1 * e.cbet1) + (e.cbet1 < -e.sbet1 ? (e.cbet2 - e.cbet1) * (e.cbet1 + e.cbet2)
                                                                : (e.sbet1 - e.sbet2) * (e.sbet1 + e.sbet2))) /
                e.cbet2
          : std::fabs(calp1);
  double ssig2 = e.sbet2, csig2 = calp2 * e.cbet2;
  const double somg2 = salp0 * e.sbet2, comg2 = calp2 * e.cbet2;
  norm2(ssig2, csig2);

  const double sig12 = std::atan2(std::fmax(0.0, csig1 * ssig2 - ssig1 * csig2) + 0, csig1 * csig2 + ssig1 * ssig2);
  const double somg12 = std::fmax(0.0, comg1 * somg2 - somg1 * comg2) + 0;
  const double comg12 = comg1 * comg2 + somg1 * somg2;
  const double eta =
      std::atan2(somg12 * clam120 - comg12 * slam120, comg12 * clam120 + somg12 * slam120);  // omg12 - lam120
  const double k2 = sq(calp0) * ep2;
  const double eps = k2 / (2 * (1 + std::sqrt(1 + k2)) + k2);
  double c[order];
  c3_of(eps, c);
  const double b312 = sin_series(ssig2, csig2, c, order - 1) - sin_series(ssig1, csig1, c, order - 1);
  const double domg12 = -f * a3_of(eps) * salp0 * (sig12 + b312);

  o.v = eta + domg12;
  o.salp2 = salp2;
  o.calp2 = calp2;
  o.g = arc{sig12, ssig1, csig1, e.dn1, ssig2, csig2, e.dn2};
  o.eps = eps;
  if (want_derivative) {
    if (calp2 == 0) {
      o.dv = -2 * f1 * e.dn1 / e.sbet1;
    } else {
      double s12b, m12b;
      lengths(eps, o.g, s12b, m12b);
      o.dv = m12b * f1 / (calp2 * e.cbet2);
    }
  }
  return o;
}

struct inverse_solution {
  double s12_m;
  double salp1, calp1;  // azimuth at the first point, unnormalised
};

inverse_solution solve_inverse(double lat1, double lon1, double lat2, double lon2) noexcept {
  double lon12s;
  double lon12 = ang_diff(lon1, lon2, lon12s);
  int lonsign = std::signbit(lon12) ? -1 : 1;
  lon12 *= lonsign;
  lon12s *= lonsign;
  const double lam12 = lon12 * deg;
  double slam12, clam12;
  sincos_deg(lon12, lon12s, slam12, clam12);
  lon12s = (180 - lon12) - lon12s;  // supplementary longitude difference

  lat1 = ang_round(lat1);
  lat2 = ang_round(lat2);
  const int swapp = std::fabs(lat1) < std::fabs(lat2) ? -1 : 1;
  if (swapp < 0) {
    lonsign *= -1;
    std::swap(lat1, lat2);
  }
  const int latsign = std::signbit(lat1) ? 1 : -1;
  lat1 *= latsign;
  lat2 *= latsign;

  endpoints e{};
  sincos_deg(lat1, 0, e.sbet1, e.cbet1);
  e.sbet1 *= f1;
  norm2(e.sbet1, e.cbet1);
  e.cbet1 = std::fmax(tiny, e.cbet1);
  sincos_deg(lat2, 0, e.sbet2, e.cbet2);
  e.sbet2 *= f1;
  norm2(e.sbet2, e.cbet2);
  e.cbet2 = std::fmax(tiny, e.cbet2);
  // Force bet2 = +/-bet1 exactly when they agree to rounding, using whichever
  // of cbet or sbet measures the difference more sensitively.
  if (e.cbet1 < -e.sbet1) {
    if (e.cbet2 == e.cbet1) e.sbet2 = std::copysign(e.sbet1, e.sbet2);
  } else if (std::fabs(e.sbet2) == -e.sbet1) {
    e.cbet2 = e.cbet1;
  }
  e.dn1 = std::sqrt(1 + ep2 * sq(e.sbet1));
  e.dn2 = std::sqrt(1 + ep2 * sq(e.sbet2));

  double s12x = 0, salp1 = 0, calp1 = 0, salp2 = 0, calp2 = 0;
  bool meridian = lat1 == -90 || slam12 == 0;
  if (meridian) {
    calp1 = clam12;
    salp1 = slam12;
    calp2 = 1;
    salp2 = 0;
    arc g{0, e.sbet1, calp1 * e.cbet1, e.dn1, e.sbet2, calp2 * e.cbet2, e.dn2};
    g.sig12 = std::atan2(std::fmax(0.0, g.csig1 * g.ssig2 - g.ssig1 * g.csig2) + 0,
                         g.csig1 * g.csig2 + g.ssig1 * g.ssig2);
    double m12x;
    lengths(n, g, s12x, m12x);
    // A meridian longer than half a circumference is not the shortest path.
    if (g.sig12 < 1 || m12x >= 0) {
      if (g.sig12 < 3 * tiny || (g.sig12 < tol0 && (s12x < 0 || m12x < 0))) s12x = 0;
      s12x *= b;
    } else {
      meridian = false;
    }
  }

  if (!meridian && e.sbet1 == 0 && lon12s >= f * 180) {
    // Along the equator.
    calp1 = calp2 = 0;
    salp1 = salp2 = 1;
    s12x = a * lam12;
  } else if (!meridian) {
    const start_guess st = inverse_start(e, lam12, slam12, clam12);
    salp1 = st.salp1;
    calp1 = st.calp1;
    if (st.sig12 >= 0) {
      salp2 = st.salp2;
      calp2 = st.calp2;
      s12x = st.sig12 * b * st.dnm;
    } else {
      // Newton's method on alp1 with a bracket (alp1a, alp1b) that always
      // contains the root; fall back to bisection when a step leaves it.
      double salp1a = tiny, calp1a = 1, salp1b = tiny, calp1b = -1;
      bool tripn = false, tripb = false;
      lambda_out lo{};
      for (int numit = 0;; ++numit) {
        lo = lambda12(e, salp1, calp1, slam12, clam12, numit < maxit1);
        const double v = lo.v;
        if (tripb || !(std::fabs(v) >= (tripn ? 8 : 1) * tol0) || numit == maxit2) break;
        if (v > 0 && (numit > maxit1 || calp1 / salp1 > calp1b / salp1b)) {
          salp1b = salp1;
          calp1b = calp1;
        } else if (v < 0 && (numit > maxit1 || calp1 / salp1 < calp1a / salp1a)) {
          salp1a = salp1;
          calp1a = calp1;
        }
        if (numit < maxit1 && lo.dv > 0) {
          const double dalp1 = -v / lo.dv;
          if (std::fabs(dalp1) < pi) {
            const double sdalp1 = std::sin(dalp1), cdalp1 = std::cos(dalp1);
            const double nsalp1 = salp1 * cdalp1 + calp1 * sdalp1;
            if (nsalp1 > 0) {
              calp1 = calp1 * cdalp1 - salp1 * sdalp1;
              salp1 = nsalp1;
              norm2(salp1, calp1);
              // Convergence can be linear where the slope vanishes: then
              // stop on epsilon rather than sqrt(epsilon).
              tripn = std::fabs(v) <= 16 * tol0;
              continue;
            }
          }
        }
        salp1 = (salp1a + salp1b) / 2;
        calp1 = (calp1a + calp1b) / 2;
        norm2(salp1, calp1);
        tripn = false;
        tripb = (std::fabs(salp1a - salp1) + (calp1a - calp1) < tolb ||
                 std::fabs(salp1 - salp1b) + (calp1 - calp1b) < tolb);
      }
      salp2 = lo.salp2;
      calp2 = lo.calp2;
      double m12b;
      lengths(lo.eps, lo.g, s12x, m12b);
      s12x *= b;
    }
  }

  if (swapp < 0) {
    std::swap(salp1, salp2);
    std::swap(calp1, calp2);
  }
  salp1 *= swapp * lonsign;
  calp1 *= swapp * latsign;
  return {0 + s12x, salp1, calp1};
}

}  // namespace

double geodesic_distance_m(lat_lon a_pt, lat_lon b_pt) noexcept {
  return solve_inverse(a_pt.lat_deg(), a_pt.lon_deg(), b_pt.lat_deg(), b_pt.lon_deg()).s12_m;
}

double geodesic_bearing_deg(lat_lon a_pt, lat_lon b_pt) noexcept {
  const inverse_solution s = solve_inverse(a_pt.lat_deg(), a_pt.lon_deg(), b_pt.lat_deg(), b_pt.lon_deg());
  double az = atan2_deg(s.salp1, s.calp1);  // (-180, 180]
  if (az < 0) az += 360;
  // A tiny negative azimuth rounds up to 360, which is outside [0, 360).
  if (az >= 360) az = 0;
  return az + 0.0;
}

}  // namespace warden
