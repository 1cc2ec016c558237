// warden match — acquisitive-crime matching (FORMATS.md "Matches";
// warden/crime_match.hpp for what each status means).
#include "commands.hpp"

#include <warden/crime_match.hpp>
#include <warden/diagnostics.hpp>
#include <warden/readers.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace warden::cli {
namespace {

constexpr std::string_view usage_text =
    "usage: warden match --trails F --crimes C[,C2...] [--radius-m 100] [--max-speed-mps 40]\n"
    "                    [--subjects S1,S2] [--all-statuses] [--out M] [--max-gap-s 900]\n"
    "                    [--snap-allowance-m 250] [--window-from T] [--window-to T]\n"
    "                    [--links L] [--save-store FILE] [--threads N] [--strict] [--quiet]\n"
    "  Matches crimes against the subjects' trails and writes matches CSV:\n"
    "  crime_id,subject_id,status,min_distance_m,closest_time,dwell_s,first_time,\n"
    "  last_time,fix_count,score (status present|passed|possible|ruled_out|no_data).\n"
    "  Rows are ordered by crime (input order), score descending, subject id.\n"
    "  --trails         a fixes CSV, or a trail store saved with --save-store\n"
    "  --crimes         our crime CSV or police.uk street-level CSVs, comma-separated\n"
    "  --radius-m       radius of crimes without their own radius_m (default 100)\n"
    "  --max-speed-mps  the fastest plausible travel for `possible` and `ruled_out`\n"
    "                   (default 40 m/s, driving)\n"
    "  --subjects       only these subjects, with a row each (ruled_out and no_data too)\n"
    "  --all-statuses   a row for every subject and crime, not only present, passed,\n"
    "                   possible\n"
    "  --out            output file (default: standard output)\n"
    "  --max-gap-s      fixes further apart are a gap, not a path (default 900; fixes\n"
    "                   CSV only: a store keeps the value it was saved with)\n"
    "  --snap-allowance-m  added to the radius of police.uk crimes, whose published\n"
    "                   points are the nearest anonymisation point, not the place\n"
    "                   (default 250)\n"
    "  --window-from/--window-to  override police.uk whole-month windows\n"
    "  --links          victim links CSV: victim devices (victim_id) are not matched\n"
    "  --save-store     also save the trails as a store file for later runs\n"
    "  --threads        worker threads (default: all cores; output is the same)\n"
    "  --strict         stop at the first bad record\n"
    "  --quiet          no progress bar or summary on stderr\n"
    "  min_distance_m is the geodesic distance from the crime to the closest point of\n"
    "  the observed path (decisions are planar in the British National Grid frame).\n"
    "  Exit status: 0 ok, 1 bad records were reported, 2 usage error.\n";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    std::string item = s.substr(at, comma - at);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    at = comma + 1;
  }
  return out;
}

bool parse_number(const std::string& s, double& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

// A progress bar on stderr, only for a terminal and only once a batch has
// run for a moment (short runs and logs stay clean).
class progress_bar {
 public:
  explicit progress_bar(bool enabled) : enabled_(enabled && ::isatty(2) == 1), start_(clock::now()) {}
  void update(std::size_t done, std::size_t total) {
    if (!enabled_ || total == 0) return;
    const auto now = clock::now();
    if (now - start_ < std::chrono::milliseconds(500) || (now - last_ < std::chrono::milliseconds(100) && done < total))
      return;
    last_ = now;
    shown_ = true;
    const int width = 30;
    const auto fill = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.append(static_cast<std::size_t>(width - fill), '.');
    std::fprintf(stderr, "\rwarden match: [%s] %3d%% %zu/%zu crimes", bar.c_str(),
                 static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)), done, total);
    std::fflush(stderr);
  }
  void finish() {
    if (shown_) std::fputc('\n', stderr);
    shown_ = false;
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_;
  bool shown_ = false;
  clock::time_point start_, last_{};
};

struct file_closer {
  void operator()(std::FILE* f) const noexcept {
    if (f != stdout) std::fclose(f);
  }
};

}  // namespace

