// Crime matching at scale (DESIGN.md performance table): trail-index build,
// bytes per stored fix, and crime queries per second — warden's space-time
// index beside a Boost.Geometry 3-D R-tree over segment boxes and beside
// the brute-force scan, in the same run, on the same generated trails.
//
// Workload (tests/trail_gen.hpp): subjects with home / work / evening legs
// at walking, cycling and driving speeds, one fix a minute, dropped fixes
// and outages; density one subject per km^2 (the region grows with the
// subject count); a day of 5,000 crimes in the middle of the span, windows
// log-uniform from 5 minutes to 12 hours, 30% placed where a subject was
// (so that rows come out), 70% anywhere; radius 100 m, 40 m/s.
//
//   crime_bench                                   quick: 1,000 subjects x 3 days
//   WARDEN_CRIME_BENCH=full crime_bench           10,000 subjects x 30 days (432 M fixes)
//   WARDEN_CRIME_BENCH_SUBJECTS=N WARDEN_CRIME_BENCH_DAYS=D crime_bench
//
// The R-tree peer stores one 3-D box per tracked segment (its bounding box
// grown by the segment's prism reach, time scaled to metres at the median
// segment's speed of extent) and is built only up to 60 M segments (about
// 4 GB); above that it is skipped and says so. The peer evaluates its
// candidates by scanning their windows (BM_crimes_rtree_scan), or, to bound
// any peer, with warden's block evaluation (BM_crimes_rtree). Before timing, the
// matchers are checked to give identical rows on a sample of crimes.
#include <benchmark/benchmark.h>

#include <warden/crime_match.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>

#include "../tests/trail_gen.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace warden;
namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

std::uint32_t env_u32(const char* name, std::uint32_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10)) : fallback;
}

struct dataset {
  testgen::gen_params gp;
  trail_store store;
  std::vector<crime_query> crimes;
  double generate_s = 0;
};

