// The final alert set must not depend on arrival order within the allowed
// lateness: the same records in 100 random arrival orders.
#include <catch2/catch.hpp>

#include "monitor_support.hpp"

using namespace warden;
using namespace warden::test;

namespace {

std::vector<std::string> run(const std::vector<zone>& zones, const std::vector<stored_fix>& order,
                             const std::vector<instant>* watermarks, recording_sink* keep = nullptr) {
  recording_sink sink;
  auto m = monitor::create(zones, {}, {});
  REQUIRE(m);
  m->set_sink(&sink);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const errc e = m->push(order[i].view());
    CHECK((e == errc::ok || e == errc::duplicate_record));
    if (watermarks && (i % 97 == 96)) m->advance((*watermarks)[i]);
  }
  // Every order ends at the same event time: the watermark is an assertion
  // that time has passed (it opens unmonitored episodes), not a record.
  m->advance(parse_instant("2026-03-24T08:00:00Z").value());
  m->flush();
  if (keep) *keep = sink;
  return sink.final_content();
}

}  // namespace

TEST_CASE("final alert set is independent of arrival order", "[monitor][permutation]") {
  const int subjects = 6;
  const std::vector<zone> zones = small_world(subjects);
  const std::vector<stored_fix> fixes = small_tracks(7, subjects, 7);
  recording_sink ref_sink;
  const std::vector<std::string> reference = run(zones, fixes, nullptr, &ref_sink);
  INFO("reference alert set: " << reference.size() << " episodes");
  REQUIRE(reference.size() >= 5);  // the world must actually raise alerts
  // Several rule kinds take part.
  bool excl = false, curfew = false, incl = false;
  for (const auto& e : ref_sink.events) {
    excl |= e.type == alert_type::exclusion;
    curfew |= e.type == alert_type::curfew;
    incl |= e.type == alert_type::inclusion;
  }
  CHECK(excl);
  CHECK(curfew);
  CHECK(incl);

  const std::uint64_t seed = 424242;
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 100; ++trial) {
    CAPTURE(seed, trial);
    std::vector<stored_fix> order = fixes;
    std::vector<instant> wms;
    const std::vector<instant>* wm = nullptr;
    if (trial % 2 == 0) {
      // Any order at all (nothing is too late without a watermark).
      std::shuffle(order.begin(), order.end(), rng);
    } else {
      // Realistic: each record delayed by 0 s .. 6 h (coverage gaps), the
      // watermark following arrivals 10 minutes behind.
      std::vector<std::pair<std::int64_t, std::size_t>> arrival;
      for (std::size_t i = 0; i < order.size(); ++i) {
        const std::int64_t delay = (rng() % 10 == 0) ? static_cast<std::int64_t>(rng() % 21'600'000)
                                                     : static_cast<std::int64_t>(rng() % 30'000);
        arrival.push_back({to_epoch_ms(order[i].time) + delay, i});
      }
      std::sort(arrival.begin(), arrival.end());
      std::vector<stored_fix> o2;
      std::int64_t mx = 0;
      for (const auto& [a, i] : arrival) {
        o2.push_back(order[i]);
        mx = std::max(mx, a);
        wms.push_back(from_epoch_ms(mx - 600'000));
      }
      order = std::move(o2);
      wm = &wms;
    }
    const auto got = run(zones, order, wm);
    std::string only_got, only_ref;
    for (const auto& g : got)
      if (!std::binary_search(reference.begin(), reference.end(), g)) only_got += g;
    for (const auto& g : reference)
      if (!std::binary_search(got.begin(), got.end(), g)) only_ref += g;
    INFO("only in this order:\n" << only_got << "only in the reference:\n" << only_ref);
    REQUIRE(got.size() == reference.size());
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == reference[i]);
  }
}
