// warden/warden.hpp — everything in one include.
#pragma once

#include <warden/alert.hpp>
#include <warden/crime_match.hpp>
#include <warden/curfew.hpp>
#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/geometry.hpp>
#include <warden/monitor.hpp>
#include <warden/motion_filter.hpp>
#include <warden/prepared_polygon.hpp>
#include <warden/prism.hpp>
#include <warden/readers.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/schedule.hpp>
#include <warden/synth.hpp>
#include <warden/time.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>
#include <warden/verdict.hpp>
#include <warden/version.hpp>
#include <warden/zone.hpp>
#include <warden/zone_index.hpp>
