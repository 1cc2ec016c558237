// warden/detail/pip_grid.hpp — the uniform-grid machinery shared by
// prepared_polygon and zone_index: cell geometry, conservative assignment of
// edges to cells, choice of a reference point per cell, and the row walk
// that gives every reference point its exact inside/outside status.
//
// How a status is known exactly: each row of a grid level is walked from a
// point whose status is known (the grid's left edge, outside everything, or
// the parent cell's reference point) to the reference point of each cell in
// turn; the status changes once per edge crossed (segment_crosses, exact).
// A segment between the reference points of two neighbouring cells lies in
// the union of the two closed cells, so the union of their edge lists holds
// every edge it can meet. Edge lists are conservative (every edge within
// `margin` of a closed cell is listed), and margin is far larger than any
// rounding in computing a cell index, so a query point is always covered by
// the edge list of the cell it is mapped to.
//
// Vertices: rings are stored one after another, each closed (first vertex
// repeated), so the edge starting at vertex i is (v[i], v[i+1]); an edge is
// named by i. Owners (zones) are optional, one per vertex.
//
// Units: metres. Thread-safety: build-time helpers, no shared state.
#pragma once

#include <warden/detail/pip_predicates.hpp>
#include <warden/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace warden::detail {

struct grid_geom {
  double x0 = 0, y0 = 0;  // lower-left corner
  double w = 1, h = 1;    // cell size
  double inv_w = 1, inv_h = 1;
  std::uint32_t nx = 1, ny = 1;

  static grid_geom make(double x0_m, double y0_m, double w_m, double h_m, std::uint32_t cols,
                        std::uint32_t rows) noexcept {
    grid_geom g;
    g.x0 = x0_m;
    g.y0 = y0_m;
    g.w = w_m;
    g.h = h_m;
    g.inv_w = 1.0 / w_m;
    g.inv_h = 1.0 / h_m;
    g.nx = cols;
    g.ny = rows;
    return g;
  }
  std::uint32_t cells() const noexcept { return nx * ny; }
  // Column / row of a coordinate, clamped to the grid.
  std::uint32_t col(double x) const noexcept { return clamp_index((x - x0) * inv_w, nx); }
  std::uint32_t row(double y) const noexcept { return clamp_index((y - y0) * inv_h, ny); }
  double cell_x(std::uint32_t i) const noexcept { return x0 + i * w; }
  double cell_y(std::uint32_t j) const noexcept { return y0 + j * h; }
  xy centre(std::uint32_t i, std::uint32_t j) const noexcept {
    return {x0 + (i + 0.5) * w, y0 + (j + 0.5) * h};
  }
  static std::uint32_t clamp_index(double f, std::uint32_t n) noexcept {
    if (!(f > 0)) return 0;
    if (f >= static_cast<double>(n)) return n - 1;
    return static_cast<std::uint32_t>(f);
  }
};

// Compressed lists of edge (or other item) ids per cell.
struct cell_lists {
  std::vector<std::uint32_t> offset;  // cells + 1
  std::vector<std::uint32_t> items;
  std::span<const std::uint32_t> of(std::uint32_t cell) const noexcept {
    return {items.data() + offset[cell], items.data() + offset[cell + 1]};
  }
};

// Calls f(cell) for every cell whose box, grown by margin, may meet the
// closed segment [a, b]. Conservative: may name extra cells, never misses.
template <class F>
void for_each_cell_of_segment(const grid_geom& g, xy a, xy b, double margin, F&& f) {
  const double ylo = std::min(a.y_m, b.y_m), yhi = std::max(a.y_m, b.y_m);
  const double xlo = std::min(a.x_m, b.x_m), xhi = std::max(a.x_m, b.x_m);
  const std::uint32_t r0 = g.row(ylo - margin), r1 = g.row(yhi + margin);
  const double dy = b.y_m - a.y_m;
  for (std::uint32_t j = r0; j <= r1; ++j) {
    double x_from = xlo, x_to = xhi;
    if (dy != 0 && r0 != r1) {
      // The part of the segment inside this row's band (grown by margin).
      const double band_lo = std::max(ylo, g.cell_y(j) - margin);
      const double band_hi = std::min(yhi, g.cell_y(j + 1) + margin);
      const double s = (b.x_m - a.x_m) / dy;
      const double xa = a.x_m + (band_lo - a.y_m) * s, xb = a.x_m + (band_hi - a.y_m) * s;
      x_from = std::max(xlo, std::min(xa, xb));
      x_to = std::min(xhi, std::max(xa, xb));
    }
    const std::uint32_t c0 = g.col(x_from - margin), c1 = g.col(x_to + margin);
    for (std::uint32_t i = c0; i <= c1; ++i) f(j * g.nx + i);
  }
}

