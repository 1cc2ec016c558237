// warden/detail/pip_predicates.hpp — exact planar predicates for the
// prepared-polygon and zone-index hot paths.
//
// orient() returns the exact sign of the 2x2 orientation determinant for any
// finite double inputs whose products neither overflow nor underflow (true
// for frame coordinates in metres): a floating-point filter decides almost
// every call; the rest are evaluated exactly with error-free transformations
// (two_sum / two_product through std::fma, which is exact by definition and
// unaffected by -ffp-contract=off). Exactness is what makes a point lying
// exactly on an edge or vertex "covered" exactly when GEOS says so.
//
// segment_crosses() is the one crossing rule used everywhere a reference
// point's status is carried to another point: the line r->q is shifted
// symbolically so that vertices lying on it count as being on its
// non-negative side (a generalisation of the half-open rule of horizontal
// ray casting). Preconditions: neither r nor q lies on the edge.
//
// Thread-safety: pure functions.
#pragma once

#include <warden/geo.hpp>

#include <cmath>

namespace warden::detail {

// Sign of the area of the triangle (a, b, c): +1 when c lies left of the
// directed line a->b, -1 right, 0 collinear. Exact.
int orient_exact(xy a, xy b, xy c) noexcept;

inline int orient(xy a, xy b, xy c) noexcept {
  const double l = (b.x_m - a.x_m) * (c.y_m - a.y_m);
  const double r = (b.y_m - a.y_m) * (c.x_m - a.x_m);
  const double det = l - r;
  // Bound on the rounding error of det (the two differences in each product
  // included): Shewchuk's ccwerrboundA widened for the operand order used here.
  const double bound = 3.3306690738754716e-16 * (std::fabs(l) + std::fabs(r));
  if (det > bound) return 1;
  if (-det > bound) return -1;
  return orient_exact(a, b, c);
}

// p lies in the closed bounding box of a and b.
inline bool in_box(xy a, xy b, xy p) noexcept {
  return (a.x_m <= b.x_m ? (a.x_m <= p.x_m && p.x_m <= b.x_m) : (b.x_m <= p.x_m && p.x_m <= a.x_m)) &&
         (a.y_m <= b.y_m ? (a.y_m <= p.y_m && p.y_m <= b.y_m) : (b.y_m <= p.y_m && p.y_m <= a.y_m));
}

// p lies on the closed segment [a, b] (a == b allowed: p == a).
inline bool on_segment(xy a, xy b, xy p) noexcept { return in_box(a, b, p) && orient(a, b, p) == 0; }

// Whether the segment r->q crosses the edge [a, b] under the symbolic shift
// described above. o_r = orient(a, b, r) is passed in because callers keep
// it per (cell, edge).
inline bool segment_crosses(xy r, xy q, xy a, xy b, int o_r) noexcept {
  if (o_r == 0) return false;  // r on the edge's line but not on the edge: cannot cross
  const int o_q = orient(a, b, q);
  if (o_q == 0 || o_q == o_r) return false;
  const bool sa = orient(r, q, a) >= 0;
  const bool sb = orient(r, q, b) >= 0;
  return sa != sb;
}

// Closed segments [a, b] and [c, d] share at least one point. Exact.
inline bool segments_intersect(xy a, xy b, xy c, xy d) noexcept {
  const int o1 = orient(a, b, c), o2 = orient(a, b, d);
  const int o3 = orient(c, d, a), o4 = orient(c, d, b);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  return (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) ||
         (o3 == 0 && on_segment(c, d, a)) || (o4 == 0 && on_segment(c, d, b));
}

// Squared distance from p to the closed segment [a, b], metres².
inline double segment_distance2(xy a, xy b, xy p) noexcept {
  const double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m;
  const double px = p.x_m - a.x_m, py = p.y_m - a.y_m;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0.0;
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  const double ex = px - t * dx, ey = py - t * dy;
  return ex * ex + ey * ey;
}

}  // namespace warden::detail
