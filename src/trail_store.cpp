// The trail store (warden/trail_store.hpp): columns, ordered appends and the
// version-1 file.
#include <warden/trail_store.hpp>

#include <warden/detail/atomic_file.hpp>
#include <warden/detail/checksum.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <tuple>

namespace warden {

// ---------------------------------------------------------------------------
// Accuracy codes.

namespace detail {

std::uint8_t encode_accuracy(float accuracy_m) noexcept {
  const auto& m = accuracy_table_m;
  // Smallest code whose value is >= the reported accuracy (rounded up).
  const auto it = std::lower_bound(m.begin(), m.end(), accuracy_m);
  if (it == m.end()) return 255;
  return static_cast<std::uint8_t>(it - m.begin());
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Views.

std::size_t trail_view::lower_bound(std::int64_t t_ms) const noexcept {
  std::size_t lo = 0, hi = n_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (time_ms(mid) < t_ms) lo = mid + 1; else hi = mid;
  }
  return lo;
}

std::size_t trail_view::upper_bound(std::int64_t t_ms) const noexcept {
  std::size_t lo = 0, hi = n_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (time_ms(mid) <= t_ms) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------
// The store.

namespace {

constexpr char store_magic[8] = {'W', 'A', 'R', 'D', 'E', 'N', 'T', 'S'};
constexpr std::uint32_t store_version = 1;
constexpr std::int64_t rel_min = -(std::int64_t{1} << 27);
constexpr std::int64_t rel_max = (std::int64_t{1} << 27) - 1;

std::int32_t pack(std::int64_t rel_cm, unsigned nibble) noexcept {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(rel_cm) << 4) | (nibble & 15u));
}

}  // namespace

trail_store::trail_store(trail_store_options opt, const tm_frame& frame) : opt_(opt), frame_(frame) {
  if (opt_.max_gap.count() < 0) opt_.max_gap = milliseconds{0};
}

trail_store::subject_index trail_store::find(std::string_view subject_id) const noexcept {
  const auto it = by_id_.find(subject_id);
  return it == by_id_.end() ? npos : it->second;
}

trail_store::subject_index trail_store::find_or_add(std::string_view subject_id) {
  const auto it = by_id_.find(subject_id);
  if (it != by_id_.end()) return it->second;
  const auto s = static_cast<subject_index>(subjects_.size());
  subjects_.push_back(subject_trail{});
  subjects_.back().id = std::string(subject_id);
  by_id_.emplace(std::string(subject_id), s);
  return s;
}

std::vector<trail_store::subject_index> trail_store::subjects_by_id() const {
  std::vector<subject_index> out;
  out.reserve(by_id_.size());
  for (const auto& [id, s] : by_id_) out.push_back(s);
  return out;
}

trail_view trail_store::view(subject_index s) const noexcept {
  const subject_trail& st = subjects_[s];
  trail_view v;
  v.x_ = st.x.data();
  v.y_ = st.y.data();
  v.t_ = st.t.data();
  v.e_ = st.epochs.data();
  v.n_ = st.t.size();
  v.ne_ = st.epochs.size();
  v.ox_ = st.ox;
  v.oy_ = st.oy;
  v.max_gap_ms_ = opt_.max_gap.count();
  return v;
}

std::vector<trail_gap> trail_store::gaps(subject_index s) const {
  std::vector<trail_gap> out;
  const trail_view v = view(s);
  for (std::size_t i = 0; i + 1 < v.size(); ++i)
    if (v.is_gap(i)) out.push_back(trail_gap{i, v.time(i), v.time(i + 1)});
  return out;
}

std::uint64_t trail_store::stored_bytes() const noexcept {
  std::uint64_t b = 0;
  for (const subject_trail& st : subjects_)
    b += st.t.size() * 12u + st.epochs.size() * sizeof(detail::trail_epoch) + st.id.size() + sizeof(subject_trail);
  return b;
}

void trail_store::reserve(std::string_view subject_id, std::size_t fixes) {
  subject_trail& st = subjects_[find_or_add(subject_id)];
  st.x.reserve(fixes);
  st.y.reserve(fixes);
  st.t.reserve(fixes);
}

void trail_store::shrink_to_fit() {
  for (subject_trail& st : subjects_) {
    st.x.shrink_to_fit();
    st.y.shrink_to_fit();
    st.t.shrink_to_fit();
    st.epochs.shrink_to_fit();
  }
}

namespace {
// No frame maps the Earth beyond 1e13 m, and centimetre counts up to this
// bound stay exact in every sum the store makes. load() refuses fixes beyond
// it, so that every store that loads can be saved and loaded again.
constexpr std::int64_t max_abs_cm = 1'000'000'000'000'000;  // 1e13 m
}  // namespace

result<append_outcome> trail_store::append(const fix& f) {
  const xy p = frame_.forward(f.pos);
  return append(f.subject_id, f.time, p, f.accuracy_m);
}

result<append_outcome> trail_store::append(std::string_view subject_id, instant t, xy pos, float accuracy_m) {
  if (!(accuracy_m > 0.0f) || !std::isfinite(accuracy_m))
    return make_error(errc::bad_accuracy, "accuracy_m must be a finite number > 0");
  // Beyond 1e13 m no centimetre count fits, and no frame maps the Earth there.
  if (!std::isfinite(pos.x_m) || !std::isfinite(pos.y_m) || std::fabs(pos.x_m) > 1e13 || std::fabs(pos.y_m) > 1e13)
    return make_error(errc::limit_exceeded, "projected position is not finite or far outside any frame");
  return append_cm(subject_id, to_epoch_ms(t), std::llround(pos.x_m * 100.0), std::llround(pos.y_m * 100.0),
                   detail::encode_accuracy(accuracy_m));
}

result<append_outcome> trail_store::append_cm(std::string_view subject_id, std::int64_t t_ms, std::int64_t x_cm,
                                              std::int64_t y_cm, std::uint8_t acc) {
  if (subject_id.empty()) return make_error(errc::bad_id, "empty subject_id");
  if (t_ms < 0) return make_error(errc::time_out_of_range, "fix time before 1970-01-01");
  if (x_cm > max_abs_cm || x_cm < -max_abs_cm || y_cm > max_abs_cm || y_cm < -max_abs_cm)
    return make_error(errc::limit_exceeded, "projected position far outside any frame");
  // Fixes usually arrive grouped by subject: try the last one first.
  const auto existing = last_appended_ < subjects_.size() && subjects_[last_appended_].id == subject_id
                            ? last_appended_
                            : find(subject_id);
  if (existing != npos && subjects_[existing].t.size() >= 0xFFFFFFFFu)
    return make_error(errc::limit_exceeded, "more than 2^32 - 1 fixes for one subject");
  std::int64_t ox = x_cm, oy = y_cm;
  if (existing != npos && !subjects_[existing].t.empty()) {
    ox = subjects_[existing].ox;
    oy = subjects_[existing].oy;
  }
  const std::int64_t rx = x_cm - ox, ry = y_cm - oy;
  if (rx < rel_min || rx > rel_max || ry < rel_min || ry > rel_max)
    return make_error(errc::limit_exceeded,
                      "fix more than 1,342 km from the first stored fix of subject '" + std::string(subject_id) + "'");

  subject_trail& st = subjects_[existing != npos ? existing : find_or_add(subject_id)];
  last_appended_ = static_cast<subject_index>(&st - subjects_.data());
  if (st.t.empty()) {
    st.ox = ox;
    st.oy = oy;
  }
  const std::int32_t xw = pack(rx, acc & 15u);
  const std::int32_t yw = pack(ry, static_cast<unsigned>(acc) >> 4);
  const auto high = static_cast<std::uint32_t>(static_cast<std::uint64_t>(t_ms) >> 32);
  const auto low = static_cast<std::uint32_t>(static_cast<std::uint64_t>(t_ms));
  const auto key = std::make_tuple(t_ms, x_cm, y_cm, acc);

  const trail_view v = view(static_cast<subject_index>(&st - subjects_.data()));
  auto key_at = [&](std::size_t i) {
    return std::make_tuple(v.time_ms(i), v.x_cm(i), v.y_cm(i), v.accuracy_code(i));
  };
  const std::size_t n = v.size();
  std::size_t pos = n;
  if (n > 0) {
    const auto last = key_at(n - 1);
    if (key == last) {
      ++duplicates_;
      return append_outcome::duplicate;
    }
    if (key < last) {
      std::size_t lo = v.lower_bound(t_ms), hi = v.upper_bound(t_ms);
      while (lo < hi) {  // among fixes of the same millisecond, by position and accuracy
        const std::size_t mid = lo + (hi - lo) / 2;
        if (key_at(mid) < key) lo = mid + 1; else hi = mid;
      }
      if (lo < n && key_at(lo) == key) {
        ++duplicates_;
        return append_outcome::duplicate;
      }
      pos = lo;
    }
  }

  const auto at = static_cast<std::ptrdiff_t>(pos);
  st.x.insert(st.x.begin() + at, xw);
  st.y.insert(st.y.begin() + at, yw);
  st.t.insert(st.t.begin() + at, low);
  // The high-word table: find or create the entry for `high`, shift later ones.
  auto e = std::lower_bound(st.epochs.begin(), st.epochs.end(), high,
                            [](const detail::trail_epoch& a, std::uint32_t h) { return a.high < h; });
  if (e == st.epochs.end() || e->high != high)
    e = st.epochs.insert(e, detail::trail_epoch{high, static_cast<std::uint32_t>(pos)});
  for (auto it = e + 1; it != st.epochs.end(); ++it) ++it->first;

  ++fixes_;
  ++generation_;
  if (pos != n) {
    ++late_;
    return append_outcome::inserted;
  }
  return append_outcome::appended;
}

// ---------------------------------------------------------------------------
// File format.

namespace detail {
namespace {

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

// Buffers the file in 1 MiB pieces on its way to an atomic_file_writer,
// checksumming as it goes; the first write error sticks.
class store_writer {
 public:
  explicit store_writer(atomic_file_writer& f) : f_(f) { buf_.reserve(buf_limit); }
  void bytes(const void* p, std::size_t n) {
    if (!res_ || n == 0) return;
    sum_.update(p, n);
    const auto* c = static_cast<const char*>(p);
    while (n > 0 && res_) {
      const std::size_t take = std::min(n, buf_limit - buf_.size());
      buf_.append(c, take);
      c += take;
      n -= take;
      if (buf_.size() == buf_limit) flush();
    }
  }
  template <class T>
  void le(T v) {
    unsigned char b[sizeof(T)];
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      b[i] = static_cast<unsigned char>(u & 0xFFu);
      u = static_cast<std::make_unsigned_t<T>>(u >> 8);
    }
    bytes(b, sizeof b);
  }
  template <class T>
  void column(const std::vector<T>& v) {
    if constexpr (std::endian::native == std::endian::little) {
      bytes(v.data(), v.size() * sizeof(T));
    } else {
      for (T x : v) le(x);
    }
  }
  void checksum() {
    const std::uint64_t h = sum_.finish();
    le(h);
  }
  // Writes what is buffered; the result of the whole write.
  result<void> finish() {
    flush();
    return res_;
  }

