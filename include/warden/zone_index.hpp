// warden/zone_index.hpp — which zones cover a point, for many zones at once
// (a town centre shared by many subjects, all LSOAs of a county, every zone
// of every subject).
//
//   warden::zone_index_builder b;
//   for (const auto& mp : areas) b.add(mp);       // zone i = i-th add
//   warden::zone_index idx = b.build().value();    // one pass over all edges
//   idx.for_each_covering(p, [&](std::uint32_t zone) { ... });  // ascending, no allocation
//   idx.for_each_covering(points, [&](std::size_t i, std::uint32_t zone) { ... });  // batched
//
// Units: frame metres. Boundary semantics: a zone covers its boundary,
// exactly as prepared_polygon (exact predicates, the same answers as GEOS
// covers for valid polygons); a circle covers p when
// (p - centre)² <= radius_m² in double arithmetic, as warden::covers(circle, p).
//
// How: an adaptive grid, built in one pass. A top-level uniform grid over
// all zones; each cell is either empty, covered by exactly one zone (the
// common case: answered by one memory read), a leaf (covering zones plus,
// for zones whose boundary passes through the cell, their few edges and a
// reference point of known status; edges as float offsets with an exact
// fallback, see the leaf layout below), or a nested grid over the cell when
// it holds too many edges. The benchmark (bench/zones_bench.cpp) chose this
// over Boost.Geometry's packed R-tree.
//
// Thread-safety: immutable after build; const queries may run concurrently.
// A builder is not synchronised.
#pragma once

#include <warden/detail/pip_grid.hpp>
#include <warden/detail/pip_predicates.hpp>
#include <warden/geometry.hpp>
#include <warden/result.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace warden {
namespace detail {
struct zone_index_build;
}

struct zone_index_options {
  double top_cells_per_edge = 1.0;   // resolution of the top-level grid
  std::uint32_t leaf_max_edges = 6;  // a cell with more edges (a circle counts 4) gets a nested grid
  double nested_cells_per_edge = 3;  // a nested grid has about this many cells per edge of its cell
  std::uint32_t max_depth = 3;       // levels of nesting below the top grid
  std::size_t max_top_cells = std::size_t{1} << 22;
};

class zone_index;

class zone_index_builder {
 public:
  // Adds a polygonal zone; returns its index (0, 1, ... in the order of
  // add calls, circles included). Errors: empty_geometry,
  // ring_too_few_points, not_finite, too_many_vertices.
  result<std::uint32_t> add(const multipolygon& mp);
  // Adds a circle zone. Errors: not_finite, bad_radius (negative).
  result<std::uint32_t> add(const circle& c);
  // Adds a zone read by the zones reader (its projected area or disc).
  result<std::uint32_t> add(const zone& z) {
    return z.shape == zone_shape::circle ? add(z.disc) : add(z.area);
  }
  std::uint32_t size() const noexcept { return count_; }

  // Errors: limit_exceeded (more than 2^30 zones, vertices or cells).
  result<zone_index> build(const zone_index_options& options = {}) const;

 private:
  friend struct detail::zone_index_build;
  std::vector<xy> v_;                    // closed rings, one after another
  std::vector<std::uint32_t> owner_;     // zone of each vertex
  std::vector<std::uint32_t> edges_;     // first vertex of each edge, ascending
  std::vector<circle> circles_;
  std::vector<std::uint32_t> circle_owner_;
  std::uint32_t count_ = 0;
  box bbox_;
};

class zone_index {
 public:
  zone_index() = default;
  // Convenience: every zone of `zones`, zone i = zones[i].
  static result<zone_index> build(std::span<const zone> zones, const zone_index_options& options = {});

  // Calls f(zone) for every zone that covers p, in ascending zone order.
  template <class F>
  void for_each_covering(xy p, F&& f) const noexcept(noexcept(f(std::uint32_t{}))) {
    cursor c;
    if (!start(p, c)) return;
    while (c.nested()) descend(c);
    emit(c.word, p, f);
  }

  // The same for many points: calls f(i, zone) for every zone covering
  // points[i], i ascending, zones ascending for each i. Faster than one
  // call per point (memory reads of neighbouring points overlap).
  template <class F>
  void for_each_covering(std::span<const xy> points, F&& f) const noexcept(noexcept(f(std::size_t{}, std::uint32_t{}))) {
    constexpr std::size_t batch = 16;
    cursor c[batch];
    for (std::size_t first = 0; first < points.size(); first += batch) {
      const std::size_t n = std::min(batch, points.size() - first);
      bool deeper = false;
      for (std::size_t k = 0; k < n; ++k) {
        if (!start(points[first + k], c[k])) c[k].word = 0;
        deeper |= c[k].nested();
      }
      while (deeper) {
        deeper = false;
        for (std::size_t k = 0; k < n; ++k)
          if (c[k].nested()) {
            descend(c[k]);
            deeper |= c[k].nested();
          }
      }
      for (std::size_t k = 0; k < n; ++k)
        if ((c[k].word & 3u) == 2u) prefetch_leaf(c[k].word);
      for (std::size_t k = 0; k < n; ++k)
        emit(c[k].word, points[first + k], [&](std::uint32_t z) { f(first + k, z); });
    }
  }

