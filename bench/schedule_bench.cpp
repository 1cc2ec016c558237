// Schedules: is-active queries per second and window expansion per second,
// beside the naive peer that converts every instant to local time through
// date/tz and checks the weekly windows.
//
//   build/<dir>/bench/schedule_bench --benchmark_min_time=2
#include <warden/schedule.hpp>

#include <date/tz.h>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace {

using namespace warden;

const instant span_start = from_epoch_ms(1704067200000);  // 2024-01-01T00:00:00Z
const instant span_end = from_epoch_ms(1830297600000);    // 2028-01-01T00:00:00Z

// A realistic curfew order: nights in the week, longer at weekends, a
// school-run exclusion on weekdays, two holidays.
schedule_spec order_spec() {
  schedule_spec s;
  s.tz = "Europe/London";
  s.windows = {{{"mon", "tue", "wed", "thu", "sun"}, "19:00", "07:00"},
               {{"fri", "sat"}, "21:00", "08:00"},
               {{"mon", "tue", "wed", "thu", "fri"}, "08:15", "09:00"}};
  s.except = {"2025-12-25", "2026-12-25"};
  return s;
}

// Instants spread uniformly over 2024-2027 (64-bit LCG, fixed seed).
std::vector<instant> random_instants(std::size_t n) {
  std::vector<instant> v(n);
  std::uint64_t s = 12345;
  const auto span = static_cast<std::uint64_t>(to_epoch_ms(span_end) - to_epoch_ms(span_start));
  for (auto& t : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    t = span_start + milliseconds{static_cast<std::int64_t>((s >> 11) % span)};
  }
  return v;
}

// The naive peer: local time per instant, then the weekly windows (today's
// from their start, yesterday's overnight ones before their end).
struct naive_schedule {
  struct win {
    unsigned wd;  // c_encoding
    int start_min, end_min;  // end_min may exceed 1440 (next day)
  };
  const date::time_zone* tz;
  std::vector<win> ws;

  explicit naive_schedule(const schedule_spec& spec) : tz(date::locate_zone(spec.tz)) {
    const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (const auto& w : spec.windows)
      for (const auto& d : w.days)
        for (unsigned k = 0; k < 7; ++k)
          if (d == names[k]) {
            const int s = std::stoi(w.start.substr(0, 2)) * 60 + std::stoi(w.start.substr(3, 2));
            const int e = std::stoi(w.end.substr(0, 2)) * 60 + std::stoi(w.end.substr(3, 2));
            ws.push_back({k, s, e > s ? e : e + 1440});
          }
  }
  bool is_active(instant t) const {
    const date::zoned_time<milliseconds> z{tz, t};
    const auto local = z.get_local_time();
    const auto day = date::floor<date::days>(local);
    const int minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
    const unsigned wd = date::weekday{day}.c_encoding();
    for (const win& w : ws) {
      if (w.wd == wd && minute >= w.start_min && minute < w.end_min) return true;
      if ((w.wd + 1) % 7 == wd && minute + 1440 < w.end_min) return true;
    }
    return false;
  }
};

void BM_is_active_random(benchmark::State& state) {
  const schedule s = *schedule::compile(order_spec());
  s.prepare(span_start, span_end);
  const auto ts = random_instants(1 << 16);
  std::size_t i = 0, active = 0;
  for (auto _ : state) {
    active += s.is_active(ts[i]);
    i = (i + 1) & ((1 << 16) - 1);
  }
  benchmark::DoNotOptimize(active);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_is_active_random);

// One subject's fixes arrive in time order, a few seconds apart.
void BM_is_active_stream(benchmark::State& state) {
  const schedule s = *schedule::compile(order_spec());
  s.prepare(span_start, span_end);
  instant t = span_start;
  std::size_t active = 0;
  for (auto _ : state) {
    active += s.is_active(t);
    t += milliseconds{7919};
    if (t >= span_end) t = span_start;
  }
  benchmark::DoNotOptimize(active);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_is_active_stream);

void BM_is_active_naive_peer(benchmark::State& state) {
  const naive_schedule s(order_spec());
  const auto ts = random_instants(1 << 16);
  std::size_t i = 0, active = 0;
  for (auto _ : state) {
    active += s.is_active(ts[i]);
    i = (i + 1) & ((1 << 16) - 1);
  }
  benchmark::DoNotOptimize(active);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_is_active_naive_peer);

// Compile a fresh schedule and expand four years of windows: items are
// the windows returned (the blocks expanded cover a little more).
void BM_window_expansion(benchmark::State& state) {
  const schedule_spec spec = order_spec();
  std::size_t windows = 0;
  for (auto _ : state) {
    const schedule s = *schedule::compile(spec);
    const auto ws = s.windows(span_start, span_end);
    windows += ws.size();
    benchmark::DoNotOptimize(ws.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(windows));
}
BENCHMARK(BM_window_expansion)->Unit(benchmark::kMillisecond);

// Peer: each window's start and end through date::zoned_time, no caching.
void BM_window_expansion_zoned_time_peer(benchmark::State& state) {
  const naive_schedule n(order_spec());
  std::size_t windows = 0;
  const auto d0 = date::floor<date::days>(span_start), d1 = date::floor<date::days>(span_end);
  for (auto _ : state) {
    std::vector<utc_interval> out;
    for (auto d = d0; d < d1; d += date::days{1}) {
      const date::local_days ld{d.time_since_epoch()};
      const unsigned wd = date::weekday{ld}.c_encoding();
      for (const auto& w : n.ws) {
        if (w.wd != wd) continue;
        const date::zoned_time<milliseconds> zs{n.tz, ld + std::chrono::minutes{w.start_min}, date::choose::earliest};
        const date::zoned_time<milliseconds> ze{n.tz, ld + std::chrono::minutes{w.end_min}, date::choose::latest};
        out.push_back({zs.get_sys_time(), ze.get_sys_time()});
      }
    }
    windows += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(windows));
}
BENCHMARK(BM_window_expansion_zoned_time_peer)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
