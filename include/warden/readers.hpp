// warden/readers.hpp — reading and writing the CSV inputs of FORMATS.md:
// fixes, device events, victim links and crimes (ours and police.uk
// street-level files).
//
//   warden::diagnostics diag(&std::cerr);
//   auto r = warden::read_fixes("fixes.csv", diag, [&](const warden::fix& f) {
//     engine.push(f);  // f.subject_id points into the reader's buffer
//   });
//   if (!r) return 1;  // file-level error (missing column, I/O, ...), also in diag
//   std::cerr << r->records_ok << " good, " << r->records_bad << " bad\n";
//
// The contract (FORMATS.md): a header row names the columns, in any order
// (names matched case-insensitively, blanks around them ignored); unknown
// columns are ignored; a missing required column, a duplicated known column,
// an empty input or an I/O failure is a file-level error returned as the
// result and also reported to the diagnostics. Each bad record is reported
// as FILE:LINE: reason-code: message and reading carries on; with
// read_options::strict the first bad record is reported and returned as the
// error. Only the first problem of a record is reported, so
// records_ok + records_bad is the number of records read. Line numbers are
// physical and 1-based (the header is line 1); a record's line is where it
// starts. CSV syntax (quoting, CRLF, BOM, blank lines, limits): see
// warden/detail/csv.hpp.
//
// Fields are trimmed of surrounding blanks before they are interpreted.
// Empty required fields are `missing_field` (`bad_id` for ids); a record with
// a different number of fields than the header is `field_count` (a shifted
// column would otherwise be read silently as the wrong value).
//
// Units: degrees for lat/lon (validated by lat_lon::from_degrees), metres
// for accuracy_m, alert_m, warning_m, radius_m; times through
// warden::parse_instant (UTC, millisecond resolution).
//
// Sources: a path ("-" is standard input: file descriptor 0 read with
// read(2), so that records arrive as soon as their lines do; do not mix with
// reads from std::cin) or an std::istream (read() in chunks: blocks until a
// chunk is full or the stream ends). Input is read in
// chunks: memory is bounded by max_line_bytes + chunk_bytes, whatever the
// size of the input. Path reads of regular files check max_file_bytes before
// reading anything; streams fail when they pass it.
//
// Callbacks: called once per good record, in input order; a `fix` or
// `device_event` subject_id is valid only during the call. An exception
// thrown by a callback propagates out of the reader.
//
// Thread-safety: the functions are reentrant; a diagnostics collector must
// not be shared between concurrent reads.
#pragma once

#include <warden/detail/csv.hpp>
#include <warden/diagnostics.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

struct read_options {
  // The first bad record stops the read and is returned as the error.
  bool strict = false;
  // Physical line length limit, bytes (terminator excluded): line_too_long.
  std::size_t max_line_bytes = 64 * 1024;
  // Input size limit, bytes: file_too_large. Default: no limit.
  std::uint64_t max_file_bytes = std::numeric_limits<std::uint64_t>::max();
  // Bytes asked of the source per read; small values only in tests.
  std::size_t chunk_bytes = 256 * 1024;
  // Fixes: accuracy_m when the column is absent or the field empty. Must be
  // finite, > 0 and <= max_accuracy_m (else the read fails with usage).
  float default_accuracy_m = 10.0f;
  // Identifiers longer than this are bad_id.
  std::size_t max_id_bytes = 256;
  // police.uk crimes: overrides of the whole-month window [from, to).
  std::optional<instant> window_from;
  std::optional<instant> window_to;
};

// Accuracy radii above this (metres) are bad_accuracy; so are values <= 0.
inline constexpr double max_accuracy_m = 100'000.0;
// Radii and distances (radius_m, alert_m, warning_m) above this are rejected.
inline constexpr double max_radius_m = 100'000.0;

enum class crime_format : std::uint8_t {
  warden,     // crime_id,lat,lon,from,to[,type][,radius_m]
  police_uk,  // data.police.uk street-level CSV
};

struct read_summary {
  std::uint64_t records_ok = 0;   // handed to the callback
  std::uint64_t records_bad = 0;  // reported (counts by code: diagnostics::counts)
  std::uint64_t lines = 0;        // physical lines consumed, header included
  std::uint64_t bytes = 0;        // bytes read from the source
  crime_format format = crime_format::warden;  // crimes only: the detected format
};

// ---------------------------------------------------------------------------
// Streaming readers. `name` is the file name used in diagnostics.

using fix_callback = detail::function_ref<void(const fix&)>;
using device_event_callback = detail::function_ref<void(const device_event&)>;
using victim_link_callback = detail::function_ref<void(const victim_link&)>;
using crime_callback = detail::function_ref<void(const crime&)>;

// Columns: subject_id,time,lat,lon[,accuracy_m][,source][,received_time].
// Errors per record: bad_id, missing_field, bad_time, time_out_of_range,
// bad_number, not_finite, lat_out_of_range, lon_out_of_range, bad_accuracy,
// bad_source (plus the syntax codes field_count, bad_quote, line_too_long).
result<read_summary> read_fixes(std::string_view path, diagnostics& diag, fix_callback on_fix,
                                const read_options& opt = {});
result<read_summary> read_fixes(std::istream& in, std::string_view name, diagnostics& diag,
                                fix_callback on_fix, const read_options& opt = {});

// Columns: subject_id,time,event. Errors: bad_id, missing_field, bad_time,
// time_out_of_range, bad_event.
result<read_summary> read_device_events(std::string_view path, diagnostics& diag,
                                        device_event_callback on_event, const read_options& opt = {});
