// The monitoring engine end to end on parsed fixes: throughput, state per
// subject and per-fix latency; and the `warden check` path including CSV
// parsing. Each subject has ~3 zones (its victim's home, a shared exclusion
// polygon, a curfew home with a nightly schedule) and, for the proximity
// comparison, a victim device sending fixes beside it. Results:
// bench/README.md.
#include <benchmark/benchmark.h>

#include <warden/frame.hpp>
#include <warden/monitor.hpp>
#include <warden/readers.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <span>

using namespace warden;

namespace {

struct world {
  std::vector<zone> zones;
  std::vector<stored_fix> fixes;         // subjects only, time order (arrival order of a live feed)
  std::vector<stored_fix> fixes_victim;  // subjects and their victims' devices, time order
  std::vector<victim_link> links;        // subject i -> victim device W<i>
  int subjects = 0;
};

zone circle_at(std::string id, zone_kind k, xy c, double r, std::vector<std::string> subjects, const tm_frame& f) {
  zone z;
  z.zone_id = std::move(id);
  z.subjects = std::move(subjects);
  z.kind = k;
  z.shape = zone_shape::circle;
  z.centre_wgs84 = f.inverse(c);
  z.radius_m = r;
  z.disc = {c, r};
  z.version = "0000000000000000";
  return z;
}

const world& get_world(int subjects, int minutes) {
  static std::map<std::pair<int, int>, world> cache;
  auto key = std::make_pair(subjects, minutes);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  world& w = cache[key];
  w.subjects = subjects;
  const tm_frame f;
  const xy o = f.forward(lat_lon::from_degrees(51.74, 0.47).value());
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 5);
  schedule_spec night;
  night.tz = "Europe/London";
  night.windows = {{{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "19:00", "07:00"}};
  const int pools = 64;
  std::vector<std::vector<std::string>> pool_members(pools);
  std::vector<xy> homes, vhomes;
  for (int i = 0; i < subjects; ++i) {
    const std::string id = "S" + std::to_string(i);
    const xy home{o.x_m + 40'000 * (u(rng) - 0.5), o.y_m + 40'000 * (u(rng) - 0.5)};
    homes.push_back(home);
    zone h = circle_at("H" + std::to_string(i), zone_kind::curfew_home, home, 50, {id}, f);
    h.schedule = night;
    w.zones.push_back(std::move(h));
    const xy vhome{home.x_m + 3000 * (u(rng) - 0.5), home.y_m + 3000 * (u(rng) - 0.5)};
    vhomes.push_back(vhome);
    w.zones.push_back(circle_at("V" + std::to_string(i), zone_kind::victim_home, vhome, 200, {id}, f));
    victim_link l;
    l.subject_id = id;
    l.victim_id = "W" + std::to_string(i);
    w.links.push_back(l);
    pool_members[static_cast<std::size_t>(i % pools)].push_back(id);
  }
  for (int k = 0; k < pools; ++k) {
    zone z;
    z.zone_id = "E" + std::to_string(k);
    z.subjects = pool_members[static_cast<std::size_t>(k)];
    z.kind = zone_kind::exclusion;
    const xy c{o.x_m + 40'000 * (u(rng) - 0.5), o.y_m + 40'000 * (u(rng) - 0.5)};
    polygon p;
    for (int v = 0; v < 42; ++v) {  // a median-LSOA-sized polygon
      const double a = 6.283185307 * v / 42, r = 600 + 200 * std::sin(5 * a);
      p.outer.push_back({c.x_m + r * std::cos(a), c.y_m + r * std::sin(a)});
    }
    z.area = {p};
    lat_lon_polygon lp;
    for (const xy& q : p.outer) lp.outer.push_back(f.inverse(q));
    z.outline_wgs84 = {lp};
    z.version = "0000000000000000";
    w.zones.push_back(std::move(z));
  }
  // Random walks from home, one fix a minute, from 18:00 local.
  const instant t0 = parse_instant("2026-03-23T18:00:00Z").value();
  std::vector<xy> pos = homes, vel(static_cast<std::size_t>(subjects));
  std::vector<xy> vpos = vhomes, vvel(static_cast<std::size_t>(subjects));
  std::vector<std::string> ids, vids;
  for (int i = 0; i < subjects; ++i) ids.push_back("S" + std::to_string(i));
  for (int i = 0; i < subjects; ++i) vids.push_back("W" + std::to_string(i));
  for (int m = 0; m < minutes; ++m) {
    for (int i = 0; i < subjects; ++i) {
      // The victim's device: its own walk, 30 s out of phase.
      auto& vp = vpos[static_cast<std::size_t>(i)];
      auto& vv = vvel[static_cast<std::size_t>(i)];
      vv = {0.9 * vv.x_m + 0.3 * g(rng), 0.9 * vv.y_m + 0.3 * g(rng)};
      vp = {vp.x_m + 60 * vv.x_m, vp.y_m + 60 * vv.y_m};
      stored_fix vf;
      vf.subject_id = vids[static_cast<std::size_t>(i)];
      vf.time = t0 + std::chrono::minutes{m} - std::chrono::seconds{30} + milliseconds{i % 1000};
      vf.pos = f.inverse({vp.x_m + g(rng), vp.y_m + g(rng)});
      vf.accuracy_m = 12.0f;
      vf.received = vf.time;
      w.fixes_victim.push_back(std::move(vf));
    }
    for (int i = 0; i < subjects; ++i) {
      auto& p = pos[static_cast<std::size_t>(i)];
      auto& v = vel[static_cast<std::size_t>(i)];
      v = {0.9 * v.x_m + 0.3 * g(rng), 0.9 * v.y_m + 0.3 * g(rng)};
      p = {p.x_m + 60 * v.x_m, p.y_m + 60 * v.y_m};
      stored_fix fx;
      fx.subject_id = ids[static_cast<std::size_t>(i)];
      fx.time = t0 + std::chrono::minutes{m} + milliseconds{i % 1000};
      fx.pos = f.inverse({p.x_m + g(rng), p.y_m + g(rng)});
      fx.accuracy_m = 12.0f;
      fx.received = fx.time;
      w.fixes_victim.push_back(fx);
      w.fixes.push_back(std::move(fx));
    }
  }
  return w;
}

void BM_engine_end_to_end(benchmark::State& state) {
  const world& w = get_world(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::vector<fix> views;
  views.reserve(w.fixes.size());
  for (const auto& f : w.fixes) views.push_back(f.view());
  monitor_memory mem;
  std::uint64_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto m = monitor::create(w.zones, {}, {});
    state.ResumeTiming();
    std::size_t n = 0;
    for (const fix& f : views) {
      m->push(f);
      if (++n % 65536 == 0) m->advance(f.time - std::chrono::minutes{10});
    }
    m->flush();
    state.PauseTiming();
    mem = m->memory();
    alerts = 0;
    for (const auto& [k, c] : m->counters().alerts) alerts += c;
    m = monitor::create({}, {}, {});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * views.size()));
  const double subj = static_cast<double>(mem.subjects);
  state.counters["live_B_per_subject"] = static_cast<double>(mem.live_bytes) / subj;
  state.counters["history_B_per_subject"] = static_cast<double>(mem.history_bytes) / subj;
  state.counters["snapshot_B_per_subject"] = static_cast<double>(mem.snapshot_bytes) / subj;
  state.counters["published_B_per_subject"] = static_cast<double>(mem.published_bytes) / subj;
  state.counters["alert_events"] = static_cast<double>(alerts);
}
BENCHMARK(BM_engine_end_to_end)->Args({10000, 180})->Unit(benchmark::kMillisecond)->UseRealTime();

