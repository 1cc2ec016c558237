// Prepared polygon: build, distance and transit (the point test is inline
// in the header), and the exact orientation fallback.
#include <warden/prepared_polygon.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace warden {
namespace detail {
namespace {

// Error-free transformations (Knuth, Dekker/Shewchuk): x + y == a + b and
// x + y == a * b exactly.
inline void two_sum(double a, double b, double& x, double& y) noexcept {
  x = a + b;
  const double bv = x - a;
  const double av = x - bv;
  y = (a - av) + (b - bv);
}
inline void two_product(double a, double b, double& x, double& y) noexcept {
  x = a * b;
  y = std::fma(a, b, -x);
}

}  // namespace

int orient_exact(xy a, xy b, xy c) noexcept {
  // (bx-ax)(cy-ay) - (by-ay)(cx-ax) expanded into six products of inputs,
  // each split into two doubles, summed as a non-overlapping expansion
  // (Shewchuk's grow-expansion); its sign is that of its largest component.
  const double f[6][2] = {{b.x_m, c.y_m},  {-b.x_m, a.y_m}, {-a.x_m, c.y_m},
                          {-b.y_m, c.x_m}, {b.y_m, a.x_m},  {a.y_m, c.x_m}};
  double h[12];
  int n = 0;
  auto grow = [&](double q) {
    for (int i = 0; i < n; ++i) two_sum(q, h[i], q, h[i]);
    h[n++] = q;
  };
  for (const auto& t : f) {
    double hi, lo;
    two_product(t[0], t[1], hi, lo);
    grow(lo);
    grow(hi);
  }
  for (int i = n - 1; i >= 0; --i)
    if (h[i] != 0) return h[i] > 0 ? 1 : -1;
  return 0;
}

}  // namespace detail

namespace {

// Number of cells aimed at: generous for small polygons (speed), a few per
// edge for large ones (memory).
double target_cells(std::size_t edges, const prepared_polygon_options& o) {
  const double n = static_cast<double>(edges);
  const double per_edge = std::max(4.0, o.cells_per_edge * std::sqrt(512.0 / std::max(n, 512.0)));
  return std::clamp(n * per_edge, 64.0, static_cast<double>(o.max_cells));
}

}  // namespace

