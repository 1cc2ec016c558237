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

timed_fix timed(const trail_view& v, std::size_t i) {
  return timed_fix{v.pos(i), v.time_ms(i), static_cast<double>(v.accuracy_m(i))};
}

// Everything one (crime, subject) pair accumulates. Contributions are
// order-independent (or, for the dwell sum, made in time order by every
// driver), so the indexed and the scanning drivers give identical rows.
class evaluator {
 public:
  evaluator(const trail_view& v, const crime_query& c, double speed) : v_(v), c_(c), speed_(speed) {}

  // Fix i, whose time is in the window.
  void fix(std::size_t i) {
    const xy p = v_.pos(i);
    const std::int64_t t = v_.time_ms(i);
    const double d = detail::dist_m(c_.pos, p);
    closest(d, static_cast<double>(t), p);
    if (d - static_cast<double>(v_.accuracy_m(i)) <= c_.radius_m) {
      present_ = true;
      ++fix_count_;
      inside(t, t);
    }
  }
  // Tracked segment k -> k+1, which meets the window.
  void segment(std::size_t k) {
    const std::int64_t t0 = v_.time_ms(k), t1 = v_.time_ms(k + 1);
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
  prism_reach prism(std::size_t k, bool want_times) const {
    const timed_fix f0 = timed(v_, k), f1 = timed(v_, k + 1);
    return prism_reaches(c_.pos, c_.radius_m, f0, f1, speed_, std::max(c_.from_ms, f0.t_ms),
                         std::min(c_.to_ms, f1.t_ms), want_times);
  }
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
  double lb;        // box distance to the crime
  std::uint32_t at; // block index within the subject
  bool visited;
};

// The first block of the subject whose time range reaches from_ms, searched
// outward from `hint` (a block in the window, when the index gave one).
std::span<const trail_block>::iterator first_in_window(std::span<const trail_block> blocks, std::int64_t from_ms,
                                                       std::uint32_t hint) {
  auto before = [&](const trail_block& b) { return b.t_last_ms < from_ms; };
  if (hint >= blocks.size()) return std::partition_point(blocks.begin(), blocks.end(), before);
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
  thread_local std::vector<block_ref> refs;
  refs.clear();
  auto it = first_in_window(blocks, c.from_ms, hint);
  for (; it != blocks.end() && it->t_first_ms <= c.to_ms; ++it)
    refs.push_back(block_ref{ix.box_distance_m(*it, c.pos), static_cast<std::uint32_t>(it - blocks.begin()), false});

  const double r = c.radius_m;
  // closest_only: the block is further than r + its accuracy, so its fixes
  // matter only if they come closer than the best so far.
  auto visit = [&](block_ref& ref, bool closest_only) {
    ref.visited = true;
    const trail_block& b = blocks[ref.at];
    const std::size_t last_fix = b.first + b.segments;
    const std::size_t fix_end = b.owns_last ? last_fix + 1 : last_fix;
    for (std::size_t i = b.first; i < fix_end; ++i) {
      const std::int64_t t = v.time_ms(i);
      if (t > c.to_ms) break;
      if (t < c.from_ms) continue;
      if (closest_only) {
        const xy p = v.pos(i);
        const double dx = p.x_m - c.pos.x_m, dy = p.y_m - c.pos.y_m, lim = e.best_distance() + bound_slack_m;
        if (dx * dx + dy * dy > lim * lim) continue;
      }
      e.fix(i);
    }
    for (std::size_t k = b.first; k < last_fix; ++k) {
      if (v.time_ms(k) > c.to_ms) break;
      if (v.time_ms(k + 1) < c.from_ms) continue;
      // Box of the segment against max(r, best): cannot pass, cannot beat.
      const xy p0 = v.pos(k), p1 = v.pos(k + 1);
      const double dx = std::max({std::min(p0.x_m, p1.x_m) - c.pos.x_m, 0.0, c.pos.x_m - std::max(p0.x_m, p1.x_m)});
      const double dy = std::max({std::min(p0.y_m, p1.y_m) - c.pos.y_m, 0.0, c.pos.y_m - std::max(p0.y_m, p1.y_m)});
      const double lim = std::max(r, e.best_distance()) + bound_slack_m;
      if (dx * dx + dy * dy > lim * lim) continue;
      e.segment(k);
    }
  };

  // 1. Present / passed.
  for (block_ref& ref : refs)
    if (ref.lb <= r + static_cast<double>(blocks[ref.at].max_accuracy_m) + bound_slack_m) visit(ref, false);

  // 2. Prisms, from each end.
  if (!e.seen()) {
    auto can_reach = [&](const block_ref& ref) {
      return ref.lb <= r + trail_index::reach_m(blocks[ref.at], speed) + bound_slack_m;
    };
    bool found = false;
    for (std::size_t nb = 0; nb < refs.size() && !found; ++nb) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      for (std::size_t k = b.first; k < b.first + b.segments; ++k) {
        if (v.time_ms(k) > c.to_ms) break;
        if (v.time_ms(k + 1) < c.from_ms) continue;
        const prism_reach pr = e.prism(k, true);
        if (pr.reaches) {
          e.reach_first(pr.first_ms);
          e.reach_last(pr.last_ms);
          found = true;
          break;
        }
      }
    }
    bool found_last = false;
    for (std::size_t nb = refs.size(); nb-- > 0 && found && !found_last;) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      for (std::size_t k = b.first + b.segments; k-- > b.first;) {
        if (v.time_ms(k + 1) < c.from_ms) break;
        if (v.time_ms(k) > c.to_ms) continue;
        const prism_reach pr = e.prism(k, true);
        if (pr.reaches) {
          e.reach_last(pr.last_ms);
          found_last = true;
          break;
        }
      }
    }
  }
  if (what == need::seen_or_possible && !e.seen() && !e.possible()) return std::nullopt;

  // 3. Closest approach: unvisited blocks nearest first.
  std::sort(refs.begin(), refs.end(),
            [](const block_ref& a, const block_ref& b) { return a.lb != b.lb ? a.lb < b.lb : a.at < b.at; });
  for (block_ref& ref : refs) {
    if (ref.visited) continue;
    if (ref.lb > e.best_distance()) break;
    visit(ref, true);
  }
  if (!e.seen() && !e.possible()) {
    e.check_open();
    for_gaps(v, ix.gaps_of(s), c, [&](std::uint32_t k) {
      if (!e.prism(k, false).reaches) return false;
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
  for (std::size_t i = w.i0; i < w.i1; ++i) e.fix(i);
  for (std::size_t k = w.k0; k < w.k1; ++k)
    if (!v.is_gap(k)) e.segment(k);
  if (!e.seen()) {
    for (std::size_t k = w.k0; k < w.k1; ++k) {
      if (v.is_gap(k)) continue;
      const prism_reach pr = e.prism(k, true);
      if (pr.reaches) {
        e.reach_first(pr.first_ms);
        e.reach_last(pr.last_ms);
        break;
      }
    }
    if (e.possible())
      for (std::size_t k = w.k1; k-- > w.k0;) {
        if (v.is_gap(k)) continue;
        const prism_reach pr = e.prism(k, true);
        if (pr.reaches) {
          e.reach_last(pr.last_ms);
          break;
        }
      }
  }
  if (!e.seen() && !e.possible()) {
    e.check_open();
    for (std::size_t k = w.k0; k < w.k1; ++k)
      if (v.is_gap(k) && e.prism(k, false).reaches) {
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

std::vector<match_row> crime_matcher::match(std::span<const crime_query> crimes, const match_progress& progress) const {
  const std::size_t n = crimes.size();
  const std::size_t ns = index_->store().subject_count();
  unsigned threads = opt_.threads ? opt_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, n)));
  // Crimes are handed out in chunks; each chunk's rows land in its own slot,
  // so the output order is the crime order whatever the thread count.
  constexpr std::size_t chunk = 64;
  const std::size_t nchunks = (n + chunk - 1) / chunk;
  std::vector<std::vector<match_row>> slots(nchunks);
  std::atomic<std::size_t> next{0}, done{0};
  auto work = [&](bool report) {
    trail_index::query_scratch scratch;
    std::vector<trail_index::candidate> cands;
    for (std::size_t ch; (ch = next.fetch_add(1)) < nchunks;) {
      std::vector<match_row>& out = slots[ch];
      const std::size_t end = std::min(n, (ch + 1) * chunk);
      for (std::size_t ci = ch * chunk; ci < end; ++ci) {
        const crime_query& c = crimes[ci];
        const std::size_t before = out.size();
        if (opt_.all_statuses) {
          for (std::uint32_t s = 0; s < ns; ++s) {
            auto row = evaluate_indexed(*index_, c, s, opt_.max_speed_mps, need::full);
            out.push_back(*row);
          }
        } else {
          cands.clear();
          index_->candidates(c.pos, c.radius_m, c.from_ms, c.to_ms, opt_.max_speed_mps, scratch, cands);
          for (const auto& k : cands)
            if (auto row = evaluate_indexed(*index_, c, k.subject, opt_.max_speed_mps, need::seen_or_possible, k.block))
              out.push_back(*row);
        }
        for (std::size_t k = before; k < out.size(); ++k) out[k].crime = static_cast<std::uint32_t>(ci);
        order_rows(out, before);
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
  for (auto& s : slots) rows.insert(rows.end(), s.begin(), s.end());
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
