// The space-time index (warden/trail_index.hpp): blocks, the loose
// multi-level grid and candidate queries.
#include <warden/trail_index.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <cstdint>
#include <thread>

namespace warden {
namespace {

// Sampling-interval classes: a block never mixes them.
int interval_class(std::int64_t dt_ms) noexcept {
  if (dt_ms <= 150'000) return 0;
  if (dt_ms <= 300'000) return 1;
  if (dt_ms <= 600'000) return 2;
  return 3;
}

// Runs fn(begin, end, worker) over [0, n) cut into `threads` contiguous
// ranges whose weights (prefix sums in `cum`, cum.size() == n + 1) are about
// equal. Output written by range stays in range order, so results do not
// depend on the thread count.
template <class F>
void parallel_ranges(std::size_t n, const std::vector<std::uint64_t>& cum, unsigned threads, F&& fn) {
  threads = static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, n)));
  std::vector<std::size_t> cut(threads + 1, n);
  cut[0] = 0;
  for (unsigned w = 1; w < threads; ++w) {
    const std::uint64_t target = cum[n] / threads * w;
    cut[w] = static_cast<std::size_t>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin());
    cut[w] = std::clamp(cut[w], cut[w - 1], n);
  }
  if (threads == 1) {
    fn(std::size_t{0}, n, 0u);
    return;
  }
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < threads; ++w) pool.emplace_back([&, w] { fn(cut[w], cut[w + 1], w); });
  for (auto& t : pool) t.join();
}

struct subject_blocks {
  std::vector<trail_block> blocks;  // boxes relative to each subject's origin for now
  std::vector<std::uint32_t> gaps;
  std::vector<std::size_t> block_count, gap_count;  // per subject of the range
};

void cut_blocks(const trail_store& store, std::uint32_t s, const trail_index_options& opt, subject_blocks& out) {
  const trail_view v = store.view(s);
  const std::size_t n = v.size();
  const std::int64_t max_gap = v.max_gap_ms();
  const std::int64_t max_dur = opt.max_block_duration.count();
  const std::int64_t max_side_cm =
      opt.max_block_side_m > 0 ? static_cast<std::int64_t>(std::min(opt.max_block_side_m * 100.0, 4e18)) : std::numeric_limits<std::int64_t>::max();
  const std::size_t before_blocks = out.blocks.size(), before_gaps = out.gaps.size();
  std::size_t i = 0;
  std::int64_t t_prev = n > 0 ? v.time_ms(0) : 0;
  while (i < n) {
    trail_block b;
    b.subject = s;
    b.first = static_cast<std::uint32_t>(i);
    std::int32_t x0 = v.dx_cm(i), y0 = v.dy_cm(i), x1 = x0, y1 = y0;
    float acc = v.accuracy_m(i);
    const std::int64_t t_first = v.time_ms(i);
    t_prev = t_first;
    std::uint32_t segs = 0;
    std::int64_t max_dt = 0;
    int cls = -1;
    const bool vague = acc > 100.0f;
    bool next_tracked = false;
    while (i + segs + 1 < n) {
      const std::size_t k = i + segs;
      const std::int64_t t_next = v.time_ms(k + 1);
      const std::int64_t dt = t_next - t_prev;
      if (dt > max_gap) {
        out.gaps.push_back(static_cast<std::uint32_t>(k));
        break;
      }
      const int c = interval_class(dt);
      const bool vague_next = v.accuracy_m(k + 1) > 100.0f;
      const std::int32_t xn = v.dx_cm(k + 1), yn = v.dy_cm(k + 1);
      const bool too_wide = std::max(std::max(x1, xn) - std::min(x0, xn), std::max(y1, yn) - std::min(y0, yn)) > max_side_cm;
      if (segs > 0 && (c != cls || vague_next != vague || segs >= opt.block_segments || t_next - t_first > max_dur || too_wide)) {
        next_tracked = true;
        break;
      }
      cls = c;
      ++segs;
      max_dt = std::max(max_dt, dt);
      const std::int32_t x = v.dx_cm(k + 1), y = v.dy_cm(k + 1);
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
      acc = std::max(acc, v.accuracy_m(k + 1));
      t_prev = t_next;
    }
    b.segments = segs;
    b.max_dt_ms = static_cast<std::uint32_t>(max_dt);
    b.t_first_ms = t_first;
    b.t_last_ms = t_prev;
    b.min_x_cm = x0;
    b.min_y_cm = y0;
    b.max_x_cm = x1;
    b.max_y_cm = y1;
    b.max_accuracy_m = acc;
    b.owns_last = !next_tracked;
    out.blocks.push_back(b);
    i += segs + (next_tracked ? 0u : 1u);
  }
  out.block_count.push_back(out.blocks.size() - before_blocks);
  out.gap_count.push_back(out.gaps.size() - before_gaps);
}

}  // namespace

