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
// reference point of known status), or a nested grid over the cell when it
// holds too many edges. The benchmark (bench/zones_bench.cpp) chose this
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
        if ((c[k].word & 3u) == 2u) prefetch_vertices(c[k].word);
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
  void prefetch_leaf(std::uint32_t word) const noexcept {
    const unsigned char* q = bytes() + std::size_t{word >> 2} * 8;
    __builtin_prefetch(q);
    __builtin_prefetch(q + 64);
  }

  // The vertices of a leaf's edges (after prefetch_leaf has brought the leaf).
  void prefetch_vertices(std::uint32_t word) const noexcept {
    const unsigned char* q = bytes() + std::size_t{word >> 2} * 8;
    const std::uint32_t n_cover = ld32(q + 16), n_bound = ld32(q + 20);
    const unsigned char* bound = q + 24 + 4 * std::size_t{n_cover};
    const unsigned char* data = bound + 8 * std::size_t{n_bound};
    for (std::uint32_t bi = 0; bi < n_bound; ++bi) {
      const std::uint32_t flags = ld32(bound + 8 * bi + 4);
      if (flags & 2u) {
        data += 24;
        continue;
      }
      for (std::uint32_t e = 0; e < (flags >> 2); ++e, data += 4) __builtin_prefetch(v_.data() + (ld32(data) >> 2));
    }
  }

  // Leaves live in blob_, 8-byte aligned, one contiguous read each:
  //   double rx, ry          reference point of the cell (on no edge)
  //   u32 n_cover, n_bound
  //   u32 cover[n_cover]     zones covering the whole cell, ascending
  //   {u32 zone, u32 count << 2 | circle << 1 | inside at r}[n_bound]
  //                          zones whose boundary crosses the cell, ascending
  //   then, in bound order, a circle's (cx, cy, radius) as doubles or a
  //   polygon's edges as u32 (index of their first vertex in v_) << 2 | sign
  //   of orient(a, b, r) (1 positive, 2 negative, 0 zero).
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
    const unsigned char* data = bound + 8 * std::size_t{n_bound};
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
      const unsigned char* end = data + 4 * std::size_t{flags >> 2};
      if (eval_edges(data, end, (flags & 1u) != 0, r, p)) f(bz);
      data = end;
    }
  }

  bool eval_edges(const unsigned char* e, const unsigned char* end, bool in, xy r, xy p) const noexcept {
    for (; e != end; e += 4) {
      const std::uint32_t ref = ld32(e);
      const xy* v = v_.data() + (ref >> 2);
      const xy a = v[0], b = v[1];
      const int o_p = detail::orient(a, b, p);
      if (o_p == 0) {
        if (detail::in_box(a, b, p)) return true;
        continue;
      }
      const std::uint32_t code = ref & 3u;  // sign of orient(a, b, r): 1 +, 2 -, 0 zero
      if (code == 0 || (o_p > 0) == (code == 1)) continue;
      if ((detail::orient(r, p, a) >= 0) != (detail::orient(r, p, b) >= 0)) in = !in;
    }
    return in;
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
