// warden/prism.hpp — the planar geometry of crime matching: the straight
// path between two fixes against a disc, and the space-time prism (where a
// person could have been between two fixes at a maximum speed).
//
// Units: positions in metres in a projected frame (xy), times in integer
// UTC epoch milliseconds, speeds in metres per second, accuracies (95%
// radii) in metres. Discs are closed: a point exactly on the radius is in.
//
// The path. Between fixes f0 = (p0, t0) and f1 = (p1, t1) a subject is
// taken to move in a straight line at constant speed: at time t it is at
// p0 + (t - t0) / (t1 - t0) * (p1 - p0) (at p0 when t1 == t0).
//
// The prism. With maximum speed v and the fixes' accuracies a0, a1 (the
// person was somewhere within a0 of p0 at t0), the places the person could
// have been at time t in [t0, t1] are the lens
//     L(t) = D(p0, a0 + v (t - t0)) ∩ D(p1, a1 + v (t1 - t)),
// and over the whole interval they fill the ellipse |p - p0| + |p - p1| <=
// a0 + a1 + v (t1 - t0) with foci p0, p1 (clipped by the two discs when only
// part [lo, hi] of the interval is asked about). L(t) is the same set for a
// zero-length interval (t0 == t1: the lens of the two accuracy discs) and
// for v == 0 (the person did not move: inside both accuracy discs).
// L(t) is empty for every t when |p1 - p0| > a0 + a1 + v (t1 - t0): the two
// fixes cannot both be right at that speed.
//
// "The prism reaches disc D(q, r) during [lo, hi]" means: at some whole
// millisecond t in [lo, hi], L(t) and D(q, r) share a point. The distance
// g(t) from q to L(t) is convex in t (L is a slice of a convex set in
// space-time), so a reaching instant is found by a first guess and then a
// ternary search on whole milliseconds, and the first and last instants with
// g(t) <= r from a closed-form guess (when the disc around one fix first or
// last touches the crime disc) checked on both sides, else by false
// position guarded by bisection; decisions are exact up
// to floating-point rounding (well under a millimetre at national-grid
// coordinates), and tests compare them with every millisecond evaluated.
//
// Thread-safety: every function is a pure, noexcept computation on values,
// safe to call from any number of threads.
#pragma once

#include <warden/geo.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace warden {

// A fix as the geometry needs it.
struct timed_fix {
  xy pos;
  std::int64_t t_ms = 0;
  double accuracy_m = 0;
};

namespace detail {

inline double dist_m(xy a, xy b) noexcept {
  const double dx = a.x_m - b.x_m, dy = a.y_m - b.y_m;
  return std::sqrt(dx * dx + dy * dy);
}

// p0 + u * (p1 - p0).
inline xy lerp(xy p0, xy p1, double u) noexcept {
  return xy{p0.x_m + u * (p1.x_m - p0.x_m), p0.y_m + u * (p1.y_m - p0.y_m)};
}

// Fraction of the way from t0 to t1 at time t (0 for a zero-length interval).
inline double time_fraction(std::int64_t t0, std::int64_t t1, double t) noexcept {
  return t1 > t0 ? (t - static_cast<double>(t0)) / static_cast<double>(t1 - t0) : 0.0;
}

}  // namespace detail

// The point of segment [a, b] closest to q: its parameter u in [0, 1]
// (a + u (b - a); 0 when a == b) and its distance.
struct segment_closest {
  double u = 0;
  double distance_m = 0;
};

inline segment_closest closest_on_segment(xy q, xy a, xy b) noexcept {
  const double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m;
  const double len2 = dx * dx + dy * dy;
  double u = 0;
  if (len2 > 0) {
    u = ((q.x_m - a.x_m) * dx + (q.y_m - a.y_m) * dy) / len2;
    u = std::clamp(u, 0.0, 1.0);
  }
  return segment_closest{u, detail::dist_m(q, detail::lerp(a, b, u))};
}

// The straight path from f0 to f1, restricted to times [lo, hi] (t0 <= lo <=
// hi <= t1), against the disc D(q, r).
struct path_vs_disc {
  double min_distance_m = 0;  // closest approach during [lo, hi]
  double closest_ms = 0;      // when (the earliest such instant)
  xy closest_point;           // where
  bool touches = false;       // min_distance_m <= r
  double enter_ms = 0;        // first instant inside the disc (when touches)
  double exit_ms = 0;         // last instant inside the disc (when touches)
  double dwell_ms = 0;        // exit - enter: the path is inside on [enter, exit]
};

