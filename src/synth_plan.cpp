// Who the generated people are (homes, places, orders, victims) and what
// they do each day (trajectories, injected breaches, device actions, crimes).
#include "synth_model.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace warden::detail::synth {

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 3'600'000;

std::string format_ymd(date::year_month_day ymd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string padded_id(char prefix, std::uint32_t n, int width) {
  std::string digits = std::to_string(n);
  std::string out(1, prefix);
  if (static_cast<int>(digits.size()) < width) out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  return out + digits;
}

// The text a zone's lat_lon turns into and back: shortest round-trip
// formatting reads back exactly, so a projected vertex is the reader's.
lat_lon to_ll(const tm_frame& f, xy p) { return f.inverse(p); }

zone_geom polygon_geom_from_ll(const tm_frame& f, const lat_lon_multipolygon& ll) {
  multipolygon mp;
  for (const auto& p : ll) {
    polygon q;
    for (const lat_lon& v : p.outer) q.outer.push_back(f.forward(v));
    for (const auto& h : p.holes) {
      q.holes.emplace_back();
      for (const lat_lon& v : h) q.holes.back().push_back(f.forward(v));
    }
    mp.push_back(std::move(q));
  }
  return make_polygon_geom(mp);
}

double speed_for(mobility m, double dist_m, rng& r) {
  switch (m) {
    case mobility::walker:
      return dist_m < 2500 ? r.uniform(1.2, 1.6) : r.uniform(7, 11);
    case mobility::cyclist:
      if (dist_m < 800) return r.uniform(1.2, 1.6);
      return dist_m < 10000 ? r.uniform(4, 6) : r.uniform(7, 11);
    case mobility::driver:
      if (dist_m < 700) return r.uniform(1.2, 1.6);
      return dist_m < 10000 ? r.uniform(9, 14) : r.uniform(13, 19);
  }
  return 1.4;
}

double nominal_speed(mobility m, double dist_m) {
  switch (m) {
    case mobility::walker: return dist_m < 2500 ? 1.4 : 9;
    case mobility::cyclist: return dist_m < 800 ? 1.4 : dist_m < 10000 ? 5 : 9;
    case mobility::driver: return dist_m < 700 ? 1.4 : dist_m < 10000 ? 11.5 : 16;
  }
  return 1.4;
}

// Appends stays and moves to an entity's trajectory, keeping every time on
// the truth grid.
struct builder {
  context& c;
  entity& e;
  rng& r;
  std::int64_t t;
  xy pos;

  void stay_until(std::int64_t t1) {
    t1 = c.ceil_step(t1);
    if (t1 <= t) return;
    segment s;
    s.t0 = t;
    s.t1 = t1;
    s.a = s.m = s.b = pos;
    e.tr.push(s);
    t = t1;
  }
  void stay_for(std::int64_t d_ms) { stay_until(t + d_ms); }
  std::int64_t estimate(xy a, xy b) const {
    const double d = distance_m(a, b);
    return static_cast<std::int64_t>(d * 1.05 / nominal_speed(e.mob, d) * 1000.0);
  }
  void move(xy b, double speed_mps, bool bend) {
    const double d = distance_m(pos, b);
    if (d < 0.5) return;
    segment s;
    s.a = pos;
    s.b = b;
    s.m = lerp(pos, b, 0.5);
    if (bend && d > 100) {
      const xy u = (b - pos) * (1.0 / d);
      // One draw per statement: the operands of + are unsequenced.
      const double along = r.uniform(0.3, 0.7);
      const double aside = r.uniform(-0.12, 0.12);
      s.m = lerp(pos, b, along) + perp(u) * (d * aside);
    }
    s.len1 = distance_m(s.a, s.m);
    s.len = s.len1 + distance_m(s.m, s.b);
    const auto dur = static_cast<std::int64_t>(std::ceil(s.len / speed_mps * 1000.0 / static_cast<double>(c.step_ms))) *
                     c.step_ms;
    s.t0 = t;
    s.t1 = t + std::max(dur, c.step_ms);
    e.tr.push(s);
    t = s.t1;
    pos = b;
  }
  void go(xy b) { move(b, speed_for(e.mob, distance_m(pos, b), r), true); }
  bool fits(xy dest, std::int64_t dwell, xy then, std::int64_t limit) const {
    return t + estimate(pos, dest) + dwell + estimate(dest, then) <= limit;
  }
};

std::int64_t minutes(double m) { return static_cast<std::int64_t>(m * 60'000.0); }

// --- zones of one subject ----------------------------------------------------

struct placeset {
  std::vector<xy> pts;  // home first
};

bool clear_of(const zone_geom& g, const placeset& ps, double margin_m) {
  const xy home = ps.pts.front();
  for (const xy& p : ps.pts) {
    box grown = g.bb;
    grown.min = grown.min - xy{margin_m, margin_m};
    grown.max = grown.max + xy{margin_m, margin_m};
    if (grown.contains(p) && (g.covers(p) || g.boundary_distance(p) < margin_m)) return false;
    if (g.shape == zone_shape::circle) {
      if (segment_distance(g.disc.centre, home, p) <= g.disc.radius_m + 100) return false;
    } else if (segment_meets_box(home, p, g.bb, 100)) {
      return false;
    }
  }
  return true;
}

std::uint32_t add_zone(context& c, zone_def z) {
  c.zones.push_back(std::move(z));
  return static_cast<std::uint32_t>(c.zones.size() - 1);
}

zone_def circle_zone(const context& c, std::string id, zone_kind kind, xy centre, double radius_m) {
  zone_def z;
  z.id = std::move(id);
  z.kind = kind;
  z.shape = zone_shape::circle;
  z.centre = to_ll(c.w.frame, centre);
  z.radius_m = radius_m;
  z.geom = make_circle_geom(c.w.frame, z.centre, radius_m);
  return z;
}

zone_def polygon_zone(const context& c, std::string id, zone_kind kind, const std::vector<xy>& ring_xy) {
  zone_def z;
  z.id = std::move(id);
  z.kind = kind;
  z.shape = zone_shape::polygonal;
  lat_lon_polygon p;
  for (const xy& v : ring_xy) p.outer.push_back(to_ll(c.w.frame, v));
  z.own_outline.push_back(std::move(p));
  z.geom = polygon_geom_from_ll(c.w.frame, z.own_outline);
  return z;
}

void make_places(const context& c, entity& e, rng& r, bool victim) {
  const world& w = c.w;
  const double u = r.uniform();
  e.mob = u < 0.55 ? mobility::driver : u < 0.70 ? mobility::cyclist : mobility::walker;
  e.employed = r.chance(victim ? 0.65 : 0.55);
  e.work_days = 0x1f;
  if (r.chance(0.2)) {  // shift pattern: five random days
    e.work_days = 0x7f;
    for (int k = 0; k < 2; ++k) e.work_days = static_cast<std::uint8_t>(e.work_days & ~(1u << r.below(7)));
  }
  const double dmax = e.mob == mobility::walker ? 3000 : 20000;
  const double dwork = r.log_uniform(500, dmax);
  e.work = w.destination_near(e.home, dwork * 0.8, dwork * 1.25, r);
  e.shops.clear();
  e.visits.clear();
  for (int k = 0; k < 3; ++k) e.shops.push_back(w.destination_near(e.home, 150, 2500, r));
  for (int k = 0; k < 2; ++k) e.visits.push_back(w.sample_lsoa_near(e.home, 800, 12000, r));
  e.sigma_m = r.uniform(c.p.gps.jitter_sigma_min_m, c.p.gps.jitter_sigma_max_m);
  e.phase_ms = static_cast<std::int64_t>(r.below(static_cast<std::uint32_t>(c.interval_ms / 1000))) * 1000;
  e.k_home = w.frame.scale_at(w.frame.inverse(e.home));
}

placeset places_of(const entity& e) {
  placeset ps;
  ps.pts.push_back(e.home);
  if (e.employed) ps.pts.push_back(e.work);
  for (const xy& p : e.shops) ps.pts.push_back(p);
  for (const xy& p : e.visits) ps.pts.push_back(p);
  return ps;
}

void build_subject(context& c, std::uint32_t i, int id_width) {
  const world& w = c.w;
  subject& s = c.subjects[i];
  rng r(stream_seed(c.p.seed, stream::profile, i));
  s.index = i;
  s.ekey = i * 4;
  s.id = padded_id('S', i + 1, id_width);
  s.home = w.sample_in(w.lsoas[r.below(static_cast<std::uint32_t>(w.lsoas.size()))], r);
  make_places(c, s, r, false);
  const placeset ps = places_of(s);

  // Curfew schedule and home zone.
  {
    const double u = r.uniform();
    s.curfew_variant = u < 0.5 ? 0 : std::min(5, 1 + static_cast<int>((u - 0.5) / 0.1));
    zone_def z;
    if (r.chance(0.7)) {
      z = circle_zone(c, "CH-" + s.id, zone_kind::curfew_home, s.home, std::round(r.uniform(30, 75)));
    } else {
      const double hx = r.uniform(15, 35), hy = r.uniform(15, 35);
      const xy ux = r.direction(), uy = perp(ux);
      const double ox = r.uniform(-0.3, 0.3);
      const double oy = r.uniform(-0.3, 0.3);
      const xy centre = s.home + ux * (hx * ox) + uy * (hy * oy);
      z = polygon_zone(c, "CH-" + s.id, zone_kind::curfew_home,
                       {centre - ux * hx - uy * hy, centre + ux * hx - uy * hy, centre + ux * hx + uy * hy,
                        centre - ux * hx + uy * hy});
    }
    z.curfew_variant = s.curfew_variant;
    z.subjects = {i};
    s.rf_range_m = r.uniform(40, 80);
    zone_ref cref;
    cref.zone = add_zone(c, std::move(z));
    s.zones.push_back(cref);  // moved to the end below
  }

  // Victims and their homes.
  const std::uint32_t nv = i == 3 ? 1 : r.chance(0.6) ? 0 : r.chance(0.75) ? 1 : 2;
  for (std::uint32_t k = 0; k < nv; ++k) {
    victim v;
    v.ekey = i * 4 + 1 + k;
    v.id = padded_id('V', i + 1, id_width) + "-" + std::to_string(k + 1);
    const double radius = 10 * std::round(r.uniform(200, 500) / 10);
    zone_def z;
    for (int tries = 0; tries < 12; ++tries) {
      v.home = w.sample_lsoa_near(s.home, 3000, 12000, r);
      z = circle_zone(c, "VH-" + v.id, zone_kind::victim_home, v.home, radius);
      if (clear_of(z.geom, ps, 300)) break;
    }
    z.victim_id = v.id;
    z.subjects = {i};
    rng vr(stream_seed(c.p.seed, stream::profile, i, 1 + k));
    make_places(c, v, vr, true);
    v.alert_m = 50 * std::round(r.uniform(300, 800) / 50);
    v.warning_m = 2 * v.alert_m;
    v.home_zone = add_zone(c, std::move(z));
    zone_ref vref;
    vref.zone = v.home_zone;
    vref.victim = static_cast<std::uint8_t>(k);
    s.zones.push_back(vref);
    s.victims.push_back(std::move(v));
  }

  // Exclusion zones: shared real areas near home, or circles.
  const std::uint32_t nx = 1 + r.below(3);
  std::set<std::uint32_t> chosen;
  for (std::uint32_t k = 0; k < nx; ++k) {
    const bool shared = r.chance(0.5);
    if (shared && !c.pool.empty()) {
      std::vector<std::uint32_t> cand;
      for (std::uint32_t z : c.pool) {
        const zone_geom& g = c.zones[z].geom;
        const xy centre{(g.bb.min.x_m + g.bb.max.x_m) / 2, (g.bb.min.y_m + g.bb.max.y_m) / 2};
        const double d = distance_m(centre, s.home);
        if (d < 1500 || d > 15000 || chosen.count(z)) continue;
        if (clear_of(g, ps, 300)) cand.push_back(z);
      }
      if (!cand.empty()) {
        const std::uint32_t z = cand[r.below(static_cast<std::uint32_t>(cand.size()))];
        chosen.insert(z);
        c.zones[z].subjects.push_back(i);
        zone_ref zr;
        zr.zone = z;
        s.zones.push_back(zr);
        continue;
      }
    }
    const double radius = 10 * std::round(r.uniform(100, 800) / 10);
    zone_def z;
    for (int tries = 0; tries < 20; ++tries) {
      z = circle_zone(c, "X-" + s.id + "-" + std::to_string(k + 1), zone_kind::exclusion,
                      w.destination_near(s.home, 1500, 10000, r), radius);
      if (clear_of(z.geom, ps, 300)) break;
    }
    z.subjects = {i};
    zone_ref zr;
    zr.zone = add_zone(c, std::move(z));
    s.zones.push_back(zr);
  }

  // Inclusion zone: a large area around home that holds every usual place.
  if (i == 1 || r.chance(0.25)) {
    double reach = 0;
    for (const xy& p : ps.pts) reach = std::max(reach, distance_m(p, s.home));
    const double radius = 100 * std::round(std::max(8000.0, reach + 2000) / 100);
    zone_def z;
    if (r.chance(0.5)) {
      z = circle_zone(c, "IN-" + s.id, zone_kind::inclusion, s.home, radius);
    } else {
      std::vector<xy> oct;
      const xy u0 = r.direction();
      for (int k = 0; k < 8; ++k) {
        // Rotate u0 by k * 45 degrees without trigonometry.
        const double cs[8][2] = {{1, 0}, {0.70710678118654752, 0.70710678118654752}, {0, 1},
                                 {-0.70710678118654752, 0.70710678118654752}, {-1, 0},
                                 {-0.70710678118654752, -0.70710678118654752}, {0, -1},
                                 {0.70710678118654752, -0.70710678118654752}};
        const xy d{u0.x_m * cs[k][0] - u0.y_m * cs[k][1], u0.x_m * cs[k][1] + u0.y_m * cs[k][0]};
        oct.push_back(s.home + d * (radius * r.uniform(1.0, 1.15)));
      }
      z = polygon_zone(c, "IN-" + s.id, zone_kind::inclusion, oct);
    }
    z.subjects = {i};
    zone_ref zr;
    zr.zone = add_zone(c, std::move(z));
    s.zones.push_back(zr);
  }

  // Order: exclusions and victim homes, inclusion, curfew last.
  std::rotate(s.zones.begin(), s.zones.begin() + 1, s.zones.end());
  s.curfew_ref = static_cast<int>(s.zones.size()) - 1;
  if (s.zones.size() >= 2 && c.zones[s.zones[s.zones.size() - 2].zone].kind == zone_kind::inclusion)
    s.inclusion_ref = static_cast<int>(s.zones.size()) - 2;

  s.battery_pct = r.uniform(75, 100);  // charged the evening before
  s.last_fix = c.start_ms;
}

// --- day plans ---------------------------------------------------------------

enum class movement : std::uint8_t { none, exclusion, inclusion, curfew, proximity };

struct victim_stay {
  std::uint32_t victim;
  std::int64_t t0, t1;
  xy pos;
};

xy pick(const std::vector<xy>& v, rng& r) { return v[r.below(static_cast<std::uint32_t>(v.size()))]; }

void plan_victim(context& c, victim& v, int d, bool need_long_stay) {
  rng r(stream_seed(c.p.seed, stream::victim_plan, v.ekey, d));
  const std::int64_t ds = c.day_start(d), de = c.day_start(d + 1);
  builder b{c, v, r, std::max(ds, v.tr.end_t()), v.tr.segments().empty() ? v.home : v.tr.end_pos()};
  const bool workday = v.employed && (v.work_days >> c.weekday(d) & 1) && !r.chance(0.05);
  if (workday) {
    b.stay_until(c.local_at(d, 7 * 60 + 30) + minutes(r.uniform(0, 90)));
    b.go(v.work);
    b.stay_until(c.local_at(d, 16 * 60 + 30) + minutes(r.uniform(0, 90)));
    if (r.chance(0.3)) {
      b.go(pick(v.shops, r));
      b.stay_for(minutes(r.uniform(10, 30)));
    }
  } else {
    b.stay_until(c.local_at(d, 9 * 60) + minutes(r.uniform(0, 180)));
    const std::uint32_t n = 1 + r.below(3);
    for (std::uint32_t k = 0; k < n; ++k) {
      const xy dest = r.chance(0.6) ? pick(v.shops, r) : pick(v.visits, r);
      const double dwell = (k == 0 && need_long_stay) ? r.uniform(60, 150) : r.uniform(15, 120);
      if (!b.fits(dest, minutes(dwell), v.home, c.local_at(d, 18 * 60 + 30))) continue;
      b.go(dest);
      b.stay_for(minutes(dwell));
    }
  }
  b.go(v.home);
  if (r.chance(0.25)) {
    b.stay_until(c.local_at(d, 19 * 60) + minutes(r.uniform(0, 120)));
    b.go(r.chance(0.5) ? pick(v.visits, r) : pick(v.shops, r));
    b.stay_for(minutes(r.uniform(30, 150)));
    b.go(v.home);
  }
  b.stay_until(de);
}

xy interior_point(const zone_geom& g, double min_depth, double max_depth, rng& r) {
  xy best{};
  double best_depth = -1;
  for (int k = 0; k < 600; ++k) {
    const xy p{r.uniform(g.bb.min.x_m, g.bb.max.x_m), r.uniform(g.bb.min.y_m, g.bb.max.y_m)};
    if (!g.covers(p)) continue;
    const double depth = g.boundary_distance(p);
    if (depth >= min_depth && depth <= max_depth) return p;
    const double score = depth > max_depth ? max_depth - (depth - max_depth) : depth;
    if (score > best_depth) best_depth = score, best = p;
  }
  return best_depth >= 0 ? best : xy{(g.bb.min.x_m + g.bb.max.x_m) / 2, (g.bb.min.y_m + g.bb.max.y_m) / 2};
}

void plan_exclusion_visit(builder& b, const zone_geom& g, rng& r) {
  const std::uint32_t variant = r.below(3);  // 0 transit, 1 short visit, 2 long visit
  const double walk = r.uniform(1.2, 1.6);
  const std::int64_t dwell = variant == 0 ? 0 : variant == 1 ? minutes(r.uniform(2, 10)) : minutes(r.uniform(10, 60));
  const xy rand_dir = r.direction();
  if (g.shape == zone_shape::circle) {
    const xy c0 = g.disc.centre;
    const double radius = g.disc.radius_m;
    const xy u = unit_or(b.pos - c0, rand_dir);
    if (variant == 0) {
      const double v = r.chance(0.5) ? walk : r.uniform(4, 6);
      const double chord = std::min(v * r.uniform(30, 120), 1.8 * radius);
      const double h = std::sqrt(radius * radius - chord * chord / 4);
      const xy wv = perp(u);
      const xy a = c0 + u * h - wv * (chord / 2 + 150), e = c0 + u * h + wv * (chord / 2 + 150);
      b.go(a);
      b.move(e, v, false);
      return;
    }
    const double depth = variant == 1 ? r.uniform(0.1, 0.5) * radius : r.uniform(0.3, 0.9) * radius;
    const xy target = c0 + u * (radius - depth);
    const xy approach = c0 + u * (radius + 150);
    b.go(approach);
    b.move(target, walk, false);
    b.stay_for(dwell);
    b.move(approach, walk, false);
    return;
  }
  const xy target = variant == 0 ? interior_point(g, 15, 40, r) : interior_point(g, 40, 1e9, r);
  const xy u = unit_or(b.pos - target, rand_dir);
  xy approach = b.pos;
  for (double dist : {150.0, 300.0, 600.0, 1200.0, 2400.0}) {
    const xy q = target + u * dist;
    if (!g.covers(q)) {
      approach = q;
      break;
    }
  }
  b.go(approach);
  b.move(target, walk, false);
  b.stay_for(dwell);
  b.move(approach, walk, false);
}

void plan_inclusion_trip(builder& b, const context& c, const zone_geom& g, xy home, rng& r) {
  const xy centre = g.shape == zone_shape::circle ? g.disc.centre : home;
  const double reach = g.shape == zone_shape::circle ? g.disc.radius_m
                                                      : std::max(g.bb.max.x_m - g.bb.min.x_m, g.bb.max.y_m - g.bb.min.y_m) / 2;
  xy target = centre + r.direction() * (reach + 3000);
  for (int k = 0; k < 100; ++k) {
    const xy q = c.w.sample_lsoa_near(centre, reach + 1500, reach + 15000, r);
    if (!g.covers(q) && g.boundary_distance(q) >= 500) {
      target = q;
      break;
    }
  }
  b.go(target);
  b.stay_for(minutes(r.uniform(20, 120)));
}

void commit_crime(context& c, subject& s, std::int64_t ds, std::int64_t de, rng& r) {
  std::vector<const segment*> stays, moves;
  for (const segment& g : s.tr.segments()) {
    if (g.t1 <= ds || g.t0 >= de) continue;
    if (g.stay()) {
      if (distance_m(g.a, s.home) > 100 && g.t1 - g.t0 >= c.step_ms) stays.push_back(&g);
    } else if (g.t1 - g.t0 >= 2 * c.step_ms) {
      moves.push_back(&g);
    }
  }
  const std::uint32_t pick_u = r.below(1u << 20);  // drawn whatever the outcome
  std::int64_t tc;
  xy at;
  if (!stays.empty()) {
    const segment& g = *stays[pick_u % stays.size()];
    const auto steps = static_cast<std::uint32_t>((g.t1 - g.t0) / c.step_ms);
    tc = g.t0 + static_cast<std::int64_t>(r.below(steps)) * c.step_ms;
    at = g.a;
  } else if (!moves.empty()) {
    const segment& g = *moves[pick_u % moves.size()];
    tc = g.t0 + (g.t1 - g.t0) / c.step_ms / 2 * c.step_ms;
    at = g.at(tc);
  } else {
    return;
  }
  const xy dir = r.direction();
  at = at + dir * r.uniform(0, 5);
  const double len = r.log_uniform(10, 720);  // minutes
  std::int64_t from = tc - minutes(r.uniform(0, 1) * len);
  from = std::max(ds, from / minute_ms * minute_ms);
  std::int64_t to = (from + minutes(len) + minute_ms - 1) / minute_ms * minute_ms;
  to = std::max(to, (tc / minute_ms + 1) * minute_ms);
  crime_rec cr;
  cr.ll = to_ll(c.w.frame, at);
  cr.from = from;
  cr.to = to;
  cr.type = acquisitive_types[r.below(7)];
  cr.radius_m = 25.0 * (2 + r.below(5));
  cr.committer = s.index;
  c.add_crime(std::move(cr));
}

}  // namespace

// ---------------------------------------------------------------------------

std::int64_t context::day_start(int d) const {
  const date::local_days ld = date::local_days(start_day) + date::days(d);
  return std::chrono::duration_cast<milliseconds>(tz->to_sys(ld, date::choose::earliest).time_since_epoch())
      .count();
}

std::int64_t context::local_at(int d, int minutes_of_day) const {
  const date::local_days ld = date::local_days(start_day) + date::days(d);
  const auto t = tz->to_sys(ld + std::chrono::minutes(minutes_of_day), date::choose::earliest);
  return ceil_step(std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count());
}

int context::weekday(int d) const {
  const date::weekday wd{date::sys_days(start_day) + date::days(d)};
  return static_cast<int>(wd.iso_encoding()) - 1;
}

void context::add_crime(crime_rec cr) {
  // Evaluate against exactly what crimes.csv says.
  cr.ll = lat_lon::from_degrees(written_decimal(cr.ll.lat_deg(), 7), written_decimal(cr.ll.lon_deg(), 7)).value();
  cr.pos = w.frame.forward(cr.ll);
  cr.k = w.frame.scale_at(cr.ll);
  crimes.push_back(std::move(cr));
  crime_cells[crime_cell_key(crimes.back().pos)].push_back(static_cast<std::uint32_t>(crimes.size() - 1));
  ++crime_grid_version;
}

result<void> build_population(context& c) {
  // Curfew schedules: the usual 19:00-07:00 and a few variations.
  const std::vector<std::string> all{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::vector<schedule_spec> specs(6);
  specs[0].windows = {{all, "19:00", "07:00"}};
  specs[1].windows = {{all, "20:00", "06:00"}};
  specs[2].windows = {{all, "21:00", "07:00"}};
  specs[3].windows = {{{"mon", "tue", "wed", "thu", "sun"}, "19:00", "07:00"}, {{"fri", "sat"}, "21:00", "07:00"}};
  specs[4].windows = {{all, "19:00", "07:00"}};
  specs[4].except = {format_ymd(date::year_month_day(date::sys_days(c.start_day) + date::days(2)))};
  specs[5].windows = {{all, "18:00", "08:00"}};
  specs[5].until = format_ymd(date::year_month_day(date::sys_days(c.start_day) + date::days(3)));
  for (auto& spec : specs) {
    auto s = schedule::compile(spec);
    if (!s) return s.err();
    s->prepare(from_epoch_ms(c.start_ms - 2 * 86'400'000LL), from_epoch_ms(c.end_ms + 2 * 86'400'000LL));
    c.variants.push_back({spec, std::move(*s)});
  }

  // The pool of shared exclusion zones: the ward or LSOA around a real crime
  // location, so that town centres come up most.
  const world& w = c.w;
  rng g(stream_seed(c.p.seed, stream::global));
  const std::uint32_t pool_n = std::clamp<std::uint32_t>(c.p.subjects / 4, 6, 400);
  std::set<std::string> seen;
  for (std::uint32_t k = 0; k < pool_n * 3 && c.pool.size() < pool_n; ++k) {
    xy at;
    if (!w.acquisitive.empty())
      at = w.police_xy[w.acquisitive[g.below(static_cast<std::uint32_t>(w.acquisitive.size()))]];
    else
      at = w.sample_in(w.lsoas[g.below(static_cast<std::uint32_t>(w.lsoas.size()))], g);
    const bool use_ward = !w.wards.empty() && g.chance(0.5);
    const auto& areas = use_ward ? w.wards : w.lsoas;
    const int ai = world::area_at(areas, at);
    if (ai < 0) continue;
    const area& a = areas[static_cast<std::size_t>(ai)];
    if (!seen.insert(a.id).second) continue;
    zone_def z;
    z.id = "X-" + a.id;
    z.kind = zone_kind::exclusion;
    z.shape = zone_shape::polygonal;
    z.outline = &a.src->outline_wgs84;
    z.name = a.name;
    z.geom = a.geom;
    c.pool.push_back(add_zone(c, std::move(z)));
  }

  int width = 6;
  for (std::uint32_t n = c.p.subjects; n >= 1000000; n /= 10) ++width;
  c.subjects.resize(c.p.subjects);
  for (std::uint32_t i = 0; i < c.p.subjects; ++i) build_subject(c, i, width);
  return {};
}

void plan_background_crimes(context& c, int d) {
  const std::int64_t ds = c.day_start(d), de = c.day_start(d + 1);
  // Crimes whose window closed before this day can match nothing more.
  for (auto it = c.crime_cells.begin(); it != c.crime_cells.end();) {
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [&](std::uint32_t k) { return c.crimes[k].to < ds; }), v.end());
    it = v.empty() ? c.crime_cells.erase(it) : std::next(it);
  }
  ++c.crime_grid_version;
  rng r(stream_seed(c.p.seed, stream::crimes, 0, static_cast<std::uint64_t>(d)));
  const std::int32_t n = c.p.background_crimes_per_day >= 0
                             ? c.p.background_crimes_per_day
                             : synth_params::default_background_crimes(c.p.subjects);
  const world& w = c.w;
  for (std::int32_t k = 0; k < n; ++k) {
    crime_rec cr;
    if (!w.acquisitive.empty()) {
      const police_point& pp = w.police[w.acquisitive[r.below(static_cast<std::uint32_t>(w.acquisitive.size()))]];
      cr.ll = pp.ll;
      cr.type = acquisitive_types[pp.type];
    } else {
      cr.ll = w.frame.inverse(w.sample_in(w.lsoas[r.below(static_cast<std::uint32_t>(w.lsoas.size()))], r));
      cr.type = acquisitive_types[r.below(7)];
    }
    const double len = r.log_uniform(10, 720);
    const std::int64_t span = std::max<std::int64_t>(1, (de - ds) / minute_ms);
    cr.from = ds + static_cast<std::int64_t>(r.below(static_cast<std::uint32_t>(span))) * minute_ms;
    cr.to = cr.from + (minutes(len) + minute_ms - 1) / minute_ms * minute_ms;
    cr.radius_m = 25.0 * (2 + r.below(5));
    c.add_crime(std::move(cr));
  }
}

void plan_day(context& c, subject& s, int d) {
  const std::int64_t ds = c.day_start(d), de = c.day_start(d + 1);
  rng r(stream_seed(c.p.seed, stream::plan, s.index, static_cast<std::uint64_t>(d)));
  const synth_params& p = c.p;

  // Fresh device streams each day (so day 1 does not depend on later days).
  auto reseed = [&](entity& e) {
    e.dev_rng = rng(stream_seed(p.seed, stream::device, e.ekey, static_cast<std::uint64_t>(d)));
    e.noise_rng = rng(stream_seed(p.seed, stream::noise, e.ekey, static_cast<std::uint64_t>(d)));
    e.tr.trim_before(ds);
    if (d == 0) {
      const double rate = p.gps.coverage_gaps_per_day + p.gps.gps_gaps_per_day + (&e == &s ? p.gps.off_gaps_per_day : 0);
      e.next_gap = rate > 0 ? c.ceil_step(ds + static_cast<std::int64_t>(e.dev_rng.exponential(86'400'000.0 / rate)))
                            : INT64_MAX;
      e.next_fix = c.start_ms + e.phase_ms;
    }
  };
  reseed(s);
  for (victim& v : s.victims) reseed(v);

  // What goes wrong today. Every draw happens whatever the outcome, so that
  // one decision never shifts the stream of the others.
  const int forced = (d == 0 && s.index < 8) ? static_cast<int>(s.index) : -1;
  const double u_move = r.uniform();
  const bool u_unmon = r.chance(p.rates.unmonitored), u_tamper = r.chance(p.rates.tamper),
             u_battery = r.chance(p.rates.battery), u_crime = r.chance(p.rates.crime);
  const bool forget_charge = r.chance(p.gps.forget_charge_probability);
  movement mv = movement::none;
  {
    double acc = 0;
    const double rates[4] = {p.rates.exclusion, s.inclusion_ref >= 0 ? p.rates.inclusion : 0, p.rates.curfew,
                             s.victims.empty() ? 0 : p.rates.proximity};
    for (int k = 0; k < 4; ++k) {
      acc += rates[k];
      if (u_move < acc) {
        mv = static_cast<movement>(k + 1);
        break;
      }
    }
  }
  if (forced >= 0 && forced <= 3) mv = static_cast<movement>(forced + 1);
  if (mv == movement::inclusion && s.inclusion_ref < 0) mv = movement::exclusion;
  if (mv == movement::proximity && s.victims.empty()) mv = movement::exclusion;
  const bool unmon = forced == 4 || u_unmon, tamper = forced == 5 || u_tamper, battery = forced == 6 || u_battery,
             crime = forced == 7 || u_crime;
  const std::uint32_t curfew_kind = r.below(3);  // late return, night outing, early departure
  const std::uint32_t prox_victim = s.victims.empty() ? 0 : r.below(static_cast<std::uint32_t>(s.victims.size()));

  // The curfew around this day.
  const schedule& sched = c.variants[static_cast<std::size_t>(s.curfew_variant)].sched;
  std::int64_t morning_end = c.local_at(d, 7 * 60);
  std::optional<std::int64_t> evening;
  for (const utc_interval& iv : sched.windows(from_epoch_ms(ds - 14 * hour_ms), from_epoch_ms(de + 14 * hour_ms))) {
    const std::int64_t a = to_epoch_ms(iv.start), e = to_epoch_ms(iv.end);
    if (a < ds + 12 * hour_ms && e > ds + hour_ms) morning_end = e;
    if (!evening && a >= ds + 12 * hour_ms && a < de + 6 * hour_ms) evening = a;
  }

  // Victims first: a proximity breach meets a victim where they are.
  for (std::uint32_t k = 0; k < s.victims.size(); ++k)
    plan_victim(c, s.victims[k], d, mv == movement::proximity && k == prox_victim);
  std::optional<victim_stay> appt;
  if (mv == movement::proximity) {
    const victim& v = s.victims[prox_victim];
    const std::int64_t latest = (evening ? *evening : de - 2 * hour_ms) - hour_ms;
    std::vector<victim_stay> cand;
    for (const segment& g : v.tr.segments())
      if (g.stay() && g.t0 >= ds && g.t0 >= morning_end + hour_ms && g.t1 <= latest && g.t1 - g.t0 >= 30 * minute_ms &&
          distance_m(g.a, v.home) > 100)
        cand.push_back({prox_victim, g.t0, g.t1, g.a});
    const std::uint32_t pick_u = r.below(1u << 20);
    if (!cand.empty()) appt = cand[pick_u % cand.size()];
    else mv = movement::exclusion;
  }

  // The subject's day.
  builder b{c, s, r, std::max(ds, s.tr.end_t()), s.tr.segments().empty() ? s.home : s.tr.end_pos()};
  const std::int64_t deadline =
      evening ? *evening - minutes(r.uniform(10, 60)) : c.local_at(d, 21 * 60 + 30);
  const bool day_off = r.chance(0.05);
  const bool workday = s.employed && (s.work_days >> c.weekday(d) & 1) && !day_off &&
                       (mv == movement::none || mv == movement::curfew);
  const double leave_jitter = r.uniform(10, 40);
  std::int64_t leave = workday ? std::max(morning_end + minutes(leave_jitter), c.local_at(d, 7 * 60) + minutes(r.uniform(0, 90)))
                               : std::max(morning_end + minutes(leave_jitter), c.local_at(d, 9 * 60) + minutes(r.uniform(0, 150)));
  if (mv == movement::curfew && curfew_kind == 2) leave = morning_end - minutes(r.uniform(10, 90));
  b.stay_until(leave);

  std::int64_t limit = deadline;
  if (appt) limit = appt->t0 - b.estimate(b.pos, appt->pos);
  if (workday) {
    b.go(s.work);
    b.stay_until(c.local_at(d, 16 * 60) + minutes(r.uniform(0, 90)));
    const xy shop = pick(s.shops, r);
    const double dwell = r.uniform(10, 30);
    if (r.chance(0.4) && b.fits(shop, minutes(dwell), s.home, deadline)) {
      b.go(shop);
      b.stay_for(minutes(dwell));
    }
  } else {
    const std::uint32_t n = mv != movement::none && mv != movement::curfew ? r.below(2) : 1 + r.below(3);
    for (std::uint32_t k = 0; k < n; ++k) {
      const xy dest = r.chance(0.6) ? pick(s.shops, r) : pick(s.visits, r);
      const double dwell = mv != movement::none ? r.uniform(10, 45) : r.uniform(15, 120);
      if (!b.fits(dest, minutes(dwell), appt ? appt->pos : s.home, limit)) continue;
      b.go(dest);
      b.stay_for(minutes(dwell));
    }
  }

  if (mv == movement::exclusion) {
    std::vector<std::uint32_t> excl;
    for (std::uint32_t k = 0; k < s.zones.size(); ++k) {
      const zone_kind kind = c.zones[s.zones[k].zone].kind;
      if (kind == zone_kind::exclusion || kind == zone_kind::victim_home) excl.push_back(k);
    }
    const std::uint32_t zi = excl[r.below(static_cast<std::uint32_t>(excl.size()))];
    plan_exclusion_visit(b, c.zones[s.zones[zi].zone].geom, r);
  } else if (mv == movement::inclusion) {
    plan_inclusion_trip(b, c, c.zones[s.zones[static_cast<std::size_t>(s.inclusion_ref)].zone].geom, s.home, r);
  } else if (mv == movement::proximity) {
    const victim& v = s.victims[appt->victim];
    const xy dir = r.direction();
    const xy target = appt->pos + dir * r.uniform(20, 0.6 * v.alert_m);
    const std::int64_t arrive = appt->t0 + static_cast<std::int64_t>(r.uniform(0, 1.0 / 3) * static_cast<double>(appt->t1 - appt->t0));
    b.stay_until(arrive - b.estimate(b.pos, target));
    b.go(target);
    b.stay_until(std::min(b.t + minutes(r.uniform(5, 40)), appt->t1 - minute_ms));
  }
  if (mv == movement::exclusion || mv == movement::inclusion || mv == movement::proximity) {
    const xy shop = pick(s.shops, r);
    const double dwell = r.uniform(10, 30);
    if (r.chance(0.5) && b.fits(shop, minutes(dwell), s.home, deadline)) {
      b.go(shop);
      b.stay_for(minutes(dwell));
    }
  }

  // Home, normally before the curfew starts.
  if (mv == movement::curfew && curfew_kind == 0 && evening) {
    const std::int64_t arrive = *evening + minutes(r.uniform(5, 90));
    b.stay_until(arrive - b.estimate(b.pos, s.home));
  }
  b.go(s.home);
  if (mv == movement::curfew && curfew_kind == 1 && evening) {
    b.stay_until(std::max(b.t, *evening + minutes(r.uniform(60, 240))));
    b.go(r.chance(0.5) ? pick(s.visits, r) : c.w.destination_near(s.home, 500, 5000, r));
    b.stay_for(minutes(r.uniform(15, 90)));
    b.go(s.home);
  }
  b.stay_until(de);

  // Device actions and battery.
  if (unmon) {
    device_action a;
    a.t0 = c.local_at(d, 9 * 60 + static_cast<int>(r.below(8 * 60)));
    a.t1 = a.t0 + c.ceil_step(minutes(r.uniform(20, 150)));
    a.kind = r.chance(0.5) ? device_action::gap_off : device_action::gap_gps;
    s.actions.push_back(a);
  }
  if (tamper) {
    device_action a;
    a.t0 = c.local_at(d, 8 * 60 + static_cast<int>(r.below(14 * 60)));
    a.t1 = a.t0 + c.ceil_step(minutes(r.uniform(2, 90)));
    a.kind = device_action::tamper;
    s.actions.push_back(a);
  }
  std::sort(s.actions.begin(), s.actions.end(),
            [](const device_action& x, const device_action& y) { return x.t0 != y.t0 ? x.t0 < y.t0 : x.kind < y.kind; });
  // Flat around midday: critical 8-12 h after midnight at the default drain.
  s.no_low_reaction_until = 0;
  if (battery && !s.charging && !s.flat) {
    s.battery_pct = 5 + p.gps.battery_drain_pct_per_h * r.uniform(8, 12);
    s.no_low_reaction_until = de;
  }
  const std::int64_t cs = c.local_at(d, 19 * 60 + 30 + static_cast<int>(r.below(150)));
  const std::int64_t ce = cs + c.ceil_step(minutes(r.uniform(60, 120)));
  if (!battery && !forget_charge) {
    const std::pair<std::int64_t, std::int64_t> session{cs, ce};
    s.charge_sessions.insert(std::upper_bound(s.charge_sessions.begin(), s.charge_sessions.end(), session), session);
  }

  if (crime) commit_crime(c, s, ds, de, r);
}

}  // namespace warden::detail::synth
