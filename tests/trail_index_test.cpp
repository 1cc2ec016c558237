// Tests of warden/trail_index.hpp: block structure (every fix owned once,
// no gap inside a block, limits), the candidate query as a superset of the
// subjects with a finding (brute force), determinism across thread counts,
// levels, and argument errors.
#include <catch2/catch.hpp>

#include <warden/crime_match.hpp>
#include <warden/prism.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>

#include "trail_gen.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace warden;

namespace {

trail_store generated_store(std::uint64_t seed, std::uint32_t subjects, std::uint32_t days, std::int32_t interval_s = 60) {
  testgen::gen_params p;
  p.seed = seed;
  p.subjects = subjects;
  p.days = days;
  p.fix_interval_s = interval_s;
  p.outages_per_day = 2;
  p.region_m = 20'000;
  trail_store st;
  testgen::generate(p, [&](std::uint32_t s, std::int64_t t, xy q, float a) {
    (void)st.append(testgen::subject_name(s), from_epoch_ms(t), q, a);
  });
  return st;
}

}  // namespace

TEST_CASE("blocks own every fix once, never span a gap and respect their limits", "[trail_index]") {
  // Mixed sampling: 60 s trails plus one subject whose interval changes.
  trail_store st = generated_store(5, 8, 2);
  const std::int64_t t0 = 1774224000000LL;
  std::int64_t t = t0;
  for (int k = 0; k < 200; ++k) {
    t += k % 50 < 25 ? 60'000 : (k % 50 < 40 ? 240'000 : 1'000'000);
    (void)st.append("MIXED", from_epoch_ms(t), xy{550'000.0 + k * 10, 180'000}, 10);
  }
  trail_index_options opt;
  opt.block_segments = 16;
  opt.max_block_side_m = 100;  // cuts MIXED (10 m a fix) and the generated movers
  auto ix = trail_index::build(st, opt);
  REQUIRE(ix);
  for (std::uint32_t s = 0; s < st.subject_count(); ++s) {
    const trail_view v = st.view(s);
    const auto blocks = ix->blocks_of(s);
    std::vector<int> owners(v.size(), 0);
    std::size_t expect_first = 0;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const trail_block& b = blocks[k];
      CAPTURE(s, k, b.first, b.segments);
      REQUIRE(b.subject == s);
      REQUIRE(b.first == expect_first);
      REQUIRE(b.segments <= opt.block_segments);
      REQUIRE(b.t_first_ms == v.time_ms(b.first));
      REQUIRE(b.t_last_ms == v.time_ms(b.first + b.segments));
      REQUIRE(b.t_last_ms - b.t_first_ms <= opt.max_block_duration.count());
      // Only a block of one segment may be wider than the limit.
      if (b.segments > 1)
        REQUIRE(std::max(b.max_x_cm - b.min_x_cm, b.max_y_cm - b.min_y_cm) <= opt.max_block_side_m * 100);
      std::int64_t max_dt = 0;
      float max_acc = v.accuracy_m(b.first);
      for (std::size_t i = b.first; i < b.first + b.segments; ++i) {
        REQUIRE_FALSE(v.is_gap(i));
        max_dt = std::max(max_dt, v.time_ms(i + 1) - v.time_ms(i));
        max_acc = std::max(max_acc, v.accuracy_m(i + 1));
      }
      REQUIRE(b.max_dt_ms == max_dt);
      REQUIRE(b.max_accuracy_m == max_acc);
      // The box holds every fix of the block (to rounding of cm -> m).
      for (std::size_t i = b.first; i <= b.first + b.segments; ++i) REQUIRE(ix->box_distance_m(b, v.pos(i)) < 1e-6);
      const std::size_t end = b.owns_last ? b.first + b.segments + 1 : b.first + b.segments;
      for (std::size_t i = b.first; i < end; ++i) ++owners[i];
      // The next block starts with the shared fix, or after a gap.
      if (b.owns_last) {
        expect_first = b.first + b.segments + 1;
        if (expect_first < v.size()) REQUIRE(v.is_gap(expect_first - 1));
      } else {
        expect_first = b.first + b.segments;
        REQUIRE(b.segments > 0);
      }
    }
    REQUIRE(expect_first == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(owners[i] == 1);
    // gaps_of lists exactly the gaps.
    std::vector<std::uint32_t> gaps;
    for (std::size_t i = 0; i + 1 < v.size(); ++i)
      if (v.is_gap(i)) gaps.push_back(static_cast<std::uint32_t>(i));
    const auto got = ix->gaps_of(s);
    REQUIRE(std::vector<std::uint32_t>(got.begin(), got.end()) == gaps);
  }
  // The mixed subject's blocks never mix interval classes.
  const std::uint32_t mixed = st.find("MIXED");
  CHECK(ix->blocks_of(mixed).size() >= 6);
}