const dataset& data() {
  static const std::unique_ptr<dataset> d = [] {
    auto ds = std::make_unique<dataset>();
    const bool full = std::getenv("WARDEN_CRIME_BENCH") && std::string(std::getenv("WARDEN_CRIME_BENCH")) == "full";
    ds->gp.seed = 42;
    ds->gp.subjects = env_u32("WARDEN_CRIME_BENCH_SUBJECTS", full ? 10'000 : 1'000);
    ds->gp.days = env_u32("WARDEN_CRIME_BENCH_DAYS", full ? 30 : 3);
    ds->gp.region_m = 1000.0 * std::sqrt(static_cast<double>(ds->gp.subjects));
    ds->gp.origin = xy{400'000, 100'000};
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t s = 0; s < ds->gp.subjects; ++s) ds->store.reserve(testgen::subject_name(s), 1440u * ds->gp.days);
    std::string id;
    std::uint32_t last = 0xFFFFFFFFu;
    testgen::generate(ds->gp, [&](std::uint32_t s, std::int64_t t, xy p, float a) {
      if (s != last) {
        id = testgen::subject_name(s);
        last = s;
      }
      (void)ds->store.append(id, from_epoch_ms(t), p, a);
    });
    ds->store.shrink_to_fit();
    ds->generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // A day of crimes in the middle of the span.
    testgen::rng r(7);
    const std::int64_t day0 = ds->gp.start_ms + 86'400'000LL * (ds->gp.days / 2);
    while (ds->crimes.size() < 5000) {
      crime_query c;
      c.radius_m = 100;
      const double len_ms = std::exp(r.uniform(std::log(300'000.0), std::log(43'200'000.0)));
      const std::int64_t at = day0 + static_cast<std::int64_t>(r.below(86'400'000));
      if (r.chance(0.3)) {  // where a subject was at that time
        const auto s = static_cast<std::uint32_t>(r.below(ds->store.subject_count()));
        const trail_view v = ds->store.view(s);
        const std::size_t i = std::min(v.lower_bound(at), v.size() - 1);
        c.pos = xy{v.pos(i).x_m + r.uniform(-80, 80), v.pos(i).y_m + r.uniform(-80, 80)};
      } else {
        c.pos = xy{ds->gp.origin.x_m + r.uniform() * ds->gp.region_m, ds->gp.origin.y_m + r.uniform() * ds->gp.region_m};
      }
      c.from_ms = at - static_cast<std::int64_t>(r.uniform() * len_ms);
      c.to_ms = c.from_ms + static_cast<std::int64_t>(len_ms);
      ds->crimes.push_back(c);
    }
    std::fprintf(stderr, "crime_bench: %u subjects x %u days, %llu fixes, generated in %.1f s; %zu crimes\n",
                 ds->gp.subjects, ds->gp.days, static_cast<unsigned long long>(ds->store.fix_count()), ds->generate_s,
                 ds->crimes.size());
    return ds;
  }();
  return *d;
}

const trail_index& index1() {
  static const trail_index ix = [] {
    trail_index_options o;
    o.threads = 1;
    return *trail_index::build(data().store, o);
  }();
  return ix;
}

// ---------------------------------------------------------------------------
// The R-tree peer.

using point3 = bg::model::point<double, 3, bg::cs::cartesian>;
using box3 = bg::model::box<point3>;
using rtree_value = std::pair<box3, std::uint32_t>;

struct rtree_peer {
  double time_scale = 1;  // metres per second on the third axis
  std::int64_t epoch_ms = 0;
  std::optional<bgi::rtree<rtree_value, bgi::rstar<16>>> tree;
  std::size_t segments = 0;
  bool skipped = false;
};

std::size_t fix_total(const trail_store& st) {
  std::size_t n = 0;
  for (std::uint32_t s = 0; s < st.subject_count(); ++s) n += st.view(s).size();
  return n;
}

const rtree_peer& rtree() {
  static const std::unique_ptr<rtree_peer> p = [] {
    auto peer = std::make_unique<rtree_peer>();
    const trail_store& st = data().store;
    if (fix_total(st) > 60'000'000) {
      peer->skipped = true;
      return peer;
    }
    const double v = 40;
    peer->epoch_ms = data().gp.start_ms;
    // Time scale: median segment spatial extent over median duration.
    std::vector<double> ext, dur;
    for (std::uint32_t s = 0; s < st.subject_count(); s += 7) {
      const trail_view tv = st.view(s);
      for (std::size_t i = 0; i + 1 < tv.size(); i += 13) {
        const double reach = std::max(tv.accuracy_m(i), tv.accuracy_m(i + 1)) +
                             v * static_cast<double>(tv.time_ms(i + 1) - tv.time_ms(i)) / 2000.0;
        ext.push_back(distance_m(tv.pos(i), tv.pos(i + 1)) + 2 * reach);
        dur.push_back(static_cast<double>(tv.time_ms(i + 1) - tv.time_ms(i)) / 1000.0);
      }
    }
    std::nth_element(ext.begin(), ext.begin() + static_cast<std::ptrdiff_t>(ext.size() / 2), ext.end());
    std::nth_element(dur.begin(), dur.begin() + static_cast<std::ptrdiff_t>(dur.size() / 2), dur.end());
    peer->time_scale = ext[ext.size() / 2] / std::max(1.0, dur[dur.size() / 2]);
    std::vector<rtree_value> values;
    for (std::uint32_t s = 0; s < st.subject_count(); ++s) {
      const trail_view tv = st.view(s);
      for (std::size_t i = 0; i < tv.size(); ++i) {
        // A tracked segment i -> i+1, or a lone fix (gaps on both sides).
        const bool seg = i + 1 < tv.size() && !tv.is_gap(i);
        const bool lone = !seg && (i == 0 || tv.is_gap(i - 1));
        if (!seg && !lone) continue;
        const std::size_t j = seg ? i + 1 : i;
        const xy a = tv.pos(i), b = tv.pos(j);
        const double reach = std::max(tv.accuracy_m(i), tv.accuracy_m(j)) +
                             v * static_cast<double>(tv.time_ms(j) - tv.time_ms(i)) / 2000.0;
        const double ta = static_cast<double>(tv.time_ms(i) - peer->epoch_ms) / 1000.0 * peer->time_scale;
        const double tb = static_cast<double>(tv.time_ms(j) - peer->epoch_ms) / 1000.0 * peer->time_scale;
        values.emplace_back(box3(point3(std::min(a.x_m, b.x_m) - reach, std::min(a.y_m, b.y_m) - reach, ta),
                                 point3(std::max(a.x_m, b.x_m) + reach, std::max(a.y_m, b.y_m) + reach, tb)),
                            s);
      }
    }
    peer->segments = values.size();
    peer->tree.emplace(values.begin(), values.end());  // packing (STR) construction
    return peer;
  }();
  return *p;
}

std::vector<std::uint32_t> rtree_candidates(const rtree_peer& p, const crime_query& c, std::vector<rtree_value>& hits) {
  hits.clear();
  const double lo = static_cast<double>(c.from_ms - p.epoch_ms) / 1000.0 * p.time_scale;
  const double hi = static_cast<double>(c.to_ms - p.epoch_ms) / 1000.0 * p.time_scale;
  const double r = c.radius_m + 0.01;
  p.tree->query(bgi::intersects(box3(point3(c.pos.x_m - r, c.pos.y_m - r, lo), point3(c.pos.x_m + r, c.pos.y_m + r, hi))),
                std::back_inserter(hits));
  std::vector<std::uint32_t> subjects;
  subjects.reserve(hits.size());
  for (const auto& h : hits) subjects.push_back(h.second);
  std::sort(subjects.begin(), subjects.end());
  subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
  return subjects;
}

std::vector<match_row> brute_force(const crime_matcher& m, const crime_query& c, std::size_t subjects) {
  std::vector<match_row> rows;
  for (std::uint32_t s = 0; s < subjects; ++s) {
    match_row row = m.evaluate_scan(c, s);
    if (row.status <= match_status::possible) rows.push_back(row);
  }
  return rows;
}

// Rows compared without order (brute force is in subject order).
bool same_rows(std::vector<match_row> a, std::vector<match_row> b) {
  for (auto& x : a) x.crime = 0;
  for (auto& x : b) x.crime = 0;
  auto key = [](const match_row& x, const match_row& y) { return x.subject < y.subject; };
  std::sort(a.begin(), a.end(), key);
  std::sort(b.begin(), b.end(), key);
  return a == b;
}

// ---------------------------------------------------------------------------

void BM_index_build(benchmark::State& state) {
  const dataset& d = data();
  trail_index_options o;
  o.threads = static_cast<unsigned>(state.range(0));
  std::size_t bytes = 0, blocks = 0;
  for (auto _ : state) {
    auto ix = trail_index::build(d.store, o);
    benchmark::DoNotOptimize(ix);
    bytes = ix->memory_bytes();
    blocks = ix->block_count();
  }
  const double fixes = static_cast<double>(d.store.fix_count());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(d.store.fix_count()));
  state.counters["fixes"] = fixes;
  state.counters["store_bytes_per_fix"] = static_cast<double>(d.store.stored_bytes()) / fixes;
  state.counters["index_bytes_per_fix"] = static_cast<double>(bytes) / fixes;
  state.counters["fixes_per_block"] = fixes / static_cast<double>(blocks);
}

void BM_crimes_index(benchmark::State& state) {
  const dataset& d = data();
  match_options mo;
  mo.threads = 1;
  auto m = crime_matcher::make(index1(), mo);
  std::size_t rows = 0;
  for (auto _ : state) {
    const auto out = m->match(d.crimes);
    rows = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.crimes.size()));
  state.counters["rows_per_crime"] = static_cast<double>(rows) / static_cast<double>(d.crimes.size());
  state.counters["cell_m"] = index1().cell_size_m();
  state.counters["levels"] = static_cast<double>(index1().level_count());
}

