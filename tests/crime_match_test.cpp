// Tests of warden/crime_match.hpp: the indexed matcher against an
// independent brute force over every fix and segment (>= 10^5 generated
// crimes), hand-made boundary cases (fixes exactly on the radius, paths
// tangent to it, windows starting and ending inside gaps), the named-subject
// and near-point queries, determinism, and the real Essex crime files with
// generated trails.
#include <catch2/catch.hpp>

#include <warden/crime_match.hpp>
#include <warden/prism.hpp>
#include <warden/readers.hpp>
#include <warden/synth.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>

#include "trail_gen.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace warden;

namespace {

// ---------------------------------------------------------------------------
// The reference: every fix and every segment of every subject, written
// without the library's window search, pruning or evaluator; it shares only
// the prism primitive (tested on its own in prism_test.cpp).

struct plain_trail {
  std::vector<std::int64_t> t;
  std::vector<xy> p;
  std::vector<double> acc;
};

plain_trail decode(const trail_store& st, std::uint32_t s) {
  plain_trail out;
  const trail_view v = st.view(s);
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.t.push_back(v.time_ms(i));
    out.p.push_back(v.pos(i));
    out.acc.push_back(v.accuracy_m(i));
  }
  return out;
}

struct ref_row {
  match_status status = match_status::no_data;
  bool has_d = false;
  double d = std::numeric_limits<double>::infinity();
  double closest_t = 0;
  double dwell_ms = 0;
  bool has_times = false;
  double first = 0, last = 0;
  std::uint32_t fix_count = 0;
};

ref_row brute(const plain_trail& tr, const crime_query& c, double v, std::int64_t max_gap_ms) {
  ref_row out;
  const std::size_t n = tr.t.size();
  const double r = c.radius_m;
  bool present = false, passed = false, possible = false, unknown = false;
  double in_first = std::numeric_limits<double>::infinity(), in_last = -in_first;
  auto closest = [&](double d, double t) {
    if (d < out.d || (d == out.d && t < out.closest_t)) {
      out.d = d;
      out.closest_t = t;
      out.has_d = true;
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (tr.t[i] < c.from_ms || tr.t[i] > c.to_ms) continue;
    const double d = std::hypot(tr.p[i].x_m - c.pos.x_m, tr.p[i].y_m - c.pos.y_m);
    closest(d, static_cast<double>(tr.t[i]));
    if (d - tr.acc[i] <= r) {
      present = true;
      ++out.fix_count;
      in_first = std::min(in_first, static_cast<double>(tr.t[i]));
      in_last = std::max(in_last, static_cast<double>(tr.t[i]));
    }
  }
  std::vector<std::size_t> tracked, gaps;
  for (std::size_t k = 0; k + 1 < n; ++k) {
    const std::int64_t t0 = tr.t[k], t1 = tr.t[k + 1];
    if (t0 > c.to_ms || t1 < c.from_ms) continue;
    if (t1 - t0 > max_gap_ms) {
      gaps.push_back(k);
      continue;
    }
    tracked.push_back(k);
    const double lo = static_cast<double>(std::max(c.from_ms, t0)), hi = static_cast<double>(std::min(c.to_ms, t1));
    const xy a = tr.p[k], b = tr.p[k + 1];
    if (t1 == t0) {  // a zero-length segment is its first fix, at that instant
      closest(std::hypot(a.x_m - c.pos.x_m, a.y_m - c.pos.y_m), lo);
      continue;
    }
    const double dur = static_cast<double>(t1 - t0);
    const double ulo = (lo - static_cast<double>(t0)) / dur, uhi = (hi - static_cast<double>(t0)) / dur;
    const double dx = b.x_m - a.x_m, dy = b.y_m - a.y_m, len2 = dx * dx + dy * dy;
    double u = ulo;
    if (len2 > 0) u = std::min(uhi, std::max(ulo, ((c.pos.x_m - a.x_m) * dx + (c.pos.y_m - a.y_m) * dy) / len2));
    const double d = std::hypot(a.x_m + u * dx - c.pos.x_m, a.y_m + u * dy - c.pos.y_m);
    closest(d, static_cast<double>(t0) + u * dur);
    if (d > r) continue;
    passed = true;
    double ua = ulo, ub = uhi;
    if (len2 > 0) {
      // |a + u (b - a) - q|^2 = r^2 by the textbook formula.
      const double ex = a.x_m - c.pos.x_m, ey = a.y_m - c.pos.y_m;
      const double qa = len2, qb = 2 * (ex * dx + ey * dy), qc = ex * ex + ey * ey - r * r;
      const double disc = qb * qb - 4 * qa * qc;
      if (disc >= 0) {
        ua = std::max(ulo, (-qb - std::sqrt(disc)) / (2 * qa));
        ub = std::min(uhi, (-qb + std::sqrt(disc)) / (2 * qa));
      }
      if (ua > ub) ua = ub = u;
    }
    out.dwell_ms += (ub - ua) * dur;
    in_first = std::min(in_first, static_cast<double>(t0) + ua * dur);
    in_last = std::max(in_last, static_cast<double>(t0) + ub * dur);
  }
  auto tf = [&](std::size_t i) { return timed_fix{tr.p[i], tr.t[i], tr.acc[i]}; };
  auto prism = [&](std::size_t k, bool times) {
    // Every prism point is within L/2 of one of the fixes (L the ellipse's
    // major axis), so a crime further than r + L/2 from both is out of reach.
    const double half = (tr.acc[k] + tr.acc[k + 1] + v * static_cast<double>(tr.t[k + 1] - tr.t[k]) / 1000) / 2;
    const double d0 = std::hypot(tr.p[k].x_m - c.pos.x_m, tr.p[k].y_m - c.pos.y_m);
    const double d1 = std::hypot(tr.p[k + 1].x_m - c.pos.x_m, tr.p[k + 1].y_m - c.pos.y_m);
    if (std::min(d0, d1) > r + half + 0.01) return prism_reach{};
    return prism_reaches(c.pos, r, tf(k), tf(k + 1), v, std::max(c.from_ms, tr.t[k]), std::min(c.to_ms, tr.t[k + 1]), times);
  };
  if (present || passed) {
    out.has_times = true;
    out.first = in_first;
    out.last = in_last;
  } else {
    // The first reaching segment gives the first instant, the last the last.
    for (std::size_t k : tracked) {
      const auto pr = prism(k, true);
      if (!pr.reaches) continue;
      possible = true;
      out.first = static_cast<double>(pr.first_ms);
      out.last = static_cast<double>(pr.last_ms);
      break;
    }
    for (std::size_t j = tracked.size(); possible && j-- > 0;) {
      const auto pr = prism(tracked[j], true);
      if (!pr.reaches) continue;
      out.last = static_cast<double>(pr.last_ms);
      break;
    }
    out.has_times = possible;
  }
  if (!present && !passed && !possible) {
    if (n == 0 || c.from_ms < tr.t[0] || c.to_ms > tr.t[n - 1]) unknown = true;
    for (std::size_t k : gaps) unknown = unknown || prism(k, false).reaches;
  }
  out.status = present ? match_status::present
               : passed ? match_status::passed
               : possible ? match_status::possible
               : unknown ? match_status::no_data
                         : match_status::ruled_out;
  return out;
}

// The path's distance at time t (fix or tracked segment), for checking a
// reported closest time.
double path_distance_at(const plain_trail& tr, const crime_query& c, double t, std::int64_t max_gap_ms) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < tr.t.size(); ++i)
    if (std::fabs(static_cast<double>(tr.t[i]) - t) <= 1)
      best = std::min(best, std::hypot(tr.p[i].x_m - c.pos.x_m, tr.p[i].y_m - c.pos.y_m));
  for (std::size_t k = 0; k + 1 < tr.t.size(); ++k) {
    const double t0 = static_cast<double>(tr.t[k]), t1 = static_cast<double>(tr.t[k + 1]);
    if (t < t0 || t > t1 || t1 == t0 || tr.t[k + 1] - tr.t[k] > max_gap_ms) continue;
    const double u = (t - t0) / (t1 - t0);
    best = std::min(best, std::hypot(tr.p[k].x_m + u * (tr.p[k + 1].x_m - tr.p[k].x_m) - c.pos.x_m,
                                     tr.p[k].y_m + u * (tr.p[k + 1].y_m - tr.p[k].y_m) - c.pos.y_m));
  }
  return best;
}

