// warden/geometry.hpp — planar geometry in a projected frame, metres.
//
// These are plain containers: a ring is a closed sequence of points whose
// last point is NOT repeated (closure is implied); a polygon is an outer
// ring plus holes; a multipolygon is a list of polygons. Orientation is not
// significant (algorithms must not depend on winding). Validity (no
// self-intersection, holes inside the outer ring, parts disjoint) is
// established by the zones reader (GEOS) before geometry reaches the hot
// path.
//
// Boundary semantics used throughout warden: a zone covers its boundary.
//
// Thread-safety: plain values.
#pragma once

#include <warden/geo.hpp>

#include <vector>

namespace warden {

using ring = std::vector<xy>;

struct polygon {
  ring outer;
  std::vector<ring> holes;
};

using multipolygon = std::vector<polygon>;

// A disc: every point within radius_m of centre (boundary included).
struct circle {
  xy centre;
  double radius_m = 0;
};

// Axis-aligned box, metres; empty when min > max.
struct box {
  xy min{1e300, 1e300};
  xy max{-1e300, -1e300};
  bool empty() const noexcept { return min.x_m > max.x_m || min.y_m > max.y_m; }
  void extend(xy p) noexcept {
    if (p.x_m < min.x_m) min.x_m = p.x_m;
    if (p.y_m < min.y_m) min.y_m = p.y_m;
    if (p.x_m > max.x_m) max.x_m = p.x_m;
    if (p.y_m > max.y_m) max.y_m = p.y_m;
  }
  bool contains(xy p) const noexcept {
    return p.x_m >= min.x_m && p.x_m <= max.x_m && p.y_m >= min.y_m && p.y_m <= max.y_m;
  }
};

inline box bounds(const ring& r) noexcept {
  box b;
  for (const xy& p : r) b.extend(p);
  return b;
}
inline box bounds(const multipolygon& mp) noexcept {
  box b;
  for (const polygon& p : mp)
    for (const xy& q : p.outer) b.extend(q);
  return b;
}

}  // namespace warden
