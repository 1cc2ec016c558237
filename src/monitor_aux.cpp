// The issue-6 rules of the monitoring engine (warden/monitor.hpp): victim
// proximity on time-aligned positions, unmonitored time with the silent
// approach test, and device-health episodes. They run inside the same
// per-subject event-time processing as the zone rules (src/monitor.cpp), so
// snapshots, replay after late data, amendments and checkpoints cover them.
//
// Why proximity decisions lag event time by stale_after: a subject's fix at
// t is compared with the victim's position at t interpolated between the
// victim's fixes around t, and the victim's fix after t normally arrives a
// little later than the subject's. Deciding at t + stale_after sees it in
// the ordinary case; a victim fix that arrives later than that re-decides
// the subject from its snapshot (victim_fix_merged), exactly as a late fix
// of the subject itself does, so the final alert set never depends on which
// of the two devices uploaded first.
#include "monitor_internal.hpp"

#include <charconv>
#include <cmath>

namespace warden::detail {
namespace {

std::int64_t ms_of(std::chrono::milliseconds d) noexcept { return d.count(); }

void append_num(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string_view::npos) s.remove_prefix(1);
  out.append(s);
}

// Eight compass points: a bearing that, with the subject's own position and
// the distance, does not pin the victim down to the metre.
std::string_view compass(double deg) noexcept {
  static constexpr std::string_view names[8] = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"};
  double d = std::fmod(deg, 360.0);
  if (d < 0) d += 360.0;
  return names[static_cast<int>(std::floor((d + 22.5) / 45.0)) % 8];
}

// First record at or after t (`strict`: after t) in a sorted history.
// Proximity samples lag the end of the victim's history by minutes, so
// scan back from the end (a few contiguous cache lines) before falling back
// to a binary search over the whole history.
std::size_t bound_from_end(const std::vector<hrec>& h, std::int64_t t, bool strict) noexcept {
  std::size_t i = h.size();
  for (int steps = 0; i > 0 && (strict ? h[i - 1].t_ms > t : h[i - 1].t_ms >= t); --i)
    if (++steps == 24) {
      const auto it = strict ? std::upper_bound(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(i), t,
                                                [](std::int64_t x, const hrec& r) { return x < r.t_ms; })
                             : std::lower_bound(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(i), t,
                                                [](const hrec& r, std::int64_t x) { return r.t_ms < x; });
      return static_cast<std::size_t>(it - h.begin());
    }
  return i;
}

// The first record at or after t, given a guess that the caller's own scan
// of the same history makes exact almost always; checked, so a wrong guess
// only costs the search.
std::size_t bound_at(const std::vector<hrec>& h, std::int64_t t, std::size_t hint) noexcept {
  if (hint <= h.size() && (hint == 0 || h[hint - 1].t_ms < t) && (hint == h.size() || h[hint].t_ms >= t)) return hint;
  return bound_from_end(h, t, false);
}

// The victim device's position at an instant, from its merged fixes.
struct victim_pos {
  bool known = false;
  bool stale = false;
  xy pos{};
  double accuracy_m = 0;
  std::int64_t age_ms = 0;
  hrec nearest{};  // the victim fix the position rests on (closest in time)
};

}  // namespace

// A silence begins while a no_gps episode is open (fixes of other sources
// were coming, now nothing does): the unmonitored episode stands for the
// silence, so the no_gps episode ends where the silence starts, and the
// report stays remembered in case non-GPS fixes resume after it. Returns
// the cause flag for the unmonitored episode.
std::uint8_t monitor_impl::no_gps_into_silence(subject& s, std::int64_t silence_start_ms, std::int64_t now_ms) {
  if (aux_is(s, aux_no_gps, phase::candidate)) return ep_cause_no_gps;
  if (!aux_is(s, aux_no_gps, phase::open)) return 0;
  aux_state& x = s.live.aux[aux_no_gps];
  aux_close(s, aux_no_gps, alert_rule::no_gps, std::max(x.cur.start_ms, silence_start_ms), now_ms);
  x.ph = phase::candidate;
  x.run_start_ms = silence_start_ms;
  return ep_cause_no_gps;
}

// ---------------------------------------------------------------------------
// Set-up and helpers

episode& monitor_impl::cur_of(subject& s, std::uint32_t k) noexcept {
  return k < nslots(s) ? s.live.slots[k].cur : aux_at(s, k - nslots(s)).cur;
}
episode& monitor_impl::pub_of(subject& s, std::uint32_t k) noexcept {
  return k < nslots(s) ? s.live.slots[k].pub : aux_at(s, k - nslots(s)).pub;
}

alert_rule monitor_impl::aux_rule(std::uint32_t a) const noexcept {
  switch (a) {
    case aux_unmonitored: return alert_rule::unmonitored;
    case aux_tamper: return alert_rule::tamper;
    case aux_battery_low: return alert_rule::battery_low;
    case aux_battery_critical: return alert_rule::battery_critical;
    case aux_no_gps: return alert_rule::no_gps;
    case aux_offline: return alert_rule::device_offline;
    default: break;
  }
  return (a - aux_links) % 2 == 0 ? alert_rule::proximity_warning : alert_rule::proximity;
}

