// The generator's geography: real LSOAs, wards and police.uk crime
// locations, and the planar helpers every part of the generator shares.
#include "synth_internal.hpp"

#include <warden/diagnostics.hpp>
#include <warden/readers.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

namespace warden::detail::synth {

const char* const acquisitive_types[7] = {"Burglary",      "Robbery",              "Vehicle crime", "Shoplifting",
                                          "Bicycle theft", "Theft from the person", "Other theft"};

double segment_distance(xy p, xy a, xy b, double* u_out) noexcept {
  const xy ab = b - a;
  const double l2 = ab.x_m * ab.x_m + ab.y_m * ab.y_m;
  double u = 0;
  if (l2 > 0) u = std::clamp(((p.x_m - a.x_m) * ab.x_m + (p.y_m - a.y_m) * ab.y_m) / l2, 0.0, 1.0);
  if (u_out) *u_out = u;
  const xy q = lerp(a, b, u);
  const double dx = p.x_m - q.x_m, dy = p.y_m - q.y_m;
  return std::sqrt(dx * dx + dy * dy);  // hypot's overflow care is not needed at county scale
}

bool segment_meets_box(xy a, xy b, const box& bb, double margin_m) noexcept {
  // Liang-Barsky clipping against the grown box.
  const double xmin = bb.min.x_m - margin_m, xmax = bb.max.x_m + margin_m;
  const double ymin = bb.min.y_m - margin_m, ymax = bb.max.y_m + margin_m;
  double t0 = 0, t1 = 1;
  const double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x_m - xmin, xmax - a.x_m, a.y_m - ymin, ymax - a.y_m};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
    } else {
      const double t = q[i] / p[i];
      if (p[i] < 0) t0 = std::max(t0, t);
      else t1 = std::min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

bmulti to_bg(const multipolygon& mp) {
  bmulti out;
  out.reserve(mp.size());
  auto ring_to = [](const ring& r, auto& dst) {
    dst.reserve(r.size() + 1);
    for (const xy& q : r) dst.push_back(bpoint(q.x_m, q.y_m));
    if (!r.empty()) dst.push_back(bpoint(r.front().x_m, r.front().y_m));
  };
  for (const polygon& p : mp) {
    bpolygon bp;
    ring_to(p.outer, bp.outer());
    for (const ring& h : p.holes) {
      bp.inners().emplace_back();
      ring_to(h, bp.inners().back());
    }
    out.push_back(std::move(bp));
  }
  bg::correct(out);
  return out;
}

bool zone_geom::covers(xy p) const noexcept {
  if (!bb.contains(p)) return false;
  if (shape == zone_shape::circle) {
    // Squared distances decide unless p is within a hair of the circle,
    // where the exact distance_m (what readers of zones use) decides.
    const double dx = p.x_m - disc.centre.x_m, dy = p.y_m - disc.centre.y_m;
    const double d2 = dx * dx + dy * dy, r2 = disc.radius_m * disc.radius_m;
    if (std::fabs(d2 - r2) > 1e-9 * r2 + 1e-9) return d2 <= r2;
    return distance_m(p, disc.centre) <= disc.radius_m;
  }
  return bg::covered_by(bpoint(p.x_m, p.y_m), poly);
}

double zone_geom::boundary_distance(xy p) const noexcept {
  if (shape == zone_shape::circle) return std::fabs(distance_m(p, disc.centre) - disc.radius_m);
  double best = 1e300;
  auto scan = [&](const auto& r) {
    for (std::size_t i = 0; i + 1 < r.size(); ++i) {
      const xy a{r[i].x(), r[i].y()}, b{r[i + 1].x(), r[i + 1].y()};
      best = std::min(best, segment_distance(p, a, b));
    }
  };
  for (const bpolygon& q : poly) {
    scan(q.outer());
    for (const auto& h : q.inners()) scan(h);
  }
  return best;
}

zone_geom make_circle_geom(const tm_frame& frame, lat_lon centre, double radius_m) {
  zone_geom g;
  g.shape = zone_shape::circle;
  // As warden::read_zones does: ground radius times the point scale.
  g.disc.centre = frame.forward(centre);
  g.disc.radius_m = radius_m * frame.scale_at(centre);
  g.bb.extend(g.disc.centre - xy{g.disc.radius_m, g.disc.radius_m});
  g.bb.extend(g.disc.centre + xy{g.disc.radius_m, g.disc.radius_m});
  return g;
}

zone_geom make_polygon_geom(const multipolygon& projected) {
  zone_geom g;
  g.shape = zone_shape::polygonal;
  g.poly = to_bg(projected);
  g.bb = bounds(projected);
  return g;
}

void append_shortest(std::string& out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

double written_decimal(double v, int decimals) {
  std::string s;
  append_decimal(s, v, decimals);
  double out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

// ---------------------------------------------------------------------------

void point_grid::build(const std::vector<xy>& pts, double cell_m) {
  cell_m_ = cell_m;
  cells_.clear();
  cells_.reserve(pts.size());
  for (std::uint32_t i = 0; i < pts.size(); ++i) {
    const auto cx = static_cast<std::int64_t>(std::floor(pts[i].x_m / cell_m_));
    const auto cy = static_cast<std::int64_t>(std::floor(pts[i].y_m / cell_m_));
    cells_.emplace_back(key(cx, cy), i);
  }
  std::sort(cells_.begin(), cells_.end());
}

void point_grid::within(const std::vector<xy>& pts, xy c, double rmin, double rmax,
                        std::vector<std::uint32_t>& out) const {
  const auto x0 = static_cast<std::int64_t>(std::floor((c.x_m - rmax) / cell_m_));
  const auto x1 = static_cast<std::int64_t>(std::floor((c.x_m + rmax) / cell_m_));
  const auto y0 = static_cast<std::int64_t>(std::floor((c.y_m - rmax) / cell_m_));
  const auto y1 = static_cast<std::int64_t>(std::floor((c.y_m + rmax) / cell_m_));
  for (std::int64_t cx = x0; cx <= x1; ++cx)
    for (std::int64_t cy = y0; cy <= y1; ++cy) {
      const std::int64_t k = key(cx, cy);
      auto it = std::lower_bound(cells_.begin(), cells_.end(), std::make_pair(k, std::uint32_t{0}));
      for (; it != cells_.end() && it->first == k; ++it) {
        const double d = distance_m(pts[it->second], c);
        if (d >= rmin && d <= rmax) out.push_back(it->second);
      }
    }
}

xy world::sample_in(const area& a, rng& r) const {
  const box& bb = a.geom.bb;
  for (int i = 0; i < 2000; ++i) {
    const xy p{r.uniform(bb.min.x_m, bb.max.x_m), r.uniform(bb.min.y_m, bb.max.y_m)};
    if (a.geom.covers(p)) return p;
  }
  // Degenerate slivers only: a vertex is covered by definition.
  const auto& o = a.geom.poly.front().outer().front();
  return xy{o.x(), o.y()};
}

xy world::sample_lsoa_near(xy c, double rmin, double rmax, rng& r) const {
  const auto n = static_cast<std::uint32_t>(lsoas.size());
  for (int i = 0; i < 400; ++i) {
    const area& a = lsoas[r.below(n)];
    const double d = distance_m(a.centre, c);
    if (d >= rmin && d <= rmax) return sample_in(a, r);
  }
  return sample_in(lsoas[r.below(n)], r);
}

xy world::destination_near(xy c, double rmin, double rmax, rng& r) const {
  if (!police.empty()) {
    if (rmax <= 5000) {
      std::vector<std::uint32_t> idx;
      police_grid.within(police_xy, c, rmin, rmax, idx);
      if (!idx.empty()) {
        std::sort(idx.begin(), idx.end());
        return police_xy[idx[r.below(static_cast<std::uint32_t>(idx.size()))]];
      }
    } else {
      const auto n = static_cast<std::uint32_t>(police.size());
      for (int i = 0; i < 300; ++i) {
        const xy p = police_xy[r.below(n)];
        const double d = distance_m(p, c);
        if (d >= rmin && d <= rmax) return p;
      }
    }
  }
  return sample_lsoa_near(c, rmin, rmax, r);
}

int world::area_at(const std::vector<area>& v, xy p) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].geom.covers(p)) return static_cast<int>(i);
  return -1;
}

