// Crime matching (warden/crime_match.hpp): the per-subject evaluation, the
// indexed and the scanning drivers.
#include <warden/crime_match.hpp>
#include <warden/prism.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

namespace warden {

std::string_view to_string(match_status s) noexcept {
  switch (s) {
    case match_status::present: return "present";
    case match_status::passed: return "passed";
    case match_status::possible: return "possible";
    case match_status::ruled_out: return "ruled_out";
    case match_status::no_data: return "no_data";
  }
  return "no_data";
}

result<crime_query> make_crime_query(const crime& c, const tm_frame& frame, double default_radius_m,
                                     double extra_radius_m) {
  const double r = c.radius_m.value_or(default_radius_m) + extra_radius_m;
  if (!std::isfinite(r) || r <= 0 || r > 100'000.0)
    return make_error(errc::bad_radius, "crime radius must be a finite number in (0, 100000] metres");
  if (c.to < c.from) return make_error(errc::bad_window, "crime window ends before it starts");
  crime_query q;
  q.pos = frame.forward(c.pos);
  q.radius_m = r;
  q.from_ms = to_epoch_ms(c.from);
  q.to_ms = to_epoch_ms(c.to);
  return q;
}

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
// Slack on index bounds so that rounding in a bound never hides what the
// exact tests would find (1 mm: far above the rounding, far below meaning).
constexpr double bound_slack_m = 0.001;

// Everything one (crime, subject) pair accumulates. Contributions are
// order-independent (or, for the dwell sum, made in time order by every
// driver), so the indexed and the scanning drivers give identical rows.
class evaluator {
 public:
  evaluator(const trail_view& v, const crime_query& c, double speed)
      : v_(v), c_(c), speed_(speed),
        qx_cm_(c.pos.x_m * 100.0 - static_cast<double>(v.origin_x_cm())),
        qy_cm_(c.pos.y_m * 100.0 - static_cast<double>(v.origin_y_cm())) {}

  // Fix i, whose time t (= time_ms(i)) is in the window.
  void fix(std::size_t i, std::int64_t t) {
    const xy p = v_.pos(i);
    const double d = detail::dist_m(c_.pos, p);
    closest(d, static_cast<double>(t), p);
    if (d - static_cast<double>(v_.accuracy_m(i)) <= c_.radius_m) {
      present_ = true;
      ++fix_count_;
      inside(t, t);
    }
  }
  // Tracked segment k -> k+1 (at times t0, t1), which meets the window.
  void segment(std::size_t k, std::int64_t t0, std::int64_t t1) {
    const std::int64_t lo = std::max(c_.from_ms, t0), hi = std::min(c_.to_ms, t1);
    const path_vs_disc pv = path_against_disc(c_.pos, c_.radius_m, v_.pos(k), t0, v_.pos(k + 1), t1, lo, hi);
    closest(pv.min_distance_m, pv.closest_ms, pv.closest_point);
    if (pv.touches) {
      passed_ = true;
      dwell_ms_ += pv.dwell_ms;
      inside(std::llround(pv.enter_ms), std::llround(pv.exit_ms));
    }
  }
  // The prism of segment k during the window.
  prism_reach prism(std::size_t k, reach_times which) const {
    const std::int64_t t0 = v_.time_ms(k), t1 = v_.time_ms(k + 1);
    if (!prism_may_reach(k, t0, t1)) return prism_reach{};
    return prism_exact(k, t0, t1, which);
  }
  // The same once prism_may_reach(k, t0, t1) holds.
  prism_reach prism_exact(std::size_t k, std::int64_t t0, std::int64_t t1, reach_times which) const {
    const timed_fix f0{v_.pos(k), t0, static_cast<double>(v_.accuracy_m(k))};
    const timed_fix f1{v_.pos(k + 1), t1, static_cast<double>(v_.accuracy_m(k + 1))};
    return prism_reaches(c_.pos, c_.radius_m, f0, f1, speed_, std::max(c_.from_ms, t0), std::min(c_.to_ms, t1), which);
  }
  // A necessary condition for prism(k) to reach, on the stored integer
  // centimetres and squared distances (no decoding, no square root): the
  // prism lies in its ellipse, which lies in the disc of radius l/2 around
  // the segment's midpoint (l = a0 + a1 + v dt, the major axis), and during
  // the window within the discs its end fixes have grown or shrunk to by
  // the window's ends. The slack (1 mm and a relative 1e-9) exceeds every
  // rounding in the exact test, so this never rejects what it would accept.
  [[gnu::always_inline]] bool prism_may_reach(std::size_t k, std::int64_t t0, std::int64_t t1) const noexcept {
    const double lo_s = static_cast<double>(std::max(c_.from_ms, t0) - t0) / 1000.0;
    const double hi_s = static_cast<double>(std::min(c_.to_ms, t1) - t0) / 1000.0;
    const double dt_s = static_cast<double>(t1 - t0) / 1000.0;
    const double a0 = static_cast<double>(v_.accuracy_m(k)), a1 = static_cast<double>(v_.accuracy_m(k + 1));
    const double x0 = v_.dx_cm(k), y0 = v_.dy_cm(k), x1 = v_.dx_cm(k + 1), y1 = v_.dy_cm(k + 1);
    const double r_cm = c_.radius_m * 100.0;
    auto beyond = [](double dx, double dy, double lim) {
      lim += 0.1 + 1e-9 * lim;
      return dx * dx + dy * dy > lim * lim;
    };
    if (beyond(2 * qx_cm_ - x0 - x1, 2 * qy_cm_ - y0 - y1, 2 * r_cm + 100.0 * (a0 + a1 + speed_ * dt_s))) return false;
    if (beyond(qx_cm_ - x0, qy_cm_ - y0, r_cm + 100.0 * (a0 + speed_ * hi_s))) return false;
    if (beyond(qx_cm_ - x1, qy_cm_ - y1, r_cm + 100.0 * (a1 + speed_ * (dt_s - lo_s)))) return false;
    return true;
  }
  // The crime position relative to the subject's origin, centimetres.
  double qx_cm() const noexcept { return qx_cm_; }
  double qy_cm() const noexcept { return qy_cm_; }
  void reach_first(std::int64_t t) { reach_first_ = t; possible_ = true; }
  void reach_last(std::int64_t t) { reach_last_ = t; }
  void unknown() { unknown_ = true; }

  bool present() const { return present_; }
  bool seen() const { return present_ || passed_; }
  bool possible() const { return possible_; }
  bool has_closest() const { return best_d_ < inf; }
  double best_distance() const { return best_d_; }

  // The subject's trail does not cover [from, to] at one end.
  void check_open() {
    const std::size_t n = v_.size();
    if (n == 0 || c_.from_ms < v_.time_ms(0) || c_.to_ms > v_.time_ms(n - 1)) unknown_ = true;
  }

  match_row row(std::uint32_t subject) const {
    match_row m;
    m.subject = subject;
    m.status = present_   ? match_status::present
               : passed_  ? match_status::passed
               : possible_ ? match_status::possible
               : unknown_ ? match_status::no_data
                          : match_status::ruled_out;
    if (best_d_ < inf) {
      m.min_distance_m = best_d_;
      m.closest_time = from_epoch_ms(std::llround(best_t_));
      m.closest_point = best_p_;
    }
    m.dwell_s = dwell_ms_ / 1000.0;
    if (seen()) {
      m.first_time = from_epoch_ms(first_in_);
      m.last_time = from_epoch_ms(last_in_);
    } else if (possible_) {
      m.first_time = from_epoch_ms(reach_first_);
      m.last_time = from_epoch_ms(reach_last_);
    }
    m.fix_count = fix_count_;
    const double r = c_.radius_m;
    const double prox = best_d_ < inf ? r / (r + best_d_) : 0.0;
    switch (m.status) {
      case match_status::present: m.score = 0.75 + 0.2 * prox + 0.05 * std::min(1.0, m.dwell_s / 900.0); break;
      case match_status::passed: m.score = 0.5 + 0.2 * prox + 0.05 * std::min(1.0, m.dwell_s / 900.0); break;
      case match_status::possible: m.score = 0.25 + 0.25 * prox; break;
      default: m.score = 0; break;
    }
    return m;
  }

 private:
  void closest(double d, double t, xy p) {
    if (d < best_d_ || (d == best_d_ && t < best_t_)) {
      best_d_ = d;
      best_t_ = t;
      best_p_ = p;
    }
  }
  void inside(std::int64_t a, std::int64_t b) {
    first_in_ = std::min(first_in_, a);
    last_in_ = std::max(last_in_, b);
  }

  const trail_view& v_;
  const crime_query& c_;
  double speed_;
  double qx_cm_, qy_cm_;
  bool present_ = false, passed_ = false, possible_ = false, unknown_ = false;
  std::uint32_t fix_count_ = 0;
  double best_d_ = inf, best_t_ = 0;
  xy best_p_;
  double dwell_ms_ = 0;
  std::int64_t first_in_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_in_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t reach_first_ = 0, reach_last_ = 0;
};

// Indices of the fixes in the window [i0, i1) and of the segments meeting
// it [k0, k1) of a trail.
struct window_span {
  std::size_t i0 = 0, i1 = 0, k0 = 0, k1 = 0;
};
window_span window_of(const trail_view& v, const crime_query& c) {
  window_span w;
  const std::size_t n = v.size();
  w.i0 = v.lower_bound(c.from_ms);
  w.i1 = v.upper_bound(c.to_ms);
  if (n >= 2) {
    w.k0 = w.i0 > 0 ? w.i0 - 1 : 0;
    w.k1 = std::min(w.i1, n - 1);
    if (w.k1 < w.k0) w.k1 = w.k0;
  }
  return w;
}

// The gaps of a subject (from the index) that meet the window, in order.
template <class F>
void for_gaps(const trail_view& v, std::span<const std::uint32_t> gaps, const crime_query& c, F&& fn) {
  auto it = std::partition_point(gaps.begin(), gaps.end(),
                                 [&](std::uint32_t k) { return v.time_ms(k + 1) < c.from_ms; });
  for (; it != gaps.end() && v.time_ms(*it) <= c.to_ms; ++it)
    if (fn(*it)) return;
}

enum class need { seen_or_possible, full };

// The indexed evaluation. Only blocks that can matter are read, in three
// passes whose skips cannot change the row:
//  1. blocks within r + their largest accuracy, in time order: present,
//     passed, dwell, first/last inside (nothing further away can be);
//  2. if neither, blocks within r + reach(v) in time order, segment by
//     segment, until the first prism that reaches; then backwards for the last;
//  3. the closest approach: the remaining blocks nearest first, while their
//     box can still beat the best distance so far.
// Within a block a segment whose box is further than max(r, best) is
// skipped: it can neither pass nor come closer. nullopt when `need` is
// seen_or_possible and the subject is neither.
struct block_ref {
  double lb_sq;     // squared box distance to the crime, m^2 (internal only)
  std::uint32_t at; // block index within the subject
  bool visited;
};

// The first block of the subject whose time range reaches from_ms, searched
// outward from `hint` (a block in the window, when the index gave one).
std::span<const trail_block>::iterator first_in_window(std::span<const trail_block> blocks, std::int64_t from_ms,
                                                       std::uint32_t hint) {
  auto before = [&](const trail_block& b) { return b.t_last_ms < from_ms; };
  if (hint >= blocks.size()) return std::partition_point(blocks.begin(), blocks.end(), before);
  // The index's entries round times outward, so the hint may end just before from_ms.
  if (before(blocks[hint])) return std::partition_point(blocks.begin() + static_cast<std::ptrdiff_t>(hint) + 1, blocks.end(), before);
  // Gallop back from the hint, then bisect the last step.
  std::size_t hi = hint, step = 1;
  while (hi > 0 && !before(blocks[hi - 1])) {
    const std::size_t lo = hi > step ? hi - step : 0;
    if (before(blocks[lo])) {
      return std::partition_point(blocks.begin() + static_cast<std::ptrdiff_t>(lo),
                                  blocks.begin() + static_cast<std::ptrdiff_t>(hi), before);
    }
    hi = lo;
    step *= 2;
  }
  return blocks.begin() + static_cast<std::ptrdiff_t>(hi);
}

constexpr std::uint32_t no_hint = 0xFFFFFFFFu;

std::optional<match_row> evaluate_indexed(const trail_index& ix, const crime_query& c, std::uint32_t s,
                                          double speed, need what, std::uint32_t hint = no_hint) {
  const trail_view v = ix.store().view(s);
  evaluator e(v, c, speed);
  const auto blocks = ix.blocks_of(s);
  // Squared distances from here on (compared with squared limits that carry
  // the slack), so that no block or segment bound takes a square root.
  auto within = [](double d_sq, double lim_m) { return d_sq <= lim_m * lim_m; };
  thread_local std::vector<block_ref> refs;
  refs.clear();
  {
    const double qx = c.pos.x_m * 100.0 - static_cast<double>(ix.origin_x_cm());
    const double qy = c.pos.y_m * 100.0 - static_cast<double>(ix.origin_y_cm());
    auto it = first_in_window(blocks, c.from_ms, hint);
    for (; it != blocks.end() && it->t_first_ms <= c.to_ms; ++it) {
      const double dx = std::max({static_cast<double>(it->min_x_cm) - qx, 0.0, qx - static_cast<double>(it->max_x_cm)});
      const double dy = std::max({static_cast<double>(it->min_y_cm) - qy, 0.0, qy - static_cast<double>(it->max_y_cm)});
      refs.push_back(block_ref{(dx * dx + dy * dy) * 1e-4, static_cast<std::uint32_t>(it - blocks.begin()), false});
    }
  }

  const double r = c.radius_m;
  const double qx = e.qx_cm(), qy = e.qy_cm();  // relative to the subject's origin
  // closest_only: the block is further than r + its accuracy, so its fixes
  // matter only if they come closer than the best so far.
  // Times within a block follow from its first fix's and the intervals
  // (each under 2^32 ms, see trail_view::t_column), without the epoch table.
  const std::uint32_t* tc = v.t_column();
  auto step = [tc](std::size_t k) { return static_cast<std::int64_t>(tc[k + 1] - tc[k]); };
  auto visit = [&](block_ref& ref, bool closest_only) {
    ref.visited = true;
    const trail_block& b = blocks[ref.at];
    const std::size_t last_fix = b.first + b.segments;
    const std::size_t fix_end = b.owns_last ? last_fix + 1 : last_fix;
    // A block wholly inside the window needs no per-fix time test.
    const bool whole = b.t_first_ms >= c.from_ms && b.t_last_ms <= c.to_ms;
    std::int64_t t = b.t_first_ms;
    for (std::size_t i = b.first; i < fix_end; ++i) {
      if (i > b.first) t += step(i - 1);
      if (!whole) {
        if (t > c.to_ms) break;
        if (t < c.from_ms) continue;
      }
      if (closest_only) {
        const double dx = v.dx_cm(i) - qx, dy = v.dy_cm(i) - qy, lim = e.best_distance() * 100.0 + bound_slack_m * 100.0;
        if (dx * dx + dy * dy > lim * lim) continue;
      }
      e.fix(i, t);
    }
    std::int64_t t0 = b.t_first_ms;
    for (std::size_t k = b.first; k < last_fix; ++k) {
      const std::int64_t t1 = t0 + step(k);
      if (!whole) {
        if (t0 > c.to_ms) break;
        if (t1 < c.from_ms) {
          t0 = t1;
          continue;
        }
      }
      // The segment against max(r, best): cannot pass, cannot beat. Its
      // distance on the stored centimetres (not clipped to the window, so
      // a lower bound of the exact one).
      const double x0 = v.dx_cm(k) - qx, y0 = v.dy_cm(k) - qy;
      const double sx = v.dx_cm(k + 1) - qx - x0, sy = v.dy_cm(k + 1) - qy - y0;
      const double len2 = sx * sx + sy * sy;
      const double u = len2 > 0 ? std::clamp(-(x0 * sx + y0 * sy) / len2, 0.0, 1.0) : 0.0;
      const double ex = x0 + u * sx, ey = y0 + u * sy;
      const double lim = (std::max(r, e.best_distance()) + bound_slack_m) * 100.0;
      if (ex * ex + ey * ey <= lim * lim) e.segment(k, t0, t1);
      t0 = t1;
    }
  };

  // 1. Present / passed.
  for (block_ref& ref : refs)
    if (within(ref.lb_sq, r + static_cast<double>(blocks[ref.at].max_accuracy_m) + bound_slack_m)) visit(ref, false);

  // 2. Prisms, from each end: the first instant from the first reaching
  // segment, the last from the last one.
  if (!e.seen()) {
    auto can_reach = [&](const block_ref& ref) {
      return within(ref.lb_sq, r + trail_index::reach_m(blocks[ref.at], speed) + bound_slack_m);
    };
    bool found = false;
    for (std::size_t nb = 0; nb < refs.size() && !found; ++nb) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      std::int64_t t0 = b.t_first_ms;
      for (std::size_t k = b.first; k < b.first + b.segments; ++k) {
        const std::int64_t t1 = t0 + step(k);
        if (t0 > c.to_ms) break;
        if (t1 >= c.from_ms && e.prism_may_reach(k, t0, t1)) {
          const prism_reach pr = e.prism_exact(k, t0, t1, reach_times::first);
          if (pr.reaches) {
            e.reach_first(pr.first_ms);
            found = true;
            break;
          }
        }
        t0 = t1;
      }
    }
    bool found_last = false;
    for (std::size_t nb = refs.size(); nb-- > 0 && found && !found_last;) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      std::int64_t t1 = b.t_last_ms;
      for (std::size_t k = b.first + b.segments; k-- > b.first;) {
        const std::int64_t t0 = t1 - step(k);
        if (t1 < c.from_ms) break;
        if (t0 <= c.to_ms && e.prism_may_reach(k, t0, t1)) {
          const prism_reach pr = e.prism_exact(k, t0, t1, reach_times::last);
          if (pr.reaches) {
            e.reach_last(pr.last_ms);
            found_last = true;
            break;
          }
        }
        t1 = t0;
      }
    }
  }
  if (what == need::seen_or_possible && !e.seen() && !e.possible()) return std::nullopt;