result<trail_index> trail_index::build(const trail_store& store, const trail_index_options& opt) {
  if (!std::isfinite(opt.max_speed_mps) || opt.max_speed_mps < 0)
    return make_error(errc::bad_speed, "max_speed_mps must be a finite number >= 0");
  if (opt.block_segments == 0 || opt.max_block_duration.count() <= 0)
    return make_error(errc::usage, "block_segments and max_block_duration must be positive");
  if (!std::isfinite(opt.max_block_side_m) || opt.max_block_side_m < 0)
    return make_error(errc::usage, "max_block_side_m must be a finite number >= 0");
  if (!std::isfinite(opt.cell_size_m) || opt.cell_size_m < 0)
    return make_error(errc::usage, "cell_size_m must be a finite number >= 0");
  if (store.options().max_gap.count() > 0xFFFFFFFFll)
    return make_error(errc::limit_exceeded, "the store's max_gap exceeds 49 days");

  trail_index ix;
  ix.store_ = &store;
  ix.generation_ = store.generation();
  ix.opt_ = opt;
  const unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t ns = store.subject_count();

  // 1. Blocks and gaps, in parallel over subjects (ranges balanced by fixes).
  std::vector<std::uint64_t> cum(ns + 1, 0);
  for (std::size_t s = 0; s < ns; ++s) cum[s + 1] = cum[s] + store.view(static_cast<std::uint32_t>(s)).size() + 1;
  std::vector<subject_blocks> parts(std::max(1u, threads));
  std::vector<std::size_t> part_begin(parts.size(), ns);
  parallel_ranges(ns, cum, threads, [&](std::size_t b, std::size_t e, unsigned w) {
    part_begin[w] = b;
    subject_blocks& p = parts[w];
    p.blocks.reserve(static_cast<std::size_t>((cum[e] - cum[b]) / 16 + 16));
    for (std::size_t s = b; s < e; ++s) cut_blocks(store, static_cast<std::uint32_t>(s), opt, p);
  });
  ix.block_begin_.assign(ns + 1, 0);
  ix.gap_begin_.assign(ns + 1, 0);
  {
    std::size_t nb = 0, ng = 0;
    for (const auto& p : parts) {
      nb += p.blocks.size();
      ng += p.gaps.size();
    }
    ix.blocks_.reserve(nb);
    ix.gaps_.reserve(ng);
    for (std::size_t w = 0; w < parts.size(); ++w) {
      subject_blocks& p = parts[w];
      for (std::size_t k = 0; k < p.block_count.size(); ++k) {
        const std::size_t s = part_begin[w] + k;
        ix.block_begin_[s + 1] = p.block_count[k];
        ix.gap_begin_[s + 1] = p.gap_count[k];
      }
      ix.blocks_.insert(ix.blocks_.end(), p.blocks.begin(), p.blocks.end());
      ix.gaps_.insert(ix.gaps_.end(), p.gaps.begin(), p.gaps.end());
      p = subject_blocks{};
    }
    for (std::size_t s = 0; s < ns; ++s) {
      ix.block_begin_[s + 1] += ix.block_begin_[s];
      ix.gap_begin_[s + 1] += ix.gap_begin_[s];
    }
  }
  if (ix.blocks_.size() > 0xFFFFFFFFull) return make_error(errc::limit_exceeded, "more than 2^32 blocks");

  // 2. The origin and epoch; boxes relative to the index origin.
  std::int64_t minx = std::numeric_limits<std::int64_t>::max(), miny = minx, maxx = std::numeric_limits<std::int64_t>::min(),
               maxy = maxx, epoch = std::numeric_limits<std::int64_t>::max();
  for (std::size_t s = 0; s < ns; ++s) {
    const trail_view v = store.view(static_cast<std::uint32_t>(s));
    for (std::size_t k = ix.block_begin_[s]; k < ix.block_begin_[s + 1]; ++k) {
      const trail_block& b = ix.blocks_[k];
      minx = std::min(minx, v.origin_x_cm() + b.min_x_cm);
      miny = std::min(miny, v.origin_y_cm() + b.min_y_cm);
      maxx = std::max(maxx, v.origin_x_cm() + b.max_x_cm);
      maxy = std::max(maxy, v.origin_y_cm() + b.max_y_cm);
      epoch = std::min(epoch, b.t_first_ms);
    }
  }
  if (ix.blocks_.empty()) {
    minx = miny = maxx = maxy = 0;
    epoch = 0;
  }
  if (maxx - minx > std::numeric_limits<std::int32_t>::max() || maxy - miny > std::numeric_limits<std::int32_t>::max())
    return make_error(errc::limit_exceeded, "the trails span more than 21,474 km");
  ix.origin_x_cm_ = minx;
  ix.origin_y_cm_ = miny;
  ix.epoch_ms_ = epoch - ((epoch % 1000) + 1000) % 1000;
  for (std::size_t s = 0; s < ns; ++s) {
    const trail_view v = store.view(static_cast<std::uint32_t>(s));
    const std::int64_t dx = v.origin_x_cm() - minx, dy = v.origin_y_cm() - miny;
    for (std::size_t k = ix.block_begin_[s]; k < ix.block_begin_[s + 1]; ++k) {
      trail_block& b = ix.blocks_[k];
      b.min_x_cm = static_cast<std::int32_t>(b.min_x_cm + dx);
      b.max_x_cm = static_cast<std::int32_t>(b.max_x_cm + dx);
      b.min_y_cm = static_cast<std::int32_t>(b.min_y_cm + dy);
      b.max_y_cm = static_cast<std::int32_t>(b.max_y_cm + dy);
    }
  }
  if ((ix.blocks_.empty() ? 0 : ix.blocks_.back().t_last_ms) - ix.epoch_ms_ > 0xFFFFFFFFll * 1000)
    return make_error(errc::limit_exceeded, "the trails span more than 136 years");

  // 3. Level-0 cell side: the median grown block side (sampled).
  const double v = opt.max_speed_mps;
  auto grown_side_m = [&](const trail_block& b) {
    return static_cast<double>(std::max(b.max_x_cm - b.min_x_cm, b.max_y_cm - b.min_y_cm)) / 100.0 + 2 * reach_m(b, v);
  };
  double cell = opt.cell_size_m;
  if (cell == 0) {
    std::vector<double> sides;
    const std::size_t step = std::max<std::size_t>(1, ix.blocks_.size() / 1'000'000);
    for (std::size_t k = 0; k < ix.blocks_.size(); k += step) sides.push_back(grown_side_m(ix.blocks_[k]));
    if (!sides.empty()) {
      auto mid = sides.begin() + static_cast<std::ptrdiff_t>(sides.size() / 2);
      std::nth_element(sides.begin(), mid, sides.end());
      cell = *mid;
    }
    cell = std::max(cell, 50.0);
  }
  const double ext_x = static_cast<double>(maxx - minx) / 100.0, ext_y = static_cast<double>(maxy - miny) / 100.0;
  while ((std::floor(ext_x / cell) + 1) * (std::floor(ext_y / cell) + 1) > double(1 << 24)) cell *= 2;
  ix.cell0_m_ = cell;

  // 4. Levels: S_l = S_0 * 2^l up to the one whose grid is at most 2 x 2.
  for (double s = cell;; s *= 2) {
    level l;
    l.cell_m = s;
    l.nx = static_cast<std::int64_t>(std::floor(ext_x / s)) + 1;
    l.ny = static_cast<std::int64_t>(std::floor(ext_y / s)) + 1;
    ix.levels_.push_back(std::move(l));
    if (ix.levels_.back().nx <= 2 && ix.levels_.back().ny <= 2) break;
  }
  const std::size_t nlev = ix.levels_.size();
  struct placement {
    std::uint8_t level;
    std::int32_t cx0, cx1, cy0, cy1;
  };
  std::vector<placement> place(ix.blocks_.size());
  std::vector<std::uint64_t> bcum(ix.blocks_.size() + 1);
  for (std::size_t k = 0; k < ix.blocks_.size(); ++k) bcum[k + 1] = k + 1;
  parallel_ranges(ix.blocks_.size(), bcum, threads, [&](std::size_t b0, std::size_t b1, unsigned) {
    for (std::size_t k = b0; k < b1; ++k) {
      const trail_block& b = ix.blocks_[k];
      const double side = grown_side_m(b), reach = reach_m(b, v);
      std::size_t li = 0;
      while (li + 1 < nlev && side > ix.levels_[li].cell_m) ++li;
      const level& l = ix.levels_[li];
      auto cellof = [&](double m, std::int64_t nmax) {
        return static_cast<std::int32_t>(std::clamp<double>(std::floor(m / l.cell_m), 0.0, static_cast<double>(nmax - 1)));
      };
      place[k] = placement{static_cast<std::uint8_t>(li), cellof(b.min_x_cm / 100.0 - reach, l.nx),
                           cellof(b.max_x_cm / 100.0 + reach, l.nx), cellof(b.min_y_cm / 100.0 - reach, l.ny),
                           cellof(b.max_y_cm / 100.0 + reach, l.ny)};
    }
  });

  // 5. Counting sort of (cell, block) entries per level, in block order.
  for (std::size_t li = 0; li < nlev; ++li) {
    level& l = ix.levels_[li];
    l.cell_begin.assign(static_cast<std::size_t>(l.nx * l.ny + 1), 0);
  }
  std::vector<std::uint64_t> entry_total(nlev, 0);
  for (std::size_t k = 0; k < ix.blocks_.size(); ++k) {
    const placement& p = place[k];
    level& l = ix.levels_[p.level];
    for (std::int32_t cy = p.cy0; cy <= p.cy1; ++cy)
      for (std::int32_t cx = p.cx0; cx <= p.cx1; ++cx) ++l.cell_begin[static_cast<std::size_t>(cy * l.nx + cx) + 1];
    entry_total[p.level] += static_cast<std::uint64_t>(p.cx1 - p.cx0 + 1) * static_cast<std::uint64_t>(p.cy1 - p.cy0 + 1);
    const trail_block& b = ix.blocks_[k];
    l.max_duration_ms = std::max(l.max_duration_ms, b.t_last_ms - b.t_first_ms);
    l.max_dt_ms = std::max(l.max_dt_ms, b.max_dt_ms);
  }
  for (std::size_t li = 0; li < nlev; ++li) {
    if (entry_total[li] > 0xFFFFFFFFull) return make_error(errc::limit_exceeded, "more than 2^32 index entries");
    level& l = ix.levels_[li];
    for (std::size_t c = 1; c < l.cell_begin.size(); ++c) l.cell_begin[c] += l.cell_begin[c - 1];
    l.entries.resize(static_cast<std::size_t>(entry_total[li]));
  }
  // 6. Fill the cells in block order (sequential reads of the blocks and
  // their placements; the write cursors of one subject's cells stay few),
  // then sort each cell's run by (start second, block): a total order, so
  // the result is the same for any thread count. (Filling in start order
  // instead reads blocks at random, which at 10^8 blocks costs more than
  // the small per-cell sorts.)
  {
    std::vector<std::vector<std::uint32_t>> fill(nlev);
    for (std::size_t li = 0; li < nlev; ++li)
      fill[li].assign(ix.levels_[li].cell_begin.begin(), ix.levels_[li].cell_begin.end() - 1);
    for (std::size_t k = 0; k < ix.blocks_.size(); ++k) {
      const placement& p = place[k];
      level& l = ix.levels_[p.level];
      const entry e = ix.make_entry(ix.blocks_[k], static_cast<std::uint32_t>(k));
      std::uint32_t* cursor = fill[p.level].data();
      for (std::int32_t cy = p.cy0; cy <= p.cy1; ++cy)
        for (std::int32_t cx = p.cx0; cx <= p.cx1; ++cx) l.entries[cursor[static_cast<std::size_t>(cy * l.nx + cx)]++] = e;
    }
    for (level& l : ix.levels_) {
      const std::size_t ncells = l.cell_begin.size() - 1;
      std::vector<std::uint64_t> ccum(ncells + 1);
      for (std::size_t c = 0; c <= ncells; ++c) ccum[c] = l.cell_begin[c] + c;
      parallel_ranges(ncells, ccum, threads, [&](std::size_t c0, std::size_t c1, unsigned) {
        for (std::size_t c = c0; c < c1; ++c)
          std::sort(l.entries.begin() + l.cell_begin[c], l.entries.begin() + l.cell_begin[c + 1],
                    [](const entry& x, const entry& y) {
                      return x.t_first_s != y.t_first_s ? x.t_first_s < y.t_first_s : x.block < y.block;
                    });
      });
    }
  }
  place = {};
  // Drop trailing levels nothing went into.
  while (ix.levels_.size() > 1 && ix.levels_.back().entries.empty()) ix.levels_.pop_back();
  return ix;
}

