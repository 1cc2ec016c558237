// The nightly crime-matching job: yesterday's crimes against the trail store
// that the monitoring side saved (`warden match --save-store`, or
// trail_store::save), written as FORMATS.md matches CSV.
//
//   crime_batch trails.wts crimes.csv matches.csv
#include <warden/warden.hpp>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: crime_batch STORE CRIMES_CSV [MATCHES_CSV]\n";
    return 2;
  }
  auto store = warden::trail_store::load(argv[1]);
  if (!store) {
    std::cerr << argv[1] << ": " << warden::to_string(store.code()) << ": " << store.err().message << "\n";
    return 1;
  }
  warden::diagnostics diag(&std::cerr);
  auto crimes = warden::load_crimes(argv[2], diag);
  if (!crimes) return 1;
  std::vector<warden::crime_query> queries;
  std::vector<const warden::crime*> of_query;
  for (const warden::crime& c : crimes->records) {
    auto q = warden::make_crime_query(c, store->frame(), 100.0);  // 100 m unless the crime has a radius_m
    if (!q) {
      diag.report(argv[2], c.line, q.code(), q.err().message);
      continue;
    }
    queries.push_back(*q);
    of_query.push_back(&c);
  }

  auto index = warden::trail_index::build(*store);  // 40 m/s prisms, all cores
  auto matcher = warden::crime_matcher::make(*index, {});
  const std::vector<warden::match_row> rows = matcher->match(queries);

  std::string out = "crime_id,subject_id,status,min_distance_m,closest_time,dwell_s,first_time,last_time,fix_count,score\n";
  for (const warden::match_row& m : rows) {
    const warden::crime& c = *of_query[m.crime];
    warden::append_csv_field(out, c.crime_id);
    out += ',';
    warden::append_csv_field(out, store->subject_id(m.subject));
    out += ',';
    out += warden::to_string(m.status);
    out += ',';
    if (m.min_distance_m)  // evidence distances are geodesic
      warden::append_decimal(out, warden::geodesic_distance_m(c.pos, store->frame().inverse(m.closest_point)), 2);
    out += ',';
    if (m.closest_time) warden::append_instant(out, *m.closest_time);
    out += ',';
    warden::append_decimal(out, m.dwell_s, 3);
    out += ',';
    if (m.first_time) warden::append_instant(out, *m.first_time);
    out += ',';
    if (m.last_time) warden::append_instant(out, *m.last_time);
    out += ',' + std::to_string(m.fix_count) + ',';
    warden::append_decimal(out, m.score, 4);
    out += '\n';
  }
  std::FILE* f = argc > 3 ? std::fopen(argv[3], "wb") : stdout;
  if (!f) return 1;
  std::fwrite(out.data(), 1, out.size(), f);
  if (f != stdout) std::fclose(f);
  std::cerr << rows.size() << " matches for " << queries.size() << " crimes over " << store->subject_count()
            << " subjects\n";
  return 0;
}