result<prepared_polygon> prepared_polygon::build(const multipolygon& mp, const prepared_polygon_options& options) {
  if (mp.empty()) return make_error(errc::empty_geometry, "a polygonal zone needs at least one polygon");
  std::size_t total = 0;
  for (const polygon& poly : mp) {
    auto check = [&](const ring& r) -> result<void> {
      if (r.size() < 3) return make_error(errc::ring_too_few_points, "a ring needs at least 3 distinct vertices");
      for (const xy& q : r)
        if (!std::isfinite(q.x_m) || !std::isfinite(q.y_m))
          return make_error(errc::not_finite, "polygon coordinates must be finite");
      total += r.size() + 1;
      return {};
    };
    if (auto c = check(poly.outer); !c) return c.err();
    for (const ring& h : poly.holes)
      if (auto c = check(h); !c) return c.err();
  }
  if (total > options.max_vertices || total >= (std::size_t{1} << 30))
    return make_error(errc::too_many_vertices, "polygon has " + std::to_string(total) + " vertices, over the limit");

  prepared_polygon pp;
  pp.v_.reserve(total);
  std::vector<std::uint32_t> ids;
  ids.reserve(total);
  auto add_ring = [&](const ring& r) {
    const auto start = static_cast<std::uint32_t>(pp.v_.size());
    for (std::size_t k = 0; k < r.size(); ++k) {
      ids.push_back(start + static_cast<std::uint32_t>(k));
      pp.v_.push_back(r[k]);
      pp.bbox_.extend(r[k]);
    }
    pp.v_.push_back(r.front());
  };
  for (const polygon& poly : mp) {
    add_ring(poly.outer);
    for (const ring& h : poly.holes) add_ring(h);
  }
  pp.vertex_count_ = ids.size();

  const double margin = detail::grid_margin(pp.bbox_);
  const box gbox = detail::grid_box(pp.bbox_, margin);
  double target = target_cells(ids.size(), options);
  detail::grid_geom g = detail::make_grid(gbox, target);
  // Bound memory: pathological shapes (long edges crossing many cells) get
  // a coarser grid rather than a huge edge list.
  const double n = static_cast<double>(ids.size());
  while (target > 64 && detail::estimate_refs(pp.v_, ids, g.w, g.h) > 8 * n + 2.0 * g.cells()) {
    target /= 2;
    g = detail::make_grid(gbox, target);
  }
  pp.g_ = g;
  pp.nx_d_ = g.nx;
  pp.ny_d_ = g.ny;
  pp.min_cell_ = std::min(g.w, g.h);
  pp.cells_.assign(g.cells(), 0);

  detail::build_level(g, pp.v_, nullptr, ids, margin, detail::level_entry{},
                      [&](std::uint32_t cell, std::span<const std::uint32_t> edges, xy r,
                          const detail::owner_set& inside) {
                        if (edges.empty()) {
                          pp.cells_[cell] = inside.empty() ? 0u : 1u;
                          return;
                        }
                        cell_record rec;
                        rec.r = r;
                        rec.begin = static_cast<std::uint32_t>(pp.refs_.size());
                        rec.count_inside = static_cast<std::uint32_t>(edges.size() << 1) | (inside.empty() ? 0u : 1u);
                        for (std::uint32_t e : edges) {
                          const int o = detail::orient(pp.v_[e], pp.v_[e + 1], r);
                          pp.refs_.push_back(e << 2 | (o > 0 ? 1u : o < 0 ? 2u : 0u));
                        }
                        pp.cells_[cell] = static_cast<std::uint32_t>(pp.recs_.size() + 2);
                        pp.recs_.push_back(rec);
                      });

  // Chessboard distance (in cells) to the nearest boundary cell: two passes.
  const std::uint32_t nx = g.nx, ny = g.ny;
  std::vector<std::uint16_t> d(g.cells());
  for (std::size_t c = 0; c < d.size(); ++c) d[c] = pp.cells_[c] >= 2 ? 0 : 0xFFFF;
  auto relax = [&](std::uint32_t c, std::int64_t i, std::int64_t j) {
    if (i < 0 || j < 0 || i >= nx || j >= ny) return;
    const std::uint16_t o = d[static_cast<std::size_t>(j * nx + i)];
    if (o != 0xFFFF && o + 1 < d[c]) d[c] = static_cast<std::uint16_t>(o + 1);
  };
  for (std::int64_t j = 0; j < ny; ++j)
    for (std::int64_t i = 0; i < nx; ++i) {
      const auto c = static_cast<std::uint32_t>(j * nx + i);
      relax(c, i - 1, j);
      relax(c, i - 1, j - 1);
      relax(c, i, j - 1);
      relax(c, i + 1, j - 1);
    }
  for (std::int64_t j = ny - 1; j >= 0; --j)
    for (std::int64_t i = nx - 1; i >= 0; --i) {
      const auto c = static_cast<std::uint32_t>(j * nx + i);
      relax(c, i + 1, j);
      relax(c, i + 1, j + 1);
      relax(c, i, j + 1);
      relax(c, i - 1, j + 1);
    }
  pp.clearance_.resize(d.size());
  for (std::size_t c = 0; c < d.size(); ++c) pp.clearance_[c] = static_cast<std::uint8_t>(std::min<std::uint16_t>(d[c], 255));

  pp.refs_.shrink_to_fit();
  pp.recs_.shrink_to_fit();
  return pp;
}

