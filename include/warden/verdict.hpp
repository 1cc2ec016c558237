// warden/verdict.hpp — accuracy-aware verdicts: is a fix inside a zone,
// outside it, or too close to its boundary to say (DESIGN.md "Boundary and
// accuracy", FORMATS.md `tolerance_m`).
//
// Units: metres (frame metres for geometry, accuracy radius and tolerance
// as given; at warden's frame scale the two agree within 0.1%).
//
// Rule: let d be the signed distance from the fix to the zone's boundary,
// positive inside (the zone covers its boundary, so d = 0 there). A zone's
// tolerance moves the decision boundary away from the breach: an
// exclusion-like zone (breach = being in it) is decided as if it were
// tolerance_m smaller, an inclusion-like zone (breach = being out of it) as
// if it were tolerance_m larger. With d' = d - tolerance_m (exclusion-like)
// or d' = d + tolerance_m (inclusion-like) and accuracy radius r:
//   inside    when d' >= r   (checked first, so r = 0 on the boundary is inside)
//   outside   when d' <= -r
//   uncertain otherwise.
// So a fix is inside or outside only when its whole accuracy disc is.
//
// Thread-safety: pure functions over immutable prepared geometry.
#pragma once

#include <warden/geometry.hpp>
#include <warden/prepared_polygon.hpp>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace warden {

enum class verdict : std::uint8_t { outside = 0, uncertain = 1, inside = 2 };

constexpr std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::outside: return "outside";
    case verdict::uncertain: return "uncertain";
    case verdict::inside: return "inside";
  }
  return "uncertain";
}

// Which side of a zone's boundary is the breach.
enum class breach_side : std::uint8_t {
  inside = 0,   // exclusion, victim_home
  outside = 1,  // inclusion, curfew_home
};

struct zone_verdict {
  verdict state = verdict::uncertain;
  double signed_distance_m = 0;  // to the zone's own boundary, positive inside
};

// The decision from a signed distance (see the rule above).
constexpr verdict decide(double signed_distance_m, double accuracy_m, double tolerance_m = 0,
                         breach_side side = breach_side::inside) noexcept {
  const double d = side == breach_side::inside ? signed_distance_m - tolerance_m : signed_distance_m + tolerance_m;
  if (d >= accuracy_m) return verdict::inside;
  if (d <= -accuracy_m) return verdict::outside;
  return verdict::uncertain;
}

// Prepared polygon: the verdict with the exact signed distance.
inline zone_verdict classify(const prepared_polygon& zone, xy p, double accuracy_m, double tolerance_m = 0,
                             breach_side side = breach_side::inside) noexcept {
  const double d = zone.signed_distance_m(p);
  return {decide(d, accuracy_m, tolerance_m, side), d};
}

// Prepared polygon: the verdict alone. Skips the distance computation when
// the grid already shows the fix is far enough from the boundary (the
// common case), so it is cheaper than classify().
inline verdict decide(const prepared_polygon& zone, xy p, double accuracy_m, double tolerance_m = 0,
                      breach_side side = breach_side::inside) noexcept {
  const bool in = zone.covers(p);
  const double lb = zone.boundary_distance_lower_bound_m(p);
  const double shift = side == breach_side::inside ? -tolerance_m : tolerance_m;
  // d' lies in [lb + shift, inf) when covered, (-inf, -lb + shift] when not.
  if (in && lb + shift >= accuracy_m) return verdict::inside;
  if (!in && -lb + shift <= -accuracy_m) return verdict::outside;
  return decide(zone.signed_distance_m(p), accuracy_m, tolerance_m, side);
}

// Circles (centre, radius in frame metres): covered when within radius_m.
inline double signed_distance_m(const circle& c, xy p) noexcept { return c.radius_m - distance_m(c.centre, p); }
inline bool covers(const circle& c, xy p) noexcept {
  const double dx = p.x_m - c.centre.x_m, dy = p.y_m - c.centre.y_m;
  return dx * dx + dy * dy <= c.radius_m * c.radius_m;
}
inline zone_verdict classify(const circle& c, xy p, double accuracy_m, double tolerance_m = 0,
                             breach_side side = breach_side::inside) noexcept {
  const double d = signed_distance_m(c, p);
  return {decide(d, accuracy_m, tolerance_m, side), d};
}

// The segment a -> b against a circle: whether it meets the disc and the
// first point where it does (same meaning as prepared_polygon::transit).
inline transit_result transit(const circle& c, xy a, xy b) noexcept {
  transit_result res;
  res.start_covered = covers(c, a);
  res.end_covered = covers(c, b);
  if (res.start_covered) {
    res.meets = true;
    res.entry = a;
    return res;
  }
  // |a + t u - centre|^2 = r^2, smallest root in [0, 1].
  const double ux = b.x_m - a.x_m, uy = b.y_m - a.y_m;
  const double fx = a.x_m - c.centre.x_m, fy = a.y_m - c.centre.y_m;
  const double qa = ux * ux + uy * uy;
  if (qa == 0) return res;
  const double qb = fx * ux + fy * uy;  // half the linear coefficient
  const double qc = fx * fx + fy * fy - c.radius_m * c.radius_m;
  const double disc = qb * qb - qa * qc;
  // a is outside (qc > 0): both roots share the sign of -qb.
  if (disc < 0 || qb >= 0) return res;
  // The smaller root, in the form that does not cancel.
  double t = qc / (-qb + std::sqrt(disc));
  if (t > 1) {
    if (!res.end_covered) return res;
    t = 1;
  }
  res.meets = true;
  res.entry_t = t < 0 ? 0 : t;
  res.entry = {a.x_m + res.entry_t * ux, a.y_m + res.entry_t * uy};
  return res;
}

}  // namespace warden