trail_index::entry trail_index::make_entry(const trail_block& b, std::uint32_t k) const noexcept {
  // Box coordinates are >= 0 (from the index origin, the minimum), so the
  // neighbouring float is one step of the bit pattern (no libm call).
  auto down = [](double m) {
    const auto f = static_cast<float>(m);
    return static_cast<double>(f) > m ? std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) - 1u) : f;
  };
  auto up = [](double m) {
    const auto f = static_cast<float>(m);
    return static_cast<double>(f) < m ? std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) + 1u) : f;
  };
  entry e{};
  e.min_x_m = down(b.min_x_cm / 100.0);
  e.min_y_m = down(b.min_y_cm / 100.0);
  e.max_x_m = up(b.max_x_cm / 100.0);
  e.max_y_m = up(b.max_y_cm / 100.0);
  e.t_first_s = static_cast<std::uint32_t>((b.t_first_ms - epoch_ms_) / 1000);
  e.t_last_s = static_cast<std::uint32_t>((b.t_last_ms - epoch_ms_ + 999) / 1000);
  e.block = k;
  e.subject = b.subject;
  e.accuracy_m = static_cast<std::uint16_t>(std::min(65535.0, std::ceil(static_cast<double>(b.max_accuracy_m))));
  const std::uint32_t dt_s = (b.max_dt_ms + 999) / 1000;
  e.max_dt_s = static_cast<std::uint16_t>(std::min<std::uint32_t>(dt_s, 0xFFFF));
  return e;
}