  // Writes the covering zones, ascending, into out (as many as fit) and
  // returns how many there are.
  std::size_t covering(xy p, std::span<std::uint32_t> out) const noexcept {
    std::size_t n = 0;
    for_each_covering(p, [&](std::uint32_t z) noexcept {
      if (n < out.size()) out[n] = z;
      ++n;
    });
    return n;
  }
  bool covered_by_any(xy p) const noexcept {
    bool any = false;
    for_each_covering(p, [&](std::uint32_t) noexcept { any = true; });
    return any;
  }

  std::uint32_t zone_count() const noexcept { return zone_count_; }
  // Heap memory held, bytes.
  std::size_t memory_bytes() const noexcept;
  std::size_t nested_grid_count() const noexcept { return nested_grids_; }
  std::size_t leaf_count() const noexcept { return leaves_; }

 private:
  friend class zone_index_builder;
  friend struct detail::zone_index_build;

  // Where a query stands: the cell word and the point's position in cell
  // units of the grid that word belongs to.
  struct cursor {
    double fx, fy;
    std::uint32_t ix, iy, word;
    bool nested() const noexcept { return (word & 3u) == 3u; }
  };

  bool start(xy p, cursor& c) const noexcept {
    c.fx = (p.x_m - x0_) * inv_w_;
    c.fy = (p.y_m - y0_) * inv_h_;
    if (!(c.fx >= 0 && c.fx < nx_d_ && c.fy >= 0 && c.fy < ny_d_)) return false;
    c.ix = static_cast<std::uint32_t>(c.fx);
    c.iy = static_cast<std::uint32_t>(c.fy);
    c.word = words_[c.iy * nx_ + c.ix];
    return true;
  }
  // A nested grid splits its parent cell k x k: the position inside the
  // parent cell, scaled by k, gives the nested cell.
  void descend(cursor& c) const noexcept {
    const std::uint32_t k = ((c.word >> 2) & 15u) + 1;
    c.fx = (c.fx - c.ix) * k;
    c.fy = (c.fy - c.iy) * k;
    c.ix = std::min(static_cast<std::uint32_t>(c.fx), k - 1);
    c.iy = std::min(static_cast<std::uint32_t>(c.fy), k - 1);
    c.word = words_[(c.word >> 6) + c.iy * k + c.ix];
  }
  // A leaf is one contiguous read (edges are stored in it, see below), so
  // its first lines are all a batch needs to bring in early.
  void prefetch_leaf(std::uint32_t word) const noexcept {
    const unsigned char* q = bytes() + std::size_t{word >> 2} * 8;
    __builtin_prefetch(q);
    __builtin_prefetch(q + 64);
    __builtin_prefetch(q + 128);
  }

  // Leaves live in blob_, 8-byte aligned, one contiguous read each:
  //   double rx, ry          reference point of the cell (on no edge)
  //   u32 n_cover, n_bound
  //   u32 cover[n_cover]     zones covering the whole cell, ascending
  //   {u32 zone, u32 count << 2 | circle << 1 | inside at r}[n_bound]
  //                          zones whose boundary crosses the cell, ascending
  //   float s_max            largest |coordinate| in the edge records below
  //   then, in bound order, a circle's (cx, cy, radius) as doubles or a
  //   polygon's edges as {float ax, ay, bx, by (relative to r); u32 index of
  //   the first vertex in v_ << 2 | sign of orient(a, b, r) (1 positive,
  //   2 negative, 0 zero)}.
  // The float copies let a query decide almost every edge without reading
  // v_ (one dependent cache miss fewer); when a determinant is too close to
  // zero for the rounding of the floats to be ruled out, that edge is
  // decided again, exactly, from v_.
  static constexpr std::size_t edge_record_bytes = 20;
  const unsigned char* bytes() const noexcept { return reinterpret_cast<const unsigned char*>(blob_.data()); }
  static double ld(const unsigned char* q) noexcept {
    double d;
    std::memcpy(&d, q, sizeof d);
    return d;
  }
  static std::uint32_t ld32(const unsigned char* q) noexcept {
    std::uint32_t u;
    std::memcpy(&u, q, sizeof u);
    return u;
  }