inline path_vs_disc path_against_disc(xy q, double r, xy p0, std::int64_t t0, xy p1, std::int64_t t1,
                                      std::int64_t lo, std::int64_t hi) noexcept {
  path_vs_disc out;
  const double dlo = static_cast<double>(lo), dhi = static_cast<double>(hi);
  const double ulo = detail::time_fraction(t0, t1, dlo), uhi = detail::time_fraction(t0, t1, dhi);
  const double dx = p1.x_m - p0.x_m, dy = p1.y_m - p0.y_m;
  const double ex = p0.x_m - q.x_m, ey = p0.y_m - q.y_m;
  const double a = dx * dx + dy * dy;
  double u = ulo;
  if (t1 > t0 && a > 0) u = std::clamp(-(ex * dx + ey * dy) / a, ulo, uhi);
  out.closest_point = detail::lerp(p0, p1, u);
  out.min_distance_m = detail::dist_m(q, out.closest_point);
  out.closest_ms = t1 > t0 ? static_cast<double>(t0) + u * static_cast<double>(t1 - t0) : dlo;
  out.touches = out.min_distance_m <= r;
  if (!out.touches) return out;
  // |e + u d|^2 <= r^2: a u^2 + 2 b u + c <= 0.
  double u_in = ulo, u_out = uhi;
  if (t1 > t0 && a > 0) {
    const double b = ex * dx + ey * dy, c = ex * ex + ey * ey - r * r;
    const double disc = b * b - a * c;
    if (disc >= 0) {
      const double s = std::sqrt(disc);
      // Numerically stable roots.
      const double qq = b >= 0 ? -(b + s) : -(b - s);
      double r1 = qq / a, r2 = qq != 0 ? c / qq : r1;
      if (r1 > r2) std::swap(r1, r2);
      u_in = std::max(ulo, r1);
      u_out = std::min(uhi, r2);
    }
    if (!(u_in <= u_out)) u_in = u_out = u;  // tangent: rounding lost the touching instant
  }
  if (t1 > t0) {
    out.enter_ms = static_cast<double>(t0) + u_in * static_cast<double>(t1 - t0);
    out.exit_ms = static_cast<double>(t0) + u_out * static_cast<double>(t1 - t0);
  } else {
    out.enter_ms = out.exit_ms = dlo;
  }
  out.dwell_ms = out.exit_ms - out.enter_ms;
  return out;
}

// Distance from q to the lens D(c0, r0) ∩ D(c1, r1): 0 when q is in it,
// +infinity when the lens is empty.
inline double lens_distance_m(xy q, xy c0, double r0, xy c1, double r1) noexcept {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (r0 < 0 || r1 < 0) return inf;
  const double d = detail::dist_m(c0, c1);
  if (d > r0 + r1) return inf;
  const double q0 = detail::dist_m(q, c0), q1 = detail::dist_m(q, c1);
  if (q0 <= r0 && q1 <= r1) return 0;
  // The closest point of the lens is the closest point of one disc when that
  // point lies in the other disc, otherwise one of the two corners.
  if (q0 > r0) {
    const xy p = detail::lerp(c0, q, r0 / q0);
    if (detail::dist_m(p, c1) <= r1) return q0 - r0;
  }
  if (q1 > r1) {
    const xy p = detail::lerp(c1, q, r1 / q1);
    if (detail::dist_m(p, c0) <= r0) return q1 - r1;
  }
  if (d == 0) return std::max(q0 - std::min(r0, r1), 0.0);
  // Corners: a along c0->c1, h across.
  const double a = (r0 * r0 - r1 * r1 + d * d) / (2 * d);
  const double h = std::sqrt(std::max(r0 * r0 - a * a, 0.0));
  const double ux = (c1.x_m - c0.x_m) / d, uy = (c1.y_m - c0.y_m) / d;
  const xy m{c0.x_m + a * ux, c0.y_m + a * uy};
  const xy k1{m.x_m - h * uy, m.y_m + h * ux}, k2{m.x_m + h * uy, m.y_m - h * ux};
  return std::min(detail::dist_m(q, k1), detail::dist_m(q, k2));
}

// Radii of the lens L(t) (see above).
inline double prism_radius0_m(const timed_fix& f0, double v_mps, std::int64_t t_ms) noexcept {
  return f0.accuracy_m + v_mps * (static_cast<double>(t_ms - f0.t_ms) / 1000.0);
}
inline double prism_radius1_m(const timed_fix& f1, double v_mps, std::int64_t t_ms) noexcept {
  return f1.accuracy_m + v_mps * (static_cast<double>(f1.t_ms - t_ms) / 1000.0);
}