namespace {

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

result<void> load_areas(const std::string& dir, const std::string& id_prop, const std::string& name_prop,
                        const tm_frame& frame, std::vector<zone>& zones, std::vector<area>& areas) {
  const auto files = json_files(dir);
  if (files.empty()) return make_error(errc::io_error, "no *.json boundary files in '" + dir + "'");
  zone_read_options o;
  o.frame = frame;
  o.id_property = id_prop;
  o.default_kind = zone_kind::exclusion;
  o.default_subjects = {"*"};
  diagnostics diags;  // the real files load cleanly; a bad feature is simply not used
  for (const auto& f : files) {
    auto r = append_zones(zones, f, o, diags);
    if (!r) return make_error(r.code(), f + ": " + r.err().message);
  }
  areas.clear();
  areas.reserve(zones.size());
  for (const zone& z : zones) {
    if (z.shape != zone_shape::polygonal) continue;
    area a;
    a.src = &z;
    a.id = z.zone_id;
    a.name = std::string(z.property(name_prop));
    a.geom = make_polygon_geom(z.area);
    a.centre = xy{(a.geom.bb.min.x_m + a.geom.bb.max.x_m) / 2, (a.geom.bb.min.y_m + a.geom.bb.max.y_m) / 2};
    areas.push_back(std::move(a));
  }
  std::sort(areas.begin(), areas.end(), [](const area& x, const area& y) { return x.id < y.id; });
  return {};
}

}  // namespace

