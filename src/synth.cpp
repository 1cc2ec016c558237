// The scenario generator's simulation loop and its output files
// (warden/synth.hpp). Subjects advance together through short time slices;
// rows stream out through small ordered queues.
#include "synth_model.hpp"

#include <warden/alert.hpp>
#include <warden/readers.hpp>
#include <warden/version.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <queue>
#include <tuple>

namespace warden {
namespace detail::synth {
namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t slice_ms = 120'000;
constexpr double acc95_per_sigma = 2.4477468306808161;  // sqrt(-2 ln 0.05): the 95% radius of a 2-D normal

// A buffered output file; rows are appended to buf() and flushed in blocks.
class out_file {
 public:
  out_file() = default;
  out_file(const out_file&) = delete;
  out_file& operator=(const out_file&) = delete;
  ~out_file() {
    if (f_) std::fclose(f_);
  }
  result<void> open(const std::string& path) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) return make_error(errc::io_error, "cannot create '" + path + "': " + std::strerror(errno));
    buf_.reserve(1 << 20);
    return {};
  }
  std::string& buf() noexcept { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1u << 20)) flush();
  }
  void flush() {
    if (!buf_.empty() && f_ && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) failed_ = true;
    buf_.clear();
  }
  result<void> close() {
    flush();
    if (f_ && std::fclose(f_) != 0) failed_ = true;
    f_ = nullptr;
    if (failed_) return make_error(errc::io_error, "cannot write '" + path_ + "'");
    return {};
  }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  std::string buf_;
  bool failed_ = false;
};

struct pending_fix {
  std::int64_t received, time;
  double lat, lon;
  std::uint32_t ekey;
  float accuracy_m;
  std::uint8_t source;
  std::uint8_t dup;
};
struct fix_after {
  bool operator()(const pending_fix& a, const pending_fix& b) const noexcept {
    return std::tie(a.received, a.ekey, a.time, a.dup) > std::tie(b.received, b.ekey, b.time, b.dup);
  }
};

struct pending_event {
  std::int64_t time;
  std::uint32_t ekey;
  std::uint64_t seq;
  device_event_type type;
};

struct truth_row {
  std::int64_t start, end;
  std::uint32_t subject;
  truth_type type;
  std::uint32_t zone = UINT32_MAX;
  int victim = -1;
  double depth_m = -1;         // < 0: none
  double min_distance_m = -1;  // < 0: none
  auto key() const noexcept { return std::tie(start, subject, type, zone, victim, end); }
};
struct truth_after {
  bool operator()(const truth_row& a, const truth_row& b) const noexcept { return a.key() > b.key(); }
};

class simulator {
 public:
  simulator(context& c, synth_observer* obs, const std::string& dir) : c_(c), p_(c.p), obs_(obs), dir_(dir) {}

  result<synth_summary> run();

 private:
  // --- files
  result<void> open_all();
  result<void> write_zones();
  result<void> write_links();
  result<void> write_crimes();
  result<void> write_scenario();
  std::string path(const char* name) const { return (std::filesystem::path(dir_) / name).string(); }

  // --- simulation
  void simulate_slice(subject& s, std::int64_t s0, std::int64_t s1);
  void device_step(subject& s, std::int64_t t);
  void gap_step(entity& e, subject* subj, std::int64_t t);
  void start_gap(entity& e, subject* subj, gap_kind k, std::int64_t t, std::int64_t end, bool injected);
  void end_gap(entity& e, subject* subj, std::int64_t t, bool silent);
  void battery_step(subject& s, std::int64_t t);
  void truth_step(subject& s, std::int64_t t);
  void crime_step(subject& s, std::int64_t t);
  void make_fix(entity& e, subject* subj, std::int64_t tf, std::int64_t t);
  void push_fix(const pending_fix& f);
  void event(const subject& s, std::int64_t t, device_event_type type) {
    slice_events_.push_back({t, s.ekey, event_seq_++, type});
    ++event_counts_[static_cast<int>(type)];
  }
  void emit_truth(truth_row row) {
    ++truth_counts_[static_cast<int>(row.type)];
    truth_.push(row);
  }
  void close_everything(subject& s, std::int64_t t);
  std::int64_t min_open(const subject& s) const;
  void flush_fixes(std::int64_t before);
  void flush_events();
  void flush_truth(std::int64_t before);
  std::string_view entity_id(std::uint32_t ekey) const {
    const subject& s = c_.subjects[ekey / 4];
    return ekey % 4 == 0 ? std::string_view(s.id) : std::string_view(s.victims[ekey % 4 - 1].id);
  }

  context& c_;
  const synth_params& p_;
  synth_observer* obs_;
  std::string dir_;
  out_file fixes_f_, events_f_, truth_f_, track_f_;
  std::priority_queue<pending_fix, std::vector<pending_fix>, fix_after> fixes_;  // arriving after the slice
  std::vector<pending_fix> slice_fixes_;  // arriving before slice_end_
  std::int64_t slice_end_ = 0;
  std::priority_queue<truth_row, std::vector<truth_row>, truth_after> truth_;
  std::vector<pending_event> slice_events_;
  std::uint64_t event_seq_ = 0;
  std::uint64_t event_counts_[device_event_type_count] = {};
  std::uint64_t truth_counts_[7] = {};
  synth_summary sum_;
};

// ---------------------------------------------------------------------------
// Device: gaps, battery, tamper, RF.

void simulator::start_gap(entity& e, subject* subj, gap_kind k, std::int64_t t, std::int64_t end, bool injected) {
  e.gap = k;
  e.gap_start = t;
  e.gap_end = end;
  e.gap_injected = injected;
  if (!subj) return;
  if (k == gap_kind::gps || k == gap_kind::gps_lbs) event(*subj, t, device_event_type::no_gps);
  if (k == gap_kind::off) event(*subj, t, device_event_type::device_offline);
}

