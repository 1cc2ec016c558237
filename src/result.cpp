// Stable reason-code strings (warden/result.hpp).
#include <warden/result.hpp>

namespace warden {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::io_error: return "io_error";
    case errc::file_too_large: return "file_too_large";
    case errc::usage: return "usage";
    case errc::not_implemented: return "not_implemented";
    case errc::missing_column: return "missing_column";
    case errc::bad_quote: return "bad_quote";
    case errc::field_count: return "field_count";
    case errc::bad_number: return "bad_number";
    case errc::missing_field: return "missing_field";
    case errc::line_too_long: return "line_too_long";
    case errc::empty_file: return "empty_file";
    case errc::duplicate_column: return "duplicate_column";
    case errc::bad_time: return "bad_time";
    case errc::time_out_of_range: return "time_out_of_range";
    case errc::future_time: return "future_time";
    case errc::gps_week_rollover: return "gps_week_rollover";
    case errc::bad_window: return "bad_window";
    case errc::not_finite: return "not_finite";
    case errc::lat_out_of_range: return "lat_out_of_range";
    case errc::lon_out_of_range: return "lon_out_of_range";
    case errc::bad_accuracy: return "bad_accuracy";
    case errc::bad_source: return "bad_source";
    case errc::bad_event: return "bad_event";
    case errc::bad_id: return "bad_id";
    case errc::duplicate_id: return "duplicate_id";
    case errc::bad_radius: return "bad_radius";
    case errc::bad_speed: return "bad_speed";
    case errc::bad_distance: return "bad_distance";
    case errc::impossible_jump: return "impossible_jump";
    case errc::json_syntax: return "json_syntax";
    case errc::json_too_deep: return "json_too_deep";
    case errc::not_feature_collection: return "not_feature_collection";
    case errc::bad_geometry: return "bad_geometry";
    case errc::ring_not_closed: return "ring_not_closed";
    case errc::ring_too_few_points: return "ring_too_few_points";
    case errc::self_intersection: return "self_intersection";
    case errc::empty_geometry: return "empty_geometry";
    case errc::degenerate_geometry: return "degenerate_geometry";
    case errc::too_many_vertices: return "too_many_vertices";
    case errc::too_many_rings: return "too_many_rings";
    case errc::bad_kind: return "bad_kind";
    case errc::bad_subjects: return "bad_subjects";
    case errc::bad_tolerance: return "bad_tolerance";
    case errc::invalid_geometry: return "invalid_geometry";
    case errc::repaired: return "repaired";
    case errc::bad_property: return "bad_property";
    case errc::bad_crs: return "bad_crs";
    case errc::bad_schedule: return "bad_schedule";
    case errc::bad_day: return "bad_day";
    case errc::bad_local_time: return "bad_local_time";
    case errc::unknown_time_zone: return "unknown_time_zone";
    case errc::empty_schedule: return "empty_schedule";
    case errc::bad_date: return "bad_date";
    case errc::too_late: return "too_late";
    case errc::duplicate_record: return "duplicate_record";
    case errc::bad_checkpoint: return "bad_checkpoint";
    case errc::bad_store: return "bad_store";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::unknown_subject: return "unknown_subject";
    case errc::unknown_zone: return "unknown_zone";
    case errc::subject_limit: return "subject_limit";
  }
  return "unknown_error";
}

}  // namespace warden