 private:
  static constexpr std::size_t buf_limit = std::size_t{1} << 20;
  void flush() {
    if (res_ && !buf_.empty()) res_ = f_.write(buf_);
    buf_.clear();
  }
  atomic_file_writer& f_;
  std::string buf_;
  checksum64 sum_;
  result<void> res_;
};

class store_reader {
 public:
  store_reader(std::FILE* f, std::uint64_t size) : f_(f), left_(size) {}
  bool bytes(void* p, std::size_t n) {
    if (n > left_) return false;
    if (n == 0) return true;
    if (std::fread(p, 1, n, f_) != n) {
      io_failed_ = true;
      return false;
    }
    left_ -= n;
    sum_.update(p, n);
    return true;
  }
  template <class T>
  bool le(T& v) {
    unsigned char b[sizeof(T)];
    if (!bytes(b, sizeof b)) return false;
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = sizeof(T); i-- > 0;) u = static_cast<std::make_unsigned_t<T>>((u << 8) | b[i]);
    v = static_cast<T>(u);
    return true;
  }
  template <class T>
  bool column(std::vector<T>& v, std::uint64_t n) {
    if (n > left_ / sizeof(T)) return false;
    v.resize(static_cast<std::size_t>(n));
    if (!bytes(v.data(), v.size() * sizeof(T))) return false;
    if constexpr (std::endian::native != std::endian::little) {
      for (T& x : v) {
        auto u = static_cast<std::make_unsigned_t<T>>(x);
        std::make_unsigned_t<T> r = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i) {
          r = static_cast<std::make_unsigned_t<T>>((r << 8) | (u & 0xFFu));
          u = static_cast<std::make_unsigned_t<T>>(u >> 8);
        }
        x = static_cast<T>(r);
      }
    }
    return true;
  }
  std::uint64_t left() const { return left_; }
  std::uint64_t sum() const { return sum_.finish(); }
  bool io_failed() const { return io_failed_; }