void BM_crimes_rtree(benchmark::State& state) {
  const dataset& d = data();
  const rtree_peer& p = rtree();
  if (p.skipped) {
    state.SkipWithError("R-tree peer skipped: more than 60 M segments would not fit in memory");
    return;
  }
  auto m = crime_matcher::make(index1(), match_options{});
  std::vector<rtree_value> hits;
  // Same rows as the index on every crime (checked once, untimed).
  static bool checked = false;
  if (!checked) {
    const auto all = m->match(d.crimes);
    std::size_t at = 0;
    for (std::size_t ci = 0; ci < d.crimes.size(); ++ci) {
      std::vector<match_row> mine;
      for (; at < all.size() && all[at].crime == ci; ++at) mine.push_back(all[at]);
      if (!same_rows(mine, m->match_among(d.crimes[ci], rtree_candidates(p, d.crimes[ci], hits)))) {
        state.SkipWithError("R-tree and index rows differ");
        return;
      }
    }
    checked = true;
  }
  std::size_t rows = 0;
  for (auto _ : state)
    for (const crime_query& c : d.crimes) rows += m->match_among(c, rtree_candidates(p, c, hits)).size();
  benchmark::DoNotOptimize(rows);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.crimes.size()));
  state.counters["segments"] = static_cast<double>(p.segments);
}