result<void> load_world(world& w, const synth_params& p) {
  if (p.lsoa_dir.empty()) return make_error(errc::usage, "lsoa_dir is required");
  if (auto r = load_areas(p.lsoa_dir, "LSOA11CD", "LSOA11NM", w.frame, w.lsoa_zones, w.lsoas); !r) return r;
  if (w.lsoas.empty()) return make_error(errc::empty_file, "no LSOA polygons in '" + p.lsoa_dir + "'");
  if (!p.ward_dir.empty())
    if (auto r = load_areas(p.ward_dir, "WD13CD", "WD13NM", w.frame, w.ward_zones, w.wards); !r) return r;

  std::vector<std::string> lsoa_ids;
  for (const area& a : w.lsoas) lsoa_ids.push_back(a.id);  // sorted
  for (const auto& path : p.police_files) {
    diagnostics diags;  // rows without coordinates or Crime ID are expected in police.uk files
    auto r = read_crimes(path, diags, [&](const crime& c) {
      if (!std::binary_search(lsoa_ids.begin(), lsoa_ids.end(), c.lsoa_code)) return;
      police_point pp;
      pp.ll = c.pos;
      pp.pos = w.frame.forward(c.pos);
      for (int i = 0; i < 7; ++i)
        if (c.type == acquisitive_types[i]) pp.type = static_cast<std::int16_t>(i);
      w.police.push_back(pp);
    });
    if (!r) return make_error(r.code(), path + ": " + r.err().message);
  }
  w.police_xy.reserve(w.police.size());
  for (std::uint32_t i = 0; i < w.police.size(); ++i) {
    w.police_xy.push_back(w.police[i].pos);
    if (w.police[i].type >= 0) w.acquisitive.push_back(i);
  }
  w.police_grid.build(w.police_xy, 1000.0);
  return {};
}

// ---------------------------------------------------------------------------

xy segment::at(std::int64_t t) const noexcept {
  if (stay() || t <= t0) return a;
  if (t >= t1) return b;
  const double s = len * (static_cast<double>(t - t0) / static_cast<double>(t1 - t0));
  if (s <= len1) return len1 > 0 ? lerp(a, m, s / len1) : m;
  const double l2 = len - len1;
  return l2 > 0 ? lerp(m, b, (s - len1) / l2) : b;
}

const segment* trajectory::segment_at(std::int64_t t) noexcept {
  if (segs_.empty()) return nullptr;
  while (cur_ + 1 < segs_.size() && segs_[cur_].t1 <= t) ++cur_;
  return &segs_[cur_];
}

xy trajectory::at(std::int64_t t) noexcept {
  const segment* s = segment_at(t);
  return s ? s->at(t) : xy{};
}

void trajectory::trim_before(std::int64_t t) {
  std::size_t n = 0;
  while (n < cur_ && n + 1 < segs_.size() && segs_[n].t1 < t) ++n;
  if (n == 0) return;
  segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(n));
  cur_ -= n;
}

}  // namespace warden::detail::synth
