// The motion filter: jitter smoothing, multipath spikes, real manoeuvres,
// impossible jumps.
#include <catch2/catch.hpp>

#include <warden/motion_filter.hpp>

#include <cmath>
#include <random>

using namespace warden;

namespace {
instant at_s(double s) { return from_epoch_ms(1'774'000'000'000 + static_cast<std::int64_t>(s * 1000)); }
}  // namespace

TEST_CASE("a stationary subject's jitter is smoothed", "[motion]") {
  const std::uint64_t seed = 17;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 6.0);
  motion_filter f;
  motion_filter_params o;
  double raw2 = 0, smooth2 = 0;
  int n = 0, accepted = 0;
  for (int i = 0; i < 300; ++i) {
    const xy p{1000 + g(rng), 2000 + g(rng)};
    const auto d = f.push({at_s(60.0 * i), p, 14.7}, o);
    accepted += d.current == motion_outcome::accept;
    accepted += d.held == motion_outcome::accept;
    if (i >= 20) {
      raw2 += (p.x_m - 1000) * (p.x_m - 1000) + (p.y_m - 2000) * (p.y_m - 2000);
      const xy s = f.position();
      smooth2 += (s.x_m - 1000) * (s.x_m - 1000) + (s.y_m - 2000) * (s.y_m - 2000);
      ++n;
    }
  }
  CHECK(accepted >= 295);  // honest fixes are (almost) never dropped
  // At one fix a minute a constant-velocity model gains only ~10% on a
  // stationary subject (the velocity state wanders); it must still gain.
  CHECK(std::sqrt(smooth2 / n) < 0.95 * std::sqrt(raw2 / n));
}

TEST_CASE("a multipath outlier 200 m away 60 s later claiming 5 m is rejected", "[motion]") {
  motion_filter f;
  motion_filter_params o;
  for (int i = 0; i < 10; ++i) CHECK(f.push({at_s(60.0 * i), {0, 0}, 5}, o).current == motion_outcome::accept);
  const auto d = f.push({at_s(600), {200, 0}, 5}, o);
  CHECK(d.current == motion_outcome::hold);
  const auto e = f.push({at_s(660), {1, 1}, 5}, o);
  CHECK(e.held == motion_outcome::reject);
  CHECK(e.current == motion_outcome::accept);
}

TEST_CASE("driving off is a real manoeuvre: held, then accepted", "[motion]") {
  motion_filter f;
  motion_filter_params o;
  for (int i = 0; i < 10; ++i) f.push({at_s(60.0 * i), {0, 0}, 8}, o);
  int rejected = 0;
  double x = 0;
  for (int i = 10; i < 30; ++i) {
    x += 15 * 60;  // 15 m/s
    const auto d = f.push({at_s(60.0 * i), {x, 0.3 * x}, 8}, o);
    rejected += d.current == motion_outcome::reject;
    rejected += d.held == motion_outcome::reject;
  }
  CHECK(rejected == 0);
  CHECK(f.velocity_mps().x_m == Approx(15).margin(2));
}

TEST_CASE("impossible jumps are rejected at once; a persistent new place restarts the filter", "[motion]") {
  motion_filter f;
  motion_filter_params o;
  for (int i = 0; i < 5; ++i) f.push({at_s(60.0 * i), {0, 0}, 8}, o);
  // 50 km in a minute.
  for (std::uint32_t k = 0; k < o.max_hard_rejects; ++k)
    CHECK(f.push({at_s(300 + 60.0 * k), {50'000, 0}, 8}, o).current == motion_outcome::reject);
  CHECK(f.push({at_s(300 + 60.0 * o.max_hard_rejects), {50'000, 0}, 8}, o).current == motion_outcome::accept);
  CHECK(f.position().x_m == Approx(50'000));
}

TEST_CASE("a held fix with no follow-up is released with an honest accuracy", "[motion]") {
  motion_filter f;
  motion_filter_params o;
  for (int i = 0; i < 10; ++i) f.push({at_s(60.0 * i), {0, 0}, 5}, o);
  CHECK(f.push({at_s(600), {300, 0}, 5}, o).current == motion_outcome::hold);
  CHECK(f.holding());
  const double acc = f.release(o);
  CHECK(acc > 100);  // 300 m from where it could be: not believed to 5 m
  CHECK(!f.holding());
  CHECK(f.release(o) < 0);
  // After a long gap the lookahead is void: the held fix is accepted as is.
  motion_filter g;
  for (int i = 0; i < 10; ++i) g.push({at_s(60.0 * i), {0, 0}, 5}, o);
  CHECK(g.push({at_s(600), {300, 0}, 5}, o).current == motion_outcome::hold);
  const auto d = g.push({at_s(600 + 3600), {0, 0}, 5}, o);
  CHECK(d.held == motion_outcome::accept);
}

TEST_CASE("save and load round-trip the state exactly", "[motion]") {
  motion_filter f;
  motion_filter_params o;
  for (int i = 0; i < 10; ++i) f.push({at_s(60.0 * i), {3.0 * i, -2.0 * i}, 7}, o);
  f.push({at_s(600), {400, 0}, 5}, o);
  motion_filter g;
  g.load(f.save());
  const auto a = f.push({at_s(660), {33, -22}, 7}, o);
  const auto b = g.push({at_s(660), {33, -22}, 7}, o);
  CHECK(a.held == b.held);
  CHECK(a.current == b.current);
  CHECK(f.position() == g.position());
}
