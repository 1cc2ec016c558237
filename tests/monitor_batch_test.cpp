// monitor::push_batch against pushing the same fixes one by one: the same
// per-fix results, the same events per subject in the same order, the same
// final alert set and (without victim links) the same checkpoint bytes, for
// batch sizes from 1 to the whole stream, with late uploads, duplicates,
// motion-filter spikes and bad records in the stream.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

#include <map>
#include <random>

using namespace warden;
using namespace warden::test;

namespace {

struct stream {
  std::vector<zone> zones;
  std::vector<victim_link> links;
  std::vector<stored_fix> order;   // arrival order
  std::vector<instant> watermark;  // after each record
};

// Subjects of small_world with late uploads (1 in 8 up to an hour late) and
// a few bad records; with `victims`, a victim device W<i> for the first
// subjects, walking the same area (so that proximity episodes happen).
stream make_stream(std::uint64_t seed, int subjects, int victims) {
  stream s;
  s.zones = small_world(subjects);
  std::vector<stored_fix> fixes = small_tracks(seed, subjects, 5);
  if (victims > 0) {
    std::vector<stored_fix> vf = small_tracks(seed + 1000, victims, 5);
    for (stored_fix& f : vf) {
      f.subject_id[0] = 'W';
      f.time += std::chrono::seconds{30};
      f.received = f.time;
      fixes.push_back(f);
    }
    for (int i = 0; i < victims; ++i) {
      victim_link l;
      l.subject_id = "S" + std::to_string(i);
      l.victim_id = "W" + std::to_string(i);
      l.alert_m = 300;
      l.warning_m = 800;
      s.links.push_back(l);
    }
  }
  std::mt19937_64 rng(seed * 7 + 1);
  for (std::size_t i = 0; i < fixes.size(); i += 97) {
    stored_fix b = fixes[i];
    if (i % 2) b.accuracy_m = -1.0f;  // bad_accuracy
    else b.subject_id.clear();       // bad_id
    fixes.push_back(b);
  }
  arrival_stream a = late_upload_stream(fixes, rng);
  s.order = std::move(a.order);
  s.watermark = std::move(a.watermark);
  return s;
}

struct run_result {
  std::vector<errc> results;
  std::map<std::string, std::vector<std::string>> per_subject;  // event lines per subject, in order
  std::vector<std::string> final_content;
  std::string checkpoint;
  monitor_counters counters;
};

// batch == 0: push one by one. Either way, advance after the same records.
run_result run(const stream& s, std::size_t batch, std::size_t advance_every) {
  recording_sink sink;
  monitor m = monitor::create(s.zones, s.links, {}).value();
  m.set_sink(&sink);
  std::vector<fix> views;
  for (const stored_fix& f : s.order) views.push_back(f.view());
  run_result out;
  out.results.resize(views.size());
  std::size_t at = 0;
  while (at < views.size()) {
    // Chunks end where an advance is due, so both runs see the same watermarks.
    const std::size_t adv_end = std::min(views.size(), (at / advance_every + 1) * advance_every);
    const std::size_t end = batch == 0 ? adv_end : std::min(adv_end, at + batch);
    if (batch == 0) {
      for (std::size_t i = at; i < end; ++i) out.results[i] = m.push(views[i]);
    } else {
      const std::size_t merged = m.push_batch(std::span<const fix>(views.data() + at, end - at),
                                              std::span<errc>(out.results.data() + at, end - at));
      std::size_t ok = 0;
      for (std::size_t i = at; i < end; ++i) ok += out.results[i] == errc::ok;
      CHECK(merged == ok);
    }
    if (end == adv_end) m.advance(s.watermark[end - 1]);
    at = end;
  }
  out.checkpoint = m.checkpoint_bytes();
  m.flush();
  for (const alert_event& e : sink.events) out.per_subject[e.subject_id].push_back(to_json_line(e));
  out.final_content = sink.final_content();
  out.counters = m.counters();
  return out;
}

}  // namespace

TEST_CASE("push_batch gives what single pushes give, per subject and in the final set", "[monitor][batch]") {
  for (const std::uint64_t seed : {3u, 17u}) {
    const stream s = make_stream(seed, 9, 0);
    const run_result one = run(s, 0, 40);
    REQUIRE(!one.final_content.empty());
    for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{40}}) {
      CAPTURE(seed, batch);
      const run_result b = run(s, batch, 40);
      CHECK(b.results == one.results);
      CHECK(b.per_subject == one.per_subject);
      CHECK(b.final_content == one.final_content);
      // Without links nothing crosses subjects: the state is the same bytes.
      CHECK(b.checkpoint == one.checkpoint);
      CHECK(b.counters.merged == one.counters.merged);
      CHECK(b.counters.replays == one.counters.replays);
      CHECK(b.counters.set_aside == one.counters.set_aside);
      CHECK(b.counters.alerts == one.counters.alerts);
    }
    // One batch per advance of a few hundred records, as a service would.
    const run_result big1 = run(s, 0, 400);
    const run_result big = run(s, 1'000'000, 400);
    CHECK(big.results == big1.results);
    CHECK(big.per_subject == big1.per_subject);
    CHECK(big.checkpoint == big1.checkpoint);
  }
}

TEST_CASE("push_batch with victim links: the same final alert set", "[monitor][batch][proximity]") {
  for (const std::uint64_t seed : {5u, 23u}) {
    const stream s = make_stream(seed, 6, 4);
    const run_result one = run(s, 0, 300);
    std::size_t prox = 0;
    for (const std::string& c : one.final_content) prox += c.find("\"proximity") != std::string::npos;
    CAPTURE(seed);
    REQUIRE(prox > 0);  // the scenario exercises the links
    for (const std::size_t batch : {std::size_t{1}, std::size_t{50}, std::size_t{300}}) {
      CAPTURE(batch);
      const run_result b = run(s, batch, 300);
      CHECK(b.results == one.results);
      CHECK(b.final_content == one.final_content);
      CHECK(b.counters.merged == one.counters.merged);
      CHECK(b.counters.set_aside == one.counters.set_aside);
    }
  }
}

TEST_CASE("push_batch: an empty batch and a batch of bad records", "[monitor][batch]") {
  monitor m = monitor::create(small_world(2), {}, {}).value();
  CHECK(m.push_batch({}) == 0);
  stored_fix a = make_fix("", ts(0), at(0, 0));
  stored_fix b = make_fix("S1", ts(0), at(0, 0), -3.0f);
  const std::vector<fix> v = {a.view(), b.view()};
  std::vector<errc> r(2);
  CHECK(m.push_batch(v, r) == 0);
  CHECK(r[0] == errc::bad_id);
  CHECK(r[1] == errc::bad_accuracy);
  CHECK(m.counters().fixes == 2);
}

TEST_CASE("push_batch: its scratch is counted in memory(), and single pushes have none", "[monitor][batch]") {
  const stream st = make_stream(11, 6, 0);
  std::vector<fix> views;
  for (const stored_fix& f : st.order) views.push_back(f.view());
  monitor single = monitor::create(st.zones, {}, {}).value();
  for (const fix& f : views) single.push(f);
  CHECK(single.memory().batch_bytes == 0);
  monitor batched = monitor::create(st.zones, {}, {}).value();
  batched.push_batch(views);
  // A subject index, a chain link and a hash per fix at least.
  CHECK(batched.memory().batch_bytes >= views.size() * (2 * sizeof(std::uint32_t) + sizeof(std::size_t)));
  CHECK(batched.memory().live_bytes == single.memory().live_bytes);
}