  // 3. Closest approach: unvisited blocks nearest first.
  std::sort(refs.begin(), refs.end(),
            [](const block_ref& a, const block_ref& b) { return a.lb_sq != b.lb_sq ? a.lb_sq < b.lb_sq : a.at < b.at; });
  for (block_ref& ref : refs) {
    if (ref.visited) continue;
    if (!within(ref.lb_sq, e.best_distance() + bound_slack_m)) break;
    visit(ref, true);
  }
  if (!e.seen() && !e.possible()) {
    e.check_open();
    for_gaps(v, ix.gaps_of(s), c, [&](std::uint32_t k) {
      if (!e.prism(k, reach_times::none).reaches) return false;
      e.unknown();
      return true;
    });
  }
  return e.row(s);
}

match_row evaluate_scanning(const trail_store& store, const crime_query& c, std::uint32_t s, double speed) {
  const trail_view v = store.view(s);
  evaluator e(v, c, speed);
  const window_span w = window_of(v, c);
  for (std::size_t i = w.i0; i < w.i1; ++i) e.fix(i, v.time_ms(i));
  for (std::size_t k = w.k0; k < w.k1; ++k)
    if (!v.is_gap(k)) e.segment(k, v.time_ms(k), v.time_ms(k + 1));
  if (!e.seen()) {
    for (std::size_t k = w.k0; k < w.k1; ++k) {
      if (v.is_gap(k)) continue;
      const prism_reach pr = e.prism(k, reach_times::first);
      if (pr.reaches) {
        e.reach_first(pr.first_ms);
        break;
      }
    }
    if (e.possible())
      for (std::size_t k = w.k1; k-- > w.k0;) {
        if (v.is_gap(k)) continue;
        const prism_reach pr = e.prism(k, reach_times::last);
        if (pr.reaches) {
          e.reach_last(pr.last_ms);
          break;
        }
      }
  }
  if (!e.seen() && !e.possible()) {
    e.check_open();
    for (std::size_t k = w.k0; k < w.k1; ++k)
      if (v.is_gap(k) && e.prism(k, reach_times::none).reaches) {
        e.unknown();
        break;
      }
  }
  return e.row(s);
}

}  // namespace