void monitor_impl::init_aux(subject& s, std::uint32_t k) {
  if (std::binary_search(victim_ids.begin(), victim_ids.end(), s.id)) {
    s.victim_device = 1;
    s.vproj = std::make_unique<victim_proj_ring>();
    auto v = std::lower_bound(victim_links.begin(), victim_links.end(), s.id,
                              [](const auto& e, const std::string& id) { return e.first < id; });
    for (; v != victim_links.end() && v->first == s.id; ++v) {
      s.victim_of.push_back(v->second);
      link_victim[v->second] = k;
    }
    return;
  }
  auto it = std::lower_bound(subject_links.begin(), subject_links.end(), s.id,
                             [](const auto& e, const std::string& id) { return e.first < id; });
  for (; it != subject_links.end() && it->first == s.id; ++it) {
    link_subject[it->second] = k;
    link_slot[it->second] = static_cast<std::uint32_t>(s.links.size());
    s.links.push_back(it->second);
  }
  // aux stays empty (every rule clear) until a rule first needs state:
  // most subjects never have a device episode, and snapshots copy it.
  s.live.link_st.resize(s.links.size());
}

aux_state& monitor_impl::aux_at(subject& s, std::uint32_t a) {
  if (a < aux_links) {
    if (s.live.aux.empty()) s.live.aux.resize(aux_links);
    return s.live.aux[a];
  }
  if (s.live.prox.empty()) s.live.prox.resize(2 * s.links.size());
  return s.live.prox[a - aux_links];
}

