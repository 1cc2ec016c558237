// A long-running monitoring service: fixes arrive as CSV lines on standard
// input (FORMATS.md, header first), alerts go to a JSON Lines file, and the
// engine state is checkpointed every N records or S seconds so that a
// restart — a crash, a deployment — carries on with nothing lost or doubled.
//
//   tail -F fixes.csv | monitoring_service --zones zones.geojson --state /var/lib/warden
//
// Exactly-once output: each checkpoint records (records consumed, alerts
// file length, latest received time). On start the service restores the
// checkpoint, cuts the alerts file back to the recorded length (alerts
// written after it will be decided again) and skips the records it had
// already consumed: the input is assumed to be replayed from its start, as
// a log file or a message queue read from offset 0 would be. A producer
// that resumes from the consumed offset itself would skip nothing.
#include <warden/warden.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

namespace {

struct file_sink : warden::alert_sink {
  std::FILE* out = nullptr;
  std::string line;
  void on_alert(const warden::alert_event& e) override {
    line.clear();
    warden::append_json(line, e);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
  }
};

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const char* zones_path = arg(argc, argv, "--zones", nullptr);
  const std::filesystem::path state = arg(argc, argv, "--state", ".");
  const long every_records = std::atol(arg(argc, argv, "--checkpoint-every", "5000"));
  const double every_s = std::atof(arg(argc, argv, "--checkpoint-seconds", "30"));
  const long crash_after = std::atol(arg(argc, argv, "--crash-after", "0"));  // tests: die without a checkpoint
  if (!zones_path || every_records < 1) {
    std::cerr << "usage: monitoring_service --zones Z [--links L] --state DIR [--checkpoint-every N]\n"
                 "                          [--checkpoint-seconds S] < fixes.csv\n";
    return 2;
  }
  warden::diagnostics diag(&std::cerr);
  auto zones = warden::read_zones(zones_path, {}, diag);
  if (!zones) return 1;
  std::vector<warden::victim_link> links;
  if (const char* l = arg(argc, argv, "--links", nullptr)) {
    auto loaded = warden::load_victim_links(l, diag);
    if (!loaded) return 1;
    links = std::move(loaded->records);
  }
  auto m = warden::monitor::create(std::move(*zones), std::move(links), {});
  if (!m) {
    std::cerr << m.err().message << "\n";
    return 1;
  }
  std::filesystem::create_directories(state);
  const std::string ckpt = (state / "engine.ckpt").string(), alerts = (state / "alerts.jsonl").string();

  // Resume.
  std::uint64_t consumed = 0, alerts_bytes = 0;
  std::int64_t max_received_ms = 0;
  if (std::filesystem::exists(ckpt)) {
    std::string app;
    if (auto r = m->restore(ckpt, &app); !r) {
      std::cerr << "cannot resume: " << r.err().message << "\n";
      return 1;
    }
    std::istringstream(app) >> consumed >> alerts_bytes >> max_received_ms;
    std::error_code ec;
    std::filesystem::resize_file(alerts, alerts_bytes, ec);
    if (ec) {
      std::cerr << "cannot cut " << alerts << " back to the checkpoint: " << ec.message() << "\n";
      return 1;
    }
    std::cerr << "resumed after " << consumed << " records\n";
  } else {
    std::FILE* f = std::fopen(alerts.c_str(), "wb");
    if (f) std::fclose(f);
  }
  file_sink sink;
  sink.out = std::fopen(alerts.c_str(), "ab");
  if (!sink.out) return 1;
  m->set_sink(&sink);

  auto last_ckpt = std::chrono::steady_clock::now();
  std::uint64_t seq = 0;
  warden::instant max_received = warden::from_epoch_ms(max_received_ms);
  bool failed = false;
  auto checkpoint = [&] {
    std::fflush(sink.out);
    const auto bytes = static_cast<std::uint64_t>(std::ftell(sink.out));
    const std::string app = std::to_string(seq) + " " + std::to_string(bytes) + " " +
                            std::to_string(warden::to_epoch_ms(max_received));
    if (auto r = m->checkpoint(ckpt, app); !r) {
      std::cerr << "checkpoint failed: " << r.err().message << "\n";
      failed = true;
    }
    last_ckpt = std::chrono::steady_clock::now();
  };
  auto r = warden::read_fixes("-", diag, [&](const warden::fix& f) {
    if (++seq <= consumed) return;  // already decided before the restart
    m->push(f);
    if (f.received > max_received) max_received = f.received;
    // The watermark trails the newest arrival by 10 minutes.
    if (seq % 1000 == 0) m->advance(max_received - std::chrono::minutes{10});
    if (crash_after > 0 && seq == static_cast<std::uint64_t>(crash_after)) std::_Exit(3);
    if (seq % static_cast<std::uint64_t>(every_records) == 0 ||
        std::chrono::steady_clock::now() - last_ckpt > std::chrono::duration<double>(every_s))
      checkpoint();
  });
  if (!r) return 1;
  m->flush();  // the stream ended: decide what is pending
  checkpoint();
  std::fclose(sink.out);
  return failed ? 1 : 0;
}