  template <class F>
  void emit(std::uint32_t w, xy p, F&& f) const noexcept(noexcept(f(std::uint32_t{}))) {
    if ((w & 3u) == 1u) {
      f(w >> 2);
      return;
    }
    if ((w & 3u) != 2u) return;
    const unsigned char* q = bytes() + std::size_t{w >> 2} * 8;
    const xy r{ld(q), ld(q + 8)};
    const std::uint32_t n_cover = ld32(q + 16), n_bound = ld32(q + 20);
    const unsigned char* cover = q + 24;
    const unsigned char* bound = cover + 4 * std::size_t{n_cover};
    const unsigned char* data = bound + 8 * std::size_t{n_bound} + 4;
    std::uint32_t ci = 0, bi = 0;
    while (ci < n_cover || bi < n_bound) {
      const std::uint32_t cz = ci < n_cover ? ld32(cover + 4 * ci) : ~0u;
      const std::uint32_t bz = bi < n_bound ? ld32(bound + 8 * bi) : ~0u;
      if (cz < bz) {
        f(cz);
        ++ci;
        continue;
      }
      const std::uint32_t flags = ld32(bound + 8 * bi + 4);
      ++bi;
      if (flags & 2u) {
        const double dx = p.x_m - ld(data), dy = p.y_m - ld(data + 8), rad = ld(data + 16);
        data += 24;
        if (dx * dx + dy * dy <= rad * rad) f(bz);
        continue;
      }
      const unsigned char* end = data + edge_record_bytes * std::size_t{flags >> 2};
      if (eval_edges(data, end, (flags & 1u) != 0, r, p, ldf(bound + 8 * std::size_t{n_bound}))) f(bz);
      data = end;
    }
  }

  // Whether p is covered, given the status `in` at r and the edges [e, end)
  // of one zone. The filter: with A, B the float offsets of an edge's ends
  // from r and P = p - r, every component is within 2^-24 S of the exact
  // offset (S bounds all their magnitudes), so each determinant below is
  // within 16 * 2^-24 S² (plus double rounding, far smaller) of the exact
  // one; past twice that its sign is the exact sign.
  bool eval_edges(const unsigned char* e, const unsigned char* end, bool in, xy r, xy p,
                  double s_max) const noexcept {
    const double px = p.x_m - r.x_m, py = p.y_m - r.y_m;
    const double s = std::max({s_max, std::fabs(px), std::fabs(py)});
    const double tol = 0x1p-19 * s * s + 1e-30;
    for (; e != end; e += edge_record_bytes) {
      const double ax = ldf(e), ay = ldf(e + 4), bx = ldf(e + 8), by = ldf(e + 12);
      const std::uint32_t ref = ld32(e + 16);
      const double d_ab_p = (bx - ax) * (py - ay) - (by - ay) * (px - ax);  // orient(a, b, p)
      if (!(std::fabs(d_ab_p) > tol)) {  // also NaN (float offsets overflowed): exact
        if (exact_edge(ref, r, p, in)) return true;
        continue;
      }
      const std::uint32_t code = ref & 3u;  // sign of orient(a, b, r): 1 +, 2 -, 0 zero
      if (code == 0 || (d_ab_p > 0) == (code == 1)) continue;
      const double d_rp_a = px * ay - py * ax, d_rp_b = px * by - py * bx;  // orient(r, p, a), (r, p, b)
      if (!(std::fabs(d_rp_a) > tol && std::fabs(d_rp_b) > tol)) {
        if (exact_edge(ref, r, p, in)) return true;
        continue;
      }
      if ((d_rp_a > 0) != (d_rp_b > 0)) in = !in;
    }
    return in;
  }

  // One edge decided exactly from v_: true when p lies on it, otherwise
  // toggles `in` when the segment r -> p crosses it.
  bool exact_edge(std::uint32_t ref, xy r, xy p, bool& in) const noexcept {
    const xy* v = v_.data() + (ref >> 2);
    const xy a = v[0], b = v[1];
    const int o_p = detail::orient(a, b, p);
    if (o_p == 0) return detail::in_box(a, b, p);
    const std::uint32_t code = ref & 3u;
    if (code == 0 || (o_p > 0) == (code == 1)) return false;
    if ((detail::orient(r, p, a) >= 0) != (detail::orient(r, p, b) >= 0)) in = !in;
    return false;
  }
  static double ldf(const unsigned char* q) noexcept {
    float f;
    std::memcpy(&f, q, sizeof f);
    return static_cast<double>(f);
  }

  // Top-level grid.
  double x0_ = 0, y0_ = 0, inv_w_ = 1, inv_h_ = 1, nx_d_ = 0, ny_d_ = 0;
  std::uint32_t nx_ = 0, ny_ = 0;
  // Cell words, tag in the low 2 bits: 0 empty; 1 one zone (zone << 2);
  // 2 leaf (8-byte offset in blob_ << 2); 3 nested grid (its first word << 6 | (k - 1) << 2).
  std::vector<std::uint32_t> words_;
  std::vector<std::uint64_t> blob_;
  std::vector<xy> v_;  // closed rings; edge i is (v_[i], v_[i + 1])
  std::size_t nested_grids_ = 0, leaves_ = 0;
  std::uint32_t zone_count_ = 0;
};

}  // namespace warden