TEST_CASE("candidates include every subject the brute force finds", "[trail_index]") {
  trail_store st = generated_store(9, 30, 2);
  for (double index_v : {40.0, 5.0}) {
    trail_index_options opt;
    opt.max_speed_mps = index_v;
    auto ix = trail_index::build(st, opt);
    REQUIRE(ix);
    CHECK(ix->level_count() >= 1);
    auto m = crime_matcher::make(*ix, match_options{});
    REQUIRE(m);
    testgen::rng r(17);
    trail_index::query_scratch scratch;
    std::size_t found = 0, candidates = 0, total = 0;
    for (int k = 0; k < 3000; ++k) {
      const std::uint32_t s0 = static_cast<std::uint32_t>(r.below(st.subject_count()));
      const trail_view v = st.view(s0);
      const std::size_t i = r.below(v.size());
      const double d = r.uniform(0, 3000), a = r.uniform(0, 6.283185307179586);
      const crime_query c{xy{v.pos(i).x_m + d * std::cos(a), v.pos(i).y_m + d * std::sin(a)}, r.uniform(10, 300),
                          v.time_ms(i) - static_cast<std::int64_t>(r.below(7'200'000)), 0};
      const crime_query cq{c.pos, c.radius_m, c.from_ms, c.from_ms + static_cast<std::int64_t>(r.below(14'400'000))};
      const double qv = r.chance(0.5) ? 40.0 : r.uniform(0, 80);
      std::vector<std::uint32_t> cands;
      ix->candidate_subjects(cq.pos, cq.radius_m, cq.from_ms, cq.to_ms, qv, scratch, cands);
      REQUIRE(std::is_sorted(cands.begin(), cands.end()));
      REQUIRE(std::adjacent_find(cands.begin(), cands.end()) == cands.end());
      match_options mo;
      mo.max_speed_mps = qv;
      auto mq = crime_matcher::make(*ix, mo);
      for (std::uint32_t s = 0; s < st.subject_count(); ++s) {
        const auto row = mq->evaluate_scan(cq, s);
        if (row.status <= match_status::possible) {
          ++found;
          CAPTURE(index_v, qv, k, s, to_string(row.status));
          REQUIRE(std::binary_search(cands.begin(), cands.end(), s));
        }
      }
      candidates += cands.size();
      total += st.subject_count();
    }
    CHECK(found > 1000);
    // The index must also prune: far fewer candidates than subjects.
    CHECK(candidates < total / 3);
  }
}

TEST_CASE("the build does not depend on the thread count", "[trail_index][threads]") {
  trail_store st = generated_store(13, 25, 1);
  std::vector<std::vector<std::uint32_t>> results;
  for (unsigned threads : {1u, 2u, 3u, 7u}) {
    trail_index_options opt;
    opt.threads = threads;
    auto ix = trail_index::build(st, opt);
    REQUIRE(ix);
    testgen::rng r(1);
    trail_index::query_scratch scratch;
    std::vector<std::uint32_t> all;
    for (int k = 0; k < 2000; ++k) {
      const xy q{540'000 + r.uniform(0, 20'000), 170'000 + r.uniform(0, 20'000)};
      const std::int64_t from = 1774224000000LL + static_cast<std::int64_t>(r.below(86'400'000));
      ix->candidate_subjects(q, 100, from, from + 3'600'000, 40, scratch, all);
      all.push_back(0xFFFFFFFFu);
    }
    all.push_back(static_cast<std::uint32_t>(ix->entry_count()));
    all.push_back(static_cast<std::uint32_t>(ix->block_count()));
    results.push_back(all);
  }
  for (std::size_t k = 1; k < results.size(); ++k) REQUIRE(results[k] == results[0]);
}

TEST_CASE("long segments go to coarser levels; empty stores; bad options", "[trail_index]") {
  trail_store st;
  const std::int64_t t0 = 1774224000000LL;
  // A dense walker and a subject reporting every 14 minutes (tracked, wide prisms).
  for (int k = 0; k < 1000; ++k) (void)st.append("A", from_epoch_ms(t0 + k * 60'000), xy{500'000.0 + k, 200'000}, 10);
  for (int k = 0; k < 30; ++k) (void)st.append("B", from_epoch_ms(t0 + k * 840'000), xy{520'000.0 + 100 * k, 200'000}, 10);
  auto ix = trail_index::build(st);
  REQUIRE(ix);
  CHECK(ix->level_count() >= 2);
  // B's prism at 40 m/s reaches 16 km from its path: found from far away,
  // but only while the query allows that speed.
  trail_index::query_scratch scratch;
  std::vector<std::uint32_t> c;
  ix->candidate_subjects(xy{521'000, 213'000}, 100, t0, t0 + 86'400'000, 40, scratch, c);
  CHECK(c == std::vector<std::uint32_t>{1});
  c.clear();
  ix->candidate_subjects(xy{521'000, 213'000}, 100, t0, t0 + 86'400'000, 5, scratch, c);
  CHECK(c.empty());
  // Above the index speed the search grows.
  trail_index_options slow;
  slow.max_speed_mps = 1;
  auto ix_slow = trail_index::build(st, slow);
  REQUIRE(ix_slow);
  c.clear();
  ix_slow->candidate_subjects(xy{521'000, 213'000}, 100, t0, t0 + 86'400'000, 40, scratch, c);
  CHECK(c == std::vector<std::uint32_t>{1});

  trail_store empty;
  auto ie = trail_index::build(empty);
  REQUIRE(ie);
  c.clear();
  ie->candidate_subjects(xy{0, 0}, 100, t0, t0 + 1000, 40, scratch, c);
  CHECK(c.empty());
  auto me = crime_matcher::make(*ie, match_options{});
  REQUIRE(me);
  const crime_query q{xy{0, 0}, 100, t0, t0 + 1000};
  CHECK(me->match(std::span<const crime_query>(&q, 1)).empty());

  trail_index_options bad;
  bad.max_speed_mps = -1;
  CHECK(trail_index::build(st, bad).code() == errc::bad_speed);
  bad = {};
  bad.block_segments = 0;
  CHECK(trail_index::build(st, bad).code() == errc::usage);
  bad = {};
  bad.cell_size_m = std::nan("");
  CHECK(trail_index::build(st, bad).code() == errc::usage);
  bad = {};
  bad.max_block_side_m = -1;
  CHECK(trail_index::build(st, bad).code() == errc::usage);
  // The index knows when its store has changed.
  CHECK_FALSE(ix->stale());
  (void)st.append("C", from_epoch_ms(t0), xy{0, 0}, 10);
  CHECK(ix->stale());
}
