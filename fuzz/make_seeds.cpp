// Writes the binary seed inputs of the checkpoint and trail_store fuzz
// targets: `fuzz_make_seeds DIR` creates DIR/checkpoint/* and
// DIR/trail_store/* (committed under fuzz/corpus/). The text targets are
// seeded from data/ by scripts/fuzz instead.
#include "fuzz_targets.hpp"

#include <filesystem>
#include <iostream>

using namespace warden;

namespace {

void put(const std::filesystem::path& p, std::string_view bytes) {
  std::filesystem::create_directories(p.parent_path());
  if (!fuzz::write_whole(p.string(), bytes)) {
    std::cerr << "cannot write " << p << "\n";
    std::exit(1);
  }
}

fix make_fix(std::string_view id, std::int64_t ms, double lat, double lon, float acc) {
  fix f;
  f.subject_id = id;
  f.time = from_epoch_ms(ms);
  f.received = f.time;
  f.pos = lat_lon::from_degrees(lat, lon).value();
  f.accuracy_m = acc;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::int64_t t0 = 1'774'200'000'000;  // 2026-03-22, a Sunday evening

  // Checkpoints: an empty engine, one with an open exclusion episode, one
  // after a curfew night with late data. Mode byte 0: payload only.
  monitor m = fuzz::make_checkpoint_monitor();
  int k = 0;
  auto snap = [&](std::string_view app) {
    const std::string whole = m.checkpoint_bytes(app);
    const std::string payload = whole.substr(28, whole.size() - 36);
    put(dir / "checkpoint" / ("payload_" + std::to_string(k)), std::string(1, '\0') + payload);
    put(dir / "checkpoint" / ("whole_" + std::to_string(k)), std::string(1, '\1') + whole);
    ++k;
  };
  snap("");
  for (int i = 0; i < 12; ++i) {
    (void)m.push(make_fix("S1", t0 + 60'000 * i, 51.54, 0.71 + 0.0001 * i, 12));
    (void)m.push(make_fix("S2", t0 + 60'000 * i, 51.56, 0.73, 20));
  }
  m.advance(from_epoch_ms(t0 + 11 * 60'000));
  snap("offset=24");
  (void)m.push(make_fix("S1", t0 + 30'000, 51.52, 0.68, 8));  // late
  for (int i = 12; i < 40; ++i) (void)m.push(make_fix("S1", t0 + 60'000 * i, 51.52, 0.68, 8));
  device_event e;
  e.subject_id = "S1";
  e.time = from_epoch_ms(t0 + 20 * 60'000);
  e.type = device_event_type::strap_tamper;
  (void)m.push(e);
  m.flush();
  snap("offset=66");

  // Trail stores: two subjects with a gap, a late insertion, a trail that
  // spans two 2^32 ms epochs, an empty store.
  trail_store s;
  for (int i = 0; i < 20; ++i) (void)s.append(make_fix("A", t0 + 60'000 * i, 51.5 + 0.001 * i, 0.7, 10));
  (void)s.append(make_fix("A", t0 + 60'000 * 60, 51.6, 0.7, 300));  // after a gap
  (void)s.append(make_fix("A", t0 + 90'000, 51.51, 0.71, 3));       // late
  for (int i = 0; i < 5; ++i) (void)s.append(make_fix("B", t0 + 600'000 * i, 51.7, 0.5 - 0.01 * i, 25));
  const std::string tmp = fuzz::temp_path("seed");
  auto save = [&](const trail_store& st, const std::string& name) {
    if (!st.save(tmp)) std::exit(1);
    std::ifstream f(tmp, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    put(dir / "trail_store" / name, ss.str());
    std::remove(tmp.c_str());
  };
  save(s, "two_subjects");
  trail_store wide;
  for (int i = 0; i < 4; ++i)
    (void)wide.append(make_fix("W", t0 + std::int64_t{2'000'000'000} * i, 51.0 + 0.1 * i, -1.0, 5000));
  save(wide, "epochs");
  save(trail_store{}, "empty");
  std::cout << "seeds written to " << dir << "\n";
  return 0;
}
