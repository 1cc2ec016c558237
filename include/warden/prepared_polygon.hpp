// warden/prepared_polygon.hpp — a polygonal zone prepared for point queries
// in a few nanoseconds: covered or not, distance to the boundary, signed
// distance, and whether the path between two fixes enters it.
//
// Units: frame metres (warden/frame.hpp), like the multipolygon it is built
// from. Boundary semantics: the boundary is covered ("covered by", as GEOS
// covers / ST_Covers): a point exactly on an edge or a vertex of any ring,
// holes included, is covered. Decisions are exact for the double-precision
// coordinates given (exact orientation predicates), so they agree with GEOS
// prepared covers for valid geometry. For invalid input the rule is even-odd
// parity of the rings, boundary covered.
//
// How: a uniform grid over the box; each cell is classified once as inside,
// outside or boundary. A boundary cell keeps the few edges that touch it and
// a reference point of known status, and a query in it counts the edges
// crossed between that point and the query point. Memory is bounded: the
// resolution is chosen so that cells and (cell, edge) pairs stay within a
// small multiple of the vertex count (about 40 bytes per vertex for a large
// polygon of ordinary shape; bench/README.md). A single level is used: a polygon that packs thousands of
// edges into a tiny part of its box answers slower there, never wrongly.
//
// Thread-safety: immutable after build; const queries may run concurrently.
#pragma once

#include <warden/detail/pip_grid.hpp>
#include <warden/detail/pip_predicates.hpp>
#include <warden/geometry.hpp>
#include <warden/result.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace warden {

struct prepared_polygon_options {
  // Cells per edge for small polygons; the grid is coarser for large ones
  // (see prepared_polygon::build).
  double cells_per_edge = 48;
  std::size_t max_cells = std::size_t{1} << 22;
  std::size_t max_vertices = std::size_t{1} << 28;
};

// What a straight path between two fixes does with a zone.
struct transit_result {
  bool start_covered = false;  // a is covered
  bool end_covered = false;    // b is covered
  bool meets = false;          // some point of the closed segment [a, b] is covered
  double entry_t = 0;          // first covered point is a + entry_t (b - a); 0 unless meets
  xy entry;                    // that point (a when start_covered)

  // Passed through the zone without either fix being in it.
  bool crosses() const noexcept { return meets && !start_covered && !end_covered; }
  // Was outside at a and met the zone before or at b.
  bool enters() const noexcept { return meets && !start_covered; }
};

class prepared_polygon {
 public:
  // An empty zone: covers nothing, infinitely far from everything.
  prepared_polygon() = default;

  // Errors: empty_geometry (no ring), ring_too_few_points (a ring of fewer
  // than 3 vertices), not_finite, too_many_vertices. Validity (no
  // self-intersection etc.) is the zones reader's business.
  static result<prepared_polygon> build(const multipolygon& mp, const prepared_polygon_options& options = {});

  // The point is in the interior or on the boundary.
  bool covers(xy p) const noexcept {
    const double fx = (p.x_m - g_.x0) * g_.inv_w;
    const double fy = (p.y_m - g_.y0) * g_.inv_h;
    if (!(fx >= 0 && fx < nx_d_ && fy >= 0 && fy < ny_d_)) return false;
    const std::uint32_t w = cells_[static_cast<std::uint32_t>(fy) * g_.nx + static_cast<std::uint32_t>(fx)];
    if (w < 2) return w != 0;
    return eval(recs_[w - 2], p);
  }

  // Euclidean distance from p to the nearest point of the boundary (any
  // ring), metres. 0 on the boundary.
  double boundary_distance_m(xy p) const noexcept;
  // Distance to the boundary, positive when covered (how deep inside),
  // negative when not; 0 on the boundary.
  double signed_distance_m(xy p) const noexcept {
    const double d = boundary_distance_m(p);
    return covers(p) ? d : -d;
  }
  // A lower bound on boundary_distance_m(p) from the grid alone (cheap);
  // lets callers skip the exact distance when it cannot change a decision.
  double boundary_distance_lower_bound_m(xy p) const noexcept;

  // The segment from a to b against the zone: whether it meets the zone and
  // the first point where it does (exact test; the entry point is computed
  // in floating point, within a few ulps of the true one).
  transit_result transit(xy a, xy b) const noexcept;

  const box& bounds() const noexcept { return bbox_; }
  std::size_t vertex_count() const noexcept { return vertex_count_; }
  std::size_t cell_count() const noexcept { return cells_.size(); }
  std::size_t boundary_cell_count() const noexcept { return recs_.size(); }
  // Heap memory held, bytes.
  std::size_t memory_bytes() const noexcept;

 private:
  struct cell_record {
    xy r;                   // reference point, on no edge
    std::uint32_t begin;    // into refs_
    std::uint32_t count_inside;  // edge count << 1 | status of r
  };

  bool eval(const cell_record& c, xy p) const noexcept {
    bool in = (c.count_inside & 1u) != 0;
    const std::uint32_t* ref = refs_.data() + c.begin;
    const std::uint32_t* end = ref + (c.count_inside >> 1);
    for (; ref != end; ++ref) {
      const std::uint32_t e = *ref >> 2;
      const xy a = v_[e], b = v_[e + 1];
      const int o_p = detail::orient(a, b, p);
      if (o_p == 0) {
        if (detail::in_box(a, b, p)) return true;
        continue;
      }
      // Low bits: sign of orient(a, b, r): 1 positive, 2 negative, 0 zero.
      const std::uint32_t code = *ref & 3u;
      if (code == 0 || (o_p > 0) == (code == 1)) continue;
      if ((detail::orient(c.r, p, a) >= 0) != (detail::orient(c.r, p, b) >= 0)) in = !in;
    }
    return in;
  }

  detail::grid_geom g_;
  double nx_d_ = 0, ny_d_ = 0;
  double min_cell_ = 0;
  box bbox_;
  std::vector<xy> v_;
  std::vector<std::uint32_t> cells_;  // 0 outside, 1 inside, k >= 2: recs_[k - 2]
  std::vector<cell_record> recs_;
  std::vector<std::uint32_t> refs_;       // edge << 2 | sign code
  std::vector<std::uint8_t> clearance_;   // Chebyshev cell distance to the nearest boundary cell, capped
  std::size_t vertex_count_ = 0;
};

}  // namespace warden
