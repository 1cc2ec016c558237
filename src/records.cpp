// Names of record enumerations (warden/records.hpp).
#include <warden/records.hpp>

#include <array>
#include <cctype>

namespace warden {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

constexpr std::array<std::string_view, device_event_type_count> event_names = {
    "strap_tamper", "strap_ok",        "case_tamper", "battery_low",    "battery_critical",
    "charging_start", "charging_end",  "rf_in_range", "rf_out_of_range", "no_gps",
    "gps_ok",       "device_offline",  "device_online"};

}  // namespace

std::string_view to_string(fix_source s) noexcept {
  switch (s) {
    case fix_source::gps: return "gps";
    case fix_source::lbs: return "lbs";
    case fix_source::wifi: return "wifi";
  }
  return "gps";
}

result<fix_source> parse_fix_source(std::string_view s) noexcept {
  if (s.empty() || iequals(s, "gps")) return fix_source::gps;
  if (iequals(s, "lbs")) return fix_source::lbs;
  if (iequals(s, "wifi")) return fix_source::wifi;
  return make_error(errc::bad_source, "source must be gps, lbs or wifi, not '" + std::string(s.substr(0, 32)) + "'");
}

std::string_view to_string(device_event_type e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < event_names.size() ? event_names[i] : std::string_view("unknown");
}

result<device_event_type> parse_device_event_type(std::string_view s) noexcept {
  for (std::size_t i = 0; i < event_names.size(); ++i)
    if (iequals(s, event_names[i])) return static_cast<device_event_type>(i);
  return make_error(errc::bad_event, "unknown device event '" + std::string(s.substr(0, 32)) + "'");
}

}  // namespace warden
