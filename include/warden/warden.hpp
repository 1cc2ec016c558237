// warden/warden.hpp — everything in one include.
#pragma once

#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/geometry.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/schedule.hpp>
#include <warden/time.hpp>
#include <warden/version.hpp>