result<crime_matcher> crime_matcher::make(const trail_index& index, const match_options& opt) {
  if (!std::isfinite(opt.max_speed_mps) || opt.max_speed_mps < 0)
    return make_error(errc::bad_speed, "max_speed_mps must be a finite number >= 0");
  if (index.stale()) return make_error(errc::usage, "the trail store changed after the index was built");
  crime_matcher m(index, opt);
  const auto order = index.store().subjects_by_id();
  m.id_rank_.assign(order.size(), 0);
  for (std::size_t k = 0; k < order.size(); ++k) m.id_rank_[order[k]] = static_cast<std::uint32_t>(k);
  return m;
}

void crime_matcher::order_rows(std::vector<match_row>& rows, std::size_t from) const {
  std::sort(rows.begin() + static_cast<std::ptrdiff_t>(from), rows.end(), [&](const match_row& a, const match_row& b) {
    if (a.crime != b.crime) return a.crime < b.crime;
    if (a.score != b.score) return a.score > b.score;
    return id_rank_[a.subject] < id_rank_[b.subject];
  });
}

namespace {

// Position of (x, y) along a Hilbert curve over a 2^16 x 2^16 grid.
std::uint64_t hilbert_key(std::uint32_t x, std::uint32_t y) noexcept {
  constexpr std::uint32_t n = 1u << 16;
  std::uint64_t d = 0;
  for (std::uint32_t s = n / 2; s > 0; s /= 2) {
    const std::uint32_t rx = (x & s) ? 1u : 0u, ry = (y & s) ? 1u : 0u;
    d += static_cast<std::uint64_t>(s) * s * ((3u * rx) ^ ry);
    if (ry == 0) {
      if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

// The order in which a batch is evaluated: along a Hilbert curve over
// tiles of about a prism's reach, then by window start, so that crimes
// evaluated one after another share candidates and their trails are still
// in cache (in input order, every crime's trails come from memory). The
// order affects speed only: each crime's rows are computed independently.
std::vector<std::uint32_t> locality_order(std::span<const crime_query> crimes, double tile_m) {
  std::vector<std::uint32_t> order(crimes.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<std::uint32_t>(k);
  if (crimes.size() < 2) return order;
  double x0 = crimes[0].pos.x_m, y0 = crimes[0].pos.y_m;
  for (const crime_query& c : crimes) {
    x0 = std::min(x0, c.pos.x_m);
    y0 = std::min(y0, c.pos.y_m);
  }
  std::vector<std::uint64_t> key(crimes.size());
  auto tile = [&](double m) {
    return static_cast<std::uint32_t>(std::clamp(std::floor(m / tile_m), 0.0, 65535.0));
  };
  for (std::size_t k = 0; k < crimes.size(); ++k)
    key[k] = hilbert_key(tile(crimes[k].pos.x_m - x0), tile(crimes[k].pos.y_m - y0));
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (key[a] != key[b]) return key[a] < key[b];
    if (crimes[a].from_ms != crimes[b].from_ms) return crimes[a].from_ms < crimes[b].from_ms;
    return a < b;
  });
  return order;
}

}  // namespace

std::vector<match_row> crime_matcher::match(std::span<const crime_query> crimes, const match_progress& progress) const {
  const std::size_t n = crimes.size();
  const std::size_t ns = index_->store().subject_count();
  unsigned threads = opt_.threads ? opt_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, n)));
  const std::vector<std::uint32_t> order = locality_order(crimes, std::max(250.0, index_->cell_size_m() / 4));
  // Crimes are handed out in chunks of that order; each chunk's rows land
  // in its own slot, and each crime's run of rows is recorded, so the output
  // is in crime order whatever the thread count.
  constexpr std::size_t chunk = 64;
  const std::size_t nchunks = (n + chunk - 1) / chunk;
  std::vector<std::vector<match_row>> slots(nchunks);
  struct run {
    std::uint32_t slot = 0;
    std::size_t begin = 0, end = 0;
  };
  std::vector<run> runs(n);
  std::atomic<std::size_t> next{0}, done{0};
  auto work = [&](bool report) {
    trail_index::query_scratch scratch;
    std::vector<trail_index::candidate> cands;
    for (std::size_t ch; (ch = next.fetch_add(1)) < nchunks;) {
      std::vector<match_row>& out = slots[ch];
      const std::size_t end = std::min(n, (ch + 1) * chunk);
      for (std::size_t oi = ch * chunk; oi < end; ++oi) {
        const std::uint32_t ci = order[oi];
        const crime_query& c = crimes[ci];
        const std::size_t before = out.size();
        if (opt_.all_statuses) {
          for (std::uint32_t s = 0; s < ns; ++s) {
            auto row = evaluate_indexed(*index_, c, s, opt_.max_speed_mps, need::full);
            out.push_back(*row);
          }
        } else {
          // Only the index's candidates: every other subject is neither
          // present, passed nor possible, so it is never evaluated.
          cands.clear();
          index_->candidates(c.pos, c.radius_m, c.from_ms, c.to_ms, opt_.max_speed_mps, scratch, cands);
          // The evaluation waits on memory (a subject's table, its blocks,
          // its columns: each a cache miss at scale), so the candidates'
          // data is requested a few candidates ahead, in two steps: what
          // locates a trail, then the trail itself.
          const trail_store& store = index_->store();
          const std::size_t nc = cands.size();
          auto locate = [&](std::size_t j) {
            if (j >= nc) return;
            store.prefetch_view(cands[j].subject);
            const auto bl = index_->blocks_of(cands[j].subject);
            if (cands[j].block < bl.size()) __builtin_prefetch(&bl[cands[j].block]);
          };
          auto fetch = [&](std::size_t j) {
            if (j >= nc) return;
            const auto bl = index_->blocks_of(cands[j].subject);
            if (cands[j].block < bl.size()) store.view(cands[j].subject).prefetch(bl[cands[j].block].first);
          };
          constexpr std::size_t ahead = 4;
          for (std::size_t j = 0; j < std::min(nc, ahead); ++j) locate(j);
          for (std::size_t j = 0; j < std::min(nc, ahead / 2); ++j) fetch(j);
          for (std::size_t j = 0; j < nc; ++j) {
            locate(j + ahead);
            fetch(j + ahead / 2);
            const auto& k = cands[j];
            if (auto row = evaluate_indexed(*index_, c, k.subject, opt_.max_speed_mps, need::seen_or_possible, k.block))
              out.push_back(*row);
          }
        }
        for (std::size_t k = before; k < out.size(); ++k) out[k].crime = ci;
        order_rows(out, before);
        runs[ci] = run{static_cast<std::uint32_t>(ch), before, out.size()};
      }
      const std::size_t d = done.fetch_add(end - ch * chunk) + (end - ch * chunk);
      if (report && progress) progress(d, n);
    }
  };
  if (threads == 1) {
    work(true);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, false);
    work(true);
    for (auto& t : pool) t.join();
    if (progress) progress(n, n);
  }
  std::size_t total = 0;
  for (const auto& s : slots) total += s.size();
  std::vector<match_row> rows;
  rows.reserve(total);
  for (const run& r : runs) {
    const auto& s = slots[r.slot];
    rows.insert(rows.end(), s.begin() + static_cast<std::ptrdiff_t>(r.begin), s.begin() + static_cast<std::ptrdiff_t>(r.end));
  }
  return rows;
}