// Compares a matcher row with the reference: the first difference, or "".
// (Built only on failure: formatting every row would dominate the run.)
std::string row_difference(const match_row& m, const ref_row& ref, const plain_trail& tr, const crime_query& c,
                           std::int64_t max_gap_ms) {
  if (m.status != ref.status) return "status";
  if (m.fix_count != ref.fix_count) return "fix_count";
  if (m.min_distance_m.has_value() != ref.has_d) return "has min_distance";
  if (ref.has_d) {
    if (std::fabs(*m.min_distance_m - ref.d) > 0.01) return "min_distance";
    const double t = static_cast<double>(to_epoch_ms(*m.closest_time));
    // A tie elsewhere is fine if the path is as close there.
    if (std::fabs(t - ref.closest_t) > 1 && std::fabs(path_distance_at(tr, c, t, max_gap_ms) - ref.d) > 0.01)
      return "closest_time";
  }
  if (std::fabs(m.dwell_s * 1000 - ref.dwell_ms) > 1.0) return "dwell";
  if (m.first_time.has_value() != ref.has_times) return "has times";
  if (ref.has_times && (std::fabs(static_cast<double>(to_epoch_ms(*m.first_time)) - ref.first) > 1 ||
                        std::fabs(static_cast<double>(to_epoch_ms(*m.last_time)) - ref.last) > 1))
    return "first/last time";
  const double prox = ref.has_d ? c.radius_m / (c.radius_m + ref.d) : 0;
  const double score = m.status == match_status::present  ? 0.75 + 0.2 * prox + 0.05 * std::min(1.0, m.dwell_s / 900)
                       : m.status == match_status::passed ? 0.5 + 0.2 * prox + 0.05 * std::min(1.0, m.dwell_s / 900)
                       : m.status == match_status::possible ? 0.25 + 0.25 * prox
                                                            : 0.0;
  if (std::fabs(m.score - score) > 1e-6) return "score";
  return "";
}

std::string describe(const match_row& m, const ref_row& ref, const crime_query& c) {
  std::string s = "crime (" + std::to_string(c.pos.x_m) + ", " + std::to_string(c.pos.y_m) + ") r " +
                  std::to_string(c.radius_m) + " [" + std::to_string(c.from_ms) + ", " + std::to_string(c.to_ms) +
                  "]\n  matcher: " + std::string(to_string(m.status)) + " d " +
                  (m.min_distance_m ? std::to_string(*m.min_distance_m) : "-") + " fixes " + std::to_string(m.fix_count) +
                  " dwell_ms " + std::to_string(m.dwell_s * 1000);
  if (m.first_time)
    s += " times " + std::to_string(to_epoch_ms(*m.first_time)) + ".." + std::to_string(to_epoch_ms(*m.last_time));
  if (m.closest_time) s += " closest_t " + std::to_string(to_epoch_ms(*m.closest_time));
  s += "\n  brute:   " + std::string(to_string(ref.status)) + " d " + (ref.has_d ? std::to_string(ref.d) : "-") +
       " fixes " + std::to_string(ref.fix_count) + " dwell_ms " + std::to_string(ref.dwell_ms);
  if (ref.has_times) s += " times " + std::to_string(ref.first) + ".." + std::to_string(ref.last);
  if (ref.has_d) s += " closest_t " + std::to_string(ref.closest_t);
  return s;
}

void check_row(const match_row& m, const ref_row& ref, const plain_trail& tr, const crime_query& c,
               std::int64_t max_gap_ms) {
  const std::string diff = row_difference(m, ref, tr, c, max_gap_ms);
  if (diff.empty()) return;
  INFO(diff << " differs: " << describe(m, ref, c));
  REQUIRE(diff.empty());
}

// ---------------------------------------------------------------------------
// Generated crimes: near fixes, near path points, windows starting or ending
// inside gaps, and anywhere at all.