double prepared_polygon::boundary_distance_lower_bound_m(xy p) const noexcept {
  if (cells_.empty()) return std::numeric_limits<double>::infinity();
  const double dx = std::max(std::max(bbox_.min.x_m - p.x_m, 0.0), p.x_m - bbox_.max.x_m);
  const double dy = std::max(std::max(bbox_.min.y_m - p.y_m, 0.0), p.y_m - bbox_.max.y_m);
  // Shaved so that rounding can never lift it above the exact distance.
  const double outside_box = std::hypot(dx, dy) * (1 - 1e-12);
  const double fx = (p.x_m - g_.x0) * g_.inv_w, fy = (p.y_m - g_.y0) * g_.inv_h;
  if (!(fx >= 0 && fx < nx_d_ && fy >= 0 && fy < ny_d_)) return outside_box;
  const std::uint8_t c = clearance_[static_cast<std::uint32_t>(fy) * g_.nx + static_cast<std::uint32_t>(fx)];
  return std::max(outside_box, c >= 1 ? (c - 1) * min_cell_ * (1 - 1e-12) : 0.0);
}

double prepared_polygon::boundary_distance_m(xy p) const noexcept {
  if (cells_.empty()) return std::numeric_limits<double>::infinity();
  const std::uint32_t nx = g_.nx, ny = g_.ny;
  const std::uint32_t ci = g_.col(p.x_m), cj = g_.row(p.y_m);
  const double fx = (p.x_m - g_.x0) * g_.inv_w, fy = (p.y_m - g_.y0) * g_.inv_h;
  const bool in_grid = fx >= 0 && fx < nx_d_ && fy >= 0 && fy < ny_d_;
  const std::uint32_t k0 = in_grid ? clearance_[cj * nx + ci] : 0;
  const std::uint32_t kmax = std::max({ci, nx - 1 - ci, cj, ny - 1 - cj});
  double best2 = std::numeric_limits<double>::infinity();
  auto visit = [&](std::uint32_t i, std::uint32_t j) {
    const std::uint32_t w = cells_[j * nx + i];
    if (w < 2) return;
    const cell_record& rec = recs_[w - 2];
    const std::uint32_t* ref = refs_.data() + rec.begin;
    const std::uint32_t* end = ref + (rec.count_inside >> 1);
    for (; ref != end; ++ref) {
      const std::uint32_t e = *ref >> 2;
      best2 = std::min(best2, detail::segment_distance2(v_[e], v_[e + 1], p));
    }
  };
  for (std::uint32_t k = k0; k <= kmax; ++k) {
    if (k >= 1) {
      const double lb = (k - 1) * min_cell_;
      if (lb * lb >= best2) break;
    }
    const std::int64_t i0 = std::int64_t{ci} - k, i1 = std::int64_t{ci} + k;
    const std::int64_t j0 = std::int64_t{cj} - k, j1 = std::int64_t{cj} + k;
    const std::uint32_t ilo = static_cast<std::uint32_t>(std::max<std::int64_t>(i0, 0));
    const std::uint32_t ihi = static_cast<std::uint32_t>(std::min<std::int64_t>(i1, nx - 1));
    const std::uint32_t jlo = static_cast<std::uint32_t>(std::max<std::int64_t>(j0, 0));
    const std::uint32_t jhi = static_cast<std::uint32_t>(std::min<std::int64_t>(j1, ny - 1));
    if (j0 >= 0)
      for (std::uint32_t i = ilo; i <= ihi; ++i) visit(i, static_cast<std::uint32_t>(j0));
    if (k > 0 && j1 < ny)
      for (std::uint32_t i = ilo; i <= ihi; ++i) visit(i, static_cast<std::uint32_t>(j1));
    for (std::uint32_t j = jlo; j <= jhi; ++j) {
      if (std::int64_t{j} == j0 || std::int64_t{j} == j1) continue;
      if (i0 >= 0) visit(static_cast<std::uint32_t>(i0), j);
      if (k > 0 && i1 < nx) visit(static_cast<std::uint32_t>(i1), j);
    }
  }
  return std::sqrt(best2);
}

