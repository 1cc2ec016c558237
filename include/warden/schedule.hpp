// warden/schedule.hpp — weekly windows in local time (curfews, school-hours
// exclusion zones), evaluated as UTC instants.
//
// SKELETON: the spec type is fixed (zones reader fills it from GeoJSON);
// the compiled `schedule` is implemented by the curfew/schedule work.
#pragma once

#include <warden/result.hpp>
#include <warden/time.hpp>

#include <string>
#include <vector>

namespace warden {

// The schedule as written in a zone's GeoJSON `schedule` property
// (FORMATS.md), before validation. Strings are kept verbatim.
struct schedule_spec {
  struct window {
    std::vector<std::string> days;  // "mon".."sun"
    std::string start;              // "HH:MM" local
    std::string end;                // "HH:MM" local; not after start => next day
  };
  std::string tz = "Europe/London";
  std::vector<window> windows;
  std::vector<std::string> except;  // local dates "YYYY-MM-DD"
  std::string from;                 // local date (inclusive) or instant; empty = unbounded
  std::string until;                // local date (inclusive) or instant; empty = unbounded
};

}  // namespace warden