// edge_v > 0: half of the crimes are put within a few metres of the edge of
// a tracked segment's prism at that speed (beside its semi-minor axis, or
// beyond one end of its major axis), with windows that cover the segment,
// cut into it or lie inside it: where the cheap bounds before the exact
// prism test and the guessed ends of the reaching interval are tightest.
std::vector<crime_query> make_crimes(const std::vector<plain_trail>& trails, std::int64_t max_gap_ms,
                                     const testgen::gen_params& gp, std::size_t count, std::uint64_t seed,
                                     double edge_v = 0) {
  testgen::rng r(seed);
  std::vector<crime_query> out;
  const double radii[] = {25, 50, 100, 100, 200, 500};
  const std::int64_t span_ms = std::int64_t{86'400'000} * gp.days;
  while (out.size() < count) {
    crime_query c;
    c.radius_m = radii[r.below(6)];
    const double len_ms = r.chance(0.05) ? 0.0 : std::exp(r.uniform(std::log(60'000.0), std::log(43'200'000.0)));
    const auto& tr = trails[r.below(trails.size())];
    if (tr.t.size() < 2) continue;
    const std::size_t i = r.below(tr.t.size() - 1);
    if (edge_v > 0 && r.chance(0.5)) {
      const std::int64_t t0 = tr.t[i], t1 = tr.t[i + 1];
      if (t1 - t0 > max_gap_ms) continue;
      const xy a = tr.p[i], b = tr.p[i + 1];
      const double l = tr.acc[i] + tr.acc[i + 1] + edge_v * static_cast<double>(t1 - t0) / 1000.0;
      const double d = std::hypot(b.x_m - a.x_m, b.y_m - a.y_m);
      if (d > l) continue;
      const xy mid{(a.x_m + b.x_m) / 2, (a.y_m + b.y_m) / 2};
      const double ux = d > 0 ? (b.x_m - a.x_m) / d : 1.0, uy = d > 0 ? (b.y_m - a.y_m) / d : 0.0;
      const double off = c.radius_m + r.uniform(-3, 3);
      if (r.chance(0.5)) {  // beside the semi-minor axis
        const double side = 0.5 * std::sqrt((l - d) * (l + d)) + off, sign = r.chance(0.5) ? 1.0 : -1.0;
        c.pos = xy{mid.x_m - sign * uy * side, mid.y_m + sign * ux * side};
      } else {  // beyond an end of the major axis
        const double along = l / 2 + off, sign = r.chance(0.5) ? 1.0 : -1.0;
        c.pos = xy{mid.x_m + sign * ux * along, mid.y_m + sign * uy * along};
      }
      const double w = r.uniform();
      const auto dt = static_cast<double>(t1 - t0);
      if (w < 0.4) {  // covers the segment
        c.from_ms = t0 - static_cast<std::int64_t>(r.below(600'000));
        c.to_ms = t1 + static_cast<std::int64_t>(r.below(600'000));
      } else if (w < 0.7) {  // starts or ends inside it
        const std::int64_t inside = t0 + static_cast<std::int64_t>(r.uniform() * dt);
        if (r.chance(0.5)) {
          c.from_ms = inside;
          c.to_ms = t1 + static_cast<std::int64_t>(r.below(600'000));
        } else {
          c.from_ms = t0 - static_cast<std::int64_t>(r.below(600'000));
          c.to_ms = inside;
        }
      } else {  // inside it
        c.from_ms = t0 + static_cast<std::int64_t>(r.uniform() * dt);
        c.to_ms = c.from_ms + static_cast<std::int64_t>(r.uniform() * static_cast<double>(t1 - c.from_ms));
      }
      out.push_back(c);
      continue;
    }
    const double kind = r.uniform();
    std::int64_t anchor = tr.t[i];
    if (kind < 0.3) {  // near a fix
      const double d = r.uniform(0, c.radius_m + tr.acc[i] + 80), a = r.uniform(0, 6.283185307179586);
      c.pos = xy{tr.p[i].x_m + d * std::cos(a), tr.p[i].y_m + d * std::sin(a)};
    } else if (kind < 0.6) {  // near a point of the path
      const double u = r.uniform();
      const double d = r.uniform(0, c.radius_m + 400), a = r.uniform(0, 6.283185307179586);
      c.pos = xy{tr.p[i].x_m + u * (tr.p[i + 1].x_m - tr.p[i].x_m) + d * std::cos(a),
                 tr.p[i].y_m + u * (tr.p[i + 1].y_m - tr.p[i].y_m) + d * std::sin(a)};
      anchor = tr.t[i] + static_cast<std::int64_t>(u * static_cast<double>(tr.t[i + 1] - tr.t[i]));
    } else if (kind < 0.75) {  // a window starting or ending inside a gap
      std::vector<std::size_t> gaps;
      for (std::size_t k = 0; k + 1 < tr.t.size(); ++k)
        if (tr.t[k + 1] - tr.t[k] > max_gap_ms) gaps.push_back(k);
      if (gaps.empty()) continue;
      const std::size_t g = gaps[r.below(gaps.size())];
      const std::int64_t inside = tr.t[g] + 1 + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(tr.t[g + 1] - tr.t[g] - 1)));
      const double d = r.uniform(0, 6000), a = r.uniform(0, 6.283185307179586);
      c.pos = xy{tr.p[g].x_m + d * std::cos(a), tr.p[g].y_m + d * std::sin(a)};
      const auto len = static_cast<std::int64_t>(len_ms);
      if (r.chance(0.5)) {
        c.from_ms = inside;
        c.to_ms = inside + len;
      } else {
        c.to_ms = inside;
        c.from_ms = inside - len;
      }
      out.push_back(c);
      continue;
    } else {  // anywhere, any time (also before and after the trails)
      c.pos = xy{gp.origin.x_m - 2000 + r.uniform() * (gp.region_m + 4000), gp.origin.y_m - 2000 + r.uniform() * (gp.region_m + 4000)};
      anchor = gp.start_ms - 3'600'000 + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(span_ms + 7'200'000)));
    }
    c.from_ms = anchor - static_cast<std::int64_t>(r.uniform() * len_ms);
    c.to_ms = c.from_ms + static_cast<std::int64_t>(len_ms);
    out.push_back(c);
  }
  return out;
}

struct scenario {
  testgen::gen_params gp;
  trail_store store;
  std::vector<plain_trail> trails;
};

scenario make_scenario(std::uint64_t seed, std::uint32_t subjects, std::uint32_t days) {
  scenario s;
  s.gp.seed = seed;
  s.gp.subjects = subjects;
  s.gp.days = days;
  s.gp.outages_per_day = 2.0;
  s.gp.region_m = 12'000;  // dense enough that crimes meet several trails
  testgen::generate(s.gp, [&](std::uint32_t sub, std::int64_t t, xy p, float a) {
    (void)s.store.append(testgen::subject_name(sub), from_epoch_ms(t), p, a);
  });
  for (std::uint32_t k = 0; k < s.store.subject_count(); ++k) s.trails.push_back(decode(s.store, k));
  return s;
}

// far_crimes: that many more crimes, copies of the first ones moved 6,000 km
// away (beyond the evaluation's single-precision kernels, which then give
// way to the double ones); io: the index layout (max_speed_mps is index_v).
void differential(std::uint64_t seed, std::uint32_t subjects, std::uint32_t days, std::size_t crimes, double v,
                  double index_v, bool at_reach_edge = false, trail_index_options io = {}, std::size_t far_crimes = 0) {
  scenario sc = make_scenario(seed, subjects, days);
  const std::int64_t gap = sc.store.options().max_gap.count();
  io.max_speed_mps = index_v;
  auto ix = trail_index::build(sc.store, io);
  REQUIRE(ix);
  match_options mo;
  mo.max_speed_mps = v;
  mo.threads = 2;
  auto m = crime_matcher::make(*ix, mo);
  REQUIRE(m);
  mo.all_statuses = true;
  auto all = crime_matcher::make(*ix, mo);
  REQUIRE(all);
  auto cq = make_crimes(sc.trails, gap, sc.gp, crimes, seed * 7 + 1, at_reach_edge ? v : 0.0);
  for (std::size_t k = 0; k < far_crimes && k < crimes; ++k) {
    crime_query far = cq[k];
    far.pos = xy{far.pos.x_m + 6'000'000, far.pos.y_m - 6'000'000};
    cq.push_back(far);
  }
  const auto rows = m->match(cq);
  const std::size_t all_count = std::min<std::size_t>(cq.size(), 20'000);
  const auto all_rows = all->match(std::span<const crime_query>(cq.data(), all_count));
  REQUIRE(all_rows.size() == all_count * sc.store.subject_count());
  std::size_t at = 0, at_all = 0;
  std::map<match_status, std::size_t> seen;
  for (std::size_t ci = 0; ci < cq.size(); ++ci) {
    std::vector<ref_row> ref(sc.trails.size());
    for (std::uint32_t s = 0; s < sc.trails.size(); ++s) ref[s] = brute(sc.trails[s], cq[ci], v, gap);
    std::vector<bool> listed(sc.trails.size(), false);
    INFO("seed " << seed << " crime " << ci);
    for (; at < rows.size() && rows[at].crime == ci; ++at) {
      const match_row& row = rows[at];
      INFO("subject " << row.subject);
      REQUIRE(row.status <= match_status::possible);
      listed[row.subject] = true;
      check_row(row, ref[row.subject], sc.trails[row.subject], cq[ci], gap);
    }
    for (std::uint32_t s = 0; s < sc.trails.size(); ++s) {
      if (listed[s] != (ref[s].status <= match_status::possible)) {
        INFO("subject " << s << " brute " << to_string(ref[s].status) << " listed " << listed[s]);
        REQUIRE(false);
      }
      ++seen[ref[s].status];
    }
    if (ci < all_count)
      for (std::uint32_t k = 0; k < sc.trails.size(); ++k, ++at_all) {
        const match_row& row = all_rows[at_all];
        REQUIRE(row.crime == ci);
        check_row(row, ref[row.subject], sc.trails[row.subject], cq[ci], gap);
        // The library's own scanning evaluation agrees exactly.
        match_row x = row;
        x.crime = 0;
        REQUIRE(all->evaluate_scan(cq[ci], row.subject) == x);
      }
  }
  REQUIRE(at == rows.size());
  // Every status occurs in numbers.
  for (auto st : {match_status::present, match_status::passed, match_status::possible, match_status::ruled_out,
                  match_status::no_data}) {
    CAPTURE(to_string(st), seen[st]);
    // (Crimes at the prism's edge are rarely on a path: fewer passed rows.)
    if (v > 0 || st != match_status::possible) CHECK(seen[st] > crimes / (at_reach_edge ? 400 : 200));
  }
}

}  // namespace

TEST_CASE("matcher equals brute force on 10^5 generated crimes", "[crime_match]") {
  differential(1, 12, 1, 100'000, 40.0, 40.0);
}

TEST_CASE("matcher equals brute force at walking and above-index speeds", "[crime_match]") {
  differential(2, 10, 1, 10'000, 3.0, 40.0);   // queries slower than the index layout
  differential(3, 10, 1, 10'000, 70.0, 40.0);  // faster: the search disc grows
  differential(4, 8, 1, 5'000, 0.0, 0.0);      // max speed 0
}

TEST_CASE("matcher equals brute force with long blocks and far crimes", "[crime_match]") {
  // Blocks of up to 400 segments and 12 hours: the evaluation takes them in
  // pieces, and those spanning over 2^24 ms (4.7 h) with its double-precision
  // kernels and summed times; crimes 6,000 km away use the double kernels too.
  trail_index_options io;
  io.block_segments = 400;
  io.max_block_duration = milliseconds{12 * 3600 * 1000};
  io.max_block_side_m = 0;
  {
    // The layout does have such blocks.
    const scenario sc = make_scenario(9, 10, 2);
    const auto ix = trail_index::build(sc.store, io);
    REQUIRE(ix);
    std::size_t long_blocks = 0, pieces = 0;
    for (std::uint32_t s = 0; s < sc.store.subject_count(); ++s)
      for (const trail_block& b : ix->blocks_of(s)) {
        if (b.t_last_ms - b.t_first_ms >= (std::int64_t{1} << 24)) ++long_blocks;
        if (b.segments > 62) ++pieces;
      }
    CHECK(long_blocks > 0);
    CHECK(pieces > 20);
  }
  differential(9, 10, 2, 5'000, 40.0, 40.0, false, io, 300);
  differential(10, 8, 2, 3'000, 40.0, 40.0, true, io);
}

TEST_CASE("matcher equals brute force at the edge of prism reach", "[crime_match]") {
  // The cheap bounds in front of the exact prism test and the guessed ends
  // of the reaching interval, where they are tightest.
  differential(5, 10, 1, 20'000, 40.0, 40.0, true);
  differential(6, 10, 1, 10'000, 5.0, 40.0, true);
}

TEST_CASE("batch order, thread count and chunking do not change the rows", "[crime_match][threads]") {
  // match() evaluates a batch in a locality order of its own; the rows must
  // be those of each crime alone, in crime order.
  const std::uint64_t seed = 31;
  scenario sc = make_scenario(seed, 10, 1);
  auto ix = trail_index::build(sc.store);
  REQUIRE(ix);
  const auto crimes = make_crimes(sc.trails, sc.store.options().max_gap.count(), sc.gp, 2000, seed, 40.0);
  match_options o1;
  o1.threads = 1;
  const auto m = crime_matcher::make(*ix, o1);
  REQUIRE(m);
  const auto rows = m->match(crimes);
  // One crime at a time.
  std::vector<std::vector<match_row>> by_crime(crimes.size());
  for (std::size_t ci = 0; ci < crimes.size(); ++ci) {
    for (match_row row : m->match(std::span<const crime_query>(&crimes[ci], 1))) {
      row.crime = static_cast<std::uint32_t>(ci);
      by_crime[ci].push_back(row);
    }
  }
  std::vector<match_row> one_by_one;
  for (const auto& v : by_crime) one_by_one.insert(one_by_one.end(), v.begin(), v.end());
  CAPTURE(seed);
  REQUIRE(rows.size() > crimes.size());  // the test has rows to compare
  REQUIRE(rows == one_by_one);
  // A shuffled batch on two threads: the same rows, renumbered.
  testgen::rng r(seed);
  std::vector<std::uint32_t> perm(crimes.size());
  for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = static_cast<std::uint32_t>(k);
  for (std::size_t k = perm.size(); k > 1; --k) std::swap(perm[k - 1], perm[r.below(k)]);
  std::vector<crime_query> shuffled;
  for (std::uint32_t k : perm) shuffled.push_back(crimes[k]);
  match_options o2;
  o2.threads = 2;
  const auto rows2 = crime_matcher::make(*ix, o2)->match(shuffled);
  std::vector<std::vector<match_row>> back(crimes.size());
  for (match_row row : rows2) {
    const std::uint32_t orig = perm[row.crime];
    row.crime = orig;
    back[orig].push_back(row);
  }
  for (std::size_t ci = 0; ci < crimes.size(); ++ci) {
    CAPTURE(ci);
    REQUIRE(back[ci] == by_crime[ci]);
  }
}

TEST_CASE("matcher equals brute force, bigger runs", "[crime_match][slow]") {
  differential(11, 40, 2, 200'000, 40.0, 40.0);
  differential(12, 24, 3, 100'000, 13.0, 40.0);
}

// ---------------------------------------------------------------------------
// Hand-made cases with exactly representable geometry: whole metres, whole
// seconds, accuracies 10 m and 5 m (stored exactly).

namespace {

constexpr std::int64_t T0 = 1774224000000LL;  // 2026-03-23T00:00:00Z
std::int64_t sec(std::int64_t s) { return T0 + s * 1000; }

struct hand {
  trail_store store;
  std::optional<trail_index> ix;
  std::optional<crime_matcher> m;
  hand() {
    // W: walks east along y = 2000 at 1 m/s, a fix every 60 s, 10 m accuracy,
    // x = 1000 .. 1600 for t = 0 .. 600 s; then a 30-minute gap; then again
    // from x = 1800 at t = 2400 s to x = 2400 at t = 3000 s.
    for (int k = 0; k <= 10; ++k) (void)store.append("W", from_epoch_ms(sec(60 * k)), xy{1000.0 + 60 * k, 2000}, 10);
    for (int k = 0; k <= 10; ++k) (void)store.append("W", from_epoch_ms(sec(2400 + 60 * k)), xy{1800.0 + 60 * k, 2000}, 10);
    // L: one lone fix at (5000, 5000), t = 300 s, 5 m accuracy.
    (void)store.append("L", from_epoch_ms(sec(300)), xy{5000, 5000}, 5);
    // Z: two fixes at the same millisecond 30 m apart, then one a minute later.
    (void)store.append("Z", from_epoch_ms(sec(100)), xy{8000, 8000}, 5);
    (void)store.append("Z", from_epoch_ms(sec(100)), xy{8030, 8000}, 5);
    (void)store.append("Z", from_epoch_ms(sec(160)), xy{8030, 8000}, 5);
    ix.emplace(*trail_index::build(store));
    match_options mo;
    mo.max_speed_mps = 2.0;
    m.emplace(*crime_matcher::make(*ix, mo));
  }
  match_row one(const std::string& id, xy q, double r, std::int64_t from, std::int64_t to) const {
    const crime_query c{q, r, from, to};
    const std::uint32_t s = store.find(id);
    const auto rows = m->match_subjects(c, std::span<const std::uint32_t>(&s, 1));
    // Every query path agrees with the scan and with the reference.
    const match_row scan = m->evaluate_scan(c, s);
    REQUIRE(rows.at(0) == scan);
    const auto ref = brute(decode(store, s), c, 2.0, store.options().max_gap.count());
    check_row(rows[0], ref, decode(store, s), c, store.options().max_gap.count());
    return rows[0];
  }
};

}  // namespace

TEST_CASE("fixes exactly on the radius, paths tangent to it", "[crime_match]") {
  const hand h;
  // Fix at (1300, 2000), t = 300 s, accuracy 10: crime 110 m north, r = 100:
  // distance - accuracy == r exactly: present. The path stays 110 m away.
  auto m = h.one("W", xy{1300, 2110}, 100, sec(290), sec(310));
  CHECK(m.status == match_status::present);
  CHECK(m.fix_count == 1);
  CHECK(*m.min_distance_m == 110);
  CHECK(to_epoch_ms(*m.first_time) == sec(300));
  CHECK(m.dwell_s == 0);
  // 1 cm further: not present, not passed; the prism (2 m/s) still reaches.
  m = h.one("W", xy{1300, 2110.01}, 100, sec(290), sec(310));
  CHECK(m.status == match_status::possible);
  // Pythagorean: 66 m east and 88 m north of the fix is 110 m: present.
  CHECK(h.one("W", xy{1366, 2088}, 100, sec(300), sec(300)).status == match_status::present);
  // Path tangent: crime 100 m north of (1330, 2000) (between fixes), r =
  // 100, the window between the fixes (which would count with accuracy).
  m = h.one("W", xy{1330, 2100}, 100, sec(301), sec(359));
  CHECK(m.status == match_status::passed);
  CHECK(*m.min_distance_m == 100);
  CHECK(to_epoch_ms(*m.closest_time) == sec(330));
  CHECK(m.fix_count == 0);
  m = h.one("W", xy{1330, 2100.01}, 100, sec(301), sec(359));
  CHECK(m.status == match_status::possible);
  // Through the disc (r = 120, 100 m off the path): inside for the chord,
  // 2 sqrt(120^2 - 100^2) = 132.66 m at 1 m/s.
  m = h.one("W", xy{1330, 2100}, 120, sec(0), sec(600));
  CHECK(m.status == match_status::present);  // (1300, 2000) at 104.4 m, minus 10 m accuracy
  CHECK(m.dwell_s == Approx(2 * std::sqrt(120.0 * 120 - 100.0 * 100)).margin(1e-3));
  // The window closed: from exactly a fix's time includes it.
  CHECK(h.one("W", xy{1300, 2110}, 100, sec(300), sec(400)).status == match_status::present);
  CHECK(h.one("W", xy{1300, 2110}, 100, sec(300) + 1, sec(400)).status != match_status::present);
  CHECK(h.one("W", xy{1300, 2110}, 100, sec(200), sec(300)).status == match_status::present);
  CHECK(h.one("W", xy{1300, 2110}, 100, sec(200), sec(300) - 1).status != match_status::present);
}

TEST_CASE("windows inside, starting and ending in gaps; open ends", "[crime_match]") {
  const hand h;
  // Inside the 30-minute gap (600 s .. 2400 s). At 2 m/s the gap's prism
  // spans (1600,2000)-(1800,2000) with sum of distances <= 20 + 3600: a crime
  // 1 km north of the gap reaches it: no_data, not possible.
  auto m = h.one("W", xy{1700, 3000}, 100, sec(1000), sec(1200));
  CHECK(m.status == match_status::no_data);
  CHECK_FALSE(m.min_distance_m);
  // 5 km away the gap cannot reach it: ruled out even across the gap.
  m = h.one("W", xy{1700, 7000}, 100, sec(1000), sec(1200));
  CHECK(m.status == match_status::ruled_out);
  CHECK_FALSE(m.first_time);
  // A window that starts inside the gap and ends in tracked time, with the
  // crime on the later path: passed, with the closest approach after the gap.
  // (30 m off the path, r = 30: the fixes 30 m along, at 42.4 m minus 10 m
  // accuracy, do not count.)
  m = h.one("W", xy{1830, 2030}, 30, sec(1500), sec(2500));
  CHECK(m.status == match_status::passed);
  CHECK(*m.min_distance_m == 30);
  CHECK(to_epoch_ms(*m.closest_time) == sec(2430));
  // A window that ends inside the gap, crime 80 m off the last tracked
  // segment: reachable at 2 m/s by that segment's prism only.
  m = h.one("W", xy{1570, 2080}, 60, sec(550), sec(900));
  CHECK(m.status == match_status::possible);
  CHECK(to_epoch_ms(*m.first_time) >= sec(550));
  CHECK(to_epoch_ms(*m.last_time) <= sec(600));
  // ... and far from it: the tracked part excludes it, the gap allows it
  // (806 m from where the gap began, reachable from 948 s).
  m = h.one("W", xy{1700, 2800}, 100, sec(550), sec(1000));
  CHECK(m.status == match_status::no_data);
  CHECK(*m.min_distance_m > 700);
  CHECK(h.one("W", xy{1700, 2800}, 100, sec(550), sec(900)).status == match_status::ruled_out);
  // Before the first fix and after the last: no_data; a window covering the
  // whole day of a trail that could not have reached: still no_data (open).
  CHECK(h.one("W", xy{1000, 2000}, 100, sec(-600), sec(-1)).status == match_status::no_data);
  CHECK(h.one("W", xy{2400, 2000}, 100, sec(3001), sec(4000)).status == match_status::no_data);
  CHECK(h.one("W", xy{90000, 90000}, 100, sec(0), sec(3000)).status == match_status::ruled_out);
  CHECK(h.one("W", xy{90000, 90000}, 100, sec(-1), sec(3000)).status == match_status::no_data);
  // The lone fix.
  CHECK(h.one("L", xy{5000, 5104}, 100, sec(0), sec(600)).status == match_status::present);
  CHECK(h.one("L", xy{5000, 5106}, 100, sec(300), sec(300)).status == match_status::ruled_out);
  CHECK(h.one("L", xy{5000, 5106}, 100, sec(299), sec(300)).status == match_status::no_data);
  // Simultaneous fixes: the zero-length segment is no path (and 30 m apart
  // with 5 m accuracies, no prism either); each fix counts on its own.
  CHECK(h.one("Z", xy{8015, 8000}, 9.99, sec(100), sec(100)).status == match_status::ruled_out);
  CHECK(h.one("Z", xy{8015, 8000}, 10, sec(100), sec(100)).status == match_status::present);
  CHECK(h.one("Z", xy{8030, 8100}, 95, sec(100), sec(100)).status == match_status::present);
  CHECK(h.one("Z", xy{8030, 8100}, 95, sec(100), sec(100)).fix_count == 1);
}

TEST_CASE("named subjects, near-point queries, determinism, save/load", "[crime_match][threads]") {
  scenario sc = make_scenario(21, 10, 1);
  trail_index_options one_thread;
  one_thread.threads = 1;
  trail_index_options two_threads;
  two_threads.threads = 2;
  auto ix1 = trail_index::build(sc.store, one_thread);
  auto ix2 = trail_index::build(sc.store, two_threads);
  REQUIRE(ix1);
  REQUIRE(ix2);
  REQUIRE(ix1->block_count() == ix2->block_count());
  REQUIRE(ix1->entry_count() == ix2->entry_count());
  for (std::uint32_t s = 0; s < sc.store.subject_count(); ++s) {
    const auto a = ix1->blocks_of(s), b = ix2->blocks_of(s);
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      REQUIRE(a[k].first == b[k].first);
      REQUIRE(a[k].segments == b[k].segments);
      REQUIRE(a[k].min_x_cm == b[k].min_x_cm);
    }
  }
  const auto crimes = make_crimes(sc.trails, sc.store.options().max_gap.count(), sc.gp, 3000, 99);
  match_options o1;
  o1.threads = 1;
  match_options o2;
  o2.threads = 2;
  const auto r1 = crime_matcher::make(*ix1, o1)->match(crimes);
  const auto r2 = crime_matcher::make(*ix2, o2)->match(crimes);
  REQUIRE(r1 == r2);
  // Rows are ordered by crime, score descending, subject id.
  for (std::size_t k = 1; k < r1.size(); ++k) {
    REQUIRE(r1[k - 1].crime <= r1[k].crime);
    if (r1[k - 1].crime == r1[k].crime) {
      REQUIRE(r1[k - 1].score >= r1[k].score);
      if (r1[k - 1].score == r1[k].score)
        REQUIRE(sc.store.subject_id(r1[k - 1].subject) < sc.store.subject_id(r1[k].subject));
    }
  }
  // Named subjects: a row each, in the order asked, equal to the batch rows.
  const auto m = crime_matcher::make(*ix1, o1);
  std::vector<std::uint32_t> named{9, 3, 3, 0};
  std::size_t at = 0;
  for (std::size_t ci = 0; ci < 300; ++ci) {
    const auto rows = m->match_subjects(crimes[ci], named);
    REQUIRE(rows.size() == named.size());
    for (std::size_t k = 0; k < named.size(); ++k) {
      REQUIRE(rows[k].subject == named[k]);
      REQUIRE(rows[k] == m->evaluate_scan(crimes[ci], named[k]));
    }
    for (; at < r1.size() && r1[at].crime == ci; ++at)
      if (r1[at].subject == 3) {
        match_row x = r1[at];
        x.crime = 0;
        REQUIRE(x == rows[1]);
      }
  }
  // Near a point: exactly the present and passed subjects of that crime.
  for (std::size_t ci = 0; ci < 500; ++ci) {
    const crime_query& c = crimes[ci];
    const auto near = m->near(c.pos, c.radius_m, from_epoch_ms(c.from_ms), from_epoch_ms(c.to_ms));
    std::vector<std::uint32_t> expect;
    for (std::uint32_t s = 0; s < sc.store.subject_count(); ++s) {
      const auto st = brute(sc.trails[s], c, 0.0, sc.store.options().max_gap.count()).status;
      if (st == match_status::present || st == match_status::passed) expect.push_back(s);
    }
    std::vector<std::uint32_t> got;
    for (const auto& row : near) got.push_back(row.subject);
    std::sort(got.begin(), got.end());
    CAPTURE(ci);
    REQUIRE(got == expect);
  }
  // A loaded store gives the same rows.
  const std::string path = (std::filesystem::temp_directory_path() / "warden_crime_match_test.wts").string();
  REQUIRE(sc.store.save(path));
  auto loaded = trail_store::load(path);
  REQUIRE(loaded);
  auto ixl = trail_index::build(*loaded, one_thread);
  REQUIRE(ixl);
  const auto rl = crime_matcher::make(*ixl, o1)->match(crimes);
  REQUIRE(rl.size() == r1.size());
  for (std::size_t k = 0; k < rl.size(); ++k) {
    REQUIRE(loaded->subject_id(rl[k].subject) == sc.store.subject_id(r1[k].subject));
    REQUIRE(rl[k].status == r1[k].status);
    REQUIRE(rl[k].min_distance_m == r1[k].min_distance_m);
  }
  std::filesystem::remove(path);
  // A changed store makes the index stale.
  (void)sc.store.append("NEW", from_epoch_ms(T0), xy{0, 0}, 10);
  CHECK(crime_matcher::make(*ix1, o1).code() == errc::usage);
  CHECK(crime_matcher::make(*ix1, match_options{-1.0, false, 1}).code() == errc::bad_speed);
}

TEST_CASE("crime queries are validated", "[crime_match]") {
  crime c;
  c.pos = *lat_lon::from_degrees(51.7356, 0.4685);
  c.from = from_epoch_ms(T0);
  c.to = from_epoch_ms(T0 + 1000);
  const tm_frame frame;
  auto q = make_crime_query(c, frame, 100, 250);
  REQUIRE(q);
  CHECK(q->radius_m == 350);
  CHECK(q->pos == frame.forward(c.pos));
  c.radius_m = 40;
  CHECK(make_crime_query(c, frame, 100)->radius_m == 40);
  c.radius_m = -1;
  CHECK(make_crime_query(c, frame, 100).code() == errc::bad_radius);
  c.radius_m = std::nullopt;
  CHECK(make_crime_query(c, frame, std::nan("")).code() == errc::bad_radius);
  c.to = from_epoch_ms(T0 - 1);
  CHECK(make_crime_query(c, frame, 100).code() == errc::bad_window);
}

TEST_CASE("real Essex crimes against generated trails", "[crime_match]") {
  const std::string dir = std::string(WARDEN_SHARED_DATA) + "/police";
  if (!std::filesystem::exists(dir)) {
    WARN("no shared police data at " << dir);
    return;
  }
  const tm_frame frame;
  // Trails over Essex (BNG-like frame), 40 subjects, 30 Jan - 2 Feb 2018 so
  // that January and February windows both meet them.
  testgen::gen_params gp;
  gp.seed = 2018;
  gp.subjects = 40;
  gp.days = 4;
  gp.start_ms = 1517270400000LL;  // 2018-01-30T00:00:00Z
  gp.origin = xy{555'000, 185'000};
  gp.region_m = 50'000;
  trail_store store;
  testgen::generate(gp, [&](std::uint32_t s, std::int64_t t, xy p, float a) {
    (void)store.append(testgen::subject_name(s), from_epoch_ms(t), p, a);
  });
  std::size_t total_rows = 0, ok = 0, bad = 0;
  std::vector<crime_query> queries;
  std::vector<std::string> ids;
  std::map<errc, std::uint64_t> codes;
  for (const char* month : {"2018-01", "2018-02", "2018-03"}) {
    diagnostics diag;
    const std::string path = dir + "/" + month + "-essex-street.csv";
    auto loaded = load_crimes(path, diag);
    REQUIRE(loaded);
    CHECK(loaded->summary.format == crime_format::police_uk);
    ok += loaded->summary.records_ok;
    bad += loaded->summary.records_bad;
    total_rows += loaded->summary.lines - 1;
    for (const auto& [code, n] : diag.counts()) codes[code] += n;
    for (const crime& c : loaded->records) {
      auto q = make_crime_query(c, frame, 100, 250);
      REQUIRE(q);
      queries.push_back(*q);
      ids.push_back(c.crime_id);
    }
  }
  // No bad record unexplained: anti-social behaviour without a Crime ID and
  // rows without coordinates, nothing else.
  CHECK(ok + bad == total_rows);
  CHECK(ok == queries.size());
  for (const auto& [code, n] : codes) {
    CAPTURE(to_string(code), n);
    CHECK((code == errc::bad_id || code == errc::missing_field));
  }
  CHECK(codes[errc::bad_id] >= 10'000);
  CHECK(codes[errc::missing_field] >= 1);
  // One extra subject visits the first 30 January crimes, from 10:00 on the
  // 31st, standing 20 m off each published point for two minutes.
  std::size_t planted = 0;
  std::vector<std::size_t> planted_at;
  for (std::size_t k = 0; k < queries.size() && planted < 30; ++k) {
    if (queries[k].from_ms != 1514764800000LL) continue;  // January
    const std::int64_t t = 1517392800000LL + static_cast<std::int64_t>(planted) * 600'000;  // 31 Jan 10:00 + 10 min each
    for (int s = 0; s <= 2; ++s)
      (void)store.append("VISITOR", from_epoch_ms(t + s * 60'000), xy{queries[k].pos.x_m + 20, queries[k].pos.y_m}, 8);
    planted_at.push_back(k);
    ++planted;
  }
  auto ix = trail_index::build(store);
  REQUIRE(ix);
  match_options mo;
  mo.threads = 2;
  auto m = crime_matcher::make(*ix, mo);
  REQUIRE(m);
  const auto rows = m->match(queries);
  const std::uint32_t visitor = store.find("VISITOR");
  std::vector<bool> hit(queries.size(), false);
  std::size_t present = 0;
  for (const auto& row : rows) {
    REQUIRE(row.status <= match_status::possible);
    if (row.subject == visitor && row.status == match_status::present) hit[row.crime] = true;
    present += row.status == match_status::present;
  }
  for (std::size_t k : planted_at) {
    CAPTURE(ids[k]);
    CHECK(hit[k]);
  }
  CHECK(present >= planted);
  // A sample against the reference scan: every subject of 100 crimes.
  testgen::rng r(77);
  for (int k = 0; k < 100; ++k) {
    const std::size_t ci = r.below(queries.size());
    std::vector<match_status> expect(store.subject_count(), match_status::ruled_out);
    for (std::uint32_t s = 0; s < store.subject_count(); ++s) expect[s] = m->evaluate_scan(queries[ci], s).status;
    std::vector<bool> listed(store.subject_count(), false);
    for (const auto& row : rows)
      if (row.crime == ci) listed[row.subject] = true;
    for (std::uint32_t s = 0; s < store.subject_count(); ++s) {
      CAPTURE(ids[ci], s);
      REQUIRE(listed[s] == (expect[s] <= match_status::possible));
    }
  }
}

TEST_CASE("the scenario generator's crimes: every committed crime is present or passed", "[crime_match]") {
  const std::string data = std::string(WARDEN_SHARED_DATA);
  if (!std::filesystem::exists(data + "/boundaries/essex-lsoa")) {
    WARN("no shared boundary data under " << data);
    return;
  }
  synth_params p;
  p.seed = 7;
  p.subjects = 40;
  p.days = 3;
  p.rates.crime = 0.5;  // many committed crimes
  p.lsoa_dir = data + "/boundaries/essex-lsoa";
  p.ward_dir = data + "/boundaries/essex-wards";
  for (const char* m : {"2018-01", "2018-02", "2018-03"}) p.police_files.push_back(data + "/police/" + m + "-essex-street.csv");
  const std::string dir = (std::filesystem::temp_directory_path() / "warden_crime_match_synth").string();
  auto sum = generate_scenario(p, dir);
  REQUIRE(sum);
  REQUIRE(sum->committed_crimes >= 20);

  diagnostics diag;
  trail_store store;
  auto fr = read_fixes(dir + "/fixes.csv", diag, [&](const fix& f) { REQUIRE(store.append(f)); });
  REQUIRE(fr);
  CHECK(diag.empty());
  auto crimes = load_crimes(dir + "/crimes.csv", diag);
  REQUIRE(crimes);
  std::map<std::string, std::size_t> crime_at;
  std::vector<crime_query> queries;
  for (const crime& c : crimes->records) {
    crime_at[c.crime_id] = queries.size();
    queries.push_back(*make_crime_query(c, store.frame(), 100));
  }
  auto ix = trail_index::build(store);
  REQUIRE(ix);
  auto m = crime_matcher::make(*ix, match_options{});
  REQUIRE(m);
  const auto rows = m->match(queries);
  std::map<std::pair<std::size_t, std::string>, match_status> status;
  for (const auto& row : rows) status[{row.crime, store.subject_id(row.subject)}] = row.status;

  // crime_truth.csv: crime_id,subject_id,relation,min_distance_m,closest_time
  diagnostics tdiag;
  std::ifstream truth(dir + "/crime_truth.csv");
  REQUIRE(truth);
  std::string line;
  std::getline(truth, line);
  REQUIRE(line.rfind(synth_crime_truth_csv_header, 0) == 0);
  std::size_t committed = 0, committed_unmonitored = 0, nearby = 0, nearby_seen = 0;
  while (std::getline(truth, line)) {
    std::vector<std::string> f;
    std::size_t at = 0;
    for (std::size_t comma; (comma = line.find(',', at)) != std::string::npos; at = comma + 1)
      f.push_back(line.substr(at, comma - at));
    f.push_back(line.substr(at));
    REQUIRE(f.size() >= 5);
    REQUIRE(crime_at.count(f[0]) == 1);
    const std::size_t ci = crime_at[f[0]];
    const std::uint32_t s = store.find(f[1]);
    REQUIRE(s != trail_store::npos);
    const match_status st = m->match_subjects(queries[ci], std::span<const std::uint32_t>(&s, 1)).at(0).status;
    // The batch lists the subject exactly when the full evaluation finds it.
    const auto it = status.find({ci, f[1]});
    REQUIRE((it != status.end()) == (st <= match_status::possible));
    // Was the subject being tracked when the truth says it was closest?
    const auto when = parse_instant(f[4]);
    REQUIRE(when);
    const trail_view v = store.view(s);
    const std::size_t after = v.lower_bound(to_epoch_ms(*when));
    const bool tracked = after > 0 && after < v.size() && !v.is_gap(after - 1);
    INFO(line << " -> " << to_string(st) << (tracked ? " (tracked)" : " (in a gap)"));
    // Never ruled out: the one thing matching must not get wrong.
    CHECK(st != match_status::ruled_out);
    if (f[2] == "committed") {
      ++committed;
      if (tracked) {
        CHECK((st == match_status::present || st == match_status::passed));
      } else {
        ++committed_unmonitored;  // e.g. the device switched off for the crime
        CHECK((st == match_status::no_data || st <= match_status::possible));
      }
    } else {
      ++nearby;
      if (tracked) CHECK(st <= match_status::possible);
      nearby_seen += st <= match_status::passed;
    }
  }
  INFO("committed " << committed << " (" << committed_unmonitored << " while unmonitored), nearby " << nearby
                    << " (present or passed " << nearby_seen << ")");
  CHECK(committed_unmonitored * 4 <= committed);
  CHECK(committed == sum->committed_crimes);
  INFO("nearby " << nearby << ", present or passed " << nearby_seen);
  CHECK(nearby_seen * 10 >= nearby * 8);
  if (!std::getenv("WARDEN_KEEP_SYNTH")) std::filesystem::remove_all(dir);
}