// g(t): distance from q to L(t) (+infinity when empty).
inline double prism_slice_distance_m(xy q, const timed_fix& f0, const timed_fix& f1, double v_mps,
                                     std::int64_t t_ms) noexcept {
  return lens_distance_m(q, f0.pos, prism_radius0_m(f0, v_mps, t_ms), f1.pos, prism_radius1_m(f1, v_mps, t_ms));
}

// Every point of the prism lies within this distance of the segment
// [p0, p1] (the ellipse's semi-minor axis, which bounds it: see
// tests/prism_test.cpp); negative when the prism is empty.
inline double prism_reach_bound_m(const timed_fix& f0, const timed_fix& f1, double v_mps) noexcept {
  const double l = f0.accuracy_m + f1.accuracy_m + v_mps * (static_cast<double>(f1.t_ms - f0.t_ms) / 1000.0);
  const double d = detail::dist_m(f0.pos, f1.pos);
  if (d > l) return -1;
  return 0.5 * std::sqrt((l - d) * (l + d));
}

struct prism_reach {
  bool reaches = false;
  std::int64_t first_ms = 0;  // first whole millisecond in [lo, hi] at which it reaches
  std::int64_t last_ms = 0;   // last one
};

// Which ends of the reaching interval prism_reaches computes; an end not
// asked for is reported as the reaching instant found (some instant of the
// interval), which saves its search.
enum class reach_times : std::uint8_t { none = 0, first = 1, last = 2, both = 3 };

