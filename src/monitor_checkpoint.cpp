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

#include <warden/detail/atomic_file.hpp>
#include <warden/detail/checksum.hpp>

#include <cerrno>
#include <cmath>
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
// 2: issue-6 state (device, unmonitored, proximity links; episode fields).
// 3: 20-byte evidence fixes; link_state pending ring and active flag.
// 4: history records carry what the victim device's motion filter decided
//    (hrec::pad1, victim_usable): a version-3 history would have no victim
//    positions at all.
constexpr std::uint32_t checkpoint_version = 4;

// What the engine assumes of a record it merged (push_fix and push_event
// validate on the way in): a restored record must satisfy the same, or
// process() would meet a position lat_lon refuses. `merged` is false for the
// live state's held/last records, which are zero until a fix is seen.
bool record_ok(const hrec& h, double max_accuracy_m, bool merged) noexcept {
  if (h.kind > 1 || h.pad0 > 1) return false;
  if (merged && (h.t_ms < to_epoch_ms(min_instant()) || h.t_ms >= to_epoch_ms(max_instant()))) return false;
  if (h.kind == 1) return h.code < device_event_type_count;
  if (h.lat_e7 < -900'000'000 || h.lat_e7 > 900'000'000 || h.lon_e7 < -1'800'000'000 || h.lon_e7 > 1'800'000'000)
    return false;
  if (h.code > static_cast<std::uint8_t>(fix_source::wifi)) return false;
  const double acc = static_cast<double>(h.accuracy_m);
  if (!std::isfinite(acc) || acc < 0 || acc > max_accuracy_m) return false;
  return !merged || acc > 0;
}

