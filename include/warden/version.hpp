// warden/version.hpp — the library version, quoted in every alert's evidence.
// Thread-safety: constant data.
#pragma once

#ifndef WARDEN_VERSION_STRING
#define WARDEN_VERSION_STRING "0.1.0"
#endif

namespace warden {
// e.g. "0.1.0"
constexpr const char* version() noexcept { return WARDEN_VERSION_STRING; }
// e.g. "warden 0.1.0", the `engine` field of alert evidence.
constexpr const char* engine_name() noexcept { return "warden " WARDEN_VERSION_STRING; }
}  // namespace warden