int cmd_match(const args& a) {
  options o(a,
            {"trails", "crimes", "radius-m", "max-speed-mps", "subjects", "out", "max-gap-s", "snap-allowance-m",
             "window-from", "window-to", "save-store", "threads", "links"},
            {"all-statuses", "strict", "quiet"});
  if (o.help()) {
    std::cout << usage_text;
    return 0;
  }
  if (!o.ok()) return usage_error("match", o.error(), usage_text);
  if (!o.has("trails") || !o.has("crimes")) return usage_error("match", "--trails and --crimes are required", usage_text);

  double radius_m = 100, speed = 40, max_gap_s = 900, snap_m = 250, threads = 0;
  struct numeric {
    const char* name;
    double* value;
  };
  for (const numeric& n : {numeric{"radius-m", &radius_m}, numeric{"max-speed-mps", &speed},
                           numeric{"max-gap-s", &max_gap_s}, numeric{"snap-allowance-m", &snap_m},
                           numeric{"threads", &threads}}) {
    if (o.has(n.name) && (!parse_number(o.get(n.name), *n.value) || *n.value < 0))
      return usage_error("match", std::string("--") + n.name + " needs a number >= 0", usage_text);
  }
  if (radius_m <= 0 || radius_m > max_radius_m)
    return usage_error("match", "--radius-m must be in (0, 100000]", usage_text);
  if (max_gap_s > 4'000'000) return usage_error("match", "--max-gap-s must be at most 4,000,000 (46 days)", usage_text);
  if (threads != std::floor(threads) || threads > 1024)
    return usage_error("match", "--threads needs a whole number", usage_text);
  read_options ropt;
  ropt.strict = o.has("strict");
  for (const char* w : {"window-from", "window-to"}) {
    if (!o.has(w)) continue;
    auto t = parse_instant(o.get(w));
    if (!t) return usage_error("match", std::string("--") + w + ": " + t.err().message, usage_text);
    (std::string_view(w) == "window-from" ? ropt.window_from : ropt.window_to) = *t;
  }
  const bool quiet = o.has("quiet");
  diagnostics diag(&std::cerr);

  // Victim devices report in the same fixes format; they are not suspects.
  std::set<std::string, std::less<>> victims;
  if (o.has("links")) {
    auto l = load_victim_links(o.get("links"), diag, ropt);
    if (!l) return 1;
    for (const victim_link& v : l->records) victims.insert(v.victim_id);
  }

  // Trails: a store file, or a fixes CSV read into a store.
  const std::string trails_path = o.get("trails");
  std::unique_ptr<trail_store> store;
  if (trails_path != "-" && trail_store::looks_like_store(trails_path)) {
    auto loaded = trail_store::load(trails_path);
    if (!loaded) {
      diag.report(trails_path, 0, loaded.code(), loaded.err().message);
      return 1;
    }
    store = std::make_unique<trail_store>(std::move(*loaded));
  } else {
    trail_store_options sopt;
    sopt.max_gap = milliseconds{std::llround(max_gap_s * 1000)};
    store = std::make_unique<trail_store>(sopt);
    bool stop = false;
    auto r = read_fixes(trails_path, diag, [&](const fix& f) {
      if (stop || victims.count(f.subject_id)) return;
      auto ok = store->append(f);
      if (!ok) {
        diag.report(trails_path, f.line, ok.code(), ok.err().message);
        stop = ropt.strict;
      }
    }, ropt);
    if (!r || stop) return 1;
  }
  if (o.has("save-store")) {
    if (auto s = store->save(o.get("save-store")); !s) {
      diag.report(o.get("save-store"), 0, s.code(), s.err().message);
      return 1;
    }
  }

  // Crimes, in input order across the files.
  std::vector<crime> crimes;
  std::vector<crime_query> queries;
  for (const std::string& path : split_list(o.get("crimes"))) {
    auto loaded = load_crimes(path, diag, ropt);
    if (!loaded) return 1;
    const bool police = loaded->summary.format == crime_format::police_uk;
    for (crime& c : loaded->records) {
      auto q = make_crime_query(c, store->frame(), radius_m, police ? snap_m : 0.0);
      if (!q) {
        diag.report(path, c.line, q.code(), q.err().message);
        if (ropt.strict) return 1;
        continue;
      }
      queries.push_back(*q);
      crimes.push_back(std::move(c));
    }
  }

  trail_index_options iopt;
  iopt.max_speed_mps = speed;
  iopt.threads = static_cast<unsigned>(threads);
  auto index = trail_index::build(*store, iopt);
  if (!index) {
    std::cerr << "warden match: " << to_string(index.code()) << ": " << index.err().message << "\n";
    return 1;
  }
  match_options mopt;
  mopt.max_speed_mps = speed;
  mopt.all_statuses = o.has("all-statuses");
  mopt.threads = static_cast<unsigned>(threads);
  auto matcher = crime_matcher::make(*index, mopt);
  if (!matcher) return usage_error("match", matcher.err().message, usage_text);

  std::vector<match_row> rows;
  std::vector<std::string> unknown_ids;  // asked about, never seen: subject indices past the store's
  progress_bar bar(!quiet);
  if (o.has("subjects")) {
    std::vector<std::uint32_t> named;
    for (const std::string& id : split_list(o.get("subjects"))) {
      std::uint32_t s = store->find(id);
      if (s == trail_store::npos) {
        const auto known = std::find(unknown_ids.begin(), unknown_ids.end(), id);
        if (known == unknown_ids.end()) {
          unknown_ids.push_back(id);
          diag.report("--subjects", 0, errc::unknown_subject, "no fixes for subject '" + id + "': rows say no_data");
        }
        s = static_cast<std::uint32_t>(store->subject_count() +
                                       static_cast<std::size_t>(std::find(unknown_ids.begin(), unknown_ids.end(), id) -
                                                                unknown_ids.begin()));
      }
      if (std::find(named.begin(), named.end(), s) == named.end()) named.push_back(s);
    }
    for (std::size_t ci = 0; ci < queries.size(); ++ci) {
      for (match_row& m : matcher->match_subjects(queries[ci], named)) {
        m.crime = static_cast<std::uint32_t>(ci);
        rows.push_back(m);
      }
      bar.update(ci + 1, queries.size());
    }
  } else {
    rows = matcher->match(queries, [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    if (!victims.empty())  // a store saved with victims in it
      rows.erase(std::remove_if(rows.begin(), rows.end(),
                                [&](const match_row& m) { return victims.count(store->subject_id(m.subject)) > 0; }),
                 rows.end());
  }
  bar.finish();

  auto id_of = [&](std::uint32_t s) -> const std::string& {
    return s < store->subject_count() ? store->subject_id(s) : unknown_ids[s - store->subject_count()];
  };
  std::unique_ptr<std::FILE, file_closer> out(
      o.has("out") && o.get("out") != "-" ? std::fopen(o.get("out").c_str(), "wb") : stdout);
  if (!out) {
    diag.report(o.get("out"), 0, errc::io_error, "cannot create the matches file");
    return 1;
  }
  std::string buf;
  buf.reserve(1 << 20);
  buf += "crime_id,subject_id,status,min_distance_m,closest_time,dwell_s,first_time,last_time,fix_count,score\n";
  std::size_t by_status[5] = {};
  for (const match_row& m : rows) {
    const crime& c = crimes[m.crime];
    ++by_status[static_cast<int>(m.status)];
    append_csv_field(buf, c.crime_id);
    buf += ',';
    append_csv_field(buf, id_of(m.subject));
    buf += ',';
    buf += to_string(m.status);
    buf += ',';
    // Evidence distances are geodesic: crime to the closest path point.
    if (m.min_distance_m) append_decimal(buf, geodesic_distance_m(c.pos, store->frame().inverse(m.closest_point)), 2);
    buf += ',';
    if (m.closest_time) append_instant(buf, *m.closest_time);
    buf += ',';
    append_decimal(buf, m.dwell_s, 3);
    buf += ',';
    if (m.first_time) append_instant(buf, *m.first_time);
    buf += ',';
    if (m.last_time) append_instant(buf, *m.last_time);
    buf += ',';
    buf += std::to_string(m.fix_count);
    buf += ',';
    append_decimal(buf, m.score, 4);
    buf += '\n';
    if (buf.size() >= (1u << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), out.get());
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), out.get());
  if (std::fflush(out.get()) != 0 || std::ferror(out.get())) {
    diag.report(o.get("out", "-"), 0, errc::io_error, "cannot write the matches");
    return 1;
  }
  if (!quiet)
    std::fprintf(stderr,
                 "warden match: %zu crimes, %zu subjects, %llu fixes: %zu present, %zu passed, %zu possible, "
                 "%zu ruled_out, %zu no_data; %llu bad records\n",
                 queries.size(), store->subject_count(), static_cast<unsigned long long>(store->fix_count()),
                 by_status[0], by_status[1], by_status[2], by_status[3], by_status[4],
                 static_cast<unsigned long long>(diag.total()));
  return diag.empty() ? 0 : 1;
}

}  // namespace warden::cli