 private:
  std::FILE* f_;
  std::uint64_t left_;
  checksum64 sum_;
  bool io_failed_ = false;
};

std::optional<tm_frame> parse_frame(std::string_view d) {
  if (d.size() < 4 || d.substr(0, 3) != "tm(" || d.back() != ')') return std::nullopt;
  d = d.substr(3, d.size() - 4);
  std::array<double, 5> v{};
  for (std::size_t k = 0; k < v.size(); ++k) {
    const auto comma = k + 1 < v.size() ? d.find(',') : d.size();
    if (comma == std::string_view::npos) return std::nullopt;
    const auto part = d.substr(0, comma);
    const auto r = std::from_chars(part.data(), part.data() + part.size(), v[k]);
    if (r.ec != std::errc() || r.ptr != part.data() + part.size()) return std::nullopt;
    d = k + 1 < v.size() ? d.substr(comma + 1) : std::string_view{};
  }
  auto f = tm_frame::custom(v[0], v[1], v[2], v[3], v[4]);
  if (!f) return std::nullopt;
  return *f;
}

}  // namespace
}  // namespace detail

result<void> trail_store::save(const std::string& path) const {
  auto f = detail::atomic_file_writer::create(path);
  if (!f) return f.err();
  const std::string frame_desc = frame_.describe();
  const auto order = subjects_by_id();

  std::uint64_t total = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + frame_desc.size();
  for (subject_index s : order) {
    const subject_trail& st = subjects_[s];
    total += 4 + st.id.size() + 8 + 8 + 8 + 4 + st.epochs.size() * 8 + st.t.size() * 12;
  }
  total += 8;

  detail::store_writer w(*f);
  w.bytes(store_magic, sizeof store_magic);
  w.le(store_version);
  w.le(std::uint32_t{0});
  w.le(total);
  w.le(static_cast<std::uint64_t>(order.size()));
  w.le(fixes_);
  w.le(static_cast<std::int64_t>(opt_.max_gap.count()));
  w.le(static_cast<std::uint32_t>(frame_desc.size()));
  w.bytes(frame_desc.data(), frame_desc.size());
  std::vector<std::int32_t> buf;
  for (subject_index s : order) {
    const subject_trail& st = subjects_[s];
    // The origin is the first fix *appended*; the file uses the earliest
    // fix instead so that the bytes do not depend on arrival order (unless
    // the trail reaches beyond 2^27 cm of its earliest fix on some axis).
    std::int64_t ox = st.ox, oy = st.oy;
    if (!st.t.empty()) {
      const trail_view v = view(s);
      std::int64_t lo_x = 0, hi_x = 0, lo_y = 0, hi_y = 0;
      for (std::size_t i = 0; i < v.size(); ++i) {
        lo_x = std::min<std::int64_t>(lo_x, v.dx_cm(i));
        hi_x = std::max<std::int64_t>(hi_x, v.dx_cm(i));
        lo_y = std::min<std::int64_t>(lo_y, v.dy_cm(i));
        hi_y = std::max<std::int64_t>(hi_y, v.dy_cm(i));
      }
      const std::int64_t sx = v.dx_cm(0), sy = v.dy_cm(0);
      if (lo_x - sx >= rel_min && hi_x - sx <= rel_max && lo_y - sy >= rel_min && hi_y - sy <= rel_max) {
        ox += sx;
        oy += sy;
      }
    }
    w.le(static_cast<std::uint32_t>(st.id.size()));
    w.bytes(st.id.data(), st.id.size());
    w.le(ox);
    w.le(oy);
    w.le(static_cast<std::uint64_t>(st.t.size()));
    w.le(static_cast<std::uint32_t>(st.epochs.size()));
    for (const auto& e : st.epochs) {
      w.le(e.high);
      w.le(e.first);
    }
    auto rebased = [&](const std::vector<std::int32_t>& col, std::int64_t shift) {
      if (shift == 0) {
        w.column(col);
        return;
      }
      constexpr std::size_t chunk = 1 << 16;
      for (std::size_t i = 0; i < col.size(); i += chunk) {
        const std::size_t e = std::min(col.size(), i + chunk);
        buf.resize(e - i);
        for (std::size_t k = i; k < e; ++k)
          buf[k - i] = pack((col[k] >> 4) - shift, static_cast<unsigned>(col[k]) & 15u);
        w.column(buf);
      }
    };
    rebased(st.x, ox - st.ox);
    rebased(st.y, oy - st.oy);
    w.column(st.t);
  }
  w.checksum();
  if (auto r = w.finish(); !r) return r;
  return f->commit();
}