// The payload checksum; shared with the fuzz target that frames payloads.
std::uint64_t fnv1a(std::string_view s) noexcept { return fnv1a64(s); }

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
  template <class V>
  void vec(const V& v) {
    using T = typename V::value_type;
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
  w.raw(L.rf_in_range);
  w.raw(L.charging);
  w.raw(L.has_fix);
  w.raw(L.explained);
  w.raw(L.last_fix_ms);
  w.raw(L.unexplained_ms);
  w.raw(L.last_fix);
  w.vec(L.aux);
  w.vec(L.prox);
  w.vec(L.link_st);
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
  L.rf_in_range = r.raw<std::uint8_t>();
  L.charging = r.raw<std::uint8_t>();
  L.has_fix = r.raw<std::uint8_t>();
  L.explained = r.raw<std::uint8_t>();
  L.last_fix_ms = r.raw<std::int64_t>();
  L.unexplained_ms = r.raw<std::int64_t>();
  L.last_fix = r.raw<hrec>();
  L.aux = r.vec<aux_state>();
  L.prox = r.vec<aux_state>();
  L.link_st = r.vec<link_state>();
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
    w.raw(s.max_fix_ms);
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
  auto old_lv = link_victim, old_ls = link_subject, old_lslot = link_slot;
  std::fill(link_victim.begin(), link_victim.end(), UINT32_MAX);
  std::fill(link_subject.begin(), link_subject.end(), UINT32_MAX);
  std::fill(link_slot.begin(), link_slot.end(), UINT32_MAX);
  auto old_ld = link_decided;
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
    link_victim = std::move(old_lv);
    link_subject = std::move(old_ls);
    link_slot = std::move(old_lslot);
    link_decided = std::move(old_ld);
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
    if (!std::equal(zs.begin(), zs.end(), s.zones.begin(), s.zones.end()) ||
        !std::equal(ps.begin(), ps.end(), s.params.begin(), s.params.end()))
      return fail("subject " + id + " has different orders in the checkpoint");
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
    s.max_fix_ms = r.raw<std::int64_t>();
    s.set_aside = get_counts(r);
    if (!r.ok) break;
    const std::size_t nslots = s.zones.size();
    const std::size_t naux = s.victim_device ? 0 : aux_links + 2 * s.links.size();
    const std::size_t nlinks = s.victim_device ? 0 : s.links.size();
    const std::size_t ndev = s.victim_device ? 0 : std::size_t{aux_links};
    auto state_ok = [&](const subject_live& L) {
      if (L.slots.size() != nslots || (!L.aux.empty() && L.aux.size() != ndev) ||
          (!L.prox.empty() && L.prox.size() != 2 * nlinks) || L.link_st.size() != nlinks)
        return false;
      if (!record_ok(L.held, cfg.max_accuracy_m, false) || !record_ok(L.last, cfg.max_accuracy_m, false) ||
          !record_ok(L.last_fix, cfg.max_accuracy_m, false))
        return false;
      for (const slot_state& sl : L.slots)
        if (sl.cur.n_ev > max_evidence || sl.pub.n_ev > max_evidence || sl.ev_mark > max_evidence) return false;
      // Indices that the engine uses without checking: a checkpoint with a
      // valid checksum but foreign content must not reach them.
      auto reach_ok = [&](const episode& e) {
        if (e.n_reach > e.reach.size()) return false;
        for (std::size_t q = 0; q < e.n_reach; ++q) {
          const std::uint16_t w = e.reach[q];
          if ((w & 0x8000u) ? (w & 0x7fffu) >= nlinks : w >= nslots) return false;
        }
        return true;
      };
      for (const std::vector<aux_state>* v : {&L.aux, &L.prox})
        for (const aux_state& x : *v)
          if (x.cur.n_ev > max_evidence || x.pub.n_ev > max_evidence || x.ev_mark > max_evidence ||
              static_cast<std::uint8_t>(x.ph) > 2 || !reach_ok(x.cur) || !reach_ok(x.pub))
            return false;
      for (std::size_t j = 0; j < L.link_st.size(); ++j) {
        const link_state& ls = L.link_st[j];
        if (ls.n_pending > max_pending_samples || ls.pend_head >= max_pending_samples || ls.proj_next > 1 ||
            ls.active > 1)
          return false;
        // The engine skips the tier states of an inactive link.
        if (!ls.active && !L.prox.empty() &&
            (L.prox[2 * j].ph != phase::clear || L.prox[2 * j + 1].ph != phase::clear))
          return false;
      }
      return true;
    };
    bool shape_ok = state_ok(s.live) && !s.snaps.empty();
    // The history as merge() keeps it: valid records, strictly ascending.
    for (std::size_t j = 0; j < s.history.size() && shape_ok; ++j)
      shape_ok = record_ok(s.history[j], cfg.max_accuracy_m, true) && (j == 0 || s.history[j - 1] < s.history[j]);
    for (const snapshot& sn : s.snaps) shape_ok = shape_ok && state_ok(sn.state);
    for (const published& p : s.pubs) shape_ok = shape_ok && p.slot < nslots + naux && p.ep.n_ev <= max_evidence;
    if (!shape_ok) return fail("subject " + id + ": inconsistent state in the checkpoint");
  }
  if (!r.ok) return fail("checkpoint payload truncated");
  if (r.pos != payload.size()) return fail("checkpoint payload has trailing bytes");
  std::fill(link_decided.begin(), link_decided.end(), dawn_ms);
  for (const subject& s : subjects)
    for (std::size_t j = 0; j < s.links.size(); ++j) {
      std::int64_t d = s.live.link_st[j].decided_ms;
      for (const snapshot& sn : s.snaps) d = std::max(d, sn.state.link_st[j].decided_ms);
      link_decided[s.links[j]] = d;
    }
  std::fill(link_victim_fix_ms.begin(), link_victim_fix_ms.end(), dawn_ms);
  for (const subject& s : subjects) {
    // As push_fix sets it: not past a fix the victim's filter still holds.
    const std::int64_t known =
        s.live.filter.holding() ? std::min(s.max_fix_ms, s.live.has_last ? s.live.last.t_ms : dawn_ms) : s.max_fix_ms;
    for (const std::uint32_t li : s.victim_of) link_victim_fix_ms[li] = known;
  }
  if (app_data) *app_data = std::move(app);
  return {};
}

}  // namespace detail

std::string monitor::checkpoint_bytes(std::string_view app_data) const { return impl_->serialize(app_data); }

result<void> monitor::checkpoint(const std::string& path, std::string_view app_data) const {
  return detail::write_file_atomic(path, impl_->serialize(app_data));
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
