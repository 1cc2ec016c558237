// tests/trail_gen.hpp — a small deterministic trail generator for the trail
// store, index and crime-matching tests and bench/crime_bench.cpp
// (independent of the scenario generator behind `warden synth`).
//
// Each subject has a home and a workplace 1-15 km apart in a square region
// and a travel mode (walking 1.2-1.6 m/s, cycling 4-6 m/s, driving 9-16 m/s).
// A day: at home until 06:30-09:00, a commute leg to work, work until
// 16:00-18:30, a leg home, and on half the evenings a leg to a place within
// 5 km, 30-120 min there and a leg back. Stationary positions wander a few
// metres; GPS noise is +-4 m; fixes every fix_interval_s with 0-999 ms of
// jitter; each fix is lost with drop_probability; outages (5-120 min, so
// some are gaps and some not) start about outages_per_day times a day.
// Accuracy: 90% 4-15 m, 8% 15-60 m, 2% 100-1,500 m (cell location).
// Positions are planar metres in the frame of the caller's choosing.
//
// Determinism: splitmix64-seeded xoshiro256** per (seed, subject), and only
// uniform draws (no std:: distributions), so every platform produces the
// same trails.
#pragma once

#include <warden/geo.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace warden::testgen {

class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& w : s_) w = splitmix(seed);
  }
  std::uint64_t next() noexcept {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // [0, 1)
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) noexcept { return a + (b - a) * uniform(); }
  std::uint64_t below(std::uint64_t n) noexcept { return n ? next() % n : 0; }
  bool chance(double p) noexcept { return uniform() < p; }

  static std::uint64_t splitmix(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

struct gen_params {
  std::uint64_t seed = 1;
  std::uint32_t subjects = 10;
  std::uint32_t days = 1;
  std::int64_t start_ms = 1774224000000LL;  // 2026-03-23T00:00:00Z
  xy origin{540'000.0, 170'000.0};          // south-west corner of the region (Essex-like in BNG)
  double region_m = 60'000.0;
  std::int32_t fix_interval_s = 60;
  double drop_probability = 0.02;
  double outages_per_day = 1.0;
};

inline std::string subject_name(std::uint32_t s) {
  std::string id = "S";
  std::string digits = std::to_string(s);
  id.append(digits.size() < 5 ? 5 - digits.size() : 0, '0');
  return id + digits;
}

// Calls sink(subject, t_ms, xy, accuracy_m) for every fix, subject by
// subject, each subject's fixes in time order.
template <class Sink>
void generate(const gen_params& p, Sink&& sink) {
  struct leg {
    double t0, t1;  // seconds of the day
    xy a, b;
  };
  for (std::uint32_t s = 0; s < p.subjects; ++s) {
    std::uint64_t seed = p.seed * 0x100000001B3ull + s;
    rng r(rng::splitmix(seed));
    auto in_region = [&](xy q) {
      return xy{std::clamp(q.x_m, p.origin.x_m, p.origin.x_m + p.region_m),
                std::clamp(q.y_m, p.origin.y_m, p.origin.y_m + p.region_m)};
    };
    const xy home{p.origin.x_m + r.uniform() * p.region_m, p.origin.y_m + r.uniform() * p.region_m};
    const double wd = r.uniform(1000, 15000), wa = r.uniform(0, 6.283185307179586);
    const xy work = in_region(xy{home.x_m + wd * std::cos(wa), home.y_m + wd * std::sin(wa)});
    const double mode = r.uniform();
    const double speed = mode < 0.3 ? r.uniform(1.2, 1.6) : mode < 0.55 ? r.uniform(4, 6) : r.uniform(9, 16);
    xy wander{0, 0};
    for (std::uint32_t day = 0; day < p.days; ++day) {
      const double day0 = static_cast<double>(p.start_ms) / 1000.0 + 86400.0 * day;
      leg legs[6];
      int nlegs = 0;
      auto add_leg = [&](double t0, xy a, xy b) {
        const double dur = std::max(60.0, distance_m(a, b) / speed);
        legs[nlegs++] = leg{t0, t0 + dur, a, b};
        return t0 + dur;
      };
      double t = add_leg(r.uniform(6.5, 9) * 3600, home, work);
      t = std::max(t + 3600, r.uniform(16, 18.5) * 3600);
      t = add_leg(t, work, home);
      if (r.chance(0.5)) {
        const double ed = r.uniform(300, 5000), ea = r.uniform(0, 6.283185307179586);
        const xy place = in_region(xy{home.x_m + ed * std::cos(ea), home.y_m + ed * std::sin(ea)});
        t = std::max(t + 600, r.uniform(19, 21) * 3600);
        t = add_leg(t, home, place);
        t = add_leg(t + r.uniform(1800, 7200), place, home);
      }
      // Outages for this day: start second and length.
      double out_from[3] = {-1, -1, -1}, out_to[3] = {-1, -1, -1};
      for (int k = 0; k < 3; ++k)
        if (r.chance(p.outages_per_day / 3)) {
          out_from[k] = r.uniform(0, 86400);
          out_to[k] = out_from[k] + r.uniform(300, 7200);
        }
      for (std::int64_t slot = 0; slot < 86400 / p.fix_interval_s; ++slot) {
        const double sec = static_cast<double>(slot * p.fix_interval_s) + r.uniform(0, 0.999);
        const bool dropped = r.chance(p.drop_probability);
        bool out = false;
        for (int k = 0; k < 3; ++k) out = out || (sec >= out_from[k] && sec < out_to[k]);
        // Where the subject truly is at `sec`.
        xy at = home;
        bool moving = false;
        for (int k = 0; k < nlegs; ++k) {
          if (sec >= legs[k].t0 && sec <= legs[k].t1) {
            const double u = (sec - legs[k].t0) / (legs[k].t1 - legs[k].t0);
            at = xy{legs[k].a.x_m + u * (legs[k].b.x_m - legs[k].a.x_m), legs[k].a.y_m + u * (legs[k].b.y_m - legs[k].a.y_m)};
            moving = true;
            break;
          }
          if (sec > legs[k].t1) at = legs[k].b;
        }
        if (!moving) {
          wander.x_m = std::clamp(wander.x_m + r.uniform(-2, 2), -30.0, 30.0);
          wander.y_m = std::clamp(wander.y_m + r.uniform(-2, 2), -30.0, 30.0);
          at.x_m += wander.x_m;
          at.y_m += wander.y_m;
        }
        const double a = r.uniform();
        const double acc = a < 0.9 ? r.uniform(4, 15) : a < 0.98 ? r.uniform(15, 60) : r.uniform(100, 1500);
        const xy noisy{at.x_m + r.uniform(-4, 4), at.y_m + r.uniform(-4, 4)};
        if (dropped || out) continue;
        sink(s, static_cast<std::int64_t>(std::floor((day0 + sec) * 1000.0)), noisy, static_cast<float>(acc));
      }
    }
  }
}

}  // namespace warden::testgen
