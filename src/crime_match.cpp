// Crime matching (warden/crime_match.hpp): the per-subject evaluation, the
// indexed and the scanning drivers.
#include <warden/crime_match.hpp>
#include <warden/prism.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
// Each pass runs a cheap test over a block first (the prism searches eight
// segments at a time from the end they start at), without branches and
// straight from the stored columns (the kernels below: GCC / Clang vector
// extensions, SSE2 intrinsics where the generic form compiles badly;
// single precision, four lanes, where kernel::prism_test_f says it is
// safe, else double), and then gives only the elements that pass to the
// exact tests. The cheap tests are necessary conditions with a slack far
// above their rounding, so they never drop an element the exact test
// would count; they change the work, never the row (tests: crime_match_test
// against brute force, and the double kernels on their own with long blocks
// and far crimes; bench/README.md, third pass). nullopt when `need` is
// seen_or_possible and the subject is neither.
namespace kernel {

typedef double f64x2 __attribute__((vector_size(16)));
typedef std::int64_t i64x2 __attribute__((vector_size(16)));
typedef std::int32_t i32x2 __attribute__((vector_size(8)));
typedef std::uint32_t u32x2 __attribute__((vector_size(8)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef std::int32_t i32x4 __attribute__((vector_size(16)));
typedef std::uint32_t u32x4 __attribute__((vector_size(16)));

inline f64x2 splat(double v) noexcept { return f64x2{v, v}; }
inline i32x2 load_i32x2(const void* p) noexcept {
  i32x2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline u32x2 load_u32x2(const void* p) noexcept {
  u32x2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline f64x2 load_f64x2(const double* p) noexcept {
  f64x2 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_f64x2(double* p, f64x2 v) noexcept { std::memcpy(p, &v, sizeof v); }
inline f64x2 select(i64x2 m, f64x2 a, f64x2 b) noexcept { return (f64x2)(((i64x2)a & m) | ((i64x2)b & ~m)); }
#if defined(__SSE2__)
inline f64x2 vmax(f64x2 a, f64x2 b) noexcept { return _mm_max_pd(a, b); }
inline f64x2 vmin(f64x2 a, f64x2 b) noexcept { return _mm_min_pd(a, b); }
// Lane 0 -> bit 0, lane 1 -> bit 1 of an all-ones / all-zeros mask.
inline unsigned bits2(i64x2 m) noexcept { return static_cast<unsigned>(_mm_movemask_pd((f64x2)m)); }
#else
inline f64x2 vmax(f64x2 a, f64x2 b) noexcept { return select((i64x2)(a > b), a, b); }
inline f64x2 vmin(f64x2 a, f64x2 b) noexcept { return select((i64x2)(a < b), a, b); }
inline unsigned bits2(i64x2 m) noexcept { return static_cast<unsigned>((m[0] & 1) | (m[1] & 2)); }
#endif
inline i32x4 load_i32x4(const void* p) noexcept {
  i32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline u32x4 load_u32x4(const void* p) noexcept {
  u32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline f32x4 splat4(float v) noexcept { return f32x4{v, v, v, v}; }
inline i32x4 splat4i(std::int32_t v) noexcept { return i32x4{v, v, v, v}; }
#if defined(__SSE2__)
inline f32x4 vmax4(f32x4 a, f32x4 b) noexcept { return _mm_max_ps(a, b); }
inline f32x4 vmin4(f32x4 a, f32x4 b) noexcept { return _mm_min_ps(a, b); }
inline unsigned bits4(i32x4 m) noexcept { return static_cast<unsigned>(_mm_movemask_ps((f32x4)m)); }
#else
inline f32x4 vmax4(f32x4 a, f32x4 b) noexcept { return (f32x4)(((i32x4)a & (i32x4)(a > b)) | ((i32x4)b & ~(i32x4)(a > b))); }
inline f32x4 vmin4(f32x4 a, f32x4 b) noexcept { return (f32x4)(((i32x4)a & (i32x4)(a < b)) | ((i32x4)b & ~(i32x4)(a < b))); }
inline unsigned bits4(i32x4 m) noexcept {
  return static_cast<unsigned>((m[0] & 1) | (m[1] & 2) | (m[2] & 4) | (m[3] & 8));
}
#endif
// (a[1], a[2], a[3], b[0]): each lane's next fix. (Spelled out for SSE:
// the generic shuffle compiles to seven instructions there, this to two.)
#if defined(__SSE2__)
inline f32x4 straddle4(f32x4 a, f32x4 b) noexcept {
  return _mm_shuffle_ps(a, _mm_shuffle_ps(a, b, _MM_SHUFFLE(0, 0, 3, 3)), _MM_SHUFFLE(2, 0, 2, 1));
}
#else
inline f32x4 straddle4(f32x4 a, f32x4 b) noexcept { return __builtin_shufflevector(a, b, 1, 2, 3, 4); }
#endif
// (a[1], b[0]): the second of one pair and the first of the next.
#if defined(__SSE2__)
inline f64x2 straddle(f64x2 a, f64x2 b) noexcept { return _mm_shuffle_pd(a, b, 1); }
#else
inline f64x2 straddle(f64x2 a, f64x2 b) noexcept { return __builtin_shufflevector(a, b, 1, 2); }
#endif

// The longest run of segments the kernels take at once (a block with more,
// possible with a larger trail_index_options::block_segments, is taken in
// pieces): one bit per segment in a 64-bit mask, and lanes in pairs.
constexpr std::size_t max_segments = 62;

// A run of fixes first .. first + ns of one trail (ns <= max_segments)
// ready for the kernels: raw columns readable a few fixes past the last
// (the kernels take lanes in pairs; a padded copy near the trail's end)
// and times in ms from the first fix. Of the fixes, the first nf are
// the run's own (the last one may belong to the next block).
struct chunk {
  const std::int32_t* x = nullptr;
  const std::int32_t* y = nullptr;
  const std::uint32_t* t = nullptr;
  std::size_t first = 0, ns = 0, nf = 0;
  std::int64_t t0_ms = 0;
  std::uint32_t t00 = 0;  // low word of fix 0's time
  bool short_ = true;
  // Entries read: the kernels read up to ns + 7 (lanes in fours, one
  // vector ahead), so rows [0, ns + 8 rounded up to even).
  static constexpr std::size_t cap = max_segments + 10;
  alignas(16) double tr[cap];
  std::int32_t xb[cap], yb[cap];
  std::uint32_t tb[cap];

  // short_span: the run lasts under 2^31 ms (its times then follow from
  // the low words directly, see trail_view::t_column).
  void prepare(const trail_view& v, std::size_t first_fix, std::size_t segs, std::size_t own, std::int64_t t_first_ms,
               bool short_span) noexcept {
    first = first_fix;
    ns = segs;
    nf = own;
    t0_ms = t_first_ms;
    const std::size_t rows = (ns + 9) & ~std::size_t{1};
    if (first + rows <= v.size()) {
      x = v.x_column() + first;
      y = v.y_column() + first;
      t = v.t_column() + first;
    } else {
      const std::size_t have = v.size() - first;  // >= ns + 1
      for (std::size_t j = 0; j < rows; ++j) {
        const std::size_t i = first + std::min(j, have - 1);
        xb[j] = v.x_column()[i];
        yb[j] = v.y_column()[i];
        tb[j] = v.t_column()[i];
      }
      x = xb;
      y = yb;
      t = tb;
    }
    t00 = t[0];
    short_ = short_span;
    if (!short_span) {
      std::int64_t acc = 0;
      double prev = 0;
      for (std::size_t j = 0; j < rows; ++j) {
        if (j > 0) acc += static_cast<std::int64_t>(t[j] - t[j - 1]);
        if (j & 1) store_f64x2(tr + j - 1, f64x2{prev, static_cast<double>(acc)});
        prev = static_cast<double>(acc);
      }
    }
  }
  // Time of fix j, ms.
  std::int64_t time_ms(std::size_t j) const noexcept {
    return t0_ms + (short_ ? static_cast<std::int64_t>(t[j] - t00) : static_cast<std::int64_t>(tr[j]));
  }
  // Times of fixes k, k + 1 and of k + 1, k + 2 (k even), ms from fix 0.
  // A short run's follow from the low words (the difference, mod 2^32, is
  // under 2^31); a long run's were summed by prepare(), and are read only
  // at even offsets, where it stored them in pairs (a load straddling two
  // recent stores would wait for both to retire).
  void times(std::size_t k, f64x2& t0, f64x2& t1) const noexcept {
    if (short_) {
      t0 = __builtin_convertvector((i32x2)(load_u32x2(t + k) - t00), f64x2);
      t1 = __builtin_convertvector((i32x2)(load_u32x2(t + k + 1) - t00), f64x2);
    } else {
      t0 = load_f64x2(tr + k);
      t1 = straddle(t0, load_f64x2(tr + k + 2));
    }
  }
};

// Two consecutive fixes j, j + 1 of a chunk: centimetres from the crime
// and (with_accuracy) accuracies in metres.
struct fix_pair {
  f64x2 x, y, a;
};
template <bool with_accuracy>
inline fix_pair load_fixes(const chunk& ch, std::size_t j, f64x2 qx, f64x2 qy, bool table) noexcept {
  const i32x2 xr = load_i32x2(ch.x + j), yr = load_i32x2(ch.y + j);
  fix_pair f;
  f.x = __builtin_convertvector(xr >> 4, f64x2) - qx;
  f.y = __builtin_convertvector(yr >> 4, f64x2) - qy;
  if constexpr (with_accuracy) {
    const i32x2 code = (xr & 15) | ((yr & 15) << 4);
    if (!table) {
      f.a = (__builtin_convertvector(code, f64x2) + splat(1.0)) * splat(0.5);
    } else {
      auto acc = [](std::int32_t c) { return static_cast<double>(detail::decode_accuracy(static_cast<std::uint8_t>(c))); };
      f.a = f64x2{acc(code[0]), acc(code[1])};
    }
  }
  return f;
}

// Lower bounds, in centimetres, of the distance from the crime (qx, qy:
// centimetres from the trail's origin): df[j] of fix j (< nf) when its
// time is in [lo, hi] (ms from the chunk's first fix), ds[k] of segment k
// (< ns; not clipped to the window) when it meets [lo, hi]; NaN otherwise
// (so that no comparison takes it, not even with an infinite limit). Each
// is the double-precision distance less 1 cm and a relative 1e-6, so that
// it stays below the exact one after rounding to float. Arrays of
// max_segments + 8.
inline void distances(const chunk& ch, double qx, double qy, double lo, double hi, float* df, float* ds) noexcept {
  const f64x2 vqx = splat(qx), vqy = splat(qy), vlo = splat(lo), vhi = splat(hi);
  const f64x2 none = splat(std::numeric_limits<double>::quiet_NaN()), zero = splat(0.0), one = splat(1.0);
  auto lower = [](f64x2 d2) {
    f64x2 d;
#if defined(__SSE2__)
    d = _mm_sqrt_pd(d2);
#else
    d = f64x2{std::sqrt(d2[0]), std::sqrt(d2[1])};
#endif
    return d - splat(1.0) - splat(1e-6) * d;
  };
  auto store = [](float* p, f64x2 v) {
    p[0] = static_cast<float>(v[0]);
    p[1] = static_cast<float>(v[1]);
  };
  fix_pair cur = load_fixes<false>(ch, 0, vqx, vqy, false);
  for (std::size_t k = 0; k < ch.nf; k += 2) {
    const fix_pair nxt = load_fixes<false>(ch, k + 2, vqx, vqy, false);
    f64x2 t0, t1;
    ch.times(k, t0, t1);
    store(df + k, select((i64x2)(t0 >= vlo) & (i64x2)(t0 <= vhi), lower(cur.x * cur.x + cur.y * cur.y), none));
    if (k < ch.ns) {
      const f64x2 x0 = cur.x, y0 = cur.y;
      const f64x2 sx = straddle(cur.x, nxt.x) - x0, sy = straddle(cur.y, nxt.y) - y0;
      const f64x2 len2 = sx * sx + sy * sy;
      const f64x2 w = zero - (x0 * sx + y0 * sy);
      // u = clamp(w / len2, 0, 1); 0 for a zero-length segment (no 0 / 0 kept).
      const i64x2 moving = (i64x2)(len2 > zero);
      const f64x2 u = select(moving, vmin(vmax(w, zero), len2) / select(moving, len2, one), zero);
      const f64x2 ex = x0 + u * sx, ey = y0 + u * sy;
      store(ds + k, select((i64x2)(t1 >= vlo) & (i64x2)(t0 <= vhi), lower(ex * ex + ey * ey), none));
    }
    cur = nxt;
  }
}

// distances() in single precision, four at a time, under the conditions
// of prism_test_f (qx_cm, qy_cm: the crime rounded to whole centimetres).
// The float distance is off by at most the crime's rounding (0.71 cm) and
// float roundings bounded by 2e-6 of the L1 norm of the points involved
// (the segment's closest point is computed at a rounded parameter, which
// moves it by a relative few 2^-24 of |p0| + |p1 - p0|); 2 cm and 4e-6 of
// that norm are taken off, so each value is still a lower bound.
// Also returns the masks of the fixes and segments whose bound is at most
// limit_cm.
struct near_masks {
  std::uint64_t fixes = 0, segments = 0;
};
inline near_masks distances_f(const chunk& ch, std::int32_t qx_cm, std::int32_t qy_cm, double lo, double hi,
                              double limit_cm, float* df, float* ds) noexcept {
  // The limit rounded up to float (a larger limit only lets more through).
  const f32x4 vlim = splat4(static_cast<float>(limit_cm) * (1.0f + 1e-6f));
  near_masks out;
  constexpr double span = 16777216.0;
  const f32x4 vlo = splat4(static_cast<float>(std::clamp(lo, -1.0, span)));
  const f32x4 vhi = splat4(static_cast<float>(std::clamp(hi, -1.0, span)));
  const f32x4 none = splat4(std::numeric_limits<float>::quiet_NaN()), zero = splat4(0.0f), one = splat4(1.0f);
  const f32x4 two = splat4(2.0f), rel = splat4(4e-6f);
  const i32x4 abs_mask = splat4i(0x7FFFFFFF);
  auto vabs = [&](f32x4 a) { return (f32x4)((i32x4)a & abs_mask); };
  auto vsqrt = [](f32x4 a) {
#if defined(__SSE2__)
    return f32x4(_mm_sqrt_ps(a));
#else
    return f32x4{std::sqrt(a[0]), std::sqrt(a[1]), std::sqrt(a[2]), std::sqrt(a[3])};
#endif
  };
  struct quad {
    f32x4 x, y, t;
  };
  auto load = [&](std::size_t j) {
    quad f;
    f.x = __builtin_convertvector((load_i32x4(ch.x + j) >> 4) - qx_cm, f32x4);
    f.y = __builtin_convertvector((load_i32x4(ch.y + j) >> 4) - qy_cm, f32x4);
    f.t = __builtin_convertvector((i32x4)(load_u32x4(ch.t + j) - ch.t00), f32x4);
    return f;
  };
  auto store = [](float* p, f32x4 v) { std::memcpy(p, &v, sizeof v); };
  quad cur = load(0);
  for (std::size_t k = 0; k < ch.nf; k += 4) {
    const quad nxt = load(k + 4);
    const f32x4 x0 = cur.x, y0 = cur.y, t0 = cur.t;
    const f32x4 l1 = vabs(x0) + vabs(y0);
    const i32x4 in = (i32x4)(t0 >= vlo) & (i32x4)(t0 <= vhi);
    const f32x4 lbf = (f32x4)(((i32x4)(vsqrt(x0 * x0 + y0 * y0) - (two + rel * l1)) & in) | ((i32x4)none & ~in));
    store(df + k, lbf);
    out.fixes |= static_cast<std::uint64_t>(bits4((i32x4)(lbf <= vlim))) << k;
    if (k < ch.ns) {
      const f32x4 x1 = straddle4(cur.x, nxt.x), y1 = straddle4(cur.y, nxt.y), t1 = straddle4(cur.t, nxt.t);
      const f32x4 sx = x1 - x0, sy = y1 - y0;
      const f32x4 len2 = sx * sx + sy * sy;
      const f32x4 w = zero - (x0 * sx + y0 * sy);
      const i32x4 moving = (i32x4)(len2 > zero);
      const f32x4 q = vmin4(vmax4(w, zero), len2) / (f32x4)(((i32x4)len2 & moving) | ((i32x4)one & ~moving));
      const f32x4 u = (f32x4)((i32x4)q & moving);
      const f32x4 ex = x0 + u * sx, ey = y0 + u * sy;
      const f32x4 lb = vsqrt(ex * ex + ey * ey) - (two + rel * (l1 + vabs(x1) + vabs(y1)));
      const i32x4 meets = (i32x4)(t1 >= vlo) & (i32x4)(t0 <= vhi);
      const f32x4 lbs = (f32x4)(((i32x4)lb & meets) | ((i32x4)none & ~meets));
      store(ds + k, lbs);
      out.segments |= static_cast<std::uint64_t>(bits4((i32x4)(lbs <= vlim))) << k;
    }
    cur = nxt;
  }
  auto below = [](std::size_t n) { return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1; };
  out.fixes &= below(ch.nf);
  out.segments &= below(ch.ns);
  return out;
}

// Bit k set, for segments k in [k_begin, k_end) (k_begin even, k_end <=
// ns): segment k meets [lo, hi] and passes the necessary prism test of
// evaluator::prism_may_reach (same limits and slack). a_max: the chunk's
// largest accuracy, metres; when it is at most 64 m every accuracy code is
// below 128 and decodes as (code + 1) / 2 metres (trail_store.hpp)
// without the table.
inline std::uint64_t prism_bits(const chunk& ch, std::size_t k_begin, std::size_t k_end, double qx, double qy,
                                double lo, double hi, double r_cm, double v_mps, double a_max) noexcept {
  const f64x2 vqx = splat(qx), vqy = splat(qy), vlo = splat(lo), vhi = splat(hi);
  const f64x2 v = splat(v_mps), ms = splat(1.0 / 1000.0), hundred = splat(100.0), rc = splat(r_cm);
  const f64x2 tenth = splat(0.1), rel = splat(1e-9);
  const bool table = !(a_max <= 64.0);
  std::uint64_t bits = 0;
  fix_pair cur = load_fixes<true>(ch, k_begin, vqx, vqy, table);
  for (std::size_t k = k_begin; k < k_end; k += 2) {
    const fix_pair nxt = load_fixes<true>(ch, k + 2, vqx, vqy, table);
    const f64x2 x0 = cur.x, y0 = cur.y, a0 = cur.a;
    const f64x2 x1 = straddle(cur.x, nxt.x), y1 = straddle(cur.y, nxt.y), a1 = straddle(cur.a, nxt.a);
    f64x2 t0, t1;
    ch.times(k, t0, t1);
    const f64x2 lo_s = (vmax(vlo, t0) - t0) * ms, hi_s = (vmin(vhi, t1) - t0) * ms, dt_s = (t1 - t0) * ms;
    f64x2 l1 = rc + rc + hundred * (a0 + a1 + v * dt_s);
    f64x2 l2 = rc + hundred * (a0 + v * hi_s);
    f64x2 l3 = rc + hundred * (a1 + v * (dt_s - lo_s));
    l1 = l1 + tenth + rel * l1;
    l2 = l2 + tenth + rel * l2;
    l3 = l3 + tenth + rel * l3;
    const f64x2 mx = x0 + x1, my = y0 + y1;
    const i64x2 ok = (i64x2)(t1 >= vlo) & (i64x2)(t0 <= vhi) & (i64x2)(mx * mx + my * my <= l1 * l1) &
                     (i64x2)(x0 * x0 + y0 * y0 <= l2 * l2) & (i64x2)(x1 * x1 + y1 * y1 <= l3 * l3);
    bits |= static_cast<std::uint64_t>(bits2(ok)) << k;
    cur = nxt;
  }
  return k_end >= 64 ? bits : bits & ((std::uint64_t{1} << k_end) - 1);
}

// prism_bits in single precision, four segments at a time, for one chunk
// spanning under 2^24 ms and a crime within 2^29 cm of the trail's origin
// (qx_cm, qy_cm: its position rounded to whole centimetres). Positions
// relative to the crime are exact integers before conversion, so every
// quantity is off by at most the crime's rounding (under 1 cm a distance)
// and a few float roundings (relative 2^-24 each); the limits carry 2 cm +
// a relative 1e-5 more than the double test, which covers both with a wide
// margin: a segment the double test passes, this one passes.
class prism_test_f {
 public:
  prism_test_f(const chunk& ch, std::int32_t qx_cm, std::int32_t qy_cm, double lo, double hi, double r_cm,
               double v_mps, double a_max) noexcept
      : ch_(ch), qx_(qx_cm), qy_(qy_cm),
        // The window clamped to the chunk (its times lie in [0, 2^24)): the
        // same max(lo, t) and min(hi, t) for every fix, now exact in float.
        lo_(splat4(static_cast<float>(std::clamp(lo, -1.0, span)))),
        hi_(splat4(static_cast<float>(std::clamp(hi, -1.0, span)))),
        v_(splat4(static_cast<float>(v_mps))), rc_(splat4(static_cast<float>(r_cm))), table_(!(a_max <= 64.0)) {}

  // Bit k set, for k in [k_begin, k_end) (k_begin a multiple of 4, k_end <= ns).
  std::uint64_t bits(std::size_t k_begin, std::size_t k_end) const noexcept {
    const f32x4 ms = splat4(0.001f), hundred = splat4(100.0f), slack = splat4(2.0f), rel = splat4(1e-5f);
    std::uint64_t out = 0;
    quad cur = load(k_begin);
    for (std::size_t k = k_begin; k < k_end; k += 4) {
      const quad nxt = load(k + 4);
      const f32x4 x0 = cur.x, y0 = cur.y, a0 = cur.a, t0 = cur.t;
      const f32x4 x1 = straddle4(cur.x, nxt.x), y1 = straddle4(cur.y, nxt.y);
      const f32x4 a1 = straddle4(cur.a, nxt.a), t1 = straddle4(cur.t, nxt.t);
      const f32x4 lo_s = (vmax4(lo_, t0) - t0) * ms, hi_s = (vmin4(hi_, t1) - t0) * ms, dt_s = (t1 - t0) * ms;
      f32x4 l1 = rc_ + rc_ + hundred * (a0 + a1 + v_ * dt_s);
      f32x4 l2 = rc_ + hundred * (a0 + v_ * hi_s);
      f32x4 l3 = rc_ + hundred * (a1 + v_ * (dt_s - lo_s));
      l1 = l1 + slack + rel * l1;
      l2 = l2 + slack + rel * l2;
      l3 = l3 + slack + rel * l3;
      const f32x4 mx = x0 + x1, my = y0 + y1;
      const i32x4 ok = (i32x4)(t1 >= lo_) & (i32x4)(t0 <= hi_) & (i32x4)(mx * mx + my * my <= l1 * l1) &
                       (i32x4)(x0 * x0 + y0 * y0 <= l2 * l2) & (i32x4)(x1 * x1 + y1 * y1 <= l3 * l3);
      out |= static_cast<std::uint64_t>(bits4(ok)) << k;
      cur = nxt;
    }
    return k_end >= 64 ? out : out & ((std::uint64_t{1} << k_end) - 1);
  }

 private:
  static constexpr double span = 16777216.0;
  struct quad {
    f32x4 x, y, a, t;
  };
  quad load(std::size_t j) const noexcept {
    const i32x4 xr = load_i32x4(ch_.x + j), yr = load_i32x4(ch_.y + j);
    quad f;
    f.x = __builtin_convertvector((xr >> 4) - qx_, f32x4);
    f.y = __builtin_convertvector((yr >> 4) - qy_, f32x4);
    const i32x4 code = (xr & 15) | ((yr & 15) << 4);
    if (!table_) {
      f.a = (__builtin_convertvector(code, f32x4) + splat4(1.0f)) * splat4(0.5f);
    } else {
      auto acc = [](std::int32_t c) { return detail::decode_accuracy(static_cast<std::uint8_t>(c)); };
      f.a = f32x4{acc(code[0]), acc(code[1]), acc(code[2]), acc(code[3])};
    }
    f.t = __builtin_convertvector((i32x4)(load_u32x4(ch_.t + j) - ch_.t00), f32x4);
    return f;
  }
  const chunk& ch_;
  std::int32_t qx_, qy_;
  f32x4 lo_, hi_, v_, rc_;
  bool table_;
};

}  // namespace kernel

struct block_ref {
  double lb_sq;      // squared box distance to the crime, m^2 (internal only)
  std::uint32_t at;  // block index within the subject
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

// Calls fn(chunk&) for the pieces of block b in time order (one piece
// unless the block has more than kernel::max_segments segments).
template <class F>
void for_chunks(const trail_view& v, const trail_block& b, kernel::chunk& ch, F&& fn) {
  const bool short_span = b.t_last_ms - b.t_first_ms < (std::int64_t{1} << 31);
  std::size_t first = b.first, left = b.segments;
  std::int64_t t0 = b.t_first_ms;
  do {
    const std::size_t ns = std::min(left, kernel::max_segments);
    left -= ns;
    // A piece owns its last fix only at the block's end, as the block does.
    const std::size_t nf = left == 0 && b.owns_last ? ns + 1 : ns;
    ch.prepare(v, first, ns, nf, t0, short_span);
    if (fn(ch)) return;
    first += ns;
    t0 = ch.time_ms(ns);
  } while (left > 0);
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
      const double dx = std::max(std::max(static_cast<double>(it->min_x_cm) - qx, qx - static_cast<double>(it->max_x_cm)), 0.0);
      const double dy = std::max(std::max(static_cast<double>(it->min_y_cm) - qy, qy - static_cast<double>(it->max_y_cm)), 0.0);
      refs.push_back(block_ref{(dx * dx + dy * dy) * 1e-4, static_cast<std::uint32_t>(it - blocks.begin()), false});
    }
  }

  const double r = c.radius_m;
  const double qx = e.qx_cm(), qy = e.qy_cm();  // relative to the subject's origin
  kernel::chunk ch;
  float df[kernel::max_segments + 8], ds[kernel::max_segments + 8];
  // The window in ms from a chunk's first fix.
  auto lo_of = [&](const kernel::chunk& k) { return static_cast<double>(c.from_ms - k.t0_ms); };
  auto hi_of = [&](const kernel::chunk& k) { return static_cast<double>(c.to_ms - k.t0_ms); };
  // A limit in metres (plus the slack) in centimetres, as the kernels' bounds.
  auto lim_cm = [](double lim_m) { return (lim_m + bound_slack_m) * 100.0; };
  // The single-precision kernels where they apply (see kernel::prism_test_f).
  constexpr double q_limit_cm = 536870912.0;  // 2^29
  const bool q_near = std::abs(qx) < q_limit_cm && std::abs(qy) < q_limit_cm;
  const auto qx_cm = static_cast<std::int32_t>(q_near ? std::llround(qx) : 0);
  const auto qy_cm = static_cast<std::int32_t>(q_near ? std::llround(qy) : 0);
  auto single = [&](const trail_block& b) { return q_near && b.t_last_ms - b.t_first_ms < (std::int64_t{1} << 24); };
  // df, ds of a chunk, and the masks of the elements within limit_cm.
  auto bounds = [&](const kernel::chunk& k, const trail_block& b, double limit_cm) {
    if (single(b)) return kernel::distances_f(k, qx_cm, qy_cm, lo_of(k), hi_of(k), limit_cm, df, ds);
    kernel::distances(k, qx, qy, lo_of(k), hi_of(k), df, ds);
    kernel::near_masks m;
    for (std::size_t j = 0; j < k.nf; ++j)
      if (df[j] <= limit_cm) m.fixes |= std::uint64_t{1} << j;
    for (std::size_t j = 0; j < k.ns; ++j)
      if (ds[j] <= limit_cm) m.segments |= std::uint64_t{1} << j;
    return m;
  };

  // Pass 1: every fix in the window and every segment meeting it, to the
  // evaluator in time order (the dwell sum depends on it), except those
  // further than r (+ the fix's accuracy) and than the best so far.
  auto visit_full = [&](block_ref& ref) {
    ref.visited = true;
    const trail_block& b = blocks[ref.at];
    for_chunks(v, b, ch, [&](const kernel::chunk& k) {
      // The masks with the largest limit any element can have here.
      const kernel::near_masks m =
          bounds(k, b, lim_cm(std::max(r + static_cast<double>(b.max_accuracy_m), e.best_distance())));
      for (std::uint64_t bits = m.fixes; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (df[j] <= lim_cm(std::max(r + static_cast<double>(v.accuracy_m(k.first + j)), e.best_distance())))
          e.fix(k.first + j, k.time_ms(j));
      }
      for (std::uint64_t bits = m.segments; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (ds[j] <= lim_cm(std::max(r, e.best_distance()))) e.segment(k.first + j, k.time_ms(j), k.time_ms(j + 1));
      }
      return false;
    });
  };
  // Pass 3: a block further than r + its accuracy, whose elements matter
  // only if they come closer than the best so far. The nearest goes to the
  // evaluator first (it usually sets the best the others then fail). No fix
  // here is present and no segment passes (the block is beyond r +
  // accuracy), so the order of the calls does not matter.
  auto visit_closest = [&](block_ref& ref) {
    ref.visited = true;
    const trail_block& b = blocks[ref.at];
    for_chunks(v, b, ch, [&](const kernel::chunk& k) {
      double lim = lim_cm(std::max(r, e.best_distance()));
      const kernel::near_masks m = bounds(k, b, lim);
      if ((m.fixes | m.segments) == 0) return false;
      // The nearest first.
      bool best_fix = true;
      std::size_t best_j = 0;
      float best_d = std::numeric_limits<float>::infinity();
      for (std::uint64_t bits = m.fixes; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (df[j] < best_d) {
          best_d = df[j];
          best_j = j;
        }
      }
      for (std::uint64_t bits = m.segments; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (ds[j] < best_d) {
          best_d = ds[j];
          best_j = j;
          best_fix = false;
        }
      }
      auto fix = [&](std::size_t j) { e.fix(k.first + j, k.time_ms(j)); };
      auto segment = [&](std::size_t j) { e.segment(k.first + j, k.time_ms(j), k.time_ms(j + 1)); };
      if (best_fix) fix(best_j); else segment(best_j);
      lim = lim_cm(std::max(r, e.best_distance()));
      for (std::uint64_t bits = m.fixes; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (df[j] <= lim && !(best_fix && j == best_j)) {
          fix(j);
          lim = lim_cm(std::max(r, e.best_distance()));
        }
      }
      for (std::uint64_t bits = m.segments; bits != 0; bits &= bits - 1) {
        const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
        if (ds[j] <= lim && !(!best_fix && j == best_j)) {
          segment(j);
          lim = lim_cm(std::max(r, e.best_distance()));
        }
      }
      return false;
    });
  };

  // 1. Present / passed.
  for (block_ref& ref : refs)
    if (within(ref.lb_sq, r + static_cast<double>(blocks[ref.at].max_accuracy_m) + bound_slack_m)) visit_full(ref);

  // 2. Prisms, from each end: the first instant from the first reaching
  // segment, the last from the last one.
  if (!e.seen()) {
    const double r_cm = r * 100.0;
    auto can_reach = [&](const block_ref& ref) {
      return within(ref.lb_sq, r + trail_index::reach_m(blocks[ref.at], speed) + bound_slack_m);
    };
    // The searches take a block's segments a group at a time from their
    // end, so that a prism reaching early costs little.
    constexpr std::size_t group = 8;
    // Calls fn(bits) for groups of a chunk's segments, from the first
    // (forward) or the last, until fn returns true.
    auto groups = [&](const kernel::chunk& k, const trail_block& b, bool forward, auto&& fn) {
      const std::size_t ngroups = (k.ns + group - 1) / group;
      const auto a_max = static_cast<double>(b.max_accuracy_m);
      auto run = [&](auto&& bits) {
        for (std::size_t n = 0; n < ngroups; ++n) {
          const std::size_t g = (forward ? n : ngroups - 1 - n) * group;
          if (fn(bits(g, std::min(k.ns, g + group)))) return true;
        }
        return false;
      };
      if (single(b)) {
        const kernel::prism_test_f test(k, qx_cm, qy_cm, lo_of(k), hi_of(k), r_cm, speed, a_max);
        return run([&](std::size_t k0, std::size_t k1) { return test.bits(k0, k1); });
      }
      return run([&](std::size_t k0, std::size_t k1) {
        return kernel::prism_bits(k, k0, k1, qx, qy, lo_of(k), hi_of(k), r_cm, speed, a_max);
      });
    };
    bool found = false;
    for (std::size_t nb = 0; nb < refs.size() && !found; ++nb) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      for_chunks(v, b, ch, [&](const kernel::chunk& k) {
        return groups(k, b, true, [&](std::uint64_t bits) {
          for (; bits != 0; bits &= bits - 1) {
            const auto j = static_cast<std::size_t>(__builtin_ctzll(bits));
            const prism_reach pr = e.prism_exact(k.first + j, k.time_ms(j), k.time_ms(j + 1), reach_times::first);
            if (pr.reaches) {
              e.reach_first(pr.first_ms);
              found = true;
              return true;
            }
          }
          return false;
        });
      });
    }
    bool found_last = false;
    for (std::size_t nb = refs.size(); nb-- > 0 && found && !found_last;) {
      if (!can_reach(refs[nb])) continue;
      const trail_block& b = blocks[refs[nb].at];
      auto search = [&](const kernel::chunk& k) {
        return groups(k, b, false, [&](std::uint64_t bits) {
          while (bits != 0) {
            const auto j = static_cast<std::size_t>(63 - __builtin_clzll(bits));
            bits &= ~(std::uint64_t{1} << j);
            const prism_reach pr = e.prism_exact(k.first + j, k.time_ms(j), k.time_ms(j + 1), reach_times::last);
            if (pr.reaches) {
              e.reach_last(pr.last_ms);
              found_last = true;
              return true;
            }
          }
          return false;
        });
      };
      if (b.segments <= kernel::max_segments) {
        for_chunks(v, b, ch, search);
      } else {
        // Pieces from the last: each piece's start time comes from the ones before it.
        std::vector<std::pair<std::size_t, std::int64_t>> pieces;
        for_chunks(v, b, ch, [&](const kernel::chunk& k) {
          pieces.emplace_back(k.first, k.t0_ms);
          return false;
        });
        const bool short_span = b.t_last_ms - b.t_first_ms < (std::int64_t{1} << 31);
        for (std::size_t p = pieces.size(); p-- > 0;) {
          const std::size_t ns = std::min<std::size_t>(kernel::max_segments, b.first + b.segments - pieces[p].first);
          const std::size_t nf = p + 1 == pieces.size() && b.owns_last ? ns + 1 : ns;
          ch.prepare(v, pieces[p].first, ns, nf, pieces[p].second, short_span);
          if (search(ch)) break;
        }
      }
    }
  }
  if (what == need::seen_or_possible && !e.seen() && !e.possible()) return std::nullopt;

  // 3. Closest approach: unvisited blocks nearest first. Often no block
  // has been visited yet: then the nearest one goes first, and only the
  // blocks its best lets through are sorted.
  auto nearer = [](const block_ref& a, const block_ref& b) { return a.lb_sq != b.lb_sq ? a.lb_sq < b.lb_sq : a.at < b.at; };
  if (!e.has_closest()) {
    block_ref* first = nullptr;
    for (block_ref& ref : refs)
      if (!ref.visited && (first == nullptr || nearer(ref, *first))) first = &ref;
    if (first != nullptr) visit_closest(*first);
  }
  {
    const double lim = e.best_distance() + bound_slack_m;
    const auto end = std::partition(refs.begin(), refs.end(),
                                    [&](const block_ref& ref) { return !ref.visited && within(ref.lb_sq, lim); });
    std::sort(refs.begin(), end, nearer);
    for (auto it = refs.begin(); it != end; ++it) {
      if (!within(it->lb_sq, e.best_distance() + bound_slack_m)) break;
      visit_closest(*it);
    }
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
            // The hint is the subject's first block found in the window's
            // cells, near the window's start: the evaluation steps back from
            // it to the window's first block, then reads on.
            if (cands[j].block < bl.size()) {
              const std::uint32_t from = cands[j].block > 0 ? cands[j].block - 1 : 0;
              const char* p = reinterpret_cast<const char*>(&bl[from]);
              const char* stop = reinterpret_cast<const char*>(bl.data() + bl.size());
              for (int line = 0; line < 5 && p < stop; ++line, p += 64) __builtin_prefetch(p);
            }
          };
          auto fetch = [&](std::size_t j) {
            if (j >= nc) return;
            const auto bl = index_->blocks_of(cands[j].subject);
            if (cands[j].block < bl.size()) {
              const trail_view tv = store.view(cands[j].subject);
              const std::size_t first = bl[cands[j].block].first;
              tv.prefetch(first);
              if (first + 16 < tv.size()) tv.prefetch(first + 16);
            }
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