bool trail_store::looks_like_store(const std::string& path) {
  detail::file_ptr f(std::fopen(path.c_str(), "rb"));
  if (!f) return false;
  char magic[8];
  return std::fread(magic, 1, 8, f.get()) == 8 && std::memcmp(magic, store_magic, 8) == 0;
}

result<trail_store> trail_store::load(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(errc::io_error, "cannot open the trail store: " + ec.message());
  detail::file_ptr f(std::fopen(path.c_str(), "rb"));
  if (!f) return make_error(errc::io_error, "cannot open the trail store");
  auto bad = [&](const std::string& what) { return make_error(errc::bad_store, what); };

  detail::store_reader r(f.get(), size);
  char magic[8];
  if (!r.bytes(magic, 8) || std::memcmp(magic, store_magic, 8) != 0)
    return r.io_failed() ? make_error(errc::io_error, "cannot read the trail store")
                         : bad("not a warden trail store (no WARDENTS magic)");
  std::uint32_t version = 0, reserved = 0;
  std::uint64_t total = 0, nsub = 0, nfix = 0;
  std::int64_t max_gap_ms = 0;
  std::uint32_t frame_len = 0;
  if (!r.le(version)) return bad("truncated in the header");
  if (version != store_version)
    return bad("trail store version " + std::to_string(version) + "; this build reads version " +
               std::to_string(store_version));
  if (!r.le(reserved) || !r.le(total)) return bad("truncated in the header");
  if (total != size)
    return bad(size < total ? "truncated: " + std::to_string(size) + " of " + std::to_string(total) + " bytes"
                            : "extended: " + std::to_string(size) + " bytes where " + std::to_string(total) +
                                  " were written");
  if (!r.le(nsub) || !r.le(nfix) || !r.le(max_gap_ms) || !r.le(frame_len) || frame_len > 4096)
    return bad("damaged header");
  std::string frame_desc(frame_len, '\0');
  if (!r.bytes(frame_desc.data(), frame_len)) return bad("damaged header");
  // Each subject needs at least 36 bytes: refuse counts the file cannot hold
  // before allocating for them.
  if (nsub > r.left() / 36) return bad("damaged header (subject count)");

  trail_store_options opt;
  opt.max_gap = milliseconds{max_gap_ms};
  trail_store store(opt);
  store.subjects_.reserve(static_cast<std::size_t>(nsub));
  std::uint64_t fixes = 0;
  for (std::uint64_t k = 0; k < nsub; ++k) {
    subject_trail st;
    std::uint32_t id_len = 0, ne = 0;
    std::uint64_t n = 0;
    if (!r.le(id_len) || id_len > r.left()) return bad("damaged subject record");
    st.id.resize(id_len);
    if (!r.bytes(st.id.data(), id_len) || !r.le(st.ox) || !r.le(st.oy) || !r.le(n) || !r.le(ne))
      return bad("damaged subject record");
    if (ne > r.left() / 8 || n > r.left() / 12) return bad("damaged subject record (counts)");
    st.epochs.resize(ne);
    for (auto& e : st.epochs)
      if (!r.le(e.high) || !r.le(e.first)) return bad("damaged subject record");
    if (!r.column(st.x, n) || !r.column(st.y, n) || !r.column(st.t, n)) return bad("damaged fix columns");
    fixes += n;
    store.subjects_.push_back(std::move(st));
  }
  const std::uint64_t expect = r.sum();
  std::uint64_t stored = 0;
  if (!r.le(stored) || r.left() != 0) return bad("damaged trailer");
  if (r.io_failed()) return make_error(errc::io_error, "cannot read the trail store");
  if (stored != expect) return bad("checksum mismatch: the file is damaged");

  // The checksum says the bytes are what was written; check that what was
  // written is a store this code could have made.
  if (fixes != nfix) return bad("inconsistent: fix count");
  if (max_gap_ms < 0) return bad("inconsistent: negative max_gap");
  const auto frame = detail::parse_frame(frame_desc);
  if (!frame) return bad("unknown frame '" + frame_desc + "'");
  store.frame_ = *frame;
  for (std::size_t s = 0; s < store.subjects_.size(); ++s) {
    const subject_trail& st = store.subjects_[s];
    if (st.id.empty() || (s > 0 && !(store.subjects_[s - 1].id < st.id)))
      return bad("inconsistent: subject ids not unique and sorted");
    const std::size_t n = st.t.size();
    if ((n == 0) != st.epochs.empty() || (n > 0 && st.epochs[0].first != 0))
      return bad("inconsistent: time table of '" + st.id + "'");
    for (std::size_t e = 1; e < st.epochs.size(); ++e)
      if (st.epochs[e].high <= st.epochs[e - 1].high || st.epochs[e].first <= st.epochs[e - 1].first ||
          st.epochs[e].first >= n)
        return bad("inconsistent: time table of '" + st.id + "'");
    // append() refuses positions beyond 1e13 m, so no fix of a store this
    // code made lies farther out; a fix that does would move the origin out
    // of range when the store is saved again (found by fuzzing).
    if (std::llabs(st.ox) > max_abs_cm || std::llabs(st.oy) > max_abs_cm)
      return bad("inconsistent: origin of '" + st.id + "'");
    const trail_view v = store.view(static_cast<subject_index>(s));
    for (std::size_t i = 0; i < n; ++i)
      if (std::llabs(v.x_cm(i)) > max_abs_cm || std::llabs(v.y_cm(i)) > max_abs_cm)
        return bad("inconsistent: a fix of '" + st.id + "' lies outside any frame");
    for (std::size_t i = 1; i < n; ++i) {
      const auto a = std::make_tuple(v.time_ms(i - 1), v.x_cm(i - 1), v.y_cm(i - 1), v.accuracy_code(i - 1));
      const auto b = std::make_tuple(v.time_ms(i), v.x_cm(i), v.y_cm(i), v.accuracy_code(i));
      if (!(a < b)) return bad("inconsistent: fixes of '" + st.id + "' out of order");
    }
    store.by_id_.emplace(st.id, static_cast<subject_index>(s));
  }
  store.fixes_ = fixes;
  store.generation_ = 1;
  return store;
}

}  // namespace warden