// Edge lists per cell for the edges `ids` (kept in the order given).
inline cell_lists rasterize(const grid_geom& g, const std::vector<xy>& v,
                            std::span<const std::uint32_t> ids, double margin) {
  cell_lists out;
  out.offset.assign(std::size_t{g.cells()} + 1, 0);
  for (std::uint32_t e : ids)
    for_each_cell_of_segment(g, v[e], v[e + 1], margin, [&](std::uint32_t c) { ++out.offset[c + 1]; });
  for (std::size_t c = 0; c < g.cells(); ++c) out.offset[c + 1] += out.offset[c];
  out.items.resize(out.offset.back());
  std::vector<std::uint32_t> fill(out.offset.begin(), out.offset.end() - 1);
  for (std::uint32_t e : ids)
    for_each_cell_of_segment(g, v[e], v[e + 1], margin, [&](std::uint32_t c) { out.items[fill[c]++] = e; });
  return out;
}

// Estimated number of (cell, edge) pairs rasterize would produce; used to
// keep memory bounded when choosing a resolution.
inline double estimate_refs(const std::vector<xy>& v, std::span<const std::uint32_t> ids, double w,
                            double h) noexcept {
  double n = 0;
  for (std::uint32_t e : ids)
    n += std::fabs(v[e + 1].x_m - v[e].x_m) / w + std::fabs(v[e + 1].y_m - v[e].y_m) / h + 2.0;
  return n;
}

// A point strictly inside cell (i, j) that lies on none of `edges`: the
// centre when possible (almost always), otherwise the first point of a
// fixed low-discrepancy sequence that qualifies, so the choice is
// deterministic.
inline xy pick_reference(const grid_geom& g, std::uint32_t i, std::uint32_t j, const std::vector<xy>& v,
                         std::span<const std::uint32_t> edges) noexcept {
  auto clear = [&](xy r) {
    for (std::uint32_t e : edges)
      if (on_segment(v[e], v[e + 1], r)) return false;
    return true;
  };
  const xy c = g.centre(i, j);
  if (clear(c)) return c;
  for (std::uint32_t k = 1; k < 4096; ++k) {
    // Halton sequence, bases 2 and 3, kept away from the cell's sides.
    double fx = 0, fy = 0, bx = 0.5, by = 1.0 / 3;
    for (std::uint32_t n = k; n; n /= 2, bx /= 2) fx += bx * (n % 2);
    for (std::uint32_t n = k; n; n /= 3, by /= 3) fy += by * (n % 3);
    const xy r{g.cell_x(i) + (0.05 + 0.9 * fx) * g.w, g.cell_y(j) + (0.05 + 0.9 * fy) * g.h};
    if (clear(r)) return r;
  }
  return c;  // unreachable for finitely many edges of a non-degenerate cell
}

// The owners whose areas contain a point, kept sorted; crossing an edge of
// an owner toggles it.
class owner_set {
 public:
  void clear() noexcept { s_.clear(); }
  void assign(std::span<const std::uint32_t> s) { s_.assign(s.begin(), s.end()); }
  void toggle(std::uint32_t o) {
    auto it = std::lower_bound(s_.begin(), s_.end(), o);
    if (it != s_.end() && *it == o)
      s_.erase(it);
    else
      s_.insert(it, o);
  }
  bool contains(std::uint32_t o) const noexcept { return std::binary_search(s_.begin(), s_.end(), o); }
  std::span<const std::uint32_t> items() const noexcept { return s_; }
  bool empty() const noexcept { return s_.empty(); }

 private:
  std::vector<std::uint32_t> s_;
};