namespace {

double cross(double ax, double ay, double bx, double by) noexcept { return ax * by - ay * bx; }

// Smallest parameter t in [0, 1] of a point of [a, b] that is also on the
// closed edge [c, d]; the two are known to intersect and a is not on [c, d].
double first_meeting(xy a, xy b, xy c, xy d) noexcept {
  const double ux = b.x_m - a.x_m, uy = b.y_m - a.y_m;
  const double vx = d.x_m - c.x_m, vy = d.y_m - c.y_m;
  const double den = cross(ux, uy, vx, vy);
  double t;
  if (den != 0 && !(detail::orient(a, b, c) == 0 && detail::orient(a, b, d) == 0)) {
    t = cross(c.x_m - a.x_m, c.y_m - a.y_m, vx, vy) / den;
  } else {
    // Collinear overlap: a is off [c, d], so the overlap starts at c or d.
    const double len2 = ux * ux + uy * uy;
    t = 1;
    for (xy q : {c, d})
      if (detail::on_segment(a, b, q)) t = std::min(t, ((q.x_m - a.x_m) * ux + (q.y_m - a.y_m) * uy) / len2);
  }
  return std::clamp(t, 0.0, 1.0);
}

}  // namespace

transit_result prepared_polygon::transit(xy a, xy b) const noexcept {
  transit_result res;
  res.start_covered = covers(a);
  res.end_covered = covers(b);
  if (res.start_covered) {
    res.meets = true;
    res.entry = a;
    return res;
  }
  if (cells_.empty()) return res;
  // Visit the cells along the segment row by row in the direction of travel
  // and stop once a row can only hold meetings later than the best so far.
  const double margin = detail::grid_margin(bbox_);
  const double ylo = std::min(a.y_m, b.y_m), yhi = std::max(a.y_m, b.y_m);
  const double xlo = std::min(a.x_m, b.x_m), xhi = std::max(a.x_m, b.x_m);
  const std::uint32_t r0 = g_.row(ylo - margin), r1 = g_.row(yhi + margin);
  const double dy = b.y_m - a.y_m;
  double best = 2;
  const bool up = dy >= 0;
  for (std::uint32_t n = 0; n <= r1 - r0; ++n) {
    const std::uint32_t j = up ? r0 + n : r1 - n;
    double x_from = xlo, x_to = xhi;
    if (dy != 0 && r0 != r1) {
      const double band_lo = std::max(ylo, g_.cell_y(j) - margin);
      const double band_hi = std::min(yhi, g_.cell_y(j + 1) + margin);
      const double t_enter = ((up ? band_lo : band_hi) - a.y_m) / dy;
      if (t_enter > best + 1e-9) break;
      const double s = (b.x_m - a.x_m) / dy;
      const double xa = a.x_m + (band_lo - a.y_m) * s, xb = a.x_m + (band_hi - a.y_m) * s;
      x_from = std::max(xlo, std::min(xa, xb));
      x_to = std::min(xhi, std::max(xa, xb));
    }
    const std::uint32_t c0 = g_.col(x_from - margin), c1 = g_.col(x_to + margin);
    for (std::uint32_t i = c0; i <= c1; ++i) {
      const std::uint32_t w = cells_[j * g_.nx + i];
      if (w < 2) continue;
      const cell_record& rec = recs_[w - 2];
      const std::uint32_t* ref = refs_.data() + rec.begin;
      const std::uint32_t* end = ref + (rec.count_inside >> 1);
      for (; ref != end; ++ref) {
        const std::uint32_t e = *ref >> 2;
        if (!detail::segments_intersect(a, b, v_[e], v_[e + 1])) continue;
        best = std::min(best, first_meeting(a, b, v_[e], v_[e + 1]));
      }
    }
  }
  if (best <= 1) {
    res.meets = true;
    res.entry_t = best;
    res.entry = best == 1 ? b : xy{a.x_m + best * (b.x_m - a.x_m), a.y_m + best * (b.y_m - a.y_m)};
  }
  return res;
}

std::size_t prepared_polygon::memory_bytes() const noexcept {
  return v_.capacity() * sizeof(xy) + cells_.capacity() * sizeof(std::uint32_t) +
         recs_.capacity() * sizeof(cell_record) + refs_.capacity() * sizeof(std::uint32_t) +
         clearance_.capacity();
}

}  // namespace warden
