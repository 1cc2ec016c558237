// Zone index: the one-pass builder of the adaptive grid (queries are inline
// in the header).
#include <warden/zone_index.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace warden {

namespace {

constexpr std::uint32_t max_id = (std::uint32_t{1} << 30) - 1;

result<void> check_ring(const ring& r) {
  if (r.size() < 3) return make_error(errc::ring_too_few_points, "a ring needs at least 3 distinct vertices");
  for (const xy& q : r)
    if (!std::isfinite(q.x_m) || !std::isfinite(q.y_m))
      return make_error(errc::not_finite, "polygon coordinates must be finite");
  return {};
}

}  // namespace

result<std::uint32_t> zone_index_builder::add(const multipolygon& mp) {
  if (mp.empty()) return make_error(errc::empty_geometry, "a polygonal zone needs at least one polygon");
  std::size_t total = 0;
  for (const polygon& poly : mp) {
    if (auto c = check_ring(poly.outer); !c) return c.err();
    total += poly.outer.size() + 1;
    for (const ring& h : poly.holes) {
      if (auto c = check_ring(h); !c) return c.err();
      total += h.size() + 1;
    }
  }
  if (count_ >= max_id) return make_error(errc::limit_exceeded, "too many zones for one index");
  if (v_.size() + total >= max_id) return make_error(errc::too_many_vertices, "too many vertices for one index");
  const std::uint32_t owner = count_++;
  auto add_ring = [&](const ring& r) {
    const auto start = static_cast<std::uint32_t>(v_.size());
    for (std::size_t k = 0; k < r.size(); ++k) {
      edges_.push_back(start + static_cast<std::uint32_t>(k));
      v_.push_back(r[k]);
      bbox_.extend(r[k]);
    }
    v_.push_back(r.front());
  };
  for (const polygon& poly : mp) {
    add_ring(poly.outer);
    for (const ring& h : poly.holes) add_ring(h);
  }
  owner_.resize(v_.size(), owner);
  return owner;
}

result<std::uint32_t> zone_index_builder::add(const circle& c) {
  if (!std::isfinite(c.centre.x_m) || !std::isfinite(c.centre.y_m))
    return make_error(errc::not_finite, "circle centre must be finite");
  if (!std::isfinite(c.radius_m) || c.radius_m < 0)
    return make_error(errc::bad_radius, "circle radius must be finite and not negative");
  if (count_ >= max_id) return make_error(errc::limit_exceeded, "too many zones for one index");
  const std::uint32_t owner = count_++;
  circles_.push_back(c);
  circle_owner_.push_back(owner);
  bbox_.extend({c.centre.x_m - c.radius_m, c.centre.y_m - c.radius_m});
  bbox_.extend({c.centre.x_m + c.radius_m, c.centre.y_m + c.radius_m});
  return owner;
}

namespace detail {

// The recursive builder: one level() call per grid level.
struct zone_index_build {
  const zone_index_builder& in;
  const zone_index_options& o;
  double margin;
  zone_index& out;

  enum class circle_class { none, cover, boundary };

  // How circle c relates to the cell box grown by margin, decided so that
  // the query's floating-point test agrees for every point mapped there.
  circle_class classify(const circle& c, double x0, double y0, double x1, double y1) const noexcept {
    x0 -= margin, y0 -= margin, x1 += margin, y1 += margin;
    const double nx = std::max(std::max(x0 - c.centre.x_m, 0.0), c.centre.x_m - x1);
    const double ny = std::max(std::max(y0 - c.centre.y_m, 0.0), c.centre.y_m - y1);
    if (std::hypot(nx, ny) > c.radius_m * (1 + 1e-12)) return circle_class::none;
    const double fx = std::max(std::fabs(c.centre.x_m - x0), std::fabs(c.centre.x_m - x1));
    const double fy = std::max(std::fabs(c.centre.y_m - y0), std::fabs(c.centre.y_m - y1));
    if (std::hypot(fx, fy) <= c.radius_m * (1 - 1e-12)) return circle_class::cover;
    return circle_class::boundary;
  }

  cell_lists circle_lists(const grid_geom& g, std::span<const std::uint32_t> ids) const {
    cell_lists out_lists;
    out_lists.offset.assign(std::size_t{g.cells()} + 1, 0);
    auto each = [&](std::uint32_t ci, auto&& f) {
      const circle& c = in.circles_[ci];
      const std::uint32_t i0 = g.col(c.centre.x_m - c.radius_m - margin), i1 = g.col(c.centre.x_m + c.radius_m + margin);
      const std::uint32_t j0 = g.row(c.centre.y_m - c.radius_m - margin), j1 = g.row(c.centre.y_m + c.radius_m + margin);
      for (std::uint32_t j = j0; j <= j1; ++j)
        for (std::uint32_t i = i0; i <= i1; ++i) f(j * g.nx + i);
    };
    for (std::uint32_t ci : ids) each(ci, [&](std::uint32_t cell) { ++out_lists.offset[cell + 1]; });
    for (std::size_t c = 0; c < g.cells(); ++c) out_lists.offset[c + 1] += out_lists.offset[c];
    out_lists.items.resize(out_lists.offset.back());
    std::vector<std::uint32_t> fill(out_lists.offset.begin(), out_lists.offset.end() - 1);
    for (std::uint32_t ci : ids) each(ci, [&](std::uint32_t cell) { out_lists.items[fill[cell]++] = ci; });
    return out_lists;
  }