std::uint8_t monitor_impl::aux_priority(const subject& s, std::uint32_t a, const episode& e,
                                        std::int64_t now_ms) const noexcept {
  int p = 3;
  const std::int64_t end = e.end_ms == never_ms ? now_ms : e.end_ms;
  const std::int64_t dur = end - e.start_ms;
  switch (a) {
    case aux_unmonitored:
      p = 3;
      if (dur >= 3'600'000) --p;
      if (dur >= 4 * 3'600'000) --p;
      if (e.flags & ep_silent_approach) --p;
      break;
    case aux_tamper: p = 2; break;
    case aux_battery_low: p = 4; break;
    case aux_battery_critical: p = 3; break;
    case aux_no_gps: p = 4; break;
    case aux_offline: p = 3; break;
    default:
      p = aux_rule(a) == alert_rule::proximity ? 1 : 2;
      if (dur >= 30 * 60'000) --p;
      if (e.confidence == static_cast<std::uint8_t>(alert_confidence::probable)) ++p;
      break;
  }
  if (s.risk == risk_level::high) --p;
  if (s.risk == risk_level::low) ++p;
  return static_cast<std::uint8_t>(std::clamp(p, 1, 5));
}

void monitor_impl::aux_open(subject& s, std::uint32_t a, alert_rule rule, std::int64_t start_ms,
                            std::int64_t now_ms, std::int64_t eval_ms, std::uint8_t flags) {
  subject_live& L = s.live;
  aux_state& x = aux_at(s, a);
  x.ph = phase::open;
  x.cur = episode{};
  x.cur.start_ms = start_ms;
  x.cur.flags = flags;
  x.rejected_at_open = L.rejected_total;
  // The fix before: where the subject was last seen.
  if (L.has_fix) add_evidence(x.cur, L.last_fix, L.last_fix.accuracy_m);
  x.cur.id = alert_id_hash(s.id, rule, {}, from_epoch_ms(start_ms));
  if (a == aux_unmonitored) silent_approach(s, x.cur, eval_ms);
  x.cur.priority = aux_priority(s, a, x.cur, eval_ms);
  transition(s, nslots(s) + a, rule, alert_event_kind::opened, x.cur, now_ms);
}

void monitor_impl::aux_close(subject& s, std::uint32_t a, alert_rule rule, std::int64_t end_ms,
                             std::int64_t now_ms) {
  if (!aux_is(s, a, phase::open)) return;
  aux_state& x = s.live.aux[a];
  x.cur.end_ms = end_ms;
  x.cur.rejected = s.live.rejected_total - x.rejected_at_open;
  if (a == aux_unmonitored) silent_approach(s, x.cur, end_ms);
  x.cur.priority = aux_priority(s, a, x.cur, now_ms);
  transition(s, nslots(s) + a, rule, alert_event_kind::closed, x.cur, now_ms);
  x.ph = phase::clear;
}

// ---------------------------------------------------------------------------
// Device events and unmonitored time

void monitor_impl::device_event_rule(subject& s, const hrec& r) {
  if (s.victim_device) return;
  subject_live& L = s.live;
  const std::int64_t t = r.t_ms;
  check_gap(s, t);
  const bool was_explained = cfg.unmonitored.rf_charging_explains && L.rf_in_range && L.charging;
  auto open_if_clear = [&](std::uint32_t a) {
    if (!aux_is(s, a, phase::open)) aux_open(s, a, aux_rule(a), t, t, t);
  };
  switch (static_cast<device_event_type>(r.code)) {
    case device_event_type::strap_tamper:
    case device_event_type::case_tamper: open_if_clear(aux_tamper); break;
    case device_event_type::strap_ok: aux_close(s, aux_tamper, alert_rule::tamper, t, t); break;
    case device_event_type::battery_low: open_if_clear(aux_battery_low); break;
    case device_event_type::battery_critical: open_if_clear(aux_battery_critical); break;
    case device_event_type::charging_start:
      L.charging = 1;
      aux_close(s, aux_battery_low, alert_rule::battery_low, t, t);
      aux_close(s, aux_battery_critical, alert_rule::battery_critical, t, t);
      break;
    case device_event_type::charging_end: L.charging = 0; break;
    case device_event_type::rf_in_range: L.rf_in_range = 1; break;
    case device_event_type::rf_out_of_range: L.rf_in_range = 0; break;
    // One silence, one episode (docs/engine.md "Device episodes"): a no_gps
    // report is remembered (candidate) and becomes an episode only when
    // fixes of other sources show that monitoring goes on, degraded; if
    // nothing comes, the silence is the unmonitored episode's, which names
    // the report. device_offline says the silence has begun: it opens the
    // unmonitored episode at once, from the last fix.
    case device_event_type::no_gps:
      if (aux_is(s, aux_unmonitored, phase::open)) L.aux[aux_unmonitored].cur.flags |= ep_cause_no_gps;
      if (aux_is(s, aux_no_gps, phase::clear)) {
        aux_state& x = aux_at(s, aux_no_gps);
        x.ph = phase::candidate;
        x.run_start_ms = t;
      }
      break;
    case device_event_type::gps_ok:
      if (aux_is(s, aux_no_gps, phase::candidate)) L.aux[aux_no_gps].ph = phase::clear;
      aux_close(s, aux_no_gps, alert_rule::no_gps, t, t);
      break;
    case device_event_type::device_offline:
      if (aux_is(s, aux_unmonitored, phase::open)) {
        L.aux[aux_unmonitored].cur.flags |= ep_cause_offline;
      } else if (!was_explained) {
        const std::int64_t start = L.has_fix ? std::min(L.last_fix_ms, t) : t;
        const std::uint8_t f = static_cast<std::uint8_t>(ep_cause_offline | no_gps_into_silence(s, start, t));
        aux_open(s, aux_unmonitored, alert_rule::unmonitored, start, t, t, f);
        L.aux[aux_unmonitored].run_count = 0;  // the next milestone that re-evaluates it: 1 h
      }
      break;
    case device_event_type::device_online:
      // Closes an episode restored from a checkpoint of an older build; the
      // silence itself lasts until the next fix.
      aux_close(s, aux_offline, alert_rule::device_offline, t, t);
      break;
  }
  const bool explained = cfg.unmonitored.rf_charging_explains && L.rf_in_range && L.charging;
  if (was_explained && !explained) L.unexplained_ms = t;
  L.explained = explained ? 1 : 0;
}

// An open unmonitored episode is re-evaluated (duration, reachable area)
// at fixed milestones after its start — the gap, 1 h, 4 h — never at
// whatever instant a watermark happened to arrive, so that its content
// does not depend on how often the caller advances.
std::int64_t monitor_impl::gap_milestone(std::int64_t start_ms, std::int64_t now_ms, std::uint8_t& level) const noexcept {
  const std::int64_t g = ms_of(cfg.unmonitored.gap);
  const std::int64_t ms[3] = {start_ms + g, start_ms + std::max<std::int64_t>(g, 3'600'000),
                              start_ms + std::max<std::int64_t>(g, 4 * 3'600'000)};
  level = 0;
  std::int64_t at = ms[0];
  for (std::uint8_t i = 1; i < 3; ++i)
    if (now_ms >= ms[i]) {
      level = i;
      at = ms[i];
    }
  return at;
}

void monitor_impl::check_gap(subject& s, std::int64_t now_ms) {
  subject_live& L = s.live;
  if (s.victim_device || !L.has_fix) return;
  if (aux_is(s, aux_unmonitored, phase::open)) {
    aux_state& u = L.aux[aux_unmonitored];
    std::uint8_t level = 0;
    const std::int64_t at = gap_milestone(u.cur.start_ms, now_ms, level);
    if (level <= u.run_count) return;
    u.run_count = level;
    silent_approach(s, u.cur, at);
    u.cur.priority = aux_priority(s, aux_unmonitored, u.cur, at);
    transition(s, nslots(s) + aux_unmonitored, alert_rule::unmonitored, alert_event_kind::updated, u.cur, now_ms);
    return;
  }
  if (L.explained) return;
  const std::int64_t from = std::max(L.last_fix_ms, L.unexplained_ms);
  const std::int64_t start = unexplained_start(s, from, now_ms, ms_of(cfg.unmonitored.gap));
  if (start == never_ms) return;
  std::uint8_t level = 0;
  const std::int64_t at = gap_milestone(start, now_ms, level);
  const std::uint8_t cause = no_gps_into_silence(s, start, now_ms);
  aux_open(s, aux_unmonitored, alert_rule::unmonitored, start, now_ms, at, cause);
  L.aux[aux_unmonitored].run_count = level;  // the milestone the content was evaluated at
}

// The start of the first stretch of the silence [from, now) that no
// scheduled absence covers and that lasts longer than the gap, or never_ms.
// A stretch cut short by an absence beginning still counts when it had
// already lasted the gap (the subject was unmonitored before leaving for
// the appointment); after an absence the stretch starts at its end, so the
// subject has the same gap to report again as after any explained silence
// (the RF-and-charging rule: unexplained from charging_end, opened a gap
// later). Depends only on from, now and the schedules, never on how often
// it is asked, so replays and watermark cadence agree.
std::int64_t monitor_impl::unexplained_start(const subject& s, std::int64_t from_ms, std::int64_t now_ms,
                                             std::int64_t gap_ms) const noexcept {
  if (now_ms - from_ms <= gap_ms) return never_ms;
  if (s.absence == UINT32_MAX) return from_ms;
  const std::vector<schedule>& v = absences[s.absence];
  auto absent = [&](std::int64_t t) {
    for (const schedule& a : v)
      if (a.is_active(from_epoch_ms(t))) return true;
    return false;
  };
  auto next_change = [&](std::int64_t t) {
    std::int64_t n = never_ms;
    for (const schedule& a : v)
      if (const auto x = a.next_transition(from_epoch_ms(t))) n = std::min(n, to_epoch_ms(*x));
    return n;
  };
  std::int64_t u = from_ms;
  while (u < now_ms) {
    const std::int64_t n = next_change(u);
    if (absent(u)) {
      u = n;  // an end, or another absence's start (still covered: loop)
      continue;
    }
    if (std::min(n, now_ms) - u > gap_ms) return u;
    u = n;
  }
  return never_ms;
}

void monitor_impl::fix_seen(subject& s, const hrec& r) {
  subject_live& L = s.live;
  if (s.victim_device) return;
  check_gap(s, r.t_ms);
  // aux is empty while every device and unmonitored rule is clear (most
  // subjects, most of the time): then a fix has nothing to close or open.
  if (!L.aux.empty()) device_rules_on_fix(s, r);
  L.last_fix_ms = r.t_ms;
  L.last_fix = r;
  L.has_fix = 1;
}

void monitor_impl::device_rules_on_fix(subject& s, const hrec& r) {
  subject_live& L = s.live;
  bool silence_ended = false;
  if (aux_is(s, aux_unmonitored, phase::open)) {
    add_evidence(L.aux[aux_unmonitored].cur, r, r.accuracy_m);
    aux_close(s, aux_unmonitored, alert_rule::unmonitored, r.t_ms, r.t_ms);
    silence_ended = true;
  }
  // A fix means the device is on; a GPS fix means GPS works, whatever
  // clearing event may have been lost.
  aux_close(s, aux_offline, alert_rule::device_offline, r.t_ms, r.t_ms);
  if (r.code == static_cast<std::uint8_t>(fix_source::gps)) {
    if (aux_is(s, aux_no_gps, phase::candidate)) L.aux[aux_no_gps].ph = phase::clear;
    aux_close(s, aux_no_gps, alert_rule::no_gps, r.t_ms, r.t_ms);
  } else if (aux_is(s, aux_no_gps, phase::candidate)) {
    // Monitoring goes on without GPS: the no_gps episode, from the report
    // or, when a silence covered the report, from the end of the silence
    // (which the unmonitored episode already stands for).
    const std::int64_t start = silence_ended ? r.t_ms : L.aux[aux_no_gps].run_start_ms;
    aux_open(s, aux_no_gps, alert_rule::no_gps, start, r.t_ms, r.t_ms);
  }
}

void monitor_impl::silent_approach(const subject& s, episode& e, std::int64_t now_ms) const {
  const subject_live& L = s.live;
  e.flags = static_cast<std::uint8_t>(e.flags & ~ep_silent_approach);
  e.n_reach = 0;
  e.reach = {};
  if (!L.has_fix) return;
  const double radius = cfg.unmonitored.max_speed_mps * static_cast<double>(now_ms - L.last_fix_ms) / 1000.0;
  e.reach_m = static_cast<float>(radius);
  const xy p = cfg.frame.forward(lat_lon::from_degrees(L.last_fix.lat_deg(), L.last_fix.lon_deg()).value());
  auto note = [&](std::uint16_t what) {
    e.flags |= ep_silent_approach;
    if (e.n_reach < e.reach.size()) e.reach[e.n_reach++] = what;
  };
  for (std::uint32_t k = 0; k < L.slots.size(); ++k) {
    const prepared_zone& z = zones[s.zones[k]];
    if (z.kind != zone_kind::victim_home && z.kind != zone_kind::exclusion) continue;
    if (box_distance_m(z.bounds, p) > radius) continue;
    const double inside = z.polygonal ? z.poly.signed_distance_m(p) : signed_distance_m(z.disc, p);
    if (-inside <= radius) note(static_cast<std::uint16_t>(k));
  }
  for (std::uint32_t j = 0; j < s.links.size(); ++j) {
    const victim_link& lk = links[s.links[j]];
    const std::uint32_t vi = link_victim[s.links[j]];
    if (vi == UINT32_MAX) continue;
    const std::vector<hrec>& h = subjects[vi].history;
    auto it = std::upper_bound(h.begin(), h.end(), now_ms, [](std::int64_t t, const hrec& r) { return t < r.t_ms; });
    while (it != h.begin()) {
      --it;
      if (!victim_usable(*it)) continue;
      const xy v = cfg.frame.forward(lat_lon::from_degrees(it->lat_deg(), it->lon_deg()).value());
      if (distance_m(p, v) - lk.alert_m <= radius) note(static_cast<std::uint16_t>(0x8000u | j));
      break;
    }
  }
}

// ---------------------------------------------------------------------------
// Accepted fixes: device episodes collect them; proximity queues them.

void monitor_impl::aux_accepted_fix(subject& s, const hrec& r, xy p, double acc_m, bool weak) {
  subject_live& L = s.live;
  if (s.victim_device) {
    victim_accepted(s, r, acc_m);
    return;
  }
  for (std::uint32_t a = aux_tamper; a <= aux_offline; ++a)
    if (aux_is(s, a, phase::open)) {
      add_evidence(L.aux[a].cur, r, acc_m);
      ++L.aux[a].cur.fix_count;
    }
  if (s.links.empty()) return;
  link_sample smp;
  smp.t_ms = r.t_ms;
  smp.x_m = p.x_m;
  smp.y_m = p.y_m;
  smp.accuracy_m = static_cast<float>(acc_m);
  smp.lat_e7 = r.lat_e7;
  smp.lon_e7 = r.lon_e7;
  smp.weak = weak ? 1 : 0;
  for (std::uint32_t j = 0; j < s.links.size(); ++j) {
    if (L.link_st[j].n_pending == max_pending_samples) decide_links(s, L.link_st[j].pend(0).t_ms, false);
    L.link_st[j].push_pending(smp);
  }
}

// ---------------------------------------------------------------------------
// Victim devices: what their motion filter decided (victim_usable).

void monitor_impl::victim_accepted(subject& victim, const hrec& r, double acc_m) {
  std::vector<hrec>& h = victim.history;
  auto it = h.end();
  if (mark_pos < h.size() && same_record(h[mark_pos], r)) {
    // mark() has just found it.
    it = h.begin() + static_cast<std::ptrdiff_t>(mark_pos);
  } else {
    // Usually the newest record or next to it (a held fix): look back first.
    for (int steps = 0; it != h.begin() && !(*(it - 1) < r); --it)
      if (++steps == 8) {
        it = std::lower_bound(h.begin(), it, r);
        break;
      }
    if (it == h.end() || !same_record(*it, r)) return;
  }
  const std::uint8_t code = victim_accuracy_code(r.accuracy_m, acc_m);
  if (it->pad1 == code) return;
  it->pad1 = code;
  victim_fix_changed(victim, static_cast<std::size_t>(it - h.begin()));
}

void monitor_impl::victim_fix_changed(const subject& victim, std::size_t at) {
  // A victim fix became a position, stopped being one or changed its
  // accuracy after linked subjects may have decided samples with what was
  // known before: re-decide them from the earliest sample that could take
  // it as the fix after it (after the previous position, at most
  // stale_after before it); the replay runs to the end, which covers the
  // samples that took it as the fix before, or as the last known position.
  const std::vector<hrec>& h = victim.history;
  const hrec& r = h[at];
  const std::int64_t earliest = r.t_ms - ms_of(cfg.proximity.stale_after);
  std::int64_t prev_t = dawn_ms;
  for (std::size_t i = at; i > 0 && h[i - 1].t_ms >= earliest; --i)
    if (victim_usable(h[i - 1])) {
      prev_t = h[i - 1].t_ms;
      break;
    }
  const std::int64_t affected = std::max(prev_t + 1, earliest);
  for (const std::uint32_t li : victim.victim_of) {
    const std::uint32_t oi = link_subject[li];
    if (oi == UINT32_MAX || affected > link_decided[li]) continue;
    subject& o = subjects[oi];
    if (affected <= o.live.link_st[link_slot[li]].decided_ms) o.dirty_from = std::min(o.dirty_from, affected);
  }
}

// ---------------------------------------------------------------------------
// Proximity

void monitor_impl::decide_links(subject& s, std::int64_t upto_ms, bool all) {
  subject_live& L = s.live;
  const std::int64_t stale = ms_of(cfg.proximity.stale_after);
  for (std::uint32_t j = 0; j < s.links.size(); ++j) {
    link_state& ls = L.link_st[j];
    std::int64_t upto = upto_ms;
    if (all) {
      upto = std::max(upto, L.clock_ms);
      if (ls.n_pending) upto = std::max(upto, ls.pend(ls.n_pending - 1u).t_ms);
    }
    const std::uint32_t vi = link_victim[s.links[j]];
    if (!all && vi != UINT32_MAX) {
      // Sooner than stale_after when both devices have reported past a
      // sample: its fixes on either side are known (a victim fix that still
      // comes in late re-decides, as always).
      const std::int64_t last_o = ls.n_pending ? ls.pend(ls.n_pending - 1u).t_ms : ls.has_prev ? ls.prev.t_ms : dawn_ms;
      upto = std::max(upto, std::min(last_o, link_victim_fix_ms[s.links[j]]));
    }
    if (upto <= ls.decided_ms) continue;
    const std::vector<hrec>* vh = vi == UINT32_MAX ? nullptr : &subjects[vi].history;
    std::size_t vpos = 0;
    if (vh) vpos = bound_from_end(*vh, ls.decided_ms, true);
    for (;;) {
      const bool have_o = ls.n_pending > 0 && ls.pend(0).t_ms <= upto;
      const std::int64_t limit = have_o ? ls.pend(0).t_ms : upto + 1;
      // The victim's fixes before the subject's next sample: the subject's
      // position interpolated between its samples around them.
      while (vh && vpos < vh->size() && (*vh)[vpos].t_ms < limit) {
        const hrec& v = (*vh)[vpos++];
        if (!victim_usable(v)) continue;
        const std::int64_t tv = v.t_ms;
        const link_sample* a = ls.has_prev && tv - ls.prev.t_ms <= stale ? &ls.prev : nullptr;
        const link_sample* b = ls.n_pending > 0 && ls.pend(0).t_ms - tv <= stale ? &ls.pend(0) : nullptr;
        if (a && b && b->t_ms > a->t_ms) {
          const double f = static_cast<double>(tv - a->t_ms) / static_cast<double>(b->t_ms - a->t_ms);
          const xy o{a->x_m + f * (b->x_m - a->x_m), a->y_m + f * (b->y_m - a->y_m)};
          link_sample_at(s, j, tv, o, std::max(a->accuracy_m, b->accuracy_m), (a->weak | b->weak) != 0, nullptr,
                         vpos - 1);
        } else if (a || b) {
          const link_sample* o = a ? a : b;
          link_sample_at(s, j, tv, {o->x_m, o->y_m}, o->accuracy_m, o->weak != 0, nullptr, vpos - 1);
        }
      }
      if (!have_o) break;
      const link_sample o = ls.pend(0);
      link_sample_at(s, j, o.t_ms, {o.x_m, o.y_m}, o.accuracy_m, o.weak != 0, &o, vh ? vpos : SIZE_MAX);
      ls.prev = o;
      ls.has_prev = 1;
      ls.pop_pending();
    }
    ls.decided_ms = upto;
    link_decided[s.links[j]] = std::max(link_decided[s.links[j]], upto);
  }
}

void monitor_impl::link_sample_at(subject& s, std::uint32_t j, std::int64_t t, xy o, double o_acc, bool o_weak,
                                  const link_sample* ofix, std::size_t vhint) {
  const victim_link& lk = links[s.links[j]];
  link_state& ls = s.live.link_st[j];
  const std::int64_t stale = ms_of(cfg.proximity.stale_after);
  // The victim's position at t.
  victim_pos vp;
  if (const std::uint32_t vi = link_victim[s.links[j]]; vi != UINT32_MAX) {
    const std::vector<hrec>& h = subjects[vi].history;
    auto it = h.begin() + static_cast<std::ptrdiff_t>(bound_at(h, t, vhint));
    const hrec* next = nullptr;
    for (auto n = it; n != h.end(); ++n)
      if (victim_usable(*n)) {
        next = &*n;
        break;
      }
    const hrec* prev = nullptr;
    if (next && next->t_ms == t) {
      prev = next;
    } else {
      for (auto q = it; q != h.begin();) {
        --q;
        if (victim_usable(*q)) {
          prev = &*q;
          break;
        }
      }
    }
    const victim_proj_ring* vproj = subjects[vi].vproj.get();
    auto proj = [&](const hrec& r) {
      for (const proj_entry& e : ls.proj)
        if (e.t_ms == r.t_ms && e.lat_e7 == r.lat_e7 && e.lon_e7 == r.lon_e7) return xy{e.x_m, e.y_m};
      // The victim's own processing projected it (the same function of the
      // same record, so the same bits).
      xy p;
      if (const proj_entry* e = vproj ? vproj->find(r.t_ms, r.lat_e7, r.lon_e7) : nullptr)
        p = {e->x_m, e->y_m};
      else
        p = cfg.frame.forward(lat_lon::from_degrees(r.lat_deg(), r.lon_deg()).value());
      ls.proj[ls.proj_next] = {r.t_ms, r.lat_e7, r.lon_e7, p.x_m, p.y_m};
      ls.proj_next ^= 1;
      return p;
    };
    const bool pa = prev && t - prev->t_ms <= stale;
    const bool nb = next && next->t_ms - t <= stale;
    if (pa && nb && next->t_ms > prev->t_ms) {
      const xy A = proj(*prev), B = proj(*next);
      const double f = static_cast<double>(t - prev->t_ms) / static_cast<double>(next->t_ms - prev->t_ms);
      vp = {true, false, {A.x_m + f * (B.x_m - A.x_m), A.y_m + f * (B.y_m - A.y_m)},
            std::max(victim_accuracy_m(*prev), victim_accuracy_m(*next)), std::min(t - prev->t_ms, next->t_ms - t),
            t - prev->t_ms <= next->t_ms - t ? *prev : *next};
    } else if (pa || nb) {
      const hrec& r = pa ? *prev : *next;
      vp = {true, false, proj(r), victim_accuracy_m(r), pa ? t - prev->t_ms : next->t_ms - t, r};
    } else if (prev && t - prev->t_ms <= ms_of(cfg.proximity.max_age)) {
      // Stale: the last known position, said to be so — never a guess of
      // where the victim went.
      vp = {true, true, proj(*prev), victim_accuracy_m(*prev), t - prev->t_ms, *prev};
    }
  }
  if (!vp.known) return;
  const double margin = o_acc + vp.accuracy_m;
  // Far beyond both radii (the frame's scale error is < 0.2% in Great
  // Britain): the grid distance over k0 decides; near them, the ground
  // distance to the millimetre.
  // sqrt of the sum of squares, not hypot (a third of the far-case cost):
  // grid coordinates are bounded, so nothing overflows or underflows.
  const double dx_m = o.x_m - vp.pos.x_m, dy_m = o.y_m - vp.pos.y_m;
  const double grid_m = std::sqrt(dx_m * dx_m + dy_m * dy_m);
  const std::array<double, 2>& radii = link_radii_m[s.links[j]];
  const double d = grid_m > 1.01 * (radii[0] + margin + cfg.proximity.exit_margin_m)
                       ? grid_m / cfg.frame.k0()
                       : cfg.frame.ellipsoid_distance_m(o, vp.pos);
  double closing = 0;
  if (ls.last_dist_m >= 0 && t > ls.last_eval_ms && t - ls.last_eval_ms <= stale)
    closing = (ls.last_dist_m - d) / (static_cast<double>(t - ls.last_eval_ms) / 1000.0);
  ls.last_dist_m = d;
  ls.last_eval_ms = t;
  // Both tiers clear and neither entered: the common case far from the
  // victim, decided without touching the tier states.
  if (!ls.active && d + margin > radii[0] && d + margin > radii[1]) return;
  const bool weak = o_weak || vp.stale;
  const proximity_params& P = cfg.proximity;
  subject_live& L = s.live;
  for (std::uint32_t tier = 0; tier < 2; ++tier) {
    const std::uint32_t a = aux_links + 2 * j + tier;
    const alert_rule rule = tier == 0 ? alert_rule::proximity_warning : alert_rule::proximity;
    const double radius = radii[tier];
    const bool breach = d + margin <= radius;
    const bool clear = d - margin > radius + P.exit_margin_m;
    if (!breach && aux_is(s, a, phase::clear)) continue;
    aux_state& x = aux_at(s, a);
    ls.active = 1;
    auto note = [&]() {
      if (ofix) {
        hrec r;
        r.t_ms = ofix->t_ms;
        r.lat_e7 = ofix->lat_e7;
        r.lon_e7 = ofix->lon_e7;
        add_evidence(x.cur, r, ofix->accuracy_m);
      }
      if (x.cur.min_distance_m < 0 || d < x.cur.min_distance_m) {
        x.cur.min_distance_m = static_cast<float>(d);
        x.cur.bearing_deg = static_cast<float>(std::atan2(o.x_m - vp.pos.x_m, o.y_m - vp.pos.y_m) * 57.29577951308232);
        ev_fix v;
        v.set_t_ms(vp.nearest.t_ms);
        v.lat_e7 = vp.nearest.lat_e7;
        v.lon_e7 = vp.nearest.lon_e7;
        v.accuracy_m = static_cast<float>(vp.accuracy_m);
        x.cur.victim_fix = v;
      }
      if (vp.stale) x.cur.flags |= ep_victim_stale;
      x.cur.victim_age_s = std::max(x.cur.victim_age_s, static_cast<float>(static_cast<double>(vp.age_ms) / 1000.0));
      if (weak) x.cur.confidence = static_cast<std::uint8_t>(alert_confidence::probable);
    };
    auto start_run = [&]() {
      x.ph = phase::candidate;
      x.run_count = 1;
      x.run_start_ms = x.run_last_ms = t;
      x.cur = episode{};
      x.cur.start_ms = t;
      x.rejected_at_open = L.rejected_total;
      note();
    };
    auto maybe_confirm = [&]() {
      if (x.run_count < P.confirm_fixes) return;
      x.ph = phase::open;
      x.exit_count = 0;
      x.cur.fix_count = x.run_count;
      x.cur.closing_mps = static_cast<float>(closing);
      const double to_go = tier == 0 ? d - lk.alert_m : d;
      x.cur.ttc_s = closing > 0.1 && to_go > 0 ? static_cast<float>(to_go / closing) : (to_go <= 0 ? 0.0f : -1.0f);
      x.cur.id = alert_id_hash(s.id, rule, lk.victim_id, from_epoch_ms(x.cur.start_ms));
      x.cur.rejected = L.rejected_total - x.rejected_at_open;
      x.cur.priority = aux_priority(s, a, x.cur, t);
      transition(s, nslots(s) + a, rule, alert_event_kind::opened, x.cur, t);
    };
    switch (x.ph) {
      case phase::clear:
        if (breach) {
          start_run();
          maybe_confirm();
        }
        break;
      case phase::candidate:
        if (breach) {
          if (t - x.run_last_ms > ms_of(P.max_gap)) {
            start_run();
          } else {
            ++x.run_count;
            x.run_last_ms = t;
            note();
          }
          maybe_confirm();
        } else if (clear) {
          x.ph = phase::clear;
          x.run_count = 0;
        }
        break;
      case phase::open:
        if (breach) {
          ++x.cur.fix_count;
          if (x.exit_count) {
            x.exit_count = 0;
            x.cur.n_ev = x.ev_mark;
          }
          note();
          const std::uint8_t pr = aux_priority(s, a, x.cur, t);
          if (pr != x.cur.priority) {
            x.cur.priority = pr;
            x.cur.rejected = L.rejected_total - x.rejected_at_open;
            transition(s, nslots(s) + a, rule, alert_event_kind::updated, x.cur, t);
          }
        } else if (clear) {
          if (x.exit_count == 0) {
            x.exit_start_ms = t;
            x.ev_mark = x.cur.n_ev;
          }
          ++x.exit_count;
          if (ofix) {
            hrec r;
            r.t_ms = ofix->t_ms;
            r.lat_e7 = ofix->lat_e7;
            r.lon_e7 = ofix->lon_e7;
            add_evidence(x.cur, r, ofix->accuracy_m);
          }
          if (x.exit_count >= P.exit_fixes) {
            x.cur.end_ms = x.exit_start_ms;
            x.cur.rejected = L.rejected_total - x.rejected_at_open;
            x.cur.priority = aux_priority(s, a, x.cur, t);
            transition(s, nslots(s) + a, rule, alert_event_kind::closed, x.cur, t);
            x.ph = phase::clear;
            x.run_count = x.exit_count = 0;
          }
        }
        break;
    }
  }
  if (ls.active)
    ls.active = aux_is(s, aux_links + 2 * j, phase::clear) && aux_is(s, aux_links + 2 * j + 1, phase::clear) ? 0 : 1;
}

void monitor_impl::victim_fix_merged(const subject& victim, const hrec& r) {
  // Which of the linked subjects' decided samples could this fix change?
  // Those that now take it as the nearer fix around them: from the victim's
  // previous fix (or stale_after before it) onwards.
  const std::int64_t stale = ms_of(cfg.proximity.stale_after);
  std::int64_t prev_t = dawn_ms;
  {
    const std::vector<hrec>& h = victim.history;
    // Usually just appended: its predecessor is next to the end.
    auto it = !h.empty() && same_record(h.back(), r)
                  ? h.end() - 1
                  : std::lower_bound(h.begin(), h.end(), r.t_ms,
                                     [](const hrec& x, std::int64_t t) { return x.t_ms < t; });
    while (it != h.begin()) {
      --it;
      if (it->kind == 0) {
        prev_t = it->t_ms;
        break;
      }
    }
  }
  const std::int64_t affected = std::max(prev_t + 1, r.t_ms - stale);
  for (const std::uint32_t li : victim.victim_of) {
    const std::uint32_t oi = link_subject[li];
    if (oi == UINT32_MAX || affected > link_decided[li]) continue;
    subject& o = subjects[oi];
    if (affected <= o.live.link_st[link_slot[li]].decided_ms) o.dirty_from = std::min(o.dirty_from, affected);
  }
}

// ---------------------------------------------------------------------------
// Publication of the issue-6 rules

void monitor_impl::aux_publish_fields(const subject& s, std::uint32_t a, const episode& e, alert_event& out) const {
  auto secs = [](std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; };
  std::string& x = out.evidence_extra_json;
  if (a >= aux_links) {
    const std::uint32_t j = (a - aux_links) / 2;
    const victim_link& lk = links[s.links[j]];
    const proximity_params& P = cfg.proximity;
    out.victim_id = lk.victim_id;
    if (e.min_distance_m >= 0) out.min_distance_m = static_cast<double>(e.min_distance_m);
    std::string p = "{\"alert_m\":";
    append_num(p, lk.alert_m, 1);
    p += ",\"warning_m\":";
    append_num(p, lk.warning_m, 1);
    p += ",\"stale_after_s\":";
    append_num(p, secs(P.stale_after), 0);
    p += ",\"confirm_fixes\":";
    append_num(p, P.confirm_fixes, 0);
    p += ",\"exit_fixes\":";
    append_num(p, P.exit_fixes, 0);
    p += ",\"exit_margin_m\":";
    append_num(p, P.exit_margin_m, 1);
    p += '}';
    out.params_json = std::move(p);
    x = "\"proximity\":{\"distance_m\":";
    append_num(x, e.min_distance_m, 1);
    x += ",\"bearing\":\"";
    x += compass(e.bearing_deg);
    x += "\",\"closing_speed_mps\":";
    append_num(x, e.closing_mps, 1);
    x += ",\"time_to_contact_s\":";
    if (e.ttc_s >= 0)
      append_num(x, e.ttc_s, 0);
    else
      x += "null";
    x += ",\"victim_age_s\":";
    append_num(x, e.victim_age_s, 0);
    x += ",\"victim_stale\":";
    x += (e.flags & ep_victim_stale) ? "true" : "false";
    if (P.authorised && e.victim_fix.t_ms() != 0) {
      x += ",\"victim_fix\":[\"";
      append_instant(x, from_epoch_ms(e.victim_fix.t_ms()));
      x += "\",";
      append_num(x, e.victim_fix.lat_e7 * 1e-7, 7);
      x += ',';
      append_num(x, e.victim_fix.lon_e7 * 1e-7, 7);
      x += ',';
      append_num(x, e.victim_fix.accuracy_m, 1);
      x += ']';
    }
    x += '}';
    return;
  }
  if (a == aux_unmonitored) {
    out.params_json = json_unmonitored;
    x = "\"gap\":{\"reachable_radius_m\":";
    append_num(x, e.reach_m < 0 ? 0.0 : e.reach_m, 0);
    x += ",\"silent_approach\":";
    x += (e.flags & ep_silent_approach) ? "true" : "false";
    if (e.flags & (ep_cause_offline | ep_cause_no_gps)) {
      x += ",\"device_reported\":[";
      if (e.flags & ep_cause_offline) x += "\"device_offline\"";
      if ((e.flags & ep_cause_offline) && (e.flags & ep_cause_no_gps)) x += ',';
      if (e.flags & ep_cause_no_gps) x += "\"no_gps\"";
      x += ']';
    }
    x += ",\"reached\":[";
    for (std::size_t i = 0; i < e.n_reach; ++i) {
      if (i) x += ',';
      const std::uint16_t w = e.reach[i];
      if (w & 0x8000u) {
        x += "{\"victim_id\":";
        append_json_string(x, links[s.links[w & 0x7fffu]].victim_id);
      } else {
        const prepared_zone& z = zones[s.zones[w]];
        x += "{\"zone_id\":";
        append_json_string(x, z.zone_id);
        x += ",\"kind\":\"";
        x += z.kind == zone_kind::victim_home ? "victim_home" : "exclusion";
        x += '"';
      }
      x += '}';
    }
    x += "]}";
    return;
  }
  out.params_json = json_device;
}

}  // namespace warden::detail