// Alert events of a run, and of those the proximity ones.
void count_alerts(const monitor& m, std::uint64_t& alerts, std::uint64_t& prox) {
  alerts = prox = 0;
  for (const auto& [k, c] : m.counters().alerts) {
    alerts += c;
    if (k.first == alert_type::proximity || k.first == alert_type::proximity_warning) prox += c;
  }
}

// Issue 6: the same stream of subject and victim-device fixes, without and
// with the victim links (arg 2 = 0 / 1). Throughput counts every fix; the
// two runs must stay within 20% of each other.
void BM_engine_proximity(benchmark::State& state) {
  const world& w = get_world(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const bool with_links = state.range(2) != 0;
  std::vector<fix> views;
  views.reserve(w.fixes_victim.size());
  for (const auto& f : w.fixes_victim) views.push_back(f.view());
  std::uint64_t alerts = 0, prox = 0, replays = 0;
  monitor_memory mem;
  for (auto _ : state) {
    state.PauseTiming();
    auto m = monitor::create(w.zones, with_links ? w.links : std::vector<victim_link>{}, {});
    state.ResumeTiming();
    std::size_t n = 0;
    for (const fix& f : views) {
      m->push(f);
      if (++n % 65536 == 0) m->advance(f.time - std::chrono::minutes{10});
    }
    m->flush();
    state.PauseTiming();
    mem = m->memory();
    replays = m->counters().replays;
    count_alerts(*m, alerts, prox);
    m = monitor::create({}, {}, {});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * views.size()));
  state.counters["alert_events"] = static_cast<double>(alerts);
  state.counters["proximity_events"] = static_cast<double>(prox);
  state.counters["replays"] = static_cast<double>(replays);
  state.counters["live_B_per_entity"] = static_cast<double>(mem.live_bytes) / static_cast<double>(mem.subjects);
}
BENCHMARK(BM_engine_proximity)
    ->Args({10000, 180, 0})
    ->Args({10000, 180, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same streams through monitor::push_batch, one batch per advance
// (65,536 fixes, ~6.5 per subject): a service ingesting from a queue.
// Grouping by subject fetches each subject's state once per batch.
void run_batched(monitor& m, const std::vector<fix>& views) {
  constexpr std::size_t batch = 65536;
  for (std::size_t at = 0; at < views.size(); at += batch) {
    const std::size_t n = std::min(batch, views.size() - at);
    m.push_batch(std::span<const fix>(views.data() + at, n));
    if (n == batch) m.advance(views[at + n - 1].time - std::chrono::minutes{10});
  }
  m.flush();
}

void BM_engine_end_to_end_batch(benchmark::State& state) {
  const world& w = get_world(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::vector<fix> views;
  views.reserve(w.fixes.size());
  for (const auto& f : w.fixes) views.push_back(f.view());
  monitor_memory mem;
  std::uint64_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto m = monitor::create(w.zones, {}, {});
    state.ResumeTiming();
    run_batched(*m, views);
    state.PauseTiming();
    mem = m->memory();
    alerts = 0;
    for (const auto& [k, c] : m->counters().alerts) alerts += c;
    m = monitor::create({}, {}, {});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * views.size()));
  state.counters["live_B_per_subject"] = static_cast<double>(mem.live_bytes) / static_cast<double>(mem.subjects);
  state.counters["alert_events"] = static_cast<double>(alerts);
}
BENCHMARK(BM_engine_end_to_end_batch)->Args({10000, 180})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_engine_proximity_batch(benchmark::State& state) {
  const world& w = get_world(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const bool with_links = state.range(2) != 0;
  std::vector<fix> views;
  views.reserve(w.fixes_victim.size());
  for (const auto& f : w.fixes_victim) views.push_back(f.view());
  std::uint64_t alerts = 0, prox = 0, replays = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto m = monitor::create(w.zones, with_links ? w.links : std::vector<victim_link>{}, {});
    state.ResumeTiming();
    run_batched(*m, views);
    state.PauseTiming();
    replays = m->counters().replays;
    count_alerts(*m, alerts, prox);
    m = monitor::create({}, {}, {});
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * views.size()));
  state.counters["alert_events"] = static_cast<double>(alerts);
  state.counters["proximity_events"] = static_cast<double>(prox);
  state.counters["replays"] = static_cast<double>(replays);
}
BENCHMARK(BM_engine_proximity_batch)
    ->Args({10000, 180, 0})
    ->Args({10000, 180, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Per-fix latency: percentiles of single push() calls in steady state.
void BM_engine_latency(benchmark::State& state) {
  const world& w = get_world(10000, 180);
  std::vector<double> ns;
  ns.reserve(w.fixes.size());
  for (auto _ : state) {
    auto m = monitor::create(w.zones, {}, {});
    ns.clear();
    for (const auto& f : w.fixes) {
      const fix v = f.view();
      const auto a = std::chrono::steady_clock::now();
      m->push(v);
      const auto b = std::chrono::steady_clock::now();
      ns.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()));
    }
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double q) { return ns[static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1))]; };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
  state.counters["max_ns"] = ns.back();
}
BENCHMARK(BM_engine_latency)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The `warden check` path: CSV parsing + engine (no JSON output cost beyond
// the alerts themselves).
void BM_check_with_parsing(benchmark::State& state) {
  const world& w = get_world(10000, 180);
  const std::string path = "/tmp/warden_engine_bench_fixes.csv";
  {
    std::string out(fix_csv_header);
    out += '\n';
    for (const auto& f : w.fixes) append_csv_row(out, f.view());
    std::ofstream(path, std::ios::binary) << out;
  }
  for (auto _ : state) {
    auto m = monitor::create(w.zones, {}, {});
    diagnostics diag;
    std::size_t n = 0;
    instant mx = min_instant();
    auto r = read_fixes(path, diag, [&](const fix& f) {
      m->push(f);
      mx = std::max(mx, f.received);
      if (++n % 65536 == 0) m->advance(mx - std::chrono::minutes{10});
    });
    m->flush();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.fixes.size()));
  std::remove(path.c_str());
}
BENCHMARK(BM_check_with_parsing)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