  // Fills the words of a grid level (geometry g, words from `base`).
  // `cover_circles` cover the whole level; `bound_circles` may cross it;
  // both ascending.
  void level(std::uint32_t base, const grid_geom& g, std::span<const std::uint32_t> edges,
             std::span<const std::uint32_t> cover_circles, std::span<const std::uint32_t> bound_circles,
             const level_entry& entry, std::uint32_t depth) {
    const cell_lists clists = circle_lists(g, bound_circles);
    build_level(g, in.v_, in.owner_.data(), edges, margin, entry,
                [&](std::uint32_t cell, std::span<const std::uint32_t> cell_edges, xy r, const owner_set& inside) {
                  const std::uint32_t i = cell % g.nx, j = cell / g.nx;
                  std::vector<std::uint32_t> ccover(cover_circles.begin(), cover_circles.end()), cbound;
                  for (std::uint32_t ci : clists.of(cell)) {
                    switch (classify(in.circles_[ci], g.cell_x(i), g.cell_y(j), g.cell_x(i + 1), g.cell_y(j + 1))) {
                      case circle_class::cover: ccover.push_back(ci); break;
                      case circle_class::boundary: cbound.push_back(ci); break;
                      case circle_class::none: break;
                    }
                  }
                  std::sort(ccover.begin(), ccover.end());
                  const std::size_t complexity = cell_edges.size() + 4 * cbound.size();
                  if (complexity > o.leaf_max_edges && depth < o.max_depth) {
                    const auto k = static_cast<std::uint32_t>(std::clamp(
                        std::ceil(std::sqrt(static_cast<double>(complexity) * o.nested_cells_per_edge)), 2.0, 16.0));
                    const grid_geom sub = grid_geom::make(g.cell_x(i), g.cell_y(j), g.w / k, g.h / k, k, k);
                    const auto sub_base = static_cast<std::uint32_t>(out.words_.size());
                    if (sub_base >= (std::uint32_t{1} << 26)) {
                      too_large = true;
                      return;
                    }
                    out.words_.resize(out.words_.size() + std::size_t{k} * k, 0);
                    ++out.nested_grids_;
                    out.words_[base + cell] = sub_base << 6 | (k - 1) << 2 | 3u;
                    level_entry e;
                    e.nested = true;
                    e.r = r;
                    e.inside = inside.items();
                    e.edges = cell_edges;
                    level(sub_base, sub, cell_edges, ccover, cbound, e, depth + 1);
                    return;
                  }
                  out.words_[base + cell] = encode(cell_edges, r, inside, ccover, cbound);
                });
  }