// Does the prism between f0 and f1 (t0 <= lo <= hi <= t1) reach D(q, r) at
// some whole millisecond of [lo, hi]? `which` says which of the first and
// last such instants to find exactly.
inline prism_reach prism_reaches(xy q, double r, const timed_fix& f0, const timed_fix& f1, double v_mps,
                                 std::int64_t lo, std::int64_t hi, reach_times which) noexcept {
  prism_reach out;
  if (lo > hi) return out;
  // Quick exclusions, cheapest first, all on squared distances: L(t) lies
  // within the discs at the ends of [lo, hi], and the ellipse within its
  // semi-minor axis b of the segment. The margin keeps these bounds from
  // deciding anything the exact test would not.
  const double ex0 = q.x_m - f0.pos.x_m, ey0 = q.y_m - f0.pos.y_m;
  const double ex1 = q.x_m - f1.pos.x_m, ey1 = q.y_m - f1.pos.y_m;
  const double d0sq = ex0 * ex0 + ey0 * ey0, d1sq = ex1 * ex1 + ey1 * ey1;
  const double l = f0.accuracy_m + f1.accuracy_m + v_mps * (static_cast<double>(f1.t_ms - f0.t_ms) / 1000.0);
  const double coarse = 1e-6 * (1.0 + r + l);
  {
    const double lim0 = r + prism_radius0_m(f0, v_mps, hi) + coarse, lim1 = r + prism_radius1_m(f1, v_mps, lo) + coarse;
    if (lim0 < 0 || d0sq > lim0 * lim0 || lim1 < 0 || d1sq > lim1 * lim1) return out;
  }
  const double b = prism_reach_bound_m(f0, f1, v_mps);
  if (b < 0) return out;
  const double margin = 1e-6 * (1.0 + r + b);
  if (closest_on_segment(q, f0.pos, f1.pos).distance_m > r + b + margin) return out;

  auto g = [&](std::int64_t t) { return prism_slice_distance_m(q, f0, f1, v_mps, t); };
  std::int64_t hit = 0;
  bool found = false;
  // First guess: the instant at which q itself is equally far inside both
  // growing / shrinking discs (the optimum when the crime disc is small).
  {
    const double d0 = detail::dist_m(q, f0.pos), d1 = detail::dist_m(q, f1.pos);
    double t = static_cast<double>(lo);
    if (v_mps > 0)
      t = 0.5 * static_cast<double>(f0.t_ms + f1.t_ms) + 500.0 * (f1.accuracy_m - f0.accuracy_m + d0 - d1) / v_mps;
    const auto tb = static_cast<std::int64_t>(std::clamp(std::round(t), static_cast<double>(lo), static_cast<double>(hi)));
    if (g(tb) <= r) {
      hit = tb;
      found = true;
    }
  }
  if (!found && g(lo) <= r) {
    hit = lo;
    found = true;
  } else if (!found && g(hi) <= r) {
    hit = hi;
    found = true;
  } else if (!found) {
    std::int64_t a = lo, c = hi;
    while (!found && c - a > 2) {
      const std::int64_t m1 = a + (c - a) / 3, m2 = c - (c - a) / 3;
      const double g1 = g(m1), g2 = g(m2);
      if (g1 <= r) {
        hit = m1;
        found = true;
      } else if (g2 <= r) {
        hit = m2;
        found = true;
      } else if (g1 < g2) {
        c = m2 - 1;
      } else if (g1 > g2) {
        a = m1 + 1;
      } else {
        a = m1;
        c = m2;
      }
    }
    for (std::int64_t t = a; !found && t <= c; ++t)
      if (g(t) <= r) {
        hit = t;
        found = true;
      }
  }
  if (!found) return out;
  out.reaches = true;
  out.first_ms = out.last_ms = hit;
  if (which == reach_times::none) return out;
  // g is convex, so {t : g(t) <= r} is an interval containing `hit`: find
  // its ends by false position (g is nearly linear there) alternating with
  // bisection (which bounds the steps).
  auto edge = [&](std::int64_t out_t, std::int64_t in_t) {  // g(out_t) > r >= g(in_t)
    double g_out = g(out_t), g_in = g(in_t);
    for (int step = 0; out_t - in_t > 1 || in_t - out_t > 1; ++step) {
      std::int64_t m = out_t + (in_t - out_t) / 2;
      if (step % 2 == 0 && std::isfinite(g_out) && g_out > g_in) {
        const double f = (g_out - r) / (g_out - g_in);
        const auto mi = out_t + static_cast<std::int64_t>(std::llround(f * static_cast<double>(in_t - out_t)));
        if (mi != out_t && mi != in_t) m = mi;
      }
      const double gm = g(m);
      const std::int64_t toward_out = in_t < out_t ? 1 : -1;
      if (gm <= r) {
        in_t = m;
        g_in = gm;
        // An interpolation usually lands on the edge: check the next instant out.
        if (m + toward_out != out_t) {
          const double gn = g(m + toward_out);
          if (gn > r) return m;
          in_t = m + toward_out;
          g_in = gn;
        }
      } else {
        out_t = m;
        g_out = gm;
        if (m - toward_out != in_t) {
          const double gn = g(m - toward_out);
          if (gn <= r) return m - toward_out;
          out_t = m - toward_out;
          g_out = gn;
        }
      }
    }
    return in_t;
  };
  // A first guess for each end brackets the search tightly: the reaching
  // interval cannot begin before the disc growing around p0 touches the
  // crime disc, nor end after the one shrinking around p1 stops touching
  // it, and these necessary bounds are the ends themselves whenever the
  // touching point lies in the other disc (the common case). A guess is
  // accepted only once g on both sides of it proves it the edge, so the
  // answer is the one the plain search finds.
  if (static_cast<unsigned>(which) & static_cast<unsigned>(reach_times::first)) {
    if (hit > lo && g(lo) > r) {
      std::int64_t out_t = lo, in_t = hit;
      if (v_mps > 0) {
        const double ta = static_cast<double>(f0.t_ms) + 1000.0 * (std::sqrt(d0sq) - r - f0.accuracy_m) / v_mps;
        if (ta > static_cast<double>(lo) && ta < static_cast<double>(hit)) {
          const auto tg = static_cast<std::int64_t>(std::ceil(ta));  // lo < tg <= hit
          if (g(tg) <= r) {
            if (g(tg - 1) > r) out_t = in_t = tg; else in_t = tg - 1;
          } else {
            out_t = tg;
          }
        }
      }
      out.first_ms = out_t == in_t ? in_t : in_t - out_t == 1 ? in_t : edge(out_t, in_t);
    } else {
      out.first_ms = lo;
    }
  }
  if (static_cast<unsigned>(which) & static_cast<unsigned>(reach_times::last)) {
    if (hit < hi && g(hi) > r) {
      std::int64_t out_t = hi, in_t = hit;
      if (v_mps > 0) {
        const double tb = static_cast<double>(f1.t_ms) - 1000.0 * (std::sqrt(d1sq) - r - f1.accuracy_m) / v_mps;
        if (tb < static_cast<double>(hi) && tb > static_cast<double>(hit)) {
          const auto tg = static_cast<std::int64_t>(std::floor(tb));  // hit <= tg < hi
          if (g(tg) <= r) {
            if (g(tg + 1) > r) out_t = in_t = tg; else in_t = tg + 1;
          } else {
            out_t = tg;
          }
        }
      }
      out.last_ms = out_t == in_t ? in_t : out_t - in_t == 1 ? in_t : edge(out_t, in_t);
    } else {
      out.last_ms = hi;
    }
  }
  return out;
}

// The same with both ends (want_times) or neither.
inline prism_reach prism_reaches(xy q, double r, const timed_fix& f0, const timed_fix& f1, double v_mps,
                                 std::int64_t lo, std::int64_t hi, bool want_times) noexcept {
  return prism_reaches(q, r, f0, f1, v_mps, lo, hi, want_times ? reach_times::both : reach_times::none);
}

}  // namespace warden
