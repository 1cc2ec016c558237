// Checkpoint and restore of the whole monitoring engine state
// (warden/monitor.hpp).
//
// File layout (little-endian, as the machine writes it; a checkpoint is for
// the same build on the same kind of machine):
//   8 bytes  magic "WRDNCKPT"
//   u32      format version (checkpoint_version)
//   u64      fingerprint of zones and decision-relevant configuration
//   u64      payload length
//   payload
//   u64      FNV-1a 64 of the payload
#include "monitor_internal.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace warden {
namespace detail {
namespace {

constexpr char magic[8] = {'W', 'R', 'D', 'N', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t checkpoint_version = 1;

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

struct writer {
  std::string out;
  template <class T>
  void raw(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(std::string_view s) {
    raw(static_cast<std::uint64_t>(s.size()));
    out.append(s);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    raw(static_cast<std::uint64_t>(v.size()));
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
};

struct reader {
  std::string_view in;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  T raw() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!ok || in.size() - pos < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::uint64_t count(std::size_t elem_size) {
    const auto n = raw<std::uint64_t>();
    if (!ok || elem_size == 0 || n > (in.size() - pos) / elem_size) {
      ok = false;
      return 0;
    }
    return n;
  }
  std::string str() {
    const auto n = count(1);
    if (!ok) return {};
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  template <class T>
  std::vector<T> vec() {
    const auto n = count(sizeof(T));
    std::vector<T> v(n);
    if (!ok) return {};
    if (n) std::memcpy(v.data(), in.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
    return v;
  }
};

void put_live(writer& w, const subject_live& L) {
  w.raw(L.clock_ms);
  w.raw(L.next_snapshot_ms);
  w.raw(L.next_timer_ms);
  w.raw(L.filter.save());
  w.raw(L.held);
  w.raw(L.last);
  w.raw(L.last_xy.x_m);
  w.raw(L.last_xy.y_m);
  w.raw(L.last_acc_m);
  w.raw(L.rejected_total);
  w.raw(L.has_last);
  w.vec(L.slots);
}

subject_live get_live(reader& r) {
  subject_live L;
  L.clock_ms = r.raw<std::int64_t>();
  L.next_snapshot_ms = r.raw<std::int64_t>();
  L.next_timer_ms = r.raw<std::int64_t>();
  L.filter.load(r.raw<motion_filter::raw_state>());
  L.held = r.raw<hrec>();
  L.last = r.raw<hrec>();
  L.last_xy.x_m = r.raw<double>();
  L.last_xy.y_m = r.raw<double>();
  L.last_acc_m = r.raw<double>();
  L.rejected_total = r.raw<std::uint32_t>();
  L.has_last = r.raw<std::uint8_t>();
  L.slots = r.vec<slot_state>();
  return L;
}

void put_counts(writer& w, const std::map<errc, std::uint64_t>& m) {
  w.raw(static_cast<std::uint64_t>(m.size()));
  for (const auto& [k, v] : m) {
    w.raw(static_cast<std::uint16_t>(k));
    w.raw(v);
  }
}
std::map<errc, std::uint64_t> get_counts(reader& r) {
  std::map<errc, std::uint64_t> m;
  const auto n = r.count(10);
  for (std::uint64_t i = 0; i < n && r.ok; ++i) {
    const auto k = static_cast<errc>(r.raw<std::uint16_t>());
    m[k] = r.raw<std::uint64_t>();
  }
  return m;
}

}  // namespace

std::string monitor_impl::serialize(std::string_view app_data) const {
  writer w;
  w.str(app_data);
  w.raw(watermark_ms);
  w.raw(max_time_ms);
  w.raw(counters.fixes);
  w.raw(counters.device_events);
  w.raw(counters.merged);
  w.raw(counters.late_merged);
  w.raw(counters.replays);
  w.raw(counters.motion_rejected);
  put_counts(w, counters.set_aside);
  w.raw(static_cast<std::uint64_t>(counters.alerts.size()));
  for (const auto& [k, v] : counters.alerts) {
    w.raw(static_cast<std::uint8_t>(k.first));
    w.raw(static_cast<std::uint8_t>(k.second));
    w.raw(v);
  }
  w.raw(static_cast<std::uint64_t>(subjects.size()));
  for (const subject& s : subjects) {
    w.str(s.id);
    w.vec(s.zones);
    w.vec(s.params);
    put_live(w, s.live);
    w.vec(s.history);
    w.raw(static_cast<std::uint64_t>(s.snaps.size()));
    for (const snapshot& sn : s.snaps) {
      w.raw(sn.t_ms);
      put_live(w, sn.state);
    }
    w.raw(static_cast<std::uint64_t>(s.pubs.size()));
    for (const published& p : s.pubs) {
      w.raw(p.slot);
      w.raw(static_cast<std::uint8_t>(p.rule));
      w.raw(static_cast<std::uint8_t>(p.open ? 1 : 0));
      w.raw(p.last_decided_ms);
      w.raw(p.ep);
    }
    w.raw(s.dirty_from);
    w.raw(s.max_time_ms);
    put_counts(w, s.set_aside);
  }
  std::string file(magic, sizeof magic);
  writer h;
  h.raw(checkpoint_version);
  h.raw(fingerprint);
  h.raw(static_cast<std::uint64_t>(w.out.size()));
  file += h.out;
  file += w.out;
  writer c;
  c.raw(fnv1a(w.out));
  file += c.out;
  return file;
}

result<void> monitor_impl::deserialize(std::string_view bytes, std::string* app_data) {
  auto bad = [](std::string msg) { return make_error(errc::bad_checkpoint, std::move(msg)); };
  if (bytes.size() < sizeof magic + 4 + 8 + 8 + 8) return bad("checkpoint truncated (header)");
  if (std::memcmp(bytes.data(), magic, sizeof magic) != 0) return bad("not a warden checkpoint");
  reader hr{bytes.substr(sizeof magic)};
  const auto ver = hr.raw<std::uint32_t>();
  const auto fp = hr.raw<std::uint64_t>();
  const auto len = hr.raw<std::uint64_t>();
  if (ver != checkpoint_version)
    return bad("checkpoint format version " + std::to_string(ver) + ", this build reads " +
               std::to_string(checkpoint_version));
  const std::size_t head = sizeof magic + 4 + 8 + 8;
  if (len > bytes.size() - head || bytes.size() - head - len != 8) return bad("checkpoint truncated or padded");
  const std::string_view payload = bytes.substr(head, len);
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + head + len, 8);
  if (sum != fnv1a(payload)) return bad("checkpoint checksum mismatch (corrupted)");
  if (fp != fingerprint) return bad("checkpoint was written with different zones or configuration");

  // Build the new state aside; commit only when all of it read.
  std::vector<subject> old_subjects = std::move(subjects);
  auto old_index = std::move(index);
  auto old_params = std::move(params);
  auto old_table = std::move(table);
  monitor_counters old_counters = counters;
  const std::int64_t old_wm = watermark_ms, old_max = max_time_ms;
  subjects.clear();
  index.clear();
  params.clear();
  table.clear();
  auto fail = [&](std::string msg) {
    subjects = std::move(old_subjects);
    index = std::move(old_index);
    params = std::move(old_params);
    table = std::move(old_table);
    counters = old_counters;
    watermark_ms = old_wm;
    max_time_ms = old_max;
    return bad(std::move(msg));
  };

  reader r{payload};
  std::string app = r.str();
  watermark_ms = r.raw<std::int64_t>();
  max_time_ms = r.raw<std::int64_t>();
  counters = monitor_counters{};
  counters.fixes = r.raw<std::uint64_t>();
  counters.device_events = r.raw<std::uint64_t>();
  counters.merged = r.raw<std::uint64_t>();
  counters.late_merged = r.raw<std::uint64_t>();
  counters.replays = r.raw<std::uint64_t>();
  counters.motion_rejected = r.raw<std::uint64_t>();
  counters.set_aside = get_counts(r);
  const auto na = r.count(10);
  for (std::uint64_t i = 0; i < na && r.ok; ++i) {
    const auto t = r.raw<std::uint8_t>();
    const auto k = r.raw<std::uint8_t>();
    counters.alerts[{static_cast<alert_type>(t), static_cast<alert_event_kind>(k)}] = r.raw<std::uint64_t>();
  }
  const auto ns = r.count(8);
  for (std::uint64_t i = 0; i < ns && r.ok; ++i) {
    const std::string id = r.str();
    if (!r.ok) break;
    if (index.count(id)) return fail("checkpoint names subject " + id + " twice");
    subject& s = subject_for(id);
    const auto zs = r.vec<std::uint32_t>();
    const auto ps = r.vec<std::uint16_t>();
    if (!r.ok) break;
    if (zs != s.zones || ps != s.params) return fail("subject " + id + " has different orders in the checkpoint");
    s.live = get_live(r);
    s.history = r.vec<hrec>();
    const auto nsn = r.count(8);
    s.snaps.clear();
    for (std::uint64_t j = 0; j < nsn && r.ok; ++j) {
      const auto t = r.raw<std::int64_t>();
      s.snaps.push_back({t, get_live(r)});
    }
    const auto np = r.count(4 + 1 + 1 + 8 + sizeof(episode));
    s.pubs.clear();
    for (std::uint64_t j = 0; j < np && r.ok; ++j) {
      published p;
      p.slot = r.raw<std::uint32_t>();
      p.rule = static_cast<alert_rule>(r.raw<std::uint8_t>());
      p.open = r.raw<std::uint8_t>() != 0;
      p.last_decided_ms = r.raw<std::int64_t>();
      p.ep = r.raw<episode>();
      s.pubs.push_back(p);
    }
    s.dirty_from = r.raw<std::int64_t>();
    s.max_time_ms = r.raw<std::int64_t>();
    s.set_aside = get_counts(r);
    if (!r.ok) break;
    const std::size_t nslots = s.zones.size();
    bool shape_ok = s.live.slots.size() == nslots && !s.snaps.empty();
    for (const snapshot& sn : s.snaps) shape_ok = shape_ok && sn.state.slots.size() == nslots;
    for (const published& p : s.pubs) shape_ok = shape_ok && p.slot < nslots && p.ep.n_ev <= max_evidence;
    for (const slot_state& sl : s.live.slots) shape_ok = shape_ok && sl.cur.n_ev <= max_evidence && sl.pub.n_ev <= max_evidence;
    if (!shape_ok) return fail("subject " + id + ": inconsistent state in the checkpoint");
  }
  if (!r.ok) return fail("checkpoint payload truncated");
  if (r.pos != payload.size()) return fail("checkpoint payload has trailing bytes");
  if (app_data) *app_data = std::move(app);
  return {};
}

}  // namespace detail

std::string monitor::checkpoint_bytes(std::string_view app_data) const { return impl_->serialize(app_data); }

result<void> monitor::checkpoint(const std::string& path, std::string_view app_data) const {
  const std::string bytes = impl_->serialize(app_data);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errc::io_error, "cannot create " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string msg = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(errc::io_error, "cannot write " + tmp + ": " + msg);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error(errc::io_error, "cannot sync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string msg = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(errc::io_error, "cannot rename " + tmp + " to " + path + ": " + msg);
  }
  // Make the rename itself durable.
  std::string dir = path;
  const auto slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : dir.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

result<void> monitor::restore_bytes(std::string_view bytes, std::string* app_data) {
  return impl_->deserialize(bytes, app_data);
}

result<void> monitor::restore(const std::string& path, std::string* app_data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io_error, "cannot open checkpoint " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(errc::io_error, "cannot read checkpoint " + path);
  auto r = impl_->deserialize(ss.str(), app_data);
  if (!r) return make_error(r.code(), path + ": " + r.err().message);
  return {};
}

}  // namespace warden