  std::uint32_t encode(std::span<const std::uint32_t> cell_edges, xy r, const owner_set& inside,
                       const std::vector<std::uint32_t>& ccover, const std::vector<std::uint32_t>& cbound) {
    // Zones whose boundary crosses the cell, ascending: runs of edges of one
    // polygonal zone (edges ascend with zone) and circles.
    struct crossing {
      std::uint32_t owner;
      std::size_t edge_from, edge_to;  // polygon: range in cell_edges
      std::uint32_t circle;            // circle: index, else ~0
    };
    std::vector<crossing> bounds;
    std::vector<std::uint32_t> bound_owners;
    for (std::size_t k = 0; k < cell_edges.size();) {
      const std::uint32_t owner = in.owner_[cell_edges[k]];
      const std::size_t from = k;
      while (k < cell_edges.size() && in.owner_[cell_edges[k]] == owner) ++k;
      bounds.push_back({owner, from, k, ~0u});
      bound_owners.push_back(owner);
    }
    for (std::uint32_t ci : cbound) bounds.push_back({in.circle_owner_[ci], 0, 0, ci});
    std::sort(bounds.begin(), bounds.end(), [](const crossing& a, const crossing& b) { return a.owner < b.owner; });
    // Zones covering the whole cell.
    std::vector<std::uint32_t> cover;
    for (std::uint32_t z : inside.items())
      if (!std::binary_search(bound_owners.begin(), bound_owners.end(), z)) cover.push_back(z);
    for (std::uint32_t ci : ccover) cover.push_back(in.circle_owner_[ci]);
    std::sort(cover.begin(), cover.end());
    if (bounds.empty() && cover.empty()) return 0;
    if (bounds.empty() && cover.size() == 1) return cover[0] << 2 | 1u;

    const std::size_t at = out.blob_.size();
    if (at >= (std::size_t{1} << 30)) {
      too_large = true;
      return 0;
    }
    std::vector<unsigned char> leaf;
    auto put = [&](const auto& v) {
      const auto* b = reinterpret_cast<const unsigned char*>(&v);
      leaf.insert(leaf.end(), b, b + sizeof v);
    };
    put(r.x_m);
    put(r.y_m);
    put(static_cast<std::uint32_t>(cover.size()));
    put(static_cast<std::uint32_t>(bounds.size()));
    for (std::uint32_t z : cover) put(z);
    for (const crossing& c : bounds) {
      put(c.owner);
      if (c.circle != ~0u)
        put(std::uint32_t{2});
      else
        put(static_cast<std::uint32_t>(c.edge_to - c.edge_from) << 2 | (inside.contains(c.owner) ? 1u : 0u));
    }
    float s_max = 0;  // over the float edge offsets written below
    for (const crossing& c : bounds)
      if (c.circle == ~0u)
        for (std::size_t k = c.edge_from; k < c.edge_to; ++k)
          for (std::uint32_t e : {cell_edges[k], cell_edges[k] + 1})
            s_max = std::max({s_max, std::fabs(static_cast<float>(in.v_[e].x_m - r.x_m)),
                              std::fabs(static_cast<float>(in.v_[e].y_m - r.y_m))});
    put(s_max);
    for (const crossing& c : bounds) {
      if (c.circle != ~0u) {
        const circle& ci = in.circles_[c.circle];
        put(ci.centre.x_m);
        put(ci.centre.y_m);
        put(ci.radius_m);
        continue;
      }
      for (std::size_t k = c.edge_from; k < c.edge_to; ++k) {
        const std::uint32_t e = cell_edges[k];
        const xy a = in.v_[e], b = in.v_[e + 1];
        put(static_cast<float>(a.x_m - r.x_m));
        put(static_cast<float>(a.y_m - r.y_m));
        put(static_cast<float>(b.x_m - r.x_m));
        put(static_cast<float>(b.y_m - r.y_m));
        const int side = orient(a, b, r);
        put(e << 2 | (side > 0 ? 1u : side < 0 ? 2u : 0u));
      }
    }
    out.blob_.resize(at + (leaf.size() + 7) / 8, 0);
    std::memcpy(out.blob_.data() + at, leaf.data(), leaf.size());
    ++out.leaves_;
    return static_cast<std::uint32_t>(at) << 2 | 2u;
  }

  bool too_large = false;
};

}  // namespace detail

result<zone_index> zone_index_builder::build(const zone_index_options& options) const {
  zone_index out;
  out.zone_count_ = count_;
  out.v_ = v_;
  if (count_ == 0) return out;
  const double margin = detail::grid_margin(bbox_);
  const box gbox = detail::grid_box(bbox_, margin);
  const double n = static_cast<double>(edges_.size()) + 4.0 * static_cast<double>(circles_.size());
  double target = std::clamp(n * options.top_cells_per_edge, 1.0, static_cast<double>(options.max_top_cells));
  detail::grid_geom g = detail::make_grid(gbox, target);
  while (target > 64 && detail::estimate_refs(v_, edges_, g.w, g.h) > 8 * n + 2.0 * g.cells()) {
    target /= 2;
    g = detail::make_grid(gbox, target);
  }
  out.x0_ = g.x0;
  out.y0_ = g.y0;
  out.inv_w_ = g.inv_w;
  out.inv_h_ = g.inv_h;
  out.nx_ = g.nx;
  out.ny_ = g.ny;
  out.nx_d_ = g.nx;
  out.ny_d_ = g.ny;
  out.words_.assign(g.cells(), 0);
  detail::zone_index_build b{*this, options, margin, out};
  std::vector<std::uint32_t> all_circles(circles_.size());
  for (std::uint32_t i = 0; i < all_circles.size(); ++i) all_circles[i] = i;
  b.level(0, g, edges_, {}, all_circles, detail::level_entry{}, 0);
  if (b.too_large) return make_error(errc::limit_exceeded, "zone index too large");
  out.words_.shrink_to_fit();
  out.blob_.shrink_to_fit();
  return out;
}

result<zone_index> zone_index::build(std::span<const zone> zones, const zone_index_options& options) {
  zone_index_builder b;
  for (const zone& z : zones)
    if (auto r = b.add(z); !r) return r.err();
  return b.build(options);
}

std::size_t zone_index::memory_bytes() const noexcept {
  return words_.capacity() * sizeof(std::uint32_t) + blob_.capacity() * sizeof(std::uint64_t) +
         v_.capacity() * sizeof(xy);
}

}  // namespace warden