result<read_summary> read_device_events(std::istream& in, std::string_view name, diagnostics& diag,
                                        device_event_callback on_event, const read_options& opt = {});

// Columns: subject_id,victim_id[,alert_m][,warning_m] (defaults in
// records.hpp when absent or empty; a default warning_m below a given
// alert_m is raised to alert_m). Errors: bad_id (also when victim_id ==
// subject_id), bad_number, bad_distance (not finite, <= 0, > max_radius_m, or
// warning_m < alert_m), duplicate_record (the same pair twice).
result<read_summary> read_victim_links(std::string_view path, diagnostics& diag,
                                       victim_link_callback on_link, const read_options& opt = {});
result<read_summary> read_victim_links(std::istream& in, std::string_view name, diagnostics& diag,
                                       victim_link_callback on_link, const read_options& opt = {});

// Ours: crime_id,lat,lon,from,to[,type][,radius_m]. police.uk: detected from
// a header with `Crime ID` or `Month` and no `crime_id`; uses Crime ID,
// Month, Longitude, Latitude, and Location, LSOA code, Crime type when
// present. A police.uk crime's window is its whole month in UTC,
// from = first instant of the month, to = first instant of the next month
// (the month is [from, to); read as records.hpp's closed [from, to] it gains
// one millisecond, which no matcher can tell apart at a month's scale);
// read_options::window_from / window_to override either end.
// Errors: bad_id (no Crime ID: police.uk publishes anti-social behaviour
// without one), duplicate_id (within the file), missing_field (no
// coordinates, no month), bad_time, time_out_of_range, bad_window (to before
// from), bad_number, not_finite, lat/lon_out_of_range, bad_radius.
result<read_summary> read_crimes(std::string_view path, diagnostics& diag, crime_callback on_crime,
                                 const read_options& opt = {});
result<read_summary> read_crimes(std::istream& in, std::string_view name, diagnostics& diag,
                                 crime_callback on_crime, const read_options& opt = {});

// ---------------------------------------------------------------------------
// Whole-file convenience (tests, tools): owning copies of every good record.

// A fix that owns its subject id.
struct stored_fix {
  std::string subject_id;
  instant time;
  lat_lon pos;
  float accuracy_m = 10.0f;
  fix_source source = fix_source::gps;
  instant received;
  std::uint64_t line = 0;

  stored_fix() = default;
  explicit stored_fix(const fix& f)
      : subject_id(f.subject_id), time(f.time), pos(f.pos), accuracy_m(f.accuracy_m), source(f.source),
        received(f.received), line(f.line) {}
  // A view valid while this object lives and is not modified.
  fix view() const noexcept { return fix{subject_id, time, pos, accuracy_m, source, received, line}; }
};

struct stored_device_event {
  std::string subject_id;
  instant time;
  device_event_type type{};
  std::uint64_t line = 0;

  stored_device_event() = default;
  explicit stored_device_event(const device_event& e)
      : subject_id(e.subject_id), time(e.time), type(e.type), line(e.line) {}
  device_event view() const noexcept { return device_event{subject_id, time, type, line}; }
};

template <class T>
struct loaded {
  std::vector<T> records;
  read_summary summary;
};

result<loaded<stored_fix>> load_fixes(std::string_view path, diagnostics& diag, const read_options& opt = {});
result<loaded<stored_fix>> load_fixes(std::istream& in, std::string_view name, diagnostics& diag,
                                      const read_options& opt = {});
result<loaded<stored_device_event>> load_device_events(std::string_view path, diagnostics& diag,
                                                       const read_options& opt = {});
result<loaded<stored_device_event>> load_device_events(std::istream& in, std::string_view name,
                                                       diagnostics& diag, const read_options& opt = {});
result<loaded<victim_link>> load_victim_links(std::string_view path, diagnostics& diag,
                                              const read_options& opt = {});
result<loaded<victim_link>> load_victim_links(std::istream& in, std::string_view name, diagnostics& diag,
                                              const read_options& opt = {});
result<loaded<crime>> load_crimes(std::string_view path, diagnostics& diag, const read_options& opt = {});
result<loaded<crime>> load_crimes(std::istream& in, std::string_view name, diagnostics& diag,
                                  const read_options& opt = {});

// ---------------------------------------------------------------------------
// Writing, in FORMATS.md column order, byte-for-byte deterministic: lat/lon
// with 7 decimals (about 1 cm), metres with 1 decimal, times by
// append_instant, text fields quoted only when they must be. Each
// append_csv_row writes one record and its '\n'; headers have no '\n'.

inline constexpr std::string_view fix_csv_header = "subject_id,time,lat,lon,accuracy_m,source,received_time";
inline constexpr std::string_view device_event_csv_header = "subject_id,time,event";
inline constexpr std::string_view victim_link_csv_header = "subject_id,victim_id,alert_m,warning_m";
inline constexpr std::string_view crime_csv_header = "crime_id,lat,lon,from,to,type,radius_m";

void append_csv_row(std::string& out, const fix& f);
void append_csv_row(std::string& out, const device_event& e);
void append_csv_row(std::string& out, const victim_link& l);
// Writes our format (police.uk extras, location and LSOA, are not columns of it).
void append_csv_row(std::string& out, const crime& c);

// Building blocks for other CSV outputs (matches, locate results).
using detail::append_csv_field;  // quotes only when needed
using detail::append_decimal;    // fixed decimals via std::to_chars; no "-0"

}  // namespace warden
