// Internals of the scenario generator (src/synth*.cpp): random streams,
// geometry helpers, the geography ("world") people live in, and trajectories.
// Not installed; see include/warden/synth.hpp for the contract.
#pragma once

#include <warden/frame.hpp>
#include <warden/geometry.hpp>
#include <warden/schedule.hpp>
#include <warden/synth.hpp>
#include <warden/time.hpp>
#include <warden/zone.hpp>

// Boost.Geometry 1.74 includes a Boost.Math header that includes a
// deprecated Boost header, which prints a #pragma message on every build.
#ifndef BOOST_ALLOW_DEPRECATED_HEADERS
#define BOOST_ALLOW_DEPRECATED_HEADERS
#endif
#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace warden::detail::synth {

// ---------------------------------------------------------------------------
// Random numbers. Everything is derived from 64-bit integer arithmetic and
// a few libm calls (log, sqrt), never from std:: distributions, whose output
// differs between standard libraries.

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Purposes of the random streams; a stream is (seed, purpose, a, b).
enum class stream : std::uint64_t {
  global = 1,          // the pool of shared zones
  profile = 2,         // a subject's homes, places, orders, victims (a = subject)
  plan = 3,            // a subject's day plan (a = subject, b = day)
  victim_plan = 4,     // a victim's day plan (a = entity key, b = day)
  noise = 5,           // fix noise (a = entity key, b = day)
  device = 6,          // gaps and battery (a = entity key, b = day)
  crimes = 7,          // background crimes (b = day)
};

inline std::uint64_t stream_seed(std::uint64_t seed, stream purpose, std::uint64_t a = 0,
                                 std::uint64_t b = 0) noexcept {
  std::uint64_t s = seed;
  std::uint64_t h = splitmix64(s);
  for (std::uint64_t v : {static_cast<std::uint64_t>(purpose), a, b}) {
    s = h ^ (v * 0xD1B54A32D192ED03ull);
    h = splitmix64(s);
  }
  return h;
}

// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class rng {
 public:
  rng() noexcept : rng(0) {}
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& w : s_) w = splitmix64(seed);
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) noexcept { return a + (b - a) * uniform(); }
  // Uniform integer in [0, n), n > 0 (Lemire's method, unbiased).
  std::uint32_t below(std::uint32_t n) noexcept {
    std::uint64_t m = (next() >> 32) * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
      while (low < threshold) {
        m = (next() >> 32) * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }
  bool chance(double p) noexcept { return uniform() < p; }
  // Standard normal (Marsaglia's polar method; log and sqrt only).
  double normal() noexcept {
    for (;;) {
      const double u = 2.0 * uniform() - 1.0;
      const double v = 2.0 * uniform() - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
    }
  }
  double exponential(double mean) noexcept { return -mean * std::log(1.0 - uniform()); }
  // Log-uniform in [a, b], a > 0.
  double log_uniform(double a, double b) noexcept { return a * std::exp(uniform() * std::log(b / a)); }
  // A uniformly distributed unit vector (rejection in the unit disc; no trigonometry).
  xy direction() noexcept {
    for (;;) {
      const double u = 2.0 * uniform() - 1.0;
      const double v = 2.0 * uniform() - 1.0;
      const double s = u * u + v * v;
      if (s > 1e-6 && s <= 1.0) {
        const double r = std::sqrt(s);
        return xy{u / r, v / r};
      }
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// ---------------------------------------------------------------------------
// Planar helpers (frame metres).

inline xy operator+(xy a, xy b) noexcept { return {a.x_m + b.x_m, a.y_m + b.y_m}; }
inline xy operator-(xy a, xy b) noexcept { return {a.x_m - b.x_m, a.y_m - b.y_m}; }
inline xy operator*(xy a, double k) noexcept { return {a.x_m * k, a.y_m * k}; }
inline double norm(xy a) noexcept { return std::hypot(a.x_m, a.y_m); }
inline xy perp(xy a) noexcept { return {-a.y_m, a.x_m}; }
inline xy unit_or(xy a, xy fallback) noexcept {
  const double n = norm(a);
  return n > 1e-9 ? a * (1.0 / n) : fallback;
}
inline xy lerp(xy a, xy b, double f) noexcept { return {a.x_m + (b.x_m - a.x_m) * f, a.y_m + (b.y_m - a.y_m) * f}; }
// Distance from p to the segment [a, b], and the parameter of the closest point.
double segment_distance(xy p, xy a, xy b, double* u_out = nullptr) noexcept;
// Whether the segment [a, b] meets the box grown by margin_m.
bool segment_meets_box(xy a, xy b, const box& bb, double margin_m) noexcept;

namespace bg = boost::geometry;
using bpoint = bg::model::d2::point_xy<double>;
using bpolygon = bg::model::polygon<bpoint>;
using bmulti = bg::model::multi_polygon<bpolygon>;

bmulti to_bg(const multipolygon& mp);

// The geometry of one zone as every decision sees it: projected exactly as
// warden::read_zones projects it (the same frame, the same doubles).
struct zone_geom {
  zone_shape shape = zone_shape::circle;
  circle disc;  // circle: projected centre, radius in frame metres
  bmulti poly;  // polygonal
  box bb;

  // Covered (boundary included).
  bool covers(xy p) const noexcept;
  // Distance from p to the zone's boundary, frame metres.
  double boundary_distance(xy p) const noexcept;
};

zone_geom make_circle_geom(const tm_frame& frame, lat_lon centre, double radius_m);
zone_geom make_polygon_geom(const multipolygon& projected);

// ---------------------------------------------------------------------------
// Shortest round-trip text of a double, and the double that text reads back
// as (so that what we evaluate is exactly what a reader of our files sees).

void append_shortest(std::string& out, double v);
// The value a reader gets from the text append_decimal(v, decimals) writes.
double written_decimal(double v, int decimals);

// ---------------------------------------------------------------------------
// The world: real areas and real crime locations.

struct area {
  const zone* src = nullptr;  // outline_wgs84 and area (projected), from read_zones
  std::string id;
  std::string name;
  zone_geom geom;
  xy centre;  // box centre
};

struct police_point {
  xy pos;
  lat_lon ll;
  std::int16_t type = -1;  // index into acquisitive_types, -1 when not acquisitive
};

extern const char* const acquisitive_types[7];

// A uniform grid of point indices (sorted by cell, then index: deterministic).
class point_grid {
 public:
  void build(const std::vector<xy>& pts, double cell_m);
  // Indices of the points within [rmin, rmax] of c (appended to out).
  void within(const std::vector<xy>& pts, xy c, double rmin, double rmax, std::vector<std::uint32_t>& out) const;

 private:
  std::int64_t key(std::int64_t cx, std::int64_t cy) const noexcept { return (cx << 32) ^ (cy & 0xffffffff); }
  double cell_m_ = 1000;
  std::vector<std::pair<std::int64_t, std::uint32_t>> cells_;
};

struct world {
  tm_frame frame = tm_frame::british_national_grid();
  std::vector<zone> lsoa_zones, ward_zones;  // as read
  std::vector<area> lsoas, wards;            // sorted by id
  std::vector<police_point> police;          // in file order, inside loaded LSOAs
  std::vector<std::uint32_t> acquisitive;    // indices into police
  std::vector<xy> police_xy;
  point_grid police_grid;

  xy sample_in(const area& a, rng& r) const;
  // A point in a random LSOA whose centre lies in [rmin, rmax] of c; falls
  // back to any LSOA after many tries.
  xy sample_lsoa_near(xy c, double rmin, double rmax, rng& r) const;
  // A real crime location in [rmin, rmax] of c, or a point sampled in an
  // LSOA when there is none.
  xy destination_near(xy c, double rmin, double rmax, rng& r) const;
  // The index of the area in `v` covering p, or -1.
  static int area_at(const std::vector<area>& v, xy p);
};

// Loads LSOAs, wards and police points. Errors: io_error, empty_file.
result<void> load_world(world& w, const synth_params& p);

// ---------------------------------------------------------------------------
// Trajectories: a sequence of stays and moves whose times are multiples of
// the truth step. A move follows a polyline a -> m -> b at constant speed.

struct segment {
  std::int64_t t0 = 0, t1 = 0;  // epoch ms
  xy a, m, b;
  double len1 = 0, len = 0;     // a->m length, total length (0: a stay)
  bool stay() const noexcept { return len <= 0; }
  xy at(std::int64_t t) const noexcept;
};

class trajectory {
 public:
  // Position at t; queries must not go backwards by more than the segment
  // in use (the cursor only advances).
  xy at(std::int64_t t) noexcept;
  // The segment covering t (cursor-advanced), or nullptr when empty.
  const segment* segment_at(std::int64_t t) noexcept;
  std::int64_t end_t() const noexcept { return segs_.empty() ? 0 : segs_.back().t1; }
  xy end_pos() const noexcept { return segs_.empty() ? xy{} : segs_.back().b; }
  void push(const segment& s) { segs_.push_back(s); }
  // Drops the segments that end before t.
  void trim_before(std::int64_t t);
  const std::vector<segment>& segments() const noexcept { return segs_; }

 private:
  std::vector<segment> segs_;
  std::size_t cur_ = 0;
};

}  // namespace warden::detail::synth