std::vector<match_row> crime_matcher::match_subjects(const crime_query& c, std::span<const std::uint32_t> subjects) const {
  std::vector<match_row> rows;
  rows.reserve(subjects.size());
  const std::size_t ns = index_->store().subject_count();
  for (std::uint32_t s : subjects) {
    if (s >= ns) {
      match_row m;
      m.subject = s;
      rows.push_back(m);
      continue;
    }
    rows.push_back(*evaluate_indexed(*index_, c, s, opt_.max_speed_mps, need::full));
  }
  return rows;
}

std::vector<match_row> crime_matcher::match_among(const crime_query& c,
                                                 std::span<const std::uint32_t> candidates) const {
  std::vector<match_row> rows;
  for (std::uint32_t s : candidates)
    if (auto row = evaluate_indexed(*index_, c, s, opt_.max_speed_mps, need::seen_or_possible)) rows.push_back(*row);
  order_rows(rows, 0);
  return rows;
}

std::vector<match_row> crime_matcher::near(xy point, double radius_m, instant from, instant to) const {
  crime_query c{point, radius_m, to_epoch_ms(from), to_epoch_ms(to)};
  std::vector<match_row> rows;
  trail_index::query_scratch scratch;
  std::vector<std::uint32_t> cands;
  // Speed 0 narrows the candidates to fixes and paths; prisms play no part.
  index_->candidate_subjects(c.pos, c.radius_m, c.from_ms, c.to_ms, 0.0, scratch, cands);
  for (std::uint32_t s : cands)
    if (auto row = evaluate_indexed(*index_, c, s, 0.0, need::seen_or_possible))
      if (row->status == match_status::present || row->status == match_status::passed) rows.push_back(*row);
  order_rows(rows, 0);
  return rows;
}

match_row crime_matcher::evaluate_scan(const crime_query& c, std::uint32_t subject) const {
  return evaluate_scanning(index_->store(), c, subject, opt_.max_speed_mps);
}

}  // namespace warden
