// The monitoring engine (warden/monitor.hpp): rules, event-time processing,
// replay after late data and publication of alert events.
#include "monitor_internal.hpp"

#include <warden/version.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace warden {
namespace detail {
namespace {

std::int64_t ms_of(std::chrono::milliseconds d) noexcept { return d.count(); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

void json_key(std::string& out, std::string_view k) {
  if (out.size() > 1) out += ',';
  append_json_string(out, k);
  out += ':';
}
void json_num(std::string& out, std::string_view k, double v, int decimals) {
  json_key(out, k);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  out.append(buf, r.ptr);
}
void json_int(std::string& out, std::string_view k, std::int64_t v) {
  json_key(out, k);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string schedule_json(const schedule_spec& s) {
  std::string o = "{";
  json_key(o, "tz");
  append_json_string(o, s.tz);
  json_key(o, "windows");
  o += '[';
  for (std::size_t i = 0; i < s.windows.size(); ++i) {
    if (i) o += ',';
    o += "{\"days\":[";
    for (std::size_t d = 0; d < s.windows[i].days.size(); ++d) {
      if (d) o += ',';
      append_json_string(o, s.windows[i].days[d]);
    }
    o += "],\"start\":";
    append_json_string(o, s.windows[i].start);
    o += ",\"end\":";
    append_json_string(o, s.windows[i].end);
    o += '}';
  }
  o += ']';
  if (!s.except.empty()) {
    json_key(o, "except");
    o += '[';
    for (std::size_t i = 0; i < s.except.size(); ++i) {
      if (i) o += ',';
      append_json_string(o, s.except[i]);
    }
    o += ']';
  }
  if (!s.from.empty()) {
    json_key(o, "from");
    append_json_string(o, s.from);
  }
  if (!s.until.empty()) {
    json_key(o, "until");
    append_json_string(o, s.until);
  }
  o += '}';
  return o;
}

params_entry make_params_entry(const rule_params& p) {
  params_entry e;
  e.p = p;
  std::string h = "{";
  json_int(h, "confirm_fixes", p.confirm_fixes);
  json_num(h, "confirm_dwell_s", static_cast<double>(ms_of(p.confirm_dwell)) / 1000.0, 0);
  json_int(h, "exit_fixes", p.exit_fixes);
  json_num(h, "max_gap_s", static_cast<double>(ms_of(p.max_gap)) / 1000.0, 0);
  h += '}';
  e.json_hysteresis = h;
  std::string c = "{";
  json_num(c, "grace_s", static_cast<double>(ms_of(p.curfew_grace)) / 1000.0, 0);
  json_num(c, "stale_after_s", static_cast<double>(ms_of(p.curfew_stale_after)) / 1000.0, 0);
  json_num(c, "min_return_s", static_cast<double>(ms_of(p.curfew_min_return)) / 1000.0, 0);
  c += '}';
  e.json_curfew = c;
  std::string t = "{";
  json_num(t, "transit_min_depth_m", p.transit_min_depth_m, 1);
  json_num(t, "transit_max_gap_s", static_cast<double>(ms_of(p.transit_max_gap)) / 1000.0, 0);
  t += '}';
  e.json_transit = t;
  return e;
}

bool is_curfew(const prepared_zone& z) noexcept { return z.kind == zone_kind::curfew_home; }

verdict zone_verdict_of(const prepared_zone& z, xy p, double acc_m) noexcept {
  // Far outside the box: outside for either side (tolerance only widens
  // the margin towards the breach side).
  if (box_distance_m(z.bounds, p) > acc_m + z.tolerance_m) return verdict::outside;
  if (z.polygonal) return decide(z.poly, p, acc_m, z.tolerance_m, z.side);
  return classify(z.disc, p, acc_m, z.tolerance_m, z.side).state;
}

double signed_distance_of(const prepared_zone& z, xy p) noexcept {
  return z.polygonal ? z.poly.signed_distance_m(p) : signed_distance_m(z.disc, p);
}

ev_fix to_ev(const hrec& r, double acc_m) noexcept {
  ev_fix e;
  e.set_t_ms(r.t_ms);
  e.lat_e7 = r.lat_e7;
  e.lon_e7 = r.lon_e7;
  e.accuracy_m = static_cast<float>(acc_m);
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------
// Set-up

result<void> monitor_impl::init(std::vector<zone> zs) {
  const rule_params& d = cfg.rules;
  if (cfg.allowed_lateness.count() < 0 || cfg.snapshot_interval.count() <= 0 || cfg.future_tolerance.count() < 0)
    return make_error(errc::usage, "allowed_lateness and future_tolerance must be >= 0, snapshot_interval > 0");
  if (cfg.max_evidence_fixes < 3 || cfg.max_evidence_fixes > max_evidence)
    return make_error(errc::usage, "max_evidence_fixes must be in 3..16");
  if (!(cfg.max_accuracy_m > 0) || !std::isfinite(cfg.max_accuracy_m))
    return make_error(errc::usage, "max_accuracy_m must be a positive number");
  if (d.confirm_fixes < 1 || d.exit_fixes < 1 || d.confirm_fixes > 255 || d.exit_fixes > 255)
    return make_error(errc::usage, "confirm_fixes and exit_fixes must be in 1..255");
  std::unordered_map<std::string, std::uint32_t> seen;
  std::map<std::string, schedule, std::less<>> compiled_schedules;  // by schedule_json
  for (std::size_t i = 0; i < zs.size(); ++i) {
    zone& z = zs[i];
    if (!seen.emplace(z.zone_id, static_cast<std::uint32_t>(i)).second)
      return make_error(errc::duplicate_id, "zone " + z.zone_id + " appears twice");
    prepared_zone pz;
    pz.zone_id = z.zone_id;
    pz.version = z.version;
    pz.kind = z.kind;
    pz.side = (z.kind == zone_kind::exclusion || z.kind == zone_kind::victim_home) ? breach_side::inside
                                                                                   : breach_side::outside;
    pz.polygonal = z.shape == zone_shape::polygonal;
    if (pz.polygonal) {
      auto pp = prepared_polygon::build(z.area);
      if (!pp) return make_error(pp.code(), "zone " + z.zone_id + ": " + pp.err().message);
      pz.poly = std::move(*pp);
    } else {
      pz.disc = z.disc;
    }
    pz.bounds = z.bounds();
    pz.tolerance_m = z.tolerance_m;
    if (z.schedule) {
      pz.schedule_json = schedule_json(*z.schedule);
      // Zones with the same schedule (the usual 19:00-07:00 curfew of
      // thousands of subjects) share one compiled schedule, and with it one
      // window cache, built once instead of once per zone.
      if (auto c = compiled_schedules.find(pz.schedule_json); c != compiled_schedules.end()) {
        pz.sched = c->second;
      } else {
        auto s = schedule::compile(*z.schedule);
        if (!s) return make_error(s.code(), "zone " + z.zone_id + ": " + s.err().message);
        pz.sched = std::move(*s);
        compiled_schedules.emplace(pz.schedule_json, pz.sched);
      }
      pz.scheduled = true;
    }
    const std::string_view v = z.property("victim_id");
    if (!v.empty()) pz.victim_id = std::string(v);
    pz.everyone = z.applies_to_everyone();
    if (!pz.everyone) pz.subjects = z.subjects;
    if (pz.everyone) everyone_zones.push_back(static_cast<std::uint32_t>(zones.size()));
    for (const std::string& sid : pz.subjects) {
      auto& list = named_zones[sid];
      if (list.empty() || list.back() != zones.size()) list.push_back(static_cast<std::uint32_t>(zones.size()));
    }
    zones.push_back(std::move(pz));
  }
  for (const victim_link& l : links) victim_ids.push_back(l.victim_id);
  std::sort(victim_ids.begin(), victim_ids.end());
  victim_ids.erase(std::unique(victim_ids.begin(), victim_ids.end()), victim_ids.end());
  {
    const proximity_params& P = cfg.proximity;
    if (P.stale_after.count() <= 0 || P.max_age < P.stale_after || P.confirm_fixes < 1 || P.exit_fixes < 1 ||
        P.confirm_fixes > 255 || P.exit_fixes > 255 || !(P.exit_margin_m >= 0) || P.max_gap.count() <= 0)
      return make_error(errc::usage, "proximity: stale_after > 0, max_age >= stale_after, confirm/exit fixes in 1..255, exit_margin_m >= 0");
    if (cfg.unmonitored.gap.count() <= 0 || !(cfg.unmonitored.max_speed_mps > 0) ||
        !std::isfinite(cfg.unmonitored.max_speed_mps))
      return make_error(errc::usage, "unmonitored: gap > 0 and max_speed_mps > 0");
  }
  for (const auto& [sid, o] : cfg.subjects) {
    if (o.absences.empty()) continue;
    std::vector<schedule> compiled;
    for (const schedule_spec& a : o.absences) {
      auto c = schedule::compile(a);
      if (!c) return make_error(c.code(), "subject " + sid + " absences: " + c.err().message);
      compiled.push_back(std::move(*c));
    }
    absence_index.emplace(sid, static_cast<std::uint32_t>(absences.size()));
    absences.push_back(std::move(compiled));
  }
  for (std::uint32_t i = 0; i < links.size(); ++i) {
    const victim_link& l = links[i];
    if (l.subject_id.empty() || l.victim_id.empty() || !(l.alert_m > 0) || !(l.warning_m >= l.alert_m) ||
        !std::isfinite(l.warning_m))
      return make_error(errc::usage, "link " + l.subject_id + " -> " + l.victim_id +
                                         ": ids must be set and 0 < alert_m <= warning_m");
    if (std::binary_search(victim_ids.begin(), victim_ids.end(), l.subject_id))
      return make_error(errc::usage, "link subject " + l.subject_id + " is also a victim device");
    victim_links.emplace_back(l.victim_id, i);
    subject_links.emplace_back(l.subject_id, i);
  }
  std::sort(victim_links.begin(), victim_links.end());
  std::sort(subject_links.begin(), subject_links.end());
  link_victim.assign(links.size(), UINT32_MAX);
  link_subject.assign(links.size(), UINT32_MAX);
  link_slot.assign(links.size(), UINT32_MAX);
  link_decided.assign(links.size(), dawn_ms);
  link_victim_fix_ms.assign(links.size(), dawn_ms);
  link_radii_m.clear();
  for (const victim_link& l : links) link_radii_m.push_back({l.warning_m, l.alert_m});
  for (const auto& [sid, zl] : named_zones) ordered_subjects.push_back(sid);
  for (const auto& [sid, li] : subject_links) ordered_subjects.push_back(sid);
  for (const auto& [sid, o] : cfg.subjects) ordered_subjects.push_back(sid);
  std::sort(ordered_subjects.begin(), ordered_subjects.end());
  ordered_subjects.erase(std::unique(ordered_subjects.begin(), ordered_subjects.end()), ordered_subjects.end());
  std::erase_if(ordered_subjects,
                [&](const std::string& id) { return std::binary_search(victim_ids.begin(), victim_ids.end(), id); });
  {
    std::string u = "{";
    json_num(u, "gap_s", static_cast<double>(ms_of(cfg.unmonitored.gap)) / 1000.0, 0);
    json_num(u, "max_speed_mps", cfg.unmonitored.max_speed_mps, 1);
    json_key(u, "rf_charging_explains");
    u += cfg.unmonitored.rf_charging_explains ? "true" : "false";
    u += '}';
    json_unmonitored = u;
    json_device = "{\"deduplicated\":true}";
  }
  fingerprint = compute_fingerprint();
  return {};
}

std::uint64_t monitor_impl::compute_fingerprint() const {
  // What a checkpoint must agree with: zone ids and versions, and the
  // parameters that change decisions.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ull;
    }
  };
  auto mix_s = [&](std::string_view s) {
    mix(s.data(), s.size());
    const unsigned char z = 0xff;
    mix(&z, 1);
  };
  for (const prepared_zone& z : zones) {
    mix_s(z.zone_id);
    mix_s(z.version);
    for (const std::string& s : z.subjects) mix_s(s);
  }
  const std::int64_t nums[] = {cfg.allowed_lateness.count(), cfg.future_tolerance.count(),
                               cfg.snapshot_interval.count(), static_cast<std::int64_t>(cfg.max_evidence_fixes),
                               cfg.motion.hold_max.count(), cfg.motion.reset_after.count()};
  mix(nums, sizeof nums);
  const double dbl[] = {cfg.max_accuracy_m, cfg.motion.max_speed_mps, cfg.motion.accel_noise_m2_s3,
                        cfg.motion.gate_chi2, cfg.motion.initial_speed_sigma_mps};
  mix(dbl, sizeof dbl);
  mix_s(cfg.frame.describe());
  for (const victim_link& l : links) {
    mix_s(l.subject_id);
    mix_s(l.victim_id);
    const double r[] = {l.alert_m, l.warning_m};
    mix(r, sizeof r);
  }
  const proximity_params& P = cfg.proximity;
  const std::int64_t pn[] = {P.stale_after.count(), P.max_age.count(), P.confirm_fixes, P.exit_fixes,
                             P.max_gap.count(), P.authorised ? 1 : 0, cfg.unmonitored.gap.count(),
                             cfg.unmonitored.rf_charging_explains ? 1 : 0};
  mix(pn, sizeof pn);
  const double pd[] = {P.exit_margin_m, cfg.unmonitored.max_speed_mps};
  mix(pd, sizeof pd);
  // Scheduled absences decide unmonitored episodes (nothing is mixed when
  // there are none, so older checkpoints keep their fingerprint).
  for (const auto& [sid, o] : cfg.subjects)
    if (!o.absences.empty()) {
      mix_s(sid);
      for (const schedule_spec& a : o.absences) mix_s(schedule_json(a));
    }
  return h;
}

subject& monitor_impl::subject_for(std::string_view id) {
  if (const std::uint32_t k = find_subject(id); k != UINT32_MAX) return subjects[k];
  subject s;
  s.id = std::string(id);
  const subject_orders* orders = nullptr;
  if (auto o = cfg.subjects.find(id); o != cfg.subjects.end()) orders = &o->second;
  if (orders) s.risk = orders->risk;
  if (orders && !orders->absences.empty()) s.absence = absence_index.find(id)->second;
  // Victim devices are tracked for proximity (issue 6), not held to zones.
  const bool victim = std::binary_search(victim_ids.begin(), victim_ids.end(), id);
  std::vector<std::uint32_t> applicable;
  if (!victim) {
    applicable = everyone_zones;
    if (auto nz = named_zones.find(id); nz != named_zones.end())
      applicable.insert(applicable.end(), nz->second.begin(), nz->second.end());
    std::sort(applicable.begin(), applicable.end());
    applicable.erase(std::unique(applicable.begin(), applicable.end()), applicable.end());
  }
  for (const std::uint32_t z : applicable) {
    const prepared_zone& pz = zones[z];
    rule_params p = cfg.rules;
    if (auto zo = cfg.zone_rules.find(pz.zone_id); zo != cfg.zone_rules.end()) zo->second.apply(p);
    if (orders) {
      orders->rules.apply(p);
      if (auto so = orders->zone_rules.find(pz.zone_id); so != orders->zone_rules.end()) so->second.apply(p);
    }
    p.confirm_fixes = std::clamp<std::uint32_t>(p.confirm_fixes, 1, 255);
    p.exit_fixes = std::clamp<std::uint32_t>(p.exit_fixes, 1, 255);
    std::size_t pi = 0;
    while (pi < params.size() && !(params[pi].p == p)) ++pi;
    if (pi == params.size()) params.push_back(make_params_entry(p));
    s.zones.push_back(z);
    s.params.push_back(static_cast<std::uint16_t>(pi));
  }
  s.live.slots.resize(s.zones.size());
  init_aux(s, static_cast<std::uint32_t>(subjects.size()));
  s.snaps.push_back({dawn_ms, s.live});
  const auto k = static_cast<std::uint32_t>(subjects.size());
  subjects.push_back(std::move(s));
  index.emplace(subjects.back().id, k);
  table_insert(k);
  return subjects.back();
}

// ---------------------------------------------------------------------------
// Ingest

errc monitor_impl::push_fix(const fix& f) {
  if (f.subject_id.empty()) {
    ++counters.fixes;
    ++counters.set_aside[errc::bad_id];
    if (sink) sink->on_set_aside(f, errc::bad_id);
    return errc::bad_id;
  }
  if (!admit_subject(f.subject_id)) {
    ++counters.fixes;
    ++counters.set_aside[errc::subject_limit];
    if (sink) sink->on_set_aside(f, errc::subject_limit);
    return errc::subject_limit;
  }
  // subject_for does not depend on the checks below, so looking the
  // subject up first (as push_batch must) changes nothing.
  subject& s0 = subject_for(f.subject_id);
  return push_fix_to(f, static_cast<std::uint32_t>(&s0 - subjects.data()));
}

errc monitor_impl::push_fix_to(const fix& f, std::uint32_t k) {
  ++counters.fixes;
  errc bad = errc::ok;
  const std::int64_t t = to_epoch_ms(f.time);
  const std::int64_t rcv = to_epoch_ms(f.received);
  constexpr std::int64_t week_ms = 7LL * 86'400'000LL;
  constexpr std::int64_t day_ms = 86'400'000LL;
  if (!std::isfinite(f.accuracy_m) || !(f.accuracy_m > 0) || f.accuracy_m > cfg.max_accuracy_m)
    bad = errc::bad_accuracy;
  else if (f.time < min_instant() || f.time >= max_instant())
    bad = errc::time_out_of_range;
  else if (std::llabs((rcv - t) - 1024 * week_ms) <= day_ms)
    bad = errc::gps_week_rollover;
  else if (t > std::max(rcv, watermark_ms) + ms_of(cfg.future_tolerance))
    bad = errc::future_time;
  // Lateness is arrival time minus event time: a fix that reached the centre
  // more than the allowed lateness after it was taken is too late even
  // before the first advance() has set a watermark (a corrupt 2006 date in
  // the first records of a file must not open twenty years of episodes).
  else if ((watermark_ms != dawn_ms && t < watermark_ms - ms_of(cfg.allowed_lateness)) ||
           rcv - t > ms_of(cfg.allowed_lateness))
    bad = errc::too_late;
  subject& s = subjects[k];
  if (bad != errc::ok) {
    ++counters.set_aside[bad];
    ++s.set_aside[bad];
    if (sink) sink->on_set_aside(f, bad);
    return bad;
  }
  hrec r;
  r.t_ms = t;
  r.lat_e7 = quantise_deg(f.pos.lat_deg());
  r.lon_e7 = quantise_deg(f.pos.lon_deg());
  r.accuracy_m = f.accuracy_m;
  r.kind = 0;
  r.code = static_cast<std::uint8_t>(f.source);
  const std::size_t before = counters.merged;
  merge(s, r);
  if (counters.merged == before) {
    if (sink) sink->on_set_aside(f, errc::duplicate_record);
    return errc::duplicate_record;
  }
  // Nothing in merge() adds subjects, so s is still valid.
  if (t > s.max_fix_ms) s.max_fix_ms = t;
  if (s.victim_device) {
    // The linked subjects decide a sample early once the victim has reported
    // past it, but not past a fix the victim's motion filter still holds: it
    // becomes a position (or not) only at the victim's next fix, and a
    // sample decided without it would be re-decided from a snapshot.
    const std::int64_t known =
        s.live.filter.holding() ? std::min(s.max_fix_ms, s.live.has_last ? s.live.last.t_ms : dawn_ms) : s.max_fix_ms;
    for (const std::uint32_t li : s.victim_of) link_victim_fix_ms[li] = known;
    victim_fix_merged(s, r);
  }
  return errc::ok;
}

namespace {
inline void prefetch_lines(const void* p, std::size_t bytes) noexcept {
  const char* c = static_cast<const char*>(p);
  for (std::size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o, 1, 3);
}
}  // namespace

void monitor_impl::prefetch_subject(std::uint32_t k) const noexcept {
  const subject& s = subjects[k];
  prefetch_lines(&s, sizeof(subject));
  // The victims' history vectors (their begin/end pointers), read by every
  // proximity sample of this subject.
  for (const std::uint32_t li : s.links)
    if (const std::uint32_t vi = link_victim[li]; vi != UINT32_MAX) __builtin_prefetch(&subjects[vi].history, 0, 3);
}

void monitor_impl::prefetch_subject_heap(std::uint32_t k) const noexcept {
  const subject& s = subjects[k];
  // Per slot, the rule state and the head of the episode being built
  // (evidence is appended further in only while a rule is not clear).
  for (const slot_state& sl : s.live.slots) prefetch_lines(&sl, 256);
  if (!s.history.empty()) {
    __builtin_prefetch(&s.history.back(), 1, 3);
    __builtin_prefetch(s.history.data() + s.history.size(), 1, 3);  // the append
  }
  for (const link_state& ls : s.live.link_st) prefetch_lines(&ls, 128);
  for (const std::uint32_t li : s.links)
    if (const std::uint32_t vi = link_victim[li]; vi != UINT32_MAX) {
      const std::vector<hrec>& h = subjects[vi].history;
      if (h.size() >= 3) prefetch_lines(h.data() + h.size() - 3, 3 * sizeof(hrec));
      if (subjects[vi].vproj) prefetch_lines(subjects[vi].vproj.get(), sizeof(victim_proj_ring));
    }
}

std::size_t monitor_impl::push_batch(std::span<const fix> fs, std::span<errc> out) {
  const std::size_t n = fs.size();
  std::size_t merged = 0;
  // A sink that threw out of the previous batch left its groups behind.
  for (const std::uint32_t k : batch_order)
    if (k < batch_first.size()) batch_first[k] = batch_last[k] = UINT32_MAX;
  batch_order.clear();
  // 1. The subject of every fix, in batch order (so that new subjects are
  //    created in the order push(f) would create them). The table probe and
  //    the candidate subject's id are prefetched a few fixes ahead.
  constexpr std::size_t ahead_table = 32, ahead_id = 16;
  batch_subject.resize(n);
  std::vector<std::size_t>& hashes = batch_hash;
  hashes.resize(n);
  const std::size_t mask = table.empty() ? 0 : table.size() - 1;
  for (std::size_t i = 0; i < n; ++i) hashes[i] = transparent_hash{}(fs[i].subject_id);
  for (std::size_t i = 0; i < n; ++i) {
    if (!table.empty()) {
      if (i + ahead_table < n) __builtin_prefetch(&table[hashes[i + ahead_table] & mask], 0, 3);
      if (i + ahead_id < n) {
        const std::uint32_t v = table[hashes[i + ahead_id] & mask];
        if (v != 0 && v <= subjects.size()) __builtin_prefetch(&subjects[v - 1], 0, 3);
      }
    }
    if (fs[i].subject_id.empty()) {
      batch_subject[i] = UINT32_MAX;
      continue;
    }
    std::uint32_t k = find_subject(fs[i].subject_id);
    if (k == UINT32_MAX && !admit_subject(fs[i].subject_id)) {
      batch_subject[i] = UINT32_MAX;  // set aside below (push_fix: subject_limit)
      continue;
    }
    if (k == UINT32_MAX) {
      subject& s = subject_for(fs[i].subject_id);
      k = static_cast<std::uint32_t>(&s - subjects.data());
    }
    batch_subject[i] = k;
  }
  // 2. Group by subject, stable: a chain of fixes per subject, subjects in
  //    order of first appearance (victim devices first).
  if (batch_first.size() < subjects.size()) {
    batch_first.resize(subjects.size(), UINT32_MAX);
    batch_last.resize(subjects.size(), UINT32_MAX);
  }
  batch_next.assign(n, UINT32_MAX);
  batch_order.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t k = batch_subject[i];
    if (k == UINT32_MAX) continue;
    const auto ii = static_cast<std::uint32_t>(i);
    if (batch_first[k] == UINT32_MAX) {
      batch_first[k] = ii;
      batch_order.push_back(k);
    } else {
      batch_next[batch_last[k]] = ii;
    }
    batch_last[k] = ii;
  }
  if (!victim_ids.empty())
    std::stable_partition(batch_order.begin(), batch_order.end(),
                          [&](std::uint32_t k) { return subjects[k].victim_device != 0; });
  // Fixes without a subject id, or of a subject beyond max_subjects, are
  // set aside first, in batch order.
  for (std::size_t i = 0; i < n; ++i)
    if (batch_subject[i] == UINT32_MAX) {
      const errc e = push_fix(fs[i]);
      if (!out.empty()) out[i] = e;
    }
  // 3. Process each subject's fixes; the next subjects' state is fetched
  //    meanwhile (struct two groups ahead, what it points to one ahead).
  const std::size_t g = batch_order.size();
  for (std::size_t j = 0; j < std::min<std::size_t>(g, 2); ++j) prefetch_subject(batch_order[j]);
  if (g) prefetch_subject_heap(batch_order[0]);
  for (std::size_t j = 0; j < g; ++j) {
    if (j + 2 < g) prefetch_subject(batch_order[j + 2]);
    if (j + 1 < g) prefetch_subject_heap(batch_order[j + 1]);
    const std::uint32_t k = batch_order[j];
    for (std::uint32_t i = batch_first[k]; i != UINT32_MAX; i = batch_next[i]) {
      const errc e = push_fix_to(fs[i], k);
      merged += e == errc::ok;
      if (!out.empty()) out[i] = e;
    }
    batch_first[k] = batch_last[k] = UINT32_MAX;
  }
  return merged;
}

errc monitor_impl::push_event(const device_event& e) {
  ++counters.device_events;
  if (e.subject_id.empty()) {
    ++counters.set_aside[errc::bad_id];
    return errc::bad_id;
  }
  if (!admit_subject(e.subject_id)) {
    ++counters.set_aside[errc::subject_limit];
    return errc::subject_limit;
  }
  const std::int64_t t = to_epoch_ms(e.time);
  errc bad = errc::ok;
  if (e.time < min_instant() || e.time >= max_instant())
    bad = errc::time_out_of_range;
  else if (watermark_ms != dawn_ms && t < watermark_ms - ms_of(cfg.allowed_lateness))
    bad = errc::too_late;
  subject& s = subject_for(e.subject_id);
  if (bad != errc::ok) {
    ++counters.set_aside[bad];
    ++s.set_aside[bad];
    return bad;
  }
  hrec r;
  r.t_ms = t;
  r.kind = 1;
  r.code = static_cast<std::uint8_t>(e.type);
  const std::size_t before = counters.merged;
  merge(s, r);
  return counters.merged == before ? errc::duplicate_record : errc::ok;
}

void monitor_impl::merge(subject& s, const hrec& r) {
  if (r.t_ms > s.max_time_ms) s.max_time_ms = r.t_ms;
  if (r.t_ms > max_time_ms) max_time_ms = r.t_ms;
  if (!s.history.empty() && !(s.history.back() < r)) {
    auto it = std::lower_bound(s.history.begin(), s.history.end(), r);
    if (it != s.history.end() && same_record(*it, r)) {
      ++counters.set_aside[errc::duplicate_record];
      ++s.set_aside[errc::duplicate_record];
      return;
    }
    s.history.insert(it, r);
    ++counters.merged;
    ++counters.late_merged;
    s.dirty_from = std::min(s.dirty_from, r.t_ms);
    return;
  }
  if (r.t_ms < s.live.clock_ms) {
    s.history.push_back(r);
    ++counters.merged;
    ++counters.late_merged;
    s.dirty_from = std::min(s.dirty_from, r.t_ms);
    return;
  }
  if (s.dirty_from != never_ms) resolve(s);
  s.history.push_back(r);
  ++counters.merged;
  process(s, s.history.back());
}

// ---------------------------------------------------------------------------
// Processing in event-time order

void monitor_impl::maybe_snapshot(subject& s, std::int64_t t) {
  if (t < s.live.next_snapshot_ms) return;
  const std::int64_t iv = ms_of(cfg.snapshot_interval);
  const std::int64_t b = floor_div(t, iv) * iv;
  s.live.next_snapshot_ms = b + iv;
  if (!s.snaps.empty() && s.snaps.back().t_ms >= b) return;
  s.snaps.push_back({b, s.live});
}

void monitor_impl::init_schedules(subject& s, std::int64_t t) {
  bool changed = false;
  for (std::uint32_t k = 0; k < s.live.slots.size(); ++k) {
    slot_state& sl = s.live.slots[k];
    if (sl.sched_init) continue;
    sl.sched_init = 1;
    changed = true;
    const prepared_zone& z = zones[s.zones[k]];
    const params_entry& pe = params[s.params[k]];
    const curfew_timing ct{ms_of(pe.p.curfew_grace), ms_of(pe.p.curfew_stale_after), ms_of(pe.p.curfew_min_return)};
    auto ignore = [](curfew_event, const curfew_tracker&) {};
    if (!z.scheduled) {
      sl.sched_active = 1;
      sl.sched_next_ms = never_ms;
      if (is_curfew(z)) sl.cf.start_window(dawn_ms, never_ms, ignore);
      continue;
    }
    const instant ti = from_epoch_ms(t);
    sl.sched_active = z.sched.is_active(ti) ? 1 : 0;
    const auto nt = z.sched.next_transition(ti);
    sl.sched_next_ms = nt ? to_epoch_ms(*nt) : never_ms;
    if (sl.sched_active && is_curfew(z)) {
      const auto w = z.sched.windows(ti, ti + milliseconds{1});
      const std::int64_t w0 = w.empty() ? t : to_epoch_ms(w.front().start);
      sl.cf.start_window(w0, sl.sched_next_ms, ignore);
    }
    (void)ct;
  }
  if (changed) {
    std::int64_t nt = never_ms;
    for (const slot_state& sl : s.live.slots) nt = std::min(nt, sl.sched_next_ms);
    s.live.next_timer_ms = nt;
  }
}

void monitor_impl::run_timers(subject& s, std::int64_t t) {
  while (s.live.next_timer_ms <= t) {
    const std::int64_t tt = s.live.next_timer_ms;
    for (std::uint32_t k = 0; k < s.live.slots.size(); ++k)
      if (s.live.slots[k].sched_next_ms == tt) slot_transition(s, k, tt, s.live.slots[k].sched_active == 0);
    std::int64_t nt = never_ms;
    for (const slot_state& sl : s.live.slots) nt = std::min(nt, sl.sched_next_ms);
    s.live.next_timer_ms = nt;
  }
}

void monitor_impl::slot_transition(subject& s, std::uint32_t k, std::int64_t t, bool becomes_active) {
  slot_state& sl = s.live.slots[k];
  const prepared_zone& z = zones[s.zones[k]];
  const params_entry& pe = params[s.params[k]];
  sl.sched_active = becomes_active ? 1 : 0;
  const auto nt = z.sched.next_transition(from_epoch_ms(t));
  sl.sched_next_ms = nt ? to_epoch_ms(*nt) : never_ms;
  sl.last_verdict = 0xff;
  if (is_curfew(z)) {
    const curfew_timing ct{ms_of(pe.p.curfew_grace), ms_of(pe.p.curfew_stale_after), ms_of(pe.p.curfew_min_return)};
    if (becomes_active) {
      sl.cf.start_window(t, sl.sched_next_ms, [](curfew_event, const curfew_tracker&) {});
    } else {
      auto on = [&](curfew_event ev, const curfew_tracker& c) { curfew_callback(s, k, ev, c, t); };
      sl.cf.end_window(ct, on);
    }
    return;
  }
  if (!becomes_active && sl.ph == phase::open) {
    sl.cur.end_ms = t;
    sl.cur.rejected = s.live.rejected_total - sl.rejected_at_open;
    sl.cur.priority = priority_of(s, k, z.side == breach_side::inside ? alert_rule::exclusion : alert_rule::inclusion,
                                  sl.cur, t);
    transition(s, k, z.side == breach_side::inside ? alert_rule::exclusion : alert_rule::inclusion,
               alert_event_kind::closed, sl.cur, t);
  }
  sl.ph = phase::clear;
  sl.run_count = sl.exit_count = 0;
}

void monitor_impl::curfew_callback(subject& s, std::uint32_t k, curfew_event ev, const curfew_tracker& c,
                                   std::int64_t now_ms) {
  slot_state& sl = s.live.slots[k];
  switch (ev) {
    case curfew_event::absence_started:
      sl.cur = episode{};
      sl.cur.start_ms = c.ep_start;
      sl.cur.late_arrival = c.late_arrival() ? 1 : 0;
      sl.rejected_at_open = s.live.rejected_total;
      if (sl.cf_rec.t_ms <= c.ep_start || c.late_arrival()) {
        add_evidence(sl.cur, sl.cf_rec, sl.cf_acc_m);
        sl.cur.max_depth_m = sl.cf_depth_m;
      }
      return;
    case curfew_event::breach_opened:
      sl.cur.fix_count = c.outside_samples;
      sl.cur.rejected = s.live.rejected_total - sl.rejected_at_open;
      sl.cur.id = alert_id_hash(s.id, alert_rule::curfew, zones[s.zones[k]].zone_id, from_epoch_ms(sl.cur.start_ms));
      sl.cur.priority = priority_of(s, k, alert_rule::curfew, sl.cur, c.last_out_end);
      sl.alerted = 1;
      transition(s, k, alert_rule::curfew, alert_event_kind::opened, sl.cur, now_ms);
      return;
    case curfew_event::extended: {
      sl.cur.fix_count = c.outside_samples;
      const std::uint8_t p = priority_of(s, k, alert_rule::curfew, sl.cur, c.last_out_end);
      if (p != sl.cur.priority) {
        sl.cur.priority = p;
        sl.cur.rejected = s.live.rejected_total - sl.rejected_at_open;
        transition(s, k, alert_rule::curfew, alert_event_kind::updated, sl.cur, now_ms);
      }
      return;
    }
    case curfew_event::closed: {
      const params_entry& pe = params[s.params[k]];
      const bool breach = c.last_out_end - c.ep_start > ms_of(pe.p.curfew_grace);
      if (!breach) return;
      sl.cur.fix_count = c.outside_samples;
      sl.cur.end_ms = c.last_out_end;
      sl.cur.rejected = s.live.rejected_total - sl.rejected_at_open;
      sl.cur.priority = priority_of(s, k, alert_rule::curfew, sl.cur, c.last_out_end);
      if (!sl.alerted) {
        sl.cur.id = alert_id_hash(s.id, alert_rule::curfew, zones[s.zones[k]].zone_id, from_epoch_ms(sl.cur.start_ms));
        episode open_form = sl.cur;
        open_form.end_ms = never_ms;
        transition(s, k, alert_rule::curfew, alert_event_kind::opened, open_form, now_ms);
      }
      transition(s, k, alert_rule::curfew, alert_event_kind::closed, sl.cur, now_ms);
      sl.alerted = 0;
      return;
    }
  }
}

void monitor_impl::mark(subject& s, const hrec& r, bool rejected) {
  // The record is almost always the newest or next to it: look back from
  // the end (the lines just written) before a binary search over history.
  auto it = s.history.end();
  if (it != s.history.begin() && same_record(*(it - 1), r)) {
    --it;  // the newest (history holds no duplicates)
  } else {
    for (int steps = 0; it != s.history.begin() && !(*(it - 1) < r); --it)
      if (++steps == 8) {
        it = std::lower_bound(s.history.begin(), it, r);
        break;
      }
    if (it == s.history.end() || !same_record(*it, r)) return;
  }
  mark_pos = static_cast<std::size_t>(it - s.history.begin());
  const bool was = it->pad0 != 0;
  if (was == rejected) return;
  const bool was_usable = victim_usable(*it);
  it->pad0 = rejected ? 1 : 0;
  if (s.victim_device && was_usable != victim_usable(*it))
    victim_fix_changed(s, static_cast<std::size_t>(it - s.history.begin()));
  if (rejected) {
    ++counters.motion_rejected;
    ++s.set_aside[errc::impossible_jump];
  } else {
    --counters.motion_rejected;
    if (--s.set_aside[errc::impossible_jump] == 0) s.set_aside.erase(errc::impossible_jump);
  }
}

void monitor_impl::process(subject& s, const hrec& rr) {
  const hrec r = rr;  // history may not move during processing, but keep a copy for safety
  maybe_snapshot(s, r.t_ms);
  init_schedules(s, r.t_ms);
  subject_live& L = s.live;
  if (r.kind != 0) {
    if (!L.filter.holding()) run_timers(s, r.t_ms);
    device_event_rule(s, r);
    L.clock_ms = std::max(L.clock_ms, r.t_ms);
    return;
  }
  fix_seen(s, r);
  const xy p = cfg.frame.forward(lat_lon::from_degrees(r.lat_deg(), r.lon_deg()).value());
  if (s.vproj) s.vproj->put({r.t_ms, r.lat_e7, r.lon_e7, p.x_m, p.y_m});
  const bool had_held = L.filter.holding();
  const hrec held = L.held;
  const xy held_xy = L.filter.held_point().pos;
  const motion_decision d = L.filter.push({from_epoch_ms(r.t_ms), p, r.accuracy_m}, cfg.motion);
  if (had_held) {
    if (d.held == motion_outcome::accept) {
      mark(s, held, false);
      apply_fix(s, held, held_xy, d.held_accuracy_m, d.held_accuracy_m > held.accuracy_m + 1e-9);
    } else if (d.held == motion_outcome::reject) {
      mark(s, held, true);
      ++L.rejected_total;
    }
  }
  run_timers(s, r.t_ms);
  switch (d.current) {
    case motion_outcome::accept:
      mark(s, r, false);
      apply_fix(s, r, p, d.current_accuracy_m, d.current_accuracy_m > r.accuracy_m + 1e-9);
      break;
    case motion_outcome::reject:
      mark(s, r, true);
      ++L.rejected_total;
      break;
    case motion_outcome::hold:
      L.held = r;
      break;
    case motion_outcome::none: break;
  }
  // Curfew timelines advance with every step so that a breach is known as
  // soon as the absence passes its grace period.
  L.clock_ms = std::max(L.clock_ms, r.t_ms);
  if (!s.links.empty()) decide_links(s, link_horizon(s, L.clock_ms), false);
}

std::int64_t monitor_impl::link_horizon(const subject& s, std::int64_t now_ms) const noexcept {
  // Never decide past a fix the motion filter still holds: it may yet be
  // accepted, and samples are decided in time order.
  std::int64_t h = now_ms - ms_of(cfg.proximity.stale_after);
  // The victim's fixes after the last accepted fix are aligned with the
  // next accepted one, which may be the held fix.
  if (s.live.filter.holding()) h = std::min(h, s.live.has_last ? s.live.last.t_ms : s.live.held.t_ms - 1);
  return h;
}

void monitor_impl::advance_subject(subject& s, std::int64_t w) {
  subject_live& L = s.live;
  if (s.history.empty() || w <= L.clock_ms) return;
  maybe_snapshot(s, w);
  check_gap(s, w);
  if (L.filter.holding() && w - L.held.t_ms > ms_of(cfg.motion.hold_max)) {
    const hrec held = L.held;
    const xy held_xy = L.filter.held_point().pos;
    const double acc = L.filter.release(cfg.motion);
    mark(s, held, false);
    apply_fix(s, held, held_xy, acc, acc > held.accuracy_m + 1e-9);
  }
  if (!s.links.empty()) decide_links(s, link_horizon(s, w), false);
  if (L.filter.holding()) return;
  run_timers(s, w);
  for (std::uint32_t k = 0; k < L.slots.size(); ++k) {
    slot_state& sl = L.slots[k];
    if (!sl.cf.in_window || !is_curfew(zones[s.zones[k]])) continue;
    const params_entry& pe = params[s.params[k]];
    const curfew_timing ct{ms_of(pe.p.curfew_grace), ms_of(pe.p.curfew_stale_after), ms_of(pe.p.curfew_min_return)};
    auto on = [&](curfew_event ev, const curfew_tracker& c) { curfew_callback(s, k, ev, c, w); };
    sl.cf.consume_until(w, ct, on);
  }
  L.clock_ms = w;
}

void monitor_impl::add_evidence(episode& e, const hrec& r, double acc_m) const noexcept {
  const std::size_t cap = cfg.max_evidence_fixes;
  const ev_fix f = to_ev(r, acc_m);
  for (std::size_t i = 0; i < e.n_ev; ++i)
    if (e.ev[i] == f) return;
  if (e.n_ev < cap)
    e.ev[e.n_ev++] = f;
  else
    e.ev[cap - 1] = f;  // keep the first cap-1 and the latest
}

std::uint8_t monitor_impl::priority_of(const subject& s, std::uint32_t k, alert_rule rule, const episode& e,
                                       std::int64_t now_ms) const noexcept {
  const prepared_zone& z = zones[s.zones[k]];
  int p = 3;
  switch (rule) {
    case alert_rule::exclusion: p = z.kind == zone_kind::victim_home ? 1 : 2; break;
    case alert_rule::curfew: p = 2; break;
    case alert_rule::inclusion: p = 3; break;
    case alert_rule::transit: p = z.kind == zone_kind::victim_home ? 3 : 4; break;
    default: break;
  }
  if (s.risk == risk_level::high) --p;
  if (s.risk == risk_level::low) ++p;
  const std::int64_t end = e.end_ms == never_ms ? now_ms : e.end_ms;
  if (end - e.start_ms >= 30 * 60'000 || e.max_depth_m >= 100.0f) --p;
  if (e.confidence == static_cast<std::uint8_t>(alert_confidence::probable)) ++p;
  return static_cast<std::uint8_t>(std::clamp(p, 1, 5));
}

alert_type monitor_impl::type_of(std::uint32_t zone_index, alert_rule rule) const noexcept {
  switch (rule) {
    case alert_rule::curfew: return alert_type::curfew;
    case alert_rule::inclusion: return alert_type::inclusion;
    case alert_rule::proximity_warning: return alert_type::proximity_warning;
    case alert_rule::proximity: return alert_type::proximity;
    case alert_rule::unmonitored:
    case alert_rule::no_gps:
    case alert_rule::device_offline: return alert_type::unmonitored;
    case alert_rule::tamper: return alert_type::tamper;
    case alert_rule::battery_low:
    case alert_rule::battery_critical: return alert_type::battery;
    case alert_rule::exclusion:
    case alert_rule::transit: break;
  }
  (void)zone_index;
  return alert_type::exclusion;
}

void monitor_impl::apply_fix(subject& s, const hrec& r, xy p, double acc_m, bool inflated) {
  subject_live& L = s.live;
  const std::int64_t t = r.t_ms;
  const bool weak = inflated || r.code != static_cast<std::uint8_t>(fix_source::gps);
  for (std::uint32_t k = 0; k < L.slots.size(); ++k) {
    slot_state& sl = L.slots[k];
    const prepared_zone& z = zones[s.zones[k]];
    const params_entry& pe = params[s.params[k]];
    const rule_params& P = pe.p;
    const verdict v = zone_verdict_of(z, p, acc_m);

    if (is_curfew(z)) {
      const curfew_timing ct{ms_of(P.curfew_grace), ms_of(P.curfew_stale_after), ms_of(P.curfew_min_return)};
      auto on = [&](curfew_event ev, const curfew_tracker& c) { curfew_callback(s, k, ev, c, t); };
      const presence pr = v == verdict::inside    ? presence::inside
                          : v == verdict::outside ? presence::outside
                                                  : presence::uncertain;
      sl.cf.consume_until(t, ct, on);
      const double depth = pr == presence::outside ? -signed_distance_of(z, p) : 0.0;
      if (pr == presence::outside && sl.cf.in_window && sl.cf.open) {
        add_evidence(sl.cur, r, acc_m);
        if (depth > sl.cur.max_depth_m) sl.cur.max_depth_m = static_cast<float>(depth);
        if (weak) sl.cur.confidence = static_cast<std::uint8_t>(alert_confidence::probable);
      }
      sl.cf.sample(t, pr, ct, on);
      sl.cf_rec = r;
      sl.cf_acc_m = static_cast<float>(acc_m);
      sl.cf_depth_m = static_cast<float>(depth);
      sl.last_verdict = static_cast<std::uint8_t>(v);
      continue;
    }
    if (!sl.sched_active) {
      sl.last_verdict = 0xff;
      continue;
    }
    const alert_rule rule = z.side == breach_side::inside ? alert_rule::exclusion : alert_rule::inclusion;
    const verdict breach_v = z.side == breach_side::inside ? verdict::inside : verdict::outside;
    const verdict clear_v = z.side == breach_side::inside ? verdict::outside : verdict::inside;

    // Transit: a straight path between two fixes, both clearly outside,
    // through an exclusion zone.
    if (z.side == breach_side::inside && P.transit && sl.ph == phase::clear && L.has_last &&
        sl.last_verdict == static_cast<std::uint8_t>(verdict::outside) && v == verdict::outside &&
        t - L.last.t_ms <= ms_of(P.transit_max_gap)) {
      box seg;
      seg.extend(L.last_xy);
      seg.extend(p);
      if (!(seg.max.x_m < z.bounds.min.x_m || seg.min.x_m > z.bounds.max.x_m || seg.max.y_m < z.bounds.min.y_m ||
            seg.min.y_m > z.bounds.max.y_m)) {
        const transit_result fwd = z.polygonal ? z.poly.transit(L.last_xy, p) : transit(z.disc, L.last_xy, p);
        if (fwd.crosses()) {
          const transit_result back = z.polygonal ? z.poly.transit(p, L.last_xy) : transit(z.disc, p, L.last_xy);
          const xy mid{(fwd.entry.x_m + back.entry.x_m) / 2, (fwd.entry.y_m + back.entry.y_m) / 2};
          const double depth = signed_distance_of(z, mid) - z.tolerance_m;
          if (depth >= std::max(P.transit_min_depth_m, std::max(L.last_acc_m, acc_m))) {
            episode e;
            const double dt = static_cast<double>(t - L.last.t_ms);
            e.start_ms = L.last.t_ms + static_cast<std::int64_t>(std::llround(fwd.entry_t * dt));
            e.end_ms = t - static_cast<std::int64_t>(std::llround(back.entry_t * dt));
            if (e.end_ms < e.start_ms) e.end_ms = e.start_ms;
            add_evidence(e, L.last, L.last_acc_m);
            const lat_lon entry = cfg.frame.inverse(fwd.entry);
            hrec er;
            er.t_ms = e.start_ms;
            er.lat_e7 = quantise_deg(entry.lat_deg());
            er.lon_e7 = quantise_deg(entry.lon_deg());
            add_evidence(e, er, std::max(L.last_acc_m, acc_m));
            add_evidence(e, r, acc_m);
            e.max_depth_m = static_cast<float>(depth);
            e.confidence = static_cast<std::uint8_t>(alert_confidence::probable);
            e.id = alert_id_hash(s.id, alert_rule::transit, z.zone_id, from_epoch_ms(e.start_ms));
            e.priority = priority_of(s, k, alert_rule::transit, e, t);
            episode open_form = e;
            open_form.end_ms = never_ms;
            transition(s, k, alert_rule::transit, alert_event_kind::opened, open_form, t);
            transition(s, k, alert_rule::transit, alert_event_kind::closed, e, t);
          }
        }
      }
    }

    auto depth_of = [&]() {
      const double d = signed_distance_of(z, p);
      return static_cast<float>(z.side == breach_side::inside ? d : -d);
    };
    auto start_run = [&]() {
      sl.ph = phase::candidate;
      sl.run_count = 1;
      sl.run_start_ms = sl.run_last_ms = t;
      sl.cur = episode{};
      sl.cur.start_ms = t;
      sl.cur.max_depth_m = depth_of();
      sl.cur.confidence = static_cast<std::uint8_t>(weak ? alert_confidence::probable : alert_confidence::certain);
      add_evidence(sl.cur, r, acc_m);
      sl.rejected_at_open = L.rejected_total;
    };
    auto maybe_confirm = [&]() {
      if (sl.run_count >= P.confirm_fixes || (sl.run_count >= 2 && t - sl.run_start_ms >= ms_of(P.confirm_dwell))) {
        sl.ph = phase::open;
        sl.exit_count = 0;
        sl.cur.fix_count = sl.run_count;
        sl.cur.id = alert_id_hash(s.id, rule, z.zone_id, from_epoch_ms(sl.cur.start_ms));
        sl.cur.rejected = L.rejected_total - sl.rejected_at_open;
        sl.cur.priority = priority_of(s, k, rule, sl.cur, t);
        transition(s, k, rule, alert_event_kind::opened, sl.cur, t);
      }
    };
    switch (sl.ph) {
      case phase::clear:
        if (v == breach_v) {
          start_run();
          maybe_confirm();
        }
        break;
      case phase::candidate:
        if (v == breach_v) {
          if (t - sl.run_last_ms > ms_of(P.max_gap)) {
            start_run();
          } else {
            ++sl.run_count;
            sl.run_last_ms = t;
            add_evidence(sl.cur, r, acc_m);
            const float dd = depth_of();
            if (dd > sl.cur.max_depth_m) sl.cur.max_depth_m = dd;
            if (weak) sl.cur.confidence = static_cast<std::uint8_t>(alert_confidence::probable);
          }
          maybe_confirm();
        } else if (v == clear_v) {
          sl.ph = phase::clear;
          sl.run_count = 0;
        }
        break;
      case phase::open:
        if (v == breach_v) {
          ++sl.cur.fix_count;
          if (sl.exit_count) {
            sl.exit_count = 0;
            sl.cur.n_ev = sl.ev_mark;
          }
          const float dd = depth_of();
          if (dd > sl.cur.max_depth_m) sl.cur.max_depth_m = dd;
          const std::uint8_t pr = priority_of(s, k, rule, sl.cur, t);
          if (pr != sl.cur.priority) {
            sl.cur.priority = pr;
            sl.cur.rejected = L.rejected_total - sl.rejected_at_open;
            transition(s, k, rule, alert_event_kind::updated, sl.cur, t);
          }
        } else if (v == clear_v) {
          if (sl.exit_count == 0) {
            sl.exit_start_ms = t;
            sl.ev_mark = sl.cur.n_ev;
          }
          ++sl.exit_count;
          add_evidence(sl.cur, r, acc_m);
          if (sl.exit_count >= P.exit_fixes) {
            sl.cur.end_ms = sl.exit_start_ms;
            sl.cur.rejected = L.rejected_total - sl.rejected_at_open;
            sl.cur.priority = priority_of(s, k, rule, sl.cur, t);
            transition(s, k, rule, alert_event_kind::closed, sl.cur, t);
            sl.ph = phase::clear;
            sl.run_count = sl.exit_count = 0;
          }
        }
        break;
    }
    sl.last_verdict = static_cast<std::uint8_t>(v);
  }
  L.last = r;
  L.last_xy = p;
  L.last_acc_m = acc_m;
  L.has_last = 1;
  aux_accepted_fix(s, r, p, acc_m, weak);
}

// ---------------------------------------------------------------------------
// Publication

void monitor_impl::transition(subject& s, std::uint32_t k, alert_rule rule, alert_event_kind kind, episode& e,
                              std::int64_t decided_ms) {
  e.decided_ms = decided_ms;
  if (rule != alert_rule::transit) pub_of(s, k) = e;
  const bool open = kind != alert_event_kind::closed;
  if (replaying) {
    for (auto it = replay_log.rbegin(); it != replay_log.rend(); ++it)
      if (it->ep.id == e.id && it->slot == k && it->rule == rule) {
        it->ep = e;
        it->open = open;
        it->last_decided_ms = decided_ms;
        return;
      }
    replay_log.push_back({k, rule, open, decided_ms, e});
    return;
  }
  bool found = false;
  for (auto it = s.pubs.rbegin(); it != s.pubs.rend(); ++it)
    if (it->ep.id == e.id && it->slot == k && it->rule == rule) {
      it->ep = e;
      it->open = open;
      it->last_decided_ms = decided_ms;
      found = true;
      break;
    }
  if (!found) s.pubs.push_back({k, rule, open, decided_ms, e});
  publish(s, k, rule, kind, e, decided_ms);
}

void monitor_impl::publish(const subject& s, std::uint32_t slot, alert_rule rule, alert_event_kind kind,
                           const episode& e, std::int64_t decided_ms) {
  const alert_type type = type_of(slot < s.zones.size() ? s.zones[slot] : 0, rule);
  ++counters.alerts[{type, kind}];
  if (!sink) return;
  if (slot >= s.zones.size()) {
    alert_event a;
    a.alert_id = alert_id_text(e.id);
    a.event = kind;
    a.type = type;
    a.rule = rule;
    a.subject_id = s.id;
    a.start = from_epoch_ms(e.start_ms);
    if (e.end_ms != never_ms && kind != alert_event_kind::opened && kind != alert_event_kind::updated)
      a.end = from_epoch_ms(e.end_ms);
    a.priority = e.priority;
    a.confidence = static_cast<alert_confidence>(e.confidence);
    a.fix_count = e.fix_count;
    a.decided_at = from_epoch_ms(decided_ms);
    a.rejected_fixes = e.rejected;
    for (std::size_t i = 0; i < e.n_ev; ++i)
      a.fixes.push_back({from_epoch_ms(e.ev[i].t_ms()), e.ev[i].lat_e7 * 1e-7, e.ev[i].lon_e7 * 1e-7,
                         static_cast<double>(e.ev[i].accuracy_m)});
    aux_publish_fields(s, slot - static_cast<std::uint32_t>(s.zones.size()), e, a);
    sink->on_alert(a);
    return;
  }
  const prepared_zone& z = zones[s.zones[slot]];
  const params_entry& pe = params[s.params[slot]];
  alert_event a;
  a.alert_id = alert_id_text(e.id);
  a.event = kind;
  a.type = type;
  a.rule = rule;
  a.subject_id = s.id;
  a.zone_id = z.zone_id;
  a.victim_id = z.victim_id;
  a.start = from_epoch_ms(e.start_ms);
  if (e.end_ms != never_ms && kind != alert_event_kind::opened && kind != alert_event_kind::updated)
    a.end = from_epoch_ms(e.end_ms);
  if (e.end_ms != never_ms && (kind == alert_event_kind::amended || kind == alert_event_kind::retracted))
    a.end = from_epoch_ms(e.end_ms);
  a.priority = e.priority;
  a.confidence = static_cast<alert_confidence>(e.confidence);
  a.fix_count = e.fix_count;
  if (e.max_depth_m >= 0) a.max_depth_m = static_cast<double>(e.max_depth_m);
  a.decided_at = from_epoch_ms(decided_ms);
  a.late_arrival = e.late_arrival != 0;
  a.rejected_fixes = e.rejected;
  for (std::size_t i = 0; i < e.n_ev; ++i)
    a.fixes.push_back({from_epoch_ms(e.ev[i].t_ms()), e.ev[i].lat_e7 * 1e-7, e.ev[i].lon_e7 * 1e-7,
                       static_cast<double>(e.ev[i].accuracy_m)});
  a.zone_version = z.version;
  a.schedule_json = z.schedule_json;
  a.params_json = rule == alert_rule::curfew ? pe.json_curfew
                  : rule == alert_rule::transit ? pe.json_transit
                                                : pe.json_hysteresis;
  sink->on_alert(a);
}

// ---------------------------------------------------------------------------
// Late data: replay from the snapshot before it and publish the differences.

void monitor_impl::resolve(subject& s) {
  if (s.dirty_from == never_ms) return;
  ++counters.replays;
  const std::int64_t from = s.dirty_from;
  s.dirty_from = never_ms;
  std::size_t idx = 0;
  for (std::size_t i = 0; i < s.snaps.size(); ++i)
    if (s.snaps[i].t_ms <= from) idx = i;
  const std::int64_t old_clock = s.live.clock_ms;
  const std::int64_t base = s.snaps[idx].t_ms;
  s.live = s.snaps[idx].state;
  s.snaps.resize(idx + 1);

  replaying = true;
  replay_log.clear();
  auto it = std::lower_bound(s.history.begin(), s.history.end(), base,
                             [](const hrec& r, std::int64_t t) { return r.t_ms < t; });
  for (std::size_t i = static_cast<std::size_t>(it - s.history.begin()); i < s.history.size(); ++i)
    process(s, s.history[i]);
  advance_subject(s, old_clock);
  replaying = false;

  // Episodes the replay decided: those it published, plus those open at the
  // snapshot that it did not touch.
  std::vector<replay_entry> r = std::move(replay_log);
  replay_log.clear();
  for (std::uint32_t k = 0; k < s.live.slots.size(); ++k) {
    const slot_state& sl = s.live.slots[k];
    const prepared_zone& z = zones[s.zones[k]];
    const bool open = is_curfew(z) ? sl.alerted != 0 : sl.ph == phase::open;
    if (!open) continue;
    const alert_rule rule = is_curfew(z) ? alert_rule::curfew
                            : z.side == breach_side::inside ? alert_rule::exclusion
                                                            : alert_rule::inclusion;
    bool in_log = false;
    for (const replay_entry& e : r)
      if (e.ep.id == sl.pub.id && e.slot == k && e.rule == rule) in_log = true;
    if (!in_log) r.push_back({k, rule, true, sl.pub.decided_ms, sl.pub});
  }
  for (std::uint32_t a = 0; a < aux_links + 2 * s.links.size(); ++a) {
    const aux_state* xp = aux_ptr(s.live, a);
    if (!xp || xp->ph != phase::open) continue;
    const aux_state& x = *xp;
    const std::uint32_t k = nslots(s) + a;
    const alert_rule rule = aux_rule(a);
    bool in_log = false;
    for (const replay_entry& e : r)
      if (e.ep.id == x.pub.id && e.slot == k && e.rule == rule) in_log = true;
    if (!in_log) r.push_back({k, rule, true, x.pub.decided_ms, x.pub});
  }
  // Published episodes the replay covers.
  std::vector<std::size_t> scope;
  for (std::size_t i = 0; i < s.pubs.size(); ++i)
    if (s.pubs[i].open || s.pubs[i].last_decided_ms >= base) scope.push_back(i);
  std::vector<int> match_of_r(r.size(), -1);
  std::vector<char> p_used(scope.size(), 0);
  for (std::size_t a = 0; a < r.size(); ++a)
    for (std::size_t b = 0; b < scope.size(); ++b) {
      const published& p = s.pubs[scope[b]];
      if (!p_used[b] && p.ep.id == r[a].ep.id && p.slot == r[a].slot && p.rule == r[a].rule) {
        match_of_r[a] = static_cast<int>(b);
        p_used[b] = 1;
        break;
      }
    }
  for (std::size_t a = 0; a < r.size(); ++a) {
    if (match_of_r[a] >= 0) continue;
    for (std::size_t b = 0; b < scope.size(); ++b) {
      const published& p = s.pubs[scope[b]];
      if (p_used[b] || p.slot != r[a].slot || p.rule != r[a].rule) continue;
      const std::int64_t pe = p.ep.end_ms, re = r[a].ep.end_ms;
      if (r[a].ep.start_ms <= pe && p.ep.start_ms <= re) {
        match_of_r[a] = static_cast<int>(b);
        p_used[b] = 1;
        // Keep the published id: people may already be acting on it.
        const std::uint64_t old_id = r[a].ep.id;
        r[a].ep.id = p.ep.id;
        episode& cur = cur_of(s, r[a].slot);
        episode& pub = pub_of(s, r[a].slot);
        if (cur.id == old_id) cur.id = p.ep.id;
        if (pub.id == old_id) pub.id = p.ep.id;
        break;
      }
    }
  }
  for (std::size_t b = 0; b < scope.size(); ++b)
    if (!p_used[b]) {
      const published& p = s.pubs[scope[b]];
      publish(s, p.slot, p.rule, alert_event_kind::retracted, p.ep, from);
    }
  for (std::size_t a = 0; a < r.size(); ++a) {
    const replay_entry& e = r[a];
    if (match_of_r[a] < 0) {
      episode open_form = e.ep;
      open_form.end_ms = never_ms;
      publish(s, e.slot, e.rule, alert_event_kind::opened, open_form, e.last_decided_ms);
      if (!e.open) publish(s, e.slot, e.rule, alert_event_kind::closed, e.ep, e.last_decided_ms);
      continue;
    }
    const published& p = s.pubs[scope[static_cast<std::size_t>(match_of_r[a])]];
    if (p.ep.same_content(e.ep) && p.open == e.open) continue;
    episode as_open = e.ep;
    as_open.end_ms = never_ms;
    if (p.open && !e.open && p.ep.same_content(as_open))
      publish(s, e.slot, e.rule, alert_event_kind::closed, e.ep, e.last_decided_ms);
    else
      publish(s, e.slot, e.rule, alert_event_kind::amended, e.ep, from);
  }
  std::vector<published> kept;
  kept.reserve(s.pubs.size() + r.size());
  std::size_t si = 0;
  for (std::size_t i = 0; i < s.pubs.size(); ++i) {
    if (si < scope.size() && scope[si] == i) {
      ++si;
      continue;
    }
    kept.push_back(s.pubs[i]);
  }
  for (const replay_entry& e : r) kept.push_back({e.slot, e.rule, e.open, e.last_decided_ms, e.ep});
  s.pubs = std::move(kept);
}

void monitor_impl::trim(subject& s, std::int64_t horizon_ms) {
  std::size_t idx = 0;
  for (std::size_t i = 0; i < s.snaps.size(); ++i)
    if (s.snaps[i].t_ms <= horizon_ms) idx = i;
  if (idx == 0) return;
  s.snaps.erase(s.snaps.begin(), s.snaps.begin() + static_cast<std::ptrdiff_t>(idx));
  const std::int64_t base = s.snaps.front().t_ms;
  auto it = std::lower_bound(s.history.begin(), s.history.end(), base,
                             [](const hrec& r, std::int64_t t) { return r.t_ms < t; });
  s.history.erase(s.history.begin(), it);
  std::erase_if(s.pubs, [&](const published& p) { return !p.open && p.last_decided_ms < base; });
}

void monitor_impl::advance(std::int64_t w) {
  if (w <= watermark_ms) return;
  watermark_ms = w;
  const std::int64_t horizon = w - ms_of(cfg.allowed_lateness);
  // Every subject in turn: fetch the next ones' state meanwhile.
  const auto n = static_cast<std::uint32_t>(subjects.size());
  for (std::uint32_t k = 0; k < std::min<std::uint32_t>(n, 2); ++k) prefetch_subject(k);
  if (n) prefetch_subject_heap(0);
  for (std::uint32_t k = 0; k < n; ++k) {
    if (k + 2 < n) prefetch_subject(k + 2);
    if (k + 1 < n) {
      prefetch_subject_heap(k + 1);
      for (const snapshot& sn : subjects[k + 1].snaps) __builtin_prefetch(&sn.t_ms, 0, 3);  // trim
    }
    subject& s = subjects[k];
    resolve(s);
    advance_subject(s, w);
    trim(s, horizon);
  }
}

void monitor_impl::flush() {
  for (subject& s : subjects) resolve(s);
  if (max_time_ms > watermark_ms) advance(max_time_ms);
  // End of input: a held fix will get no lookahead. Victim devices first:
  // what their filters decide now may re-decide the subjects linked to them.
  for (int pass = 0; pass < 2; ++pass)
  for (subject& s : subjects) {
    if ((s.victim_device != 0) != (pass == 0)) continue;
    if (pass == 1) resolve(s);
    subject_live& L = s.live;
    if (!L.filter.holding()) continue;
    const hrec held = L.held;
    const xy held_xy = L.filter.held_point().pos;
    const double acc = L.filter.release(cfg.motion);
    mark(s, held, false);
    apply_fix(s, held, held_xy, acc, acc > held.accuracy_m + 1e-9);
    run_timers(s, L.clock_ms);
  }
  // End of input: proximity samples get no more lookahead either.
  for (subject& s : subjects)
    if (!s.links.empty()) decide_links(s, s.live.clock_ms, true);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Public surface

std::string_view to_string(risk_level r) noexcept {
  switch (r) {
    case risk_level::low: return "low";
    case risk_level::medium: return "medium";
    case risk_level::high: return "high";
  }
  return "medium";
}

void rule_overrides::apply(rule_params& p) const noexcept {
  if (confirm_fixes) p.confirm_fixes = *confirm_fixes;
  if (confirm_dwell) p.confirm_dwell = *confirm_dwell;
  if (exit_fixes) p.exit_fixes = *exit_fixes;
  if (max_gap) p.max_gap = *max_gap;
  if (curfew_grace) p.curfew_grace = *curfew_grace;
  if (curfew_stale_after) p.curfew_stale_after = *curfew_stale_after;
  if (curfew_min_return) p.curfew_min_return = *curfew_min_return;
  if (transit) p.transit = *transit;
  if (transit_min_depth_m) p.transit_min_depth_m = *transit_min_depth_m;
}

result<monitor> monitor::create(std::vector<zone> zones, std::vector<victim_link> links, monitor_config config) {
  auto impl = std::make_unique<detail::monitor_impl>();
  impl->cfg = std::move(config);
  impl->links = std::move(links);
  auto r = impl->init(std::move(zones));
  if (!r) return r.err();
  return monitor(std::move(impl));
}

monitor::monitor(std::unique_ptr<detail::monitor_impl> impl) noexcept : impl_(std::move(impl)) {}
monitor::monitor(monitor&&) noexcept = default;
monitor& monitor::operator=(monitor&&) noexcept = default;
monitor::~monitor() = default;

void monitor::set_sink(alert_sink* sink) noexcept { impl_->sink = sink; }
errc monitor::push(const fix& f) { return impl_->push_fix(f); }
errc monitor::push(const device_event& e) { return impl_->push_event(e); }
std::size_t monitor::push_batch(std::span<const fix> fixes, std::span<errc> results) {
  if (!results.empty() && results.size() != fixes.size()) throw std::invalid_argument("push_batch: results.size() != fixes.size()");
  return impl_->push_batch(fixes, results);
}
void monitor::advance(instant w) { impl_->advance(to_epoch_ms(w)); }
void monitor::flush() { impl_->flush(); }
instant monitor::watermark() const noexcept {
  return impl_->watermark_ms == detail::dawn_ms ? min_instant() : from_epoch_ms(impl_->watermark_ms);
}
const monitor_counters& monitor::counters() const noexcept { return impl_->counters; }
std::size_t monitor::subject_count() const noexcept { return impl_->subjects.size(); }

std::vector<unmonitored_subject> monitor::unmonitored_now(instant now, std::optional<milliseconds> gap) const {
  const detail::monitor_impl& im = *impl_;
  const std::int64_t g = gap ? gap->count() : im.cfg.unmonitored.gap.count();
  const std::int64_t t = to_epoch_ms(now);
  std::vector<unmonitored_subject> out;
  auto consider = [&](std::string_view id) {
    const std::uint32_t k = im.find_subject(id);
    unmonitored_subject u;
    u.subject_id = std::string(id);
    if (k == UINT32_MAX || im.subjects[k].max_fix_ms == detail::dawn_ms) {
      out.push_back(std::move(u));
      return;
    }
    const detail::subject& s = im.subjects[k];
    if (t - s.max_fix_ms <= g) return;
    u.last_fix = from_epoch_ms(s.max_fix_ms);
    u.since = u.last_fix;
    u.explained = s.live.explained != 0 ||
                  (s.absence != UINT32_MAX &&
                   im.unexplained_start(s, std::max(s.max_fix_ms, s.live.unexplained_ms), t, g) == detail::never_ms);
    out.push_back(std::move(u));
  };
  for (const std::string& id : im.ordered_subjects) consider(id);
  for (const detail::subject& s : im.subjects)
    if (!s.victim_device && !std::binary_search(im.ordered_subjects.begin(), im.ordered_subjects.end(), s.id))
      consider(s.id);
  std::sort(out.begin(), out.end(), [](const unmonitored_subject& a, const unmonitored_subject& b) {
    const std::int64_t ta = a.last_fix ? to_epoch_ms(*a.last_fix) : detail::dawn_ms;
    const std::int64_t tb = b.last_fix ? to_epoch_ms(*b.last_fix) : detail::dawn_ms;
    if (ta != tb) return ta < tb;
    return a.subject_id < b.subject_id;
  });
  return out;
}

std::map<errc, std::uint64_t> monitor::subject_set_aside(std::string_view id) const {
  auto it = impl_->index.find(id);
  if (it == impl_->index.end()) return {};
  return impl_->subjects[it->second].set_aside;
}

monitor_memory monitor::memory() const {
  monitor_memory m;
  const detail::monitor_impl& im = *impl_;
  m.subjects = im.subjects.size();
  for (const detail::subject& s : im.subjects) {
    // The small vectors' inline storage is inside sizeof(subject).
    const auto heap = [](const auto& v, std::size_t inline_n) {
      return v.capacity() > inline_n ? v.capacity() * sizeof(v[0]) : std::size_t{0};
    };
    m.live_bytes += sizeof(detail::subject) + s.id.capacity() + heap(s.zones, 4) + heap(s.params, 4) +
                    s.live.slots.capacity() * sizeof(detail::slot_state) + s.set_aside.size() * 48 +
                    (s.live.aux.capacity() + s.live.prox.capacity()) * sizeof(detail::aux_state) +
                    s.live.link_st.capacity() * sizeof(detail::link_state) + heap(s.links, 1) +
                    heap(s.victim_of, 1) + (s.vproj ? sizeof(detail::victim_proj_ring) : 0);
    m.history_bytes += s.history.capacity() * sizeof(detail::hrec);
    for (const detail::snapshot& sn : s.snaps)
      m.snapshot_bytes += sizeof(detail::snapshot) + sn.state.slots.capacity() * sizeof(detail::slot_state) +
                          (sn.state.aux.capacity() + sn.state.prox.capacity()) * sizeof(detail::aux_state) +
                          sn.state.link_st.capacity() * sizeof(detail::link_state);
    m.snapshot_bytes += (s.snaps.capacity() - s.snaps.size()) * sizeof(detail::snapshot);
    m.published_bytes += s.pubs.capacity() * sizeof(detail::published);
  }
  m.live_bytes += im.index.size() * 64;
  for (const std::vector<std::uint32_t>* v :
       {&im.batch_first, &im.batch_last, &im.batch_next, &im.batch_subject, &im.batch_order})
    m.batch_bytes += v->capacity() * sizeof(std::uint32_t);
  m.batch_bytes += im.batch_hash.capacity() * sizeof(std::size_t);
  for (const detail::prepared_zone& z : im.zones) m.zone_bytes += sizeof(z) + z.poly.memory_bytes();
  return m;
}

}  // namespace warden