// The R-tree peer on its own: its candidates, then each candidate's window
// scanned fix by fix and segment by segment (crime_matcher::evaluate_scan,
// the reference evaluation: the same exact tests, with no blocks to skip
// by), keeping present, passed and possible rows. BM_crimes_rtree instead
// lends the peer warden's block evaluation, which bounds what any search
// in front of it can reach.
void BM_crimes_rtree_scan(benchmark::State& state) {
  const dataset& d = data();
  const rtree_peer& p = rtree();
  if (p.skipped) {
    state.SkipWithError("R-tree peer skipped: more than 60 M segments would not fit in memory");
    return;
  }
  auto m = crime_matcher::make(index1(), match_options{});
  std::vector<rtree_value> hits;
  auto peer_rows = [&](const crime_query& c) {
    std::vector<match_row> rows;
    for (std::uint32_t s : rtree_candidates(p, c, hits)) {
      match_row row = m->evaluate_scan(c, s);
      if (row.status <= match_status::possible) rows.push_back(row);
    }
    return rows;
  };
  static bool checked = false;
  if (!checked) {
    const auto all = m->match(d.crimes);
    std::size_t at = 0;
    for (std::size_t ci = 0; ci < d.crimes.size(); ++ci) {
      std::vector<match_row> mine;
      for (; at < all.size() && all[at].crime == ci; ++at) mine.push_back(all[at]);
      if (!same_rows(mine, peer_rows(d.crimes[ci]))) {
        state.SkipWithError("R-tree peer and index rows differ");
        return;
      }
    }
    checked = true;
  }
  std::size_t rows = 0;
  for (auto _ : state)
    for (const crime_query& c : d.crimes) rows += peer_rows(c).size();
  benchmark::DoNotOptimize(rows);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.crimes.size()));
  state.counters["rows_per_crime"] = static_cast<double>(rows) / static_cast<double>(state.iterations() * d.crimes.size());
}

// The step the index replaces: which subjects could matter for a crime.
void BM_candidates_index(benchmark::State& state) {
  const dataset& d = data();
  const trail_index& ix = index1();
  trail_index::query_scratch scratch;
  std::vector<trail_index::candidate> c;
  std::size_t n = 0;
  for (auto _ : state)
    for (const crime_query& q : d.crimes) {
      c.clear();
      ix.candidates(q.pos, q.radius_m, q.from_ms, q.to_ms, 40, scratch, c);
      n += c.size();
    }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.crimes.size()));
  state.counters["candidates_per_crime"] =
      static_cast<double>(n) / static_cast<double>(state.iterations() * d.crimes.size());
}

void BM_candidates_rtree(benchmark::State& state) {
  const dataset& d = data();
  const rtree_peer& p = rtree();
  if (p.skipped) {
    state.SkipWithError("R-tree peer skipped: more than 60 M segments would not fit in memory");
    return;
  }
  std::vector<rtree_value> hits;
  std::size_t n = 0;
  for (auto _ : state)
    for (const crime_query& q : d.crimes) n += rtree_candidates(p, q, hits).size();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d.crimes.size()));
  state.counters["candidates_per_crime"] =
      static_cast<double>(n) / static_cast<double>(state.iterations() * d.crimes.size());
}

void BM_crimes_rtree_build(benchmark::State& state) {
  const rtree_peer& p = rtree();
  if (p.skipped) {
    state.SkipWithError("R-tree peer skipped: more than 60 M segments would not fit in memory");
    return;
  }
  for (auto _ : state) {
    std::vector<rtree_value> values;
    values.reserve(p.segments);
    for (const auto& v : *p.tree) values.push_back(v);
    bgi::rtree<rtree_value, bgi::rstar<16>> t(values.begin(), values.end());
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(data().store.fix_count()));
}

void BM_crimes_brute_force(benchmark::State& state) {
  const dataset& d = data();
  auto m = crime_matcher::make(index1(), match_options{});
  const std::size_t sample = static_cast<std::size_t>(state.range(0));
  const std::size_t ns = d.store.subject_count();
  // Same rows as the index on the sample.
  for (std::size_t ci = 0; ci < sample; ++ci) {
    std::vector<match_row> mine = m->match(std::span<const crime_query>(&d.crimes[ci], 1));
    if (!same_rows(mine, brute_force(*m, d.crimes[ci], ns))) {
      state.SkipWithError("brute force and index rows differ");
      return;
    }
  }
  std::size_t rows = 0;
  for (auto _ : state)
    for (std::size_t ci = 0; ci < sample; ++ci) rows += brute_force(*m, d.crimes[ci], ns).size();
  benchmark::DoNotOptimize(rows);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * sample));
}

BENCHMARK(BM_index_build)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->MinTime(0.5)->UseRealTime();
BENCHMARK(BM_crimes_index)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_crimes_rtree)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_crimes_rtree_scan)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_candidates_index)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_candidates_rtree)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_crimes_rtree_build)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_crimes_brute_force)->Arg(20)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
