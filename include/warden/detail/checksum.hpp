// warden/detail/checksum.hpp — the integrity checksums of warden's binary
// files (internal): checksum64 ends a trail store (trail_store::save/load),
// fnv1a64 ends a checkpoint (monitor::checkpoint/restore). The fuzz targets
// use the same functions to repair the checksums of mutated inputs, so that
// mutations reach past the integrity check.
//
// Both are part of a file format: changing either one changes the bytes of
// every file written and makes every existing file fail to load. They detect
// accidental damage (truncation, flipped bits), not tampering.
//
// Byte order: checksum64 reads its input as little-endian 64-bit words on
// every machine; the result is a plain integer (the writer decides how to
// store it).
//
// Thread-safety: a checksum64 accumulates one stream, in one thread at a
// time; fnv1a64 and checksum64::of are pure.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace warden::detail {

// Four independent multiply-rotate lanes over 32-byte blocks (fast enough to
// check gigabytes in seconds), mixed with the length and the tail. Feeding a
// stream in pieces gives the same result as feeding it whole.
class checksum64 {
 public:
  void update(const void* data, std::size_t n) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += n;
    if (nbuf_ > 0) {
      const std::size_t take = std::min(n, sizeof buf_ - nbuf_);
      std::memcpy(buf_ + nbuf_, p, take);
      nbuf_ += take;
      p += take;
      n -= take;
      if (nbuf_ < sizeof buf_) return;
      block(buf_);
      nbuf_ = 0;
    }
    while (n >= 32) {
      block(p);
      p += 32;
      n -= 32;
    }
    if (n > 0) std::memcpy(buf_, p, n);
    nbuf_ = n;
  }
  std::uint64_t finish() const noexcept {
    std::uint64_t h = total_ * k1;
    for (std::uint64_t l : lanes_) h = mix(h, l);
    for (std::size_t i = 0; i < nbuf_; ++i) h = mix(h, buf_[i]);
    h ^= h >> 33;
    h *= k2;
    h ^= h >> 29;
    return h;
  }
  // The checksum of `n` bytes at `data`, in one call.
  static std::uint64_t of(const void* data, std::size_t n) noexcept {
    checksum64 c;
    c.update(data, n);
    return c.finish();
  }

 private:
  static constexpr std::uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xC2B2AE3D27D4EB4Full;
  static std::uint64_t mix(std::uint64_t h, std::uint64_t w) noexcept {
    h ^= w * k2;
    h = std::rotl(h, 31);
    return h * k1;
  }
  static std::uint64_t load_le(const unsigned char* p) noexcept {
    std::uint64_t w = 0;
    for (int i = 7; i >= 0; --i) w = (w << 8) | p[i];
    return w;
  }
  void block(const unsigned char* p) noexcept {
    for (int i = 0; i < 4; ++i) lanes_[i] = mix(lanes_[i], load_le(p + 8 * i));
  }
  std::uint64_t lanes_[4] = {1, 2, 3, 4};
  unsigned char buf_[32] = {};
  std::size_t nbuf_ = 0;
  std::uint64_t total_ = 0;
};

// FNV-1a 64, fed piece by piece; the typed feeds fix the byte order
// (little-endian on every machine) so that a hash of values is portable.
class fnv1a64_stream {
 public:
  void byte(std::uint8_t b) noexcept {
    h_ ^= b;
    h_ *= 1099511628211ull;
  }
  void bytes(std::string_view s) noexcept {
    for (const char c : s) byte(static_cast<std::uint8_t>(c));
  }
  void u64(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  // -0.0 hashes as 0.0.
  void f64(double d) noexcept { u64(std::bit_cast<std::uint64_t>(d == 0.0 ? 0.0 : d)); }
  // The length, then the bytes: "ab","c" and "a","bc" differ.
  void str(std::string_view s) noexcept {
    u64(s.size());
    bytes(s);
  }
  std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_ = 14695981039346656037ull;
};

// FNV-1a 64 over the bytes of `s`.
inline std::uint64_t fnv1a64(std::string_view s) noexcept {
  fnv1a64_stream h;
  h.bytes(s);
  return h.value();
}

}  // namespace warden::detail