void simulator::end_gap(entity& e, subject* subj, std::int64_t t, bool silent) {
  const gap_kind k = e.gap;
  e.gap = gap_kind::none;
  if (k == gap_kind::coverage) {
    // One burst, newest first, so the oldest buffered fix arrives last.
    const std::size_t n = e.held.size();
    for (std::size_t i = 0; i < n; ++i) {
      const held_fix& h = e.held[i];
      pending_fix f{t + 2000 + static_cast<std::int64_t>(n - 1 - i) * 40, h.time, h.lat, h.lon, e.ekey, h.accuracy_m,
                    h.source, 0};
      push_fix(f);
      if (h.dup) {
        f.received += static_cast<std::int64_t>(e.noise_rng.uniform(1, 300) * 1000);
        f.dup = 1;
        push_fix(f);
      }
    }
    e.held.clear();
  }
  if (!subj || silent) return;
  if (k == gap_kind::gps || k == gap_kind::gps_lbs) event(*subj, t, device_event_type::gps_ok);
  if (k == gap_kind::off) event(*subj, t, device_event_type::device_online);
}

void simulator::gap_step(entity& e, subject* subj, std::int64_t t) {
  if (e.gap != gap_kind::none && t >= e.gap_end) end_gap(e, subj, t, false);
  const bool flat = subj && subj->flat;
  if (t < e.next_gap) return;
  if (e.gap != gap_kind::none || flat) {
    // Not while another gap runs: the next one starts after it.
    const std::int64_t after = flat ? subj->flat_until : e.gap_end;
    if (e.next_gap < after) e.next_gap = after;
    return;
  }
  const synth_gps_model& m = p_.gps;
  const double rc = m.coverage_gaps_per_day, rg = m.gps_gaps_per_day, ro = subj ? m.off_gaps_per_day : 0;
  const double total = rc + rg + ro;
  rng& r = e.dev_rng;
  const double u = r.uniform() * total;
  gap_kind k;
  double dur_min;
  if (u < rc) {
    k = gap_kind::coverage;
    dur_min = r.chance(0.7) ? r.uniform(5, 60) : r.uniform(60, 360);
  } else if (u < rc + rg) {
    k = r.chance(0.5) ? gap_kind::gps_lbs : gap_kind::gps;
    dur_min = r.uniform(2, 40);
  } else {
    k = gap_kind::off;
    dur_min = r.uniform(5, 60);
  }
  const std::int64_t end = t + c_.ceil_step(static_cast<std::int64_t>(dur_min * 60'000.0));
  start_gap(e, subj, k, t, end, false);
  e.next_gap = c_.ceil_step(end + static_cast<std::int64_t>(r.exponential(86'400'000.0 / total)));
}

void simulator::battery_step(subject& s, std::int64_t t) {
  const synth_gps_model& m = p_.gps;
  auto stop_battery_episode = [&] {
    if (!s.battery_open) return;
    s.battery_open = false;
    emit_truth({s.battery_start, t, s.index, truth_type::battery});
  };
  while (!s.charge_sessions.empty() && s.charge_sessions.front().first <= t) {
    const auto [cs, ce] = s.charge_sessions.front();
    s.charge_sessions.erase(s.charge_sessions.begin());
    if (ce <= t || s.flat) continue;
    if (s.charging) {
      s.charging_until = std::max(s.charging_until, ce);
      continue;
    }
    s.charging = true;
    s.charging_until = ce;
    event(s, t, device_event_type::charging_start);
    stop_battery_episode();
  }
  if (s.flat && t >= s.flat_until) {
    s.flat = false;
    s.charging = true;
    s.charging_until = t + 90 * minute_ms;
    event(s, t, device_event_type::charging_start);
    event(s, t, device_event_type::device_online);
    stop_battery_episode();
  }
  if (s.charging && t >= s.charging_until) {
    s.charging = false;
    event(s, t, device_event_type::charging_end);
  }
  if (s.flat) return;
  const double step_h = static_cast<double>(c_.step_ms) / 3'600'000.0;
  const double prev = s.battery_pct;
  if (s.charging) {
    s.battery_pct = std::min(100.0, s.battery_pct + m.battery_charge_pct_per_min * step_h * 60.0);
    return;
  }
  s.battery_pct -= m.battery_drain_pct_per_h * step_h;
  if (prev > 20 && s.battery_pct <= 20) {
    event(s, t, device_event_type::battery_low);
    rng& r = s.dev_rng;
    if (r.chance(0.7) && t >= s.no_low_reaction_until) {
      const std::int64_t cs = t + c_.ceil_step(static_cast<std::int64_t>(r.uniform(30, 240) * 60'000.0));
      const std::pair<std::int64_t, std::int64_t> session{cs, cs + 90 * minute_ms};
      s.charge_sessions.insert(std::upper_bound(s.charge_sessions.begin(), s.charge_sessions.end(), session), session);
    }
  }
  if (prev > 5 && s.battery_pct <= 5) {
    event(s, t, device_event_type::battery_critical);
    if (!s.battery_open) {
      s.battery_open = true;
      s.battery_start = t;
    }
  }
  if (s.battery_pct <= 0) {
    s.battery_pct = 0;
    s.flat = true;
    s.flat_until = t + c_.ceil_step(static_cast<std::int64_t>(s.dev_rng.uniform(20, 180) * 60'000.0));
    if (s.gap == gap_kind::coverage) {
      s.gap_end = std::max(s.gap_end, s.flat_until);  // a dead device uploads nothing
    } else if (s.gap != gap_kind::none) {
      const bool was_off = s.gap == gap_kind::off;
      end_gap(s, &s, t, true);
      if (was_off) return;  // already reported offline
    }
    event(s, t, device_event_type::device_offline);
  }
}

void simulator::device_step(subject& s, std::int64_t t) {
  // Injected actions.
  while (!s.actions.empty() && s.actions.front().t0 <= t) {
    const device_action a = s.actions.front();
    s.actions.erase(s.actions.begin());
    if (a.kind == device_action::tamper) {
      if (s.tamper) continue;
      s.tamper = true;
      s.tamper_end = a.t1;
      event(s, t, device_event_type::strap_tamper);
      s.tamper_open = true;
      s.tamper_start = t;
      continue;
    }
    if (s.flat) continue;
    if (s.gap != gap_kind::none) end_gap(s, &s, t, false);
    start_gap(s, &s, a.kind == device_action::gap_off ? gap_kind::off : gap_kind::gps, t, a.t1, true);
  }
  gap_step(s, &s, t);
  if (s.tamper && t >= s.tamper_end) {
    s.tamper = false;
    event(s, t, device_event_type::strap_ok);
    s.tamper_open = false;
    emit_truth({s.tamper_start, t, s.index, truth_type::tamper});
  }
  battery_step(s, t);
  // The home unit sees the tag within its RF range (decided on the true position).
  const double rx = s.p_cur.x_m - s.home.x_m, ry = s.p_cur.y_m - s.home.y_m;
  const bool in = rx * rx + ry * ry <= s.rf_range_m * s.rf_range_m;
  if (t == c_.start_ms || in != s.rf_in)
    event(s, t, in ? device_event_type::rf_in_range : device_event_type::rf_out_of_range);
  s.rf_in = in;
}

// ---------------------------------------------------------------------------
// Truth.

void simulator::truth_step(subject& s, std::int64_t t) {
  const xy p = s.p_cur;
  for (std::uint32_t k = 0; k < s.zones.size(); ++k) {
    zone_ref& zr = s.zones[k];
    const zone_def& z = c_.zones[zr.zone];
    const bool active = z.kind != zone_kind::curfew_home ||
                        c_.variants[static_cast<std::size_t>(z.curfew_variant)].sched.is_active(from_epoch_ms(t));
    if (!active && !zr.open) continue;
    if (!zr.cache_valid || !(zr.cache_p == p)) {
      zr.cache_in = z.geom.covers(p);
      zr.cache_depth = -1;
      zr.cache_p = p;
      zr.cache_valid = true;
    }
    const bool keep_out = z.kind == zone_kind::exclusion || z.kind == zone_kind::victim_home;
    const bool breach = active && (keep_out ? zr.cache_in : !zr.cache_in);
    if (breach) {
      if (zr.cache_depth < 0) zr.cache_depth = z.geom.boundary_distance(p);
      const double depth = zr.cache_depth;
      if (!zr.open) {
        zr.open = true;
        zr.start = t;
        zr.extreme = depth;
      } else {
        zr.extreme = std::max(zr.extreme, depth);
      }
    } else if (zr.open) {
      zr.open = false;
      const truth_type type = keep_out ? truth_type::exclusion
                              : z.kind == zone_kind::inclusion ? truth_type::inclusion
                                                               : truth_type::curfew;
      emit_truth({zr.start, t, s.index, type, zr.zone, zr.victim == 0xff ? -1 : zr.victim, zr.extreme / s.k_home});
    }
  }
  for (std::uint32_t k = 0; k < s.victims.size(); ++k) {
    victim& v = s.victims[k];
    const double dx = p.x_m - v.p_cur.x_m, dy = p.y_m - v.p_cur.y_m;
    // Far outside the alert radius (the scale varies by well under 1%):
    // nothing to decide exactly.
    const double far = v.alert_m * s.k_home * 1.01 + 2.0;
    if (!v.prox_open && dx * dx + dy * dy > far * far) continue;
    const double d_frame = distance_m(p, v.p_cur);
    double kscale = s.k_home;
    // The scale varies by ~1e-4 across a county: look it up exactly near the threshold.
    if (v.prox_open || std::fabs(d_frame / kscale - v.alert_m) < 2.0 + 1e-3 * v.alert_m)
      kscale = c_.w.frame.scale_at(c_.w.frame.inverse(lerp(p, v.p_cur, 0.5)));
    const double ground = d_frame / kscale;
    if (ground <= v.alert_m) {
      if (!v.prox_open) {
        v.prox_open = true;
        v.prox_start = t;
        v.prox_min = ground;
      } else {
        v.prox_min = std::min(v.prox_min, ground);
      }
    } else if (v.prox_open) {
      v.prox_open = false;
      emit_truth({v.prox_start, t, s.index, truth_type::proximity, UINT32_MAX, static_cast<int>(k), -1, v.prox_min});
    }
  }
}

void simulator::crime_step(subject& s, std::int64_t t) {
  const std::int64_t key = crime_cell_key(s.p_cur);
  if (key != s.crime_cell || s.crime_grid_version != c_.crime_grid_version) {
    s.crime_cell = key;
    s.crime_grid_version = c_.crime_grid_version;
    s.crime_candidates.clear();
    const std::int64_t cx = key >> 32, cy = static_cast<std::int32_t>(key & 0xffffffff);
    for (std::int64_t dx = -1; dx <= 1; ++dx)
      for (std::int64_t dy = -1; dy <= 1; ++dy) {
        auto it = c_.crime_cells.find(((cx + dx) << 32) ^ ((cy + dy) & 0xffffffff));
        if (it == c_.crime_cells.end()) continue;
        for (std::uint32_t k : it->second)
          if (c_.crimes[k].to >= t) s.crime_candidates.push_back(k);
      }
  }
  const std::int64_t t1 = t + c_.step_ms;
  for (std::uint32_t k : s.crime_candidates) {
    const crime_rec& cr = c_.crimes[k];
    if (cr.to < t || cr.from > t1) continue;
    const double step = static_cast<double>(c_.step_ms);
    const double ua = std::max(0.0, static_cast<double>(cr.from - t) / step);
    const double ub = std::min(1.0, static_cast<double>(cr.to - t) / step);
    const xy a = lerp(s.p_cur, s.p_next, ua), b = lerp(s.p_cur, s.p_next, ub);
    double u = 0;
    const double d = segment_distance(cr.pos, a, b, &u);
    if (d > cr.radius_m * cr.k) continue;
    crime_hit& h = c_.crime_hits[{k, s.index}];
    if (d < h.min_frame_m) {
      h.min_frame_m = d;
      h.closest = t + static_cast<std::int64_t>(std::llround((ua + u * (ub - ua)) * step));
    }
  }
}

// ---------------------------------------------------------------------------
// Fixes.

void simulator::push_fix(const pending_fix& f) {
  // Most fixes arrive within the slice: sorting those once is cheaper than
  // sifting every one through the heap.
  if (f.received < slice_end_) slice_fixes_.push_back(f);
  else fixes_.push(f);
  sum_.peak_pending_fixes = std::max<std::uint64_t>(sum_.peak_pending_fixes, fixes_.size() + slice_fixes_.size());
}

void simulator::make_fix(entity& e, subject* subj, std::int64_t tf, std::int64_t t) {
  if ((subj && subj->flat) || e.gap == gap_kind::off) return;
  const std::int64_t slot = (tf - c_.start_ms - e.phase_ms) / c_.interval_ms;
  fix_source src = fix_source::gps;
  if (e.gap == gap_kind::gps) return;
  if (e.gap == gap_kind::gps_lbs) {
    if (slot % 5 != 0) return;
    src = fix_source::lbs;
  }
  const synth_gps_model& m = p_.gps;
  rng& r = e.noise_rng;
  const bool at_home = e.p_cur == e.home && e.p_next == e.home;
  if (src == fix_source::gps && at_home && r.chance(0.02)) src = fix_source::wifi;

  const double f = static_cast<double>(tf - t) / static_cast<double>(c_.step_ms);
  const xy truth = lerp(e.p_cur, e.p_next, f);
  double sigma = e.sigma_m, acc = 0;
  bool outlier = false, wrong = false;
  xy off{r.normal(), r.normal()};
  if (src == fix_source::gps) {
    off = off * sigma;
    acc = acc95_per_sigma * sigma * std::exp(0.15 * r.normal());
    if (r.chance(m.outlier_probability)) {
      outlier = true;
      const double dist = r.uniform(m.outlier_min_m, m.outlier_max_m);
      off = off + r.direction() * dist;
      if (!r.chance(m.outlier_good_accuracy_share)) acc = dist * r.uniform(1.0, 1.5);
    }
    if (r.chance(m.wrong_accuracy_probability)) {
      wrong = true;
      acc *= r.chance(0.5) ? r.uniform(2.5, 6) : r.uniform(0.15, 0.5);
    }
  } else {
    acc = src == fix_source::wifi ? r.uniform(15, 40) : r.uniform(300, 1500);
    sigma = acc / acc95_per_sigma;
    off = off * sigma;
  }
  acc = std::max(1.0, std::round(acc * 10) / 10);
  const lat_lon ll = c_.w.frame.inverse(truth + off);
  const bool dup = r.chance(m.duplicate_probability);
  const bool buffered = e.gap == gap_kind::coverage;
  const std::int64_t received = tf + 1000 + static_cast<std::int64_t>(r.exponential(m.latency_mean_s * 1000.0));
  const auto acc_f = static_cast<float>(acc);
  const auto src_u = static_cast<std::uint8_t>(src);

  sum_.outliers += outlier;
  sum_.duplicates += dup;
  sum_.buffered += buffered;
  if (buffered) {
    e.held.push_back({tf, ll.lat_deg(), ll.lon_deg(), acc_f, src_u, dup});
  } else {
    pending_fix pf{received, tf, ll.lat_deg(), ll.lon_deg(), e.ekey, acc_f, src_u, 0};
    push_fix(pf);
    if (dup) {
      pf.received += static_cast<std::int64_t>(r.uniform(1, 300) * 1000);
      pf.dup = 1;
      push_fix(pf);
    }
  }
  if (subj) {
    if (tf - subj->last_fix > static_cast<std::int64_t>(p_.unmonitored_after_s) * 1000)
      emit_truth({subj->last_fix, tf, subj->index, truth_type::unmonitored});
    subj->last_fix = tf;
  }
  if (obs_) {
    synth_fix_info info;
    info.entity_id = e.id;
    info.victim = subj == nullptr;
    info.time = from_epoch_ms(tf);
    info.received = from_epoch_ms(buffered ? 0 : received);  // buffered: decided when coverage returns
    info.reported = ll;
    info.true_pos = truth;
    info.accuracy_m = acc_f;
    info.source = src;
    info.sigma_m = sigma;
    info.outlier = outlier;
    info.wrong_accuracy = wrong;
    info.buffered = buffered;
    obs_->on_fix(info);
    if (dup) {
      info.duplicate = true;
      obs_->on_fix(info);
    }
  }
}

void simulator::simulate_slice(subject& s, std::int64_t s0, std::int64_t s1) {
  for (std::int64_t t = s0; t < s1; t += c_.step_ms) {
    s.p_cur = s.tr.at(t);
    s.p_next = s.tr.at(t + c_.step_ms);
    for (victim& v : s.victims) {
      v.p_cur = v.tr.at(t);
      v.p_next = v.tr.at(t + c_.step_ms);
    }
    if (obs_ || p_.write_true_track) {
      auto track = [&](const entity& e) {
        if (obs_) obs_->on_true_position(e.id, from_epoch_ms(t), e.p_cur);
        if (!p_.write_true_track) return;
        std::string& o = track_f_.buf();
        o += e.id;
        o += ',';
        append_instant(o, from_epoch_ms(t));
        o += ',';
        append_decimal(o, e.p_cur.x_m, 3);
        o += ',';
        append_decimal(o, e.p_cur.y_m, 3);
        const lat_lon ll = c_.w.frame.inverse(e.p_cur);
        o += ',';
        append_decimal(o, ll.lat_deg(), 8);
        o += ',';
        append_decimal(o, ll.lon_deg(), 8);
        o += '\n';
      };
      track(s);
      for (const victim& v : s.victims) track(v);
      track_f_.maybe_flush();
    }
    device_step(s, t);
    for (victim& v : s.victims) gap_step(v, nullptr, t);
    truth_step(s, t);
    crime_step(s, t);
    const std::int64_t t_next = t + c_.step_ms;
    for (; s.next_fix < t_next && s.next_fix < c_.end_ms; s.next_fix += c_.interval_ms) make_fix(s, &s, s.next_fix, t);
    for (victim& v : s.victims)
      for (; v.next_fix < t_next && v.next_fix < c_.end_ms; v.next_fix += c_.interval_ms)
        make_fix(v, nullptr, v.next_fix, t);
  }
}

std::int64_t simulator::min_open(const subject& s) const {
  std::int64_t m = s.last_fix;
  for (const zone_ref& zr : s.zones)
    if (zr.open) m = std::min(m, zr.start);
  for (const victim& v : s.victims)
    if (v.prox_open) m = std::min(m, v.prox_start);
  if (s.tamper_open) m = std::min(m, s.tamper_start);
  if (s.battery_open) m = std::min(m, s.battery_start);
  return m;
}

void simulator::close_everything(subject& s, std::int64_t t) {
  for (zone_ref& zr : s.zones) {
    if (!zr.open) continue;
    zr.open = false;
    const zone_kind kind = c_.zones[zr.zone].kind;
    const truth_type type = kind == zone_kind::inclusion     ? truth_type::inclusion
                            : kind == zone_kind::curfew_home ? truth_type::curfew
                                                             : truth_type::exclusion;
    emit_truth({zr.start, t, s.index, type, zr.zone, zr.victim == 0xff ? -1 : zr.victim, zr.extreme / s.k_home});
  }
  for (std::uint32_t k = 0; k < s.victims.size(); ++k) {
    victim& v = s.victims[k];
    if (!v.prox_open) continue;
    v.prox_open = false;
    emit_truth({v.prox_start, t, s.index, truth_type::proximity, UINT32_MAX, static_cast<int>(k), -1, v.prox_min});
  }
  if (s.tamper_open) emit_truth({s.tamper_start, t, s.index, truth_type::tamper});
  if (s.battery_open) emit_truth({s.battery_start, t, s.index, truth_type::battery});
  s.tamper_open = s.battery_open = false;
  if (t - s.last_fix > static_cast<std::int64_t>(p_.unmonitored_after_s) * 1000)
    emit_truth({s.last_fix, t, s.index, truth_type::unmonitored});
  s.last_fix = t;
  // Fixes still held by a coverage gap go up when it ends, after the scenario.
  if (s.gap == gap_kind::coverage) end_gap(s, &s, s.gap_end, true);
  for (victim& v : s.victims)
    if (v.gap == gap_kind::coverage) end_gap(v, nullptr, v.gap_end, true);
}

// ---------------------------------------------------------------------------
// Output.

void simulator::flush_fixes(std::int64_t before) {
  std::string& o = fixes_f_.buf();
  const fix_after after;
  std::sort(slice_fixes_.begin(), slice_fixes_.end(), [&](const pending_fix& a, const pending_fix& b) { return after(b, a); });
  std::size_t next = 0;
  for (;;) {
    const bool heap_ok = !fixes_.empty() && fixes_.top().received < before;
    const bool vec_ok = next < slice_fixes_.size() && slice_fixes_[next].received < before;
    if (!heap_ok && !vec_ok) break;
    const bool from_heap = heap_ok && (!vec_ok || after(slice_fixes_[next], fixes_.top()));
    const pending_fix pf = from_heap ? fixes_.top() : slice_fixes_[next];
    if (from_heap) fixes_.pop();
    else ++next;
    fix f;
    f.subject_id = entity_id(pf.ekey);
    f.time = from_epoch_ms(pf.time);
    f.pos = lat_lon::from_degrees(pf.lat, pf.lon).value();
    f.accuracy_m = pf.accuracy_m;
    f.source = static_cast<fix_source>(pf.source);
    f.received = from_epoch_ms(pf.received);
    append_csv_row(o, f);
    ++sum_.fixes;
    if (pf.ekey % 4 != 0) ++sum_.victim_fixes;
    fixes_f_.maybe_flush();
  }
  for (; next < slice_fixes_.size(); ++next) fixes_.push(slice_fixes_[next]);
  slice_fixes_.clear();
}

void simulator::flush_events() {
  std::sort(slice_events_.begin(), slice_events_.end(), [](const pending_event& a, const pending_event& b) {
    return std::tie(a.time, a.ekey, a.seq) < std::tie(b.time, b.ekey, b.seq);
  });
  std::string& o = events_f_.buf();
  for (const pending_event& e : slice_events_) {
    device_event de;
    de.subject_id = entity_id(e.ekey);
    de.time = from_epoch_ms(e.time);
    de.type = e.type;
    append_csv_row(o, de);
    ++sum_.events;
  }
  slice_events_.clear();
  events_f_.maybe_flush();
}

void simulator::flush_truth(std::int64_t before) {
  std::string& o = truth_f_.buf();
  while (!truth_.empty() && truth_.top().start < before) {
    const truth_row& r = truth_.top();
    const subject& s = c_.subjects[r.subject];
    o += s.id;
    o += ',';
    o += to_text(r.type);
    o += ',';
    if (r.zone != UINT32_MAX) o += c_.zones[r.zone].id;
    o += ',';
    if (r.victim >= 0) o += s.victims[static_cast<std::size_t>(r.victim)].id;
    o += ',';
    append_instant(o, from_epoch_ms(r.start));
    o += ',';
    append_instant(o, from_epoch_ms(r.end));
    o += ',';
    o += std::to_string((r.end - r.start) / 1000);
    o += ',';
    if (r.depth_m >= 0) append_decimal(o, r.depth_m, 1);
    o += ',';
    if (r.min_distance_m >= 0) append_decimal(o, r.min_distance_m, 1);
    o += '\n';
    ++sum_.truth_episodes;
    truth_.pop();
  }
  truth_f_.maybe_flush();
}

result<void> simulator::open_all() {
  if (auto r = fixes_f_.open(path("fixes.csv")); !r) return r;
  if (auto r = events_f_.open(path("events.csv")); !r) return r;
  if (auto r = truth_f_.open(path("truth.csv")); !r) return r;
  if (p_.write_true_track)
    if (auto r = track_f_.open(path("track.csv")); !r) return r;
  fixes_f_.buf() += fix_csv_header;
  fixes_f_.buf() += '\n';
  events_f_.buf() += device_event_csv_header;
  events_f_.buf() += '\n';
  truth_f_.buf() += synth_truth_csv_header;
  truth_f_.buf() += '\n';
  if (p_.write_true_track) track_f_.buf() += "entity_id,time,x_m,y_m,lat,lon\n";
  return {};
}

void append_ring(std::string& o, const lat_lon_ring& r) {
  o += '[';
  for (std::size_t i = 0; i <= r.size(); ++i) {
    const lat_lon& v = r[i % r.size()];  // GeoJSON repeats the first vertex
    if (i) o += ',';
    o += '[';
    append_shortest(o, v.lon_deg());
    o += ',';
    append_shortest(o, v.lat_deg());
    o += ']';
  }
  o += ']';
}

void append_schedule(std::string& o, const schedule_spec& s) {
  o += "{\"tz\":";
  append_json_string(o, s.tz);
  o += ",\"windows\":[";
  for (std::size_t i = 0; i < s.windows.size(); ++i) {
    const auto& w = s.windows[i];
    if (i) o += ',';
    o += "{\"days\":[";
    for (std::size_t k = 0; k < w.days.size(); ++k) {
      if (k) o += ',';
      append_json_string(o, w.days[k]);
    }
    o += "],\"start\":";
    append_json_string(o, w.start);
    o += ",\"end\":";
    append_json_string(o, w.end);
    o += '}';
  }
  o += ']';
  if (!s.except.empty()) {
    o += ",\"except\":[";
    for (std::size_t k = 0; k < s.except.size(); ++k) {
      if (k) o += ',';
      append_json_string(o, s.except[k]);
    }
    o += ']';
  }
  if (!s.from.empty()) {
    o += ",\"from\":";
    append_json_string(o, s.from);
  }
  if (!s.until.empty()) {
    o += ",\"until\":";
    append_json_string(o, s.until);
  }
  o += '}';
}

result<void> simulator::write_zones() {
  out_file f;
  if (auto r = f.open(path("zones.geojson")); !r) return r;
  std::string& o = f.buf();
  o += "{\"type\":\"FeatureCollection\",\"features\":[\n";
  bool first = true;
  for (const zone_def& z : c_.zones) {
    if (z.subjects.empty()) continue;
    if (!first) o += ",\n";
    first = false;
    ++sum_.zones;
    o += "{\"type\":\"Feature\",\"properties\":{\"zone_id\":";
    append_json_string(o, z.id);
    o += ",\"kind\":";
    append_json_string(o, to_string(z.kind));
    if (z.subjects.size() == 1) {
      o += ",\"subject_id\":";
      append_json_string(o, c_.subjects[z.subjects[0]].id);
    } else {
      o += ",\"subjects\":[";
      for (std::size_t k = 0; k < z.subjects.size(); ++k) {
        if (k) o += ',';
        append_json_string(o, c_.subjects[z.subjects[k]].id);
      }
      o += ']';
    }
    if (z.curfew_variant >= 0) {
      o += ",\"schedule\":";
      append_schedule(o, c_.variants[static_cast<std::size_t>(z.curfew_variant)].spec);
    }
    if (z.shape == zone_shape::circle) {
      o += ",\"radius_m\":";
      append_shortest(o, z.radius_m);
    }
    if (!z.name.empty()) {
      o += ",\"name\":";
      append_json_string(o, z.name);
    }
    if (!z.victim_id.empty()) {
      o += ",\"victim_id\":";
      append_json_string(o, z.victim_id);
    }
    o += "},\"geometry\":";
    if (z.shape == zone_shape::circle) {
      o += "{\"type\":\"Point\",\"coordinates\":[";
      append_shortest(o, z.centre.lon_deg());
      o += ',';
      append_shortest(o, z.centre.lat_deg());
      o += "]}}";
    } else {
      const lat_lon_multipolygon& mp = z.outline ? *z.outline : z.own_outline;
      const bool multi = mp.size() > 1;
      o += multi ? "{\"type\":\"MultiPolygon\",\"coordinates\":[" : "{\"type\":\"Polygon\",\"coordinates\":";
      for (std::size_t k = 0; k < mp.size(); ++k) {
        if (k) o += ',';
        o += '[';
        append_ring(o, mp[k].outer);
        for (const auto& h : mp[k].holes) {
          o += ',';
          append_ring(o, h);
        }
        o += ']';
      }
      o += multi ? "]}}" : "}}";
    }
    f.maybe_flush();
  }
  o += "\n]}\n";
  return f.close();
}

result<void> simulator::write_links() {
  out_file f;
  if (auto r = f.open(path("links.csv")); !r) return r;
  f.buf() += victim_link_csv_header;
  f.buf() += '\n';
  for (const subject& s : c_.subjects)
    for (const victim& v : s.victims) {
      victim_link l;
      l.subject_id = s.id;
      l.victim_id = v.id;
      l.alert_m = v.alert_m;
      l.warning_m = v.warning_m;
      append_csv_row(f.buf(), l);
      f.maybe_flush();
    }
  return f.close();
}

result<void> simulator::write_crimes() {
  std::vector<std::uint32_t> order(c_.crimes.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const crime_rec &x = c_.crimes[a], &y = c_.crimes[b];
    return std::tie(x.from, x.to, a) < std::tie(y.from, y.to, b);
  });
  int width = 6;
  for (std::size_t n = order.size(); n >= 1000000; n /= 10) ++width;
  std::vector<std::string> ids(c_.crimes.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    std::string digits = std::to_string(k + 1);
    ids[order[k]] = "C" + std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(digits.size()))), '0') + digits;
  }
  out_file f;
  if (auto r = f.open(path("crimes.csv")); !r) return r;
  f.buf() += crime_csv_header;
  f.buf() += '\n';
  for (std::uint32_t k : order) {
    const crime_rec& cr = c_.crimes[k];
    crime out;
    out.crime_id = ids[k];
    out.pos = cr.ll;
    out.from = from_epoch_ms(cr.from);
    out.to = from_epoch_ms(cr.to);
    out.type = cr.type;
    out.radius_m = cr.radius_m;
    append_csv_row(f.buf(), out);
    f.maybe_flush();
    ++sum_.crimes;
    if (cr.committer >= 0) ++sum_.committed_crimes;
  }
  if (auto r = f.close(); !r) return r;

  struct row {
    std::string crime_id;
    std::uint32_t subject;
    bool committed;
    double min_m;
    std::int64_t closest;
  };
  std::vector<row> rows;
  for (const auto& [key, h] : c_.crime_hits) {
    const crime_rec& cr = c_.crimes[key.first];
    rows.push_back({ids[key.first], key.second, cr.committer == static_cast<std::int64_t>(key.second), h.min_frame_m / cr.k,
                    h.closest});
  }
  std::sort(rows.begin(), rows.end(),
            [](const row& a, const row& b) { return std::tie(a.crime_id, a.subject) < std::tie(b.crime_id, b.subject); });
  out_file t;
  if (auto r = t.open(path("crime_truth.csv")); !r) return r;
  t.buf() += synth_crime_truth_csv_header;
  t.buf() += '\n';
  for (const row& rw : rows) {
    std::string& o = t.buf();
    o += rw.crime_id;
    o += ',';
    o += c_.subjects[rw.subject].id;
    o += rw.committed ? ",committed," : ",nearby,";
    append_decimal(o, rw.min_m, 1);
    o += ',';
    append_instant(o, from_epoch_ms(rw.closest));
    o += '\n';
    t.maybe_flush();
    ++sum_.crime_truth_rows;
  }
  return t.close();
}

result<void> simulator::write_scenario() {
  out_file f;
  if (auto r = f.open(path("scenario.json")); !r) return r;
  std::string& o = f.buf();
  auto num = [&](const char* k, double v, bool comma = true) {
    o += "    ";
    append_json_string(o, k);
    o += ": ";
    append_shortest(o, v);
    if (comma) o += ',';
    o += '\n';
  };
  auto u64 = [&](const char* k, std::uint64_t v, bool comma = true) {
    o += "    ";
    append_json_string(o, k);
    o += ": " + std::to_string(v);
    if (comma) o += ',';
    o += '\n';
  };
  auto str = [&](const char* k, std::string_view v, bool comma = true) {
    o += "    ";
    append_json_string(o, k);
    o += ": ";
    append_json_string(o, v);
    if (comma) o += ',';
    o += '\n';
  };
  // Names only: the bytes must not depend on where the data lives.
  auto file_name = [](std::string s) {
    while (s.size() > 1 && (s.back() == '/' || s.back() == '\\')) s.pop_back();
    return std::filesystem::path(s).filename().string();
  };
  o += "{\n  \"generator\": ";
  append_json_string(o, engine_name());
  o += ",\n  \"params\": {\n";
  u64("seed", p_.seed);
  u64("subjects", p_.subjects);
  u64("days", p_.days);
  str("start_date", p_.start_date);
  u64("fix_interval_s", static_cast<std::uint64_t>(p_.fix_interval_s));
  u64("truth_step_s", static_cast<std::uint64_t>(p_.truth_step_s));
  u64("unmonitored_after_s", static_cast<std::uint64_t>(p_.unmonitored_after_s));
  u64("background_crimes_per_day",
      static_cast<std::uint64_t>(p_.background_crimes_per_day >= 0
                                     ? p_.background_crimes_per_day
                                     : synth_params::default_background_crimes(p_.subjects)));
  str("lsoa_dir", file_name(p_.lsoa_dir));
  str("ward_dir", file_name(p_.ward_dir));
  o += "    \"police_files\": [";
  for (std::size_t k = 0; k < p_.police_files.size(); ++k) {
    if (k) o += ", ";
    append_json_string(o, file_name(p_.police_files[k]));
  }
  o += "],\n";
  const synth_gps_model& g = p_.gps;
  num("jitter_sigma_min_m", g.jitter_sigma_min_m);
  num("jitter_sigma_max_m", g.jitter_sigma_max_m);
  num("outlier_probability", g.outlier_probability);
  num("outlier_min_m", g.outlier_min_m);
  num("outlier_max_m", g.outlier_max_m);
  num("outlier_good_accuracy_share", g.outlier_good_accuracy_share);
  num("wrong_accuracy_probability", g.wrong_accuracy_probability);
  num("duplicate_probability", g.duplicate_probability);
  num("coverage_gaps_per_day", g.coverage_gaps_per_day);
  num("gps_gaps_per_day", g.gps_gaps_per_day);
  num("off_gaps_per_day", g.off_gaps_per_day);
  num("latency_mean_s", g.latency_mean_s);
  num("battery_drain_pct_per_h", g.battery_drain_pct_per_h);
  num("battery_charge_pct_per_min", g.battery_charge_pct_per_min);
  num("forget_charge_probability", g.forget_charge_probability);
  const synth_injection_rates& ir = p_.rates;
  num("rate_exclusion", ir.exclusion);
  num("rate_inclusion", ir.inclusion);
  num("rate_curfew", ir.curfew);
  num("rate_proximity", ir.proximity);
  num("rate_unmonitored", ir.unmonitored);
  num("rate_tamper", ir.tamper);
  num("rate_battery", ir.battery);
  num("rate_crime", ir.crime, false);
  o += "  },\n  \"start\": ";
  append_json_string(o, format_instant(from_epoch_ms(c_.start_ms)));
  o += ",\n  \"end\": ";
  append_json_string(o, format_instant(from_epoch_ms(c_.end_ms)));
  o += ",\n  \"frame\": ";
  append_json_string(o, c_.w.frame.describe());
  o += ",\n  \"time_zone\": \"Europe/London\",\n  \"counts\": {\n";
  u64("subjects", sum_.subjects);
  u64("victims", sum_.victims);
  u64("zones", sum_.zones);
  u64("fixes", sum_.fixes);
  u64("victim_fixes", sum_.victim_fixes);
  u64("duplicates", sum_.duplicates);
  u64("outliers", sum_.outliers);
  u64("buffered", sum_.buffered);
  u64("events", sum_.events);
  u64("truth_episodes", sum_.truth_episodes);
  u64("crimes", sum_.crimes);
  u64("committed_crimes", sum_.committed_crimes);
  u64("crime_truth_rows", sum_.crime_truth_rows);
  u64("peak_pending_fixes", sum_.peak_pending_fixes);
  o += "    \"zones_by_kind\": {";
  for (int k = 0; k < 4; ++k) {
    std::uint64_t n = 0;
    for (const zone_def& z : c_.zones) n += !z.subjects.empty() && static_cast<int>(z.kind) == k;
    if (k) o += ", ";
    append_json_string(o, to_string(static_cast<zone_kind>(k)));
    o += ": " + std::to_string(n);
  }
  o += "},\n    \"events_by_type\": {";
  for (int k = 0; k < device_event_type_count; ++k) {
    if (k) o += ", ";
    append_json_string(o, to_string(static_cast<device_event_type>(k)));
    o += ": " + std::to_string(event_counts_[k]);
  }
  o += "},\n    \"truth_by_type\": {";
  for (int k = 0; k < 7; ++k) {
    if (k) o += ", ";
    append_json_string(o, to_text(static_cast<truth_type>(k)));
    o += ": " + std::to_string(truth_counts_[k]);
  }
  o += "}\n  },\n  \"files\": [\"fixes.csv\", \"events.csv\", \"zones.geojson\", \"links.csv\", \"crimes.csv\", "
       "\"truth.csv\", \"crime_truth.csv\"";
  if (p_.write_true_track) o += ", \"track.csv\"";
  o += "]\n}\n";
  return f.close();
}

result<synth_summary> simulator::run() {
  sum_.subjects = static_cast<std::uint32_t>(c_.subjects.size());
  for (const subject& s : c_.subjects) sum_.victims += static_cast<std::uint32_t>(s.victims.size());
  sum_.start = from_epoch_ms(c_.start_ms);
  sum_.end = from_epoch_ms(c_.end_ms);
  if (auto r = write_zones(); !r) return r.err();
  if (auto r = write_links(); !r) return r.err();
  if (auto r = open_all(); !r) return r.err();

  for (int d = 0; d < static_cast<int>(p_.days); ++d) {
    const std::int64_t ds = c_.day_start(d), de = c_.day_start(d + 1);
    plan_background_crimes(c_, d);
    for (subject& s : c_.subjects) plan_day(c_, s, d);
    for (std::int64_t s0 = ds; s0 < de; s0 += slice_ms) {
      const std::int64_t s1 = std::min(s0 + slice_ms, de);
      slice_end_ = s1;
      std::int64_t bound = s1;
      for (subject& s : c_.subjects) {
        simulate_slice(s, s0, s1);
        bound = std::min(bound, min_open(s));
      }
      flush_events();
      flush_fixes(s1);
      flush_truth(bound);
      fixes_f_.maybe_flush();
    }
  }
  slice_end_ = std::numeric_limits<std::int64_t>::max();
  for (subject& s : c_.subjects) close_everything(s, c_.end_ms);
  flush_events();
  flush_fixes(std::numeric_limits<std::int64_t>::max());
  flush_truth(std::numeric_limits<std::int64_t>::max());
  for (out_file* f : {&fixes_f_, &events_f_, &truth_f_, &track_f_})
    if (auto r = f->close(); !r) return r.err();
  if (auto r = write_crimes(); !r) return r.err();
  if (auto r = write_scenario(); !r) return r.err();
  return sum_;
}

result<void> validate(const synth_params& p) {
  if (p.subjects < 1 || p.subjects > 10'000'000) return make_error(errc::usage, "subjects must be 1..10000000");
  if (p.days < 1 || p.days > 366) return make_error(errc::usage, "days must be 1..366");
  if (p.fix_interval_s < 1 || p.fix_interval_s > 3600) return make_error(errc::usage, "fix_interval_s must be 1..3600");
  if (p.truth_step_s < 1 || p.truth_step_s > 15 || 60 % p.truth_step_s != 0)
    return make_error(errc::usage, "truth_step_s must divide 60 and be at most 15");
  if (p.unmonitored_after_s < 1) return make_error(errc::usage, "unmonitored_after_s must be positive");
  const synth_gps_model& g = p.gps;
  auto prob = [](double v) { return std::isfinite(v) && v >= 0 && v <= 1; };
  auto rate = [](double v) { return std::isfinite(v) && v >= 0 && v <= 1000; };
  if (!(g.jitter_sigma_min_m > 0 && g.jitter_sigma_max_m >= g.jitter_sigma_min_m && g.jitter_sigma_max_m < 1000) ||
      !(g.outlier_min_m > 0 && g.outlier_max_m >= g.outlier_min_m && g.outlier_max_m < 100'000) ||
      !prob(g.outlier_probability) || !prob(g.outlier_good_accuracy_share) || !prob(g.wrong_accuracy_probability) ||
      !prob(g.duplicate_probability) || !prob(g.forget_charge_probability) || !rate(g.coverage_gaps_per_day) ||
      !rate(g.gps_gaps_per_day) || !rate(g.off_gaps_per_day) || !(g.latency_mean_s >= 0 && g.latency_mean_s < 3600) ||
      !(g.battery_drain_pct_per_h > 0 && g.battery_drain_pct_per_h < 100) ||
      !(g.battery_charge_pct_per_min > 0 && g.battery_charge_pct_per_min <= 100))
    return make_error(errc::usage, "GPS/device model parameter out of range");
  const synth_injection_rates& r = p.rates;
  for (double v : {r.exclusion, r.inclusion, r.curfew, r.proximity, r.unmonitored, r.tamper, r.battery, r.crime})
    if (!prob(v)) return make_error(errc::usage, "injection rates must be probabilities");
  if (r.exclusion + r.inclusion + r.curfew + r.proximity > 1)
    return make_error(errc::usage, "movement injection rates must sum to at most 1");
  return {};
}

}  // namespace
}  // namespace detail::synth

result<synth_summary> generate_scenario(const synth_params& params, const std::string& out_dir,
                                        synth_observer* observer) {
  using namespace detail::synth;
  if (auto r = validate(params); !r) return r.err();
  auto c = std::make_unique<context>(params);
  {
    // Exactly YYYY-MM-DD.
    const std::string& sd = params.start_date;
    int y = 0, mo = 0, dd = 0;
    const bool shape = sd.size() == 10 && sd[4] == '-' && sd[7] == '-' &&
                       std::from_chars(sd.data(), sd.data() + 4, y).ptr == sd.data() + 4 &&
                       std::from_chars(sd.data() + 5, sd.data() + 7, mo).ptr == sd.data() + 7 &&
                       std::from_chars(sd.data() + 8, sd.data() + 10, dd).ptr == sd.data() + 10;
    const date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                                   date::day(static_cast<unsigned>(dd))};
    if (!shape || !ymd.ok()) return make_error(errc::bad_date, "start_date '" + sd + "' is not YYYY-MM-DD");
    if (y < 1971 || y > 2190) return make_error(errc::bad_date, "start_date out of range");
    c->start_day = ymd;
  }
  try {
    c->tz = date::locate_zone("Europe/London");
  } catch (const std::exception& e) {
    return make_error(errc::unknown_time_zone, std::string("Europe/London: ") + e.what());
  }
  c->step_ms = static_cast<std::int64_t>(params.truth_step_s) * 1000;
  c->interval_ms = static_cast<std::int64_t>(params.fix_interval_s) * 1000;
  c->start_ms = c->day_start(0);
  c->end_ms = c->day_start(static_cast<int>(params.days));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return make_error(errc::io_error, "cannot create '" + out_dir + "': " + ec.message());
  if (auto r = load_world(c->w, params); !r) return r.err();
  if (auto r = build_population(*c); !r) return r.err();
  simulator sim(*c, observer, out_dir);
  return sim.run();
}

}  // namespace warden