// Carries `inside` from s to t across the edges of the two sorted lists
// (an edge in both is counted once). Neither s nor t may lie on an edge.
inline void walk(xy s, xy t, const std::vector<xy>& v, const std::uint32_t* owner_of_vertex,
                 std::span<const std::uint32_t> l1, std::span<const std::uint32_t> l2,
                 owner_set& inside) {
  auto step = [&](std::uint32_t e) {
    const xy a = v[e], b = v[e + 1];
    if (segment_crosses(s, t, a, b, orient(a, b, s))) inside.toggle(owner_of_vertex ? owner_of_vertex[e] : 0);
  };
  std::size_t i = 0, k = 0;
  while (i < l1.size() || k < l2.size()) {
    if (k == l2.size() || (i < l1.size() && l1[i] < l2[k])) {
      step(l1[i++]);
    } else if (i == l1.size() || l2[k] < l1[i]) {
      step(l2[k++]);
    } else {
      step(l1[i++]);
      ++k;
    }
  }
}

// Where the rows of a level start: the grid's left edge (outside every
// owner) for a top level, or a parent cell's reference point, its status
// and the parent cell's edges for a nested level.
struct level_entry {
  bool nested = false;
  xy r;
  std::span<const std::uint32_t> inside;
  std::span<const std::uint32_t> edges;
};

// Builds one grid level: calls on_cell(cell, edges_of_cell, r, inside_at_r)
// for every cell in row-major order. `ids` must be sorted.
template <class OnCell>
void build_level(const grid_geom& g, const std::vector<xy>& v, const std::uint32_t* owner_of_vertex,
                 std::span<const std::uint32_t> ids, double margin, const level_entry& entry,
                 OnCell&& on_cell) {
  const cell_lists lists = rasterize(g, v, ids, margin);
  owner_set inside;
  for (std::uint32_t j = 0; j < g.ny; ++j) {
    xy prev_r;
    std::span<const std::uint32_t> prev_edges;
    for (std::uint32_t i = 0; i < g.nx; ++i) {
      const std::uint32_t cell = j * g.nx + i;
      const std::span<const std::uint32_t> edges = lists.of(cell);
      const xy r = edges.empty() ? g.centre(i, j) : pick_reference(g, i, j, v, edges);
      if (i == 0) {
        if (entry.nested) {
          inside.assign(entry.inside);
          walk(entry.r, r, v, owner_of_vertex, entry.edges, {}, inside);
        } else {
          inside.clear();
          walk(xy{g.x0, r.y_m}, r, v, owner_of_vertex, edges, {}, inside);
        }
      } else {
        walk(prev_r, r, v, owner_of_vertex, prev_edges, edges, inside);
      }
      on_cell(cell, edges, r, inside);
      prev_r = r;
      prev_edges = edges;
    }
  }
}

// Margin used for conservative edge lists: far above the rounding of a
// cell-index computation (a few ulps of the coordinates), far below any
// cell size.
inline double grid_margin(const box& b) noexcept {
  const double mag = std::max({std::fabs(b.min.x_m), std::fabs(b.min.y_m), std::fabs(b.max.x_m),
                               std::fabs(b.max.y_m), b.max.x_m - b.min.x_m, b.max.y_m - b.min.y_m});
  return 1e-9 * mag + 1e-300;
}

// Box of the grid: the geometry's box grown by a pad, so that its left edge
// lies strictly outside every owner.
inline box grid_box(const box& b, double margin) noexcept {
  const double pad = 4 * margin + 1e-9 * std::max(b.max.x_m - b.min.x_m, b.max.y_m - b.min.y_m);
  box g;
  g.min = {b.min.x_m - pad, b.min.y_m - pad};
  g.max = {b.max.x_m + pad, b.max.y_m + pad};
  return g;
}

// Grid of about `target_cells` square-ish cells over box b.
inline grid_geom make_grid(const box& b, double target_cells) noexcept {
  const double W = b.max.x_m - b.min.x_m, H = b.max.y_m - b.min.y_m;
  target_cells = std::max(1.0, target_cells);
  double s = std::sqrt(W * H / target_cells);
  if (!(s > 0)) s = std::max(W, H) / target_cells;
  if (!(s > 0)) s = 1;
  const auto nx = static_cast<std::uint32_t>(std::clamp(std::ceil(W / s), 1.0, 65536.0));
  const auto ny = static_cast<std::uint32_t>(std::clamp(std::ceil(H / s), 1.0, 65536.0));
  return grid_geom::make(b.min.x_m, b.min.y_m, W / nx, H / ny, nx, ny);
}

}  // namespace warden::detail