double trail_index::box_distance_m(const trail_block& b, xy q) const noexcept {
  const double qx = q.x_m * 100.0 - static_cast<double>(origin_x_cm_);
  const double qy = q.y_m * 100.0 - static_cast<double>(origin_y_cm_);
  const double dx = std::max(std::max(static_cast<double>(b.min_x_cm) - qx, qx - static_cast<double>(b.max_x_cm)), 0.0);
  const double dy = std::max(std::max(static_cast<double>(b.min_y_cm) - qy, qy - static_cast<double>(b.max_y_cm)), 0.0);
  return std::sqrt(dx * dx + dy * dy) / 100.0;
}

void trail_index::candidate_subjects(xy q, double radius_m, std::int64_t from_ms, std::int64_t to_ms, double v_mps,
                                     query_scratch& scratch, std::vector<std::uint32_t>& out) const {
  std::vector<candidate> c;
  candidates(q, radius_m, from_ms, to_ms, v_mps, scratch, c);
  for (const candidate& k : c) out.push_back(k.subject);
}

void trail_index::candidates(xy q, double radius_m, std::int64_t from_ms, std::int64_t to_ms, double v_mps,
                             query_scratch& scratch, std::vector<candidate>& out) const {
  if (from_ms > to_ms || blocks_.empty()) return;
  const std::size_t ns = block_begin_.size() - 1;
  if (scratch.stamp.size() != ns) {
    scratch.stamp.assign(ns, 0);
    scratch.epoch = 0;
  }
  if (++scratch.epoch == 0) {
    std::fill(scratch.stamp.begin(), scratch.stamp.end(), 0);
    scratch.epoch = 1;
  }
  const std::uint32_t mark = scratch.epoch;
  const std::size_t out0 = out.size();
  const double qx = q.x_m * 100.0 - static_cast<double>(origin_x_cm_);
  const double qy = q.y_m * 100.0 - static_cast<double>(origin_y_cm_);
  const double qxm = qx / 100.0, qym = qy / 100.0;
  const double extra_v = std::max(0.0, v_mps - opt_.max_speed_mps);
  for (const level& l : levels_) {
    if (l.entries.empty()) continue;
    const double extra = extra_v * (static_cast<double>(l.max_dt_ms) / 2000.0);
    const double rq = radius_m + extra + 0.001;
    auto cellof = [&](double m, std::int64_t nmax) {
      return static_cast<std::int64_t>(std::clamp<double>(std::floor(m / l.cell_m), 0.0, static_cast<double>(nmax - 1)));
    };
    const std::int64_t cx0 = cellof(qx / 100.0 - rq, l.nx), cx1 = cellof(qx / 100.0 + rq, l.nx);
    const std::int64_t cy0 = cellof(qy / 100.0 - rq, l.ny), cy1 = cellof(qy / 100.0 + rq, l.ny);
    const std::int64_t lo_ms = from_ms - l.max_duration_ms - epoch_ms_, hi_ms = to_ms - epoch_ms_;
    if (hi_ms < 0) continue;
    const auto lo_s = static_cast<std::uint32_t>(std::clamp<std::int64_t>(lo_ms < 0 ? 0 : lo_ms / 1000, 0, 0xFFFFFFFFll));
    const auto hi_s = static_cast<std::uint32_t>(std::min<std::int64_t>(hi_ms / 1000, 0xFFFFFFFFll));
    const std::int64_t from_rel = from_ms - epoch_ms_;
    const auto from_s = static_cast<std::uint32_t>(std::clamp<std::int64_t>(from_rel < 0 ? 0 : from_rel / 1000, 0, 0xFFFFFFFFll));
    for (std::int64_t cy = cy0; cy <= cy1; ++cy)
      for (std::int64_t cx = cx0; cx <= cx1; ++cx) {
        const std::size_t c = static_cast<std::size_t>(cy * l.nx + cx);
        const entry* e = l.entries.data() + l.cell_begin[c];
        const entry* end = l.entries.data() + l.cell_begin[c + 1];
        e = std::lower_bound(e, end, lo_s, [](const entry& a, std::uint32_t t) { return a.t_first_s < t; });
        // Only the cell's own entries are read (sequentially): their bounds
        // are the block's rounded outward, and a subject once found is
        // skipped before any arithmetic.
        for (; e != end && e->t_first_s <= hi_s; ++e) {
          if (e->t_last_s < from_s || scratch.stamp[e->subject] == mark) continue;
          const double reach = e->max_dt_s == 0xFFFF ? reach_m(blocks_[e->block], v_mps)
                                                     : e->accuracy_m + v_mps * (e->max_dt_s / 2.0);
          const double lim = radius_m + reach + 0.002;
          const double dx = std::max(std::max(static_cast<double>(e->min_x_m) - qxm, qxm - static_cast<double>(e->max_x_m)), 0.0);
          const double dy = std::max(std::max(static_cast<double>(e->min_y_m) - qym, qym - static_cast<double>(e->max_y_m)), 0.0);
          if (dx * dx + dy * dy > lim * lim) continue;
          scratch.stamp[e->subject] = mark;
          out.push_back(candidate{e->subject, static_cast<std::uint32_t>(e->block - block_begin_[e->subject])});
        }
      }
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(out0), out.end());
}

std::size_t trail_index::entry_count() const noexcept {
  std::size_t n = 0;
  for (const level& l : levels_) n += l.entries.size();
  return n;
}

std::size_t trail_index::memory_bytes() const noexcept {
  std::size_t n = blocks_.size() * sizeof(trail_block) + block_begin_.size() * sizeof(std::size_t) +
                  gaps_.size() * sizeof(std::uint32_t) + gap_begin_.size() * sizeof(std::size_t);
  for (const level& l : levels_) n += l.entries.size() * sizeof(entry) + l.cell_begin.size() * sizeof(std::uint32_t);
  return n;
}

}  // namespace warden
