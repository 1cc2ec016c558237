// warden/diagnostics.hpp — how bad input is reported.
//
// Every bad record becomes a diagnostic: file, 1-based line, stable reason
// code (warden/result.hpp) and message, printed as
//   FILE:LINE: reason-code: message
// The good records around it still count. A `diagnostics` collector counts
// every diagnostic by code (nothing is lost), keeps the first `keep_limit`
// in full, and can echo each one to a stream as it arrives.
//
// Thread-safety: a collector is not synchronised; use one per thread or
// guard it.
#pragma once

#include <warden/result.hpp>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace warden {

struct diagnostic {
  std::string file;        // as given by the caller ("-" for stdin)
  std::uint64_t line = 0;  // 1-based; 0 when the problem is the whole file
  errc code = errc::ok;
  std::string message;
};

// "FILE:LINE: code: message" (":LINE" omitted when line is 0).
std::string format(const diagnostic& d);

class diagnostics {
 public:
  explicit diagnostics(std::ostream* echo = nullptr, std::size_t keep_limit = 10000)
      : echo_(echo), keep_limit_(keep_limit) {}

  void report(diagnostic d);
  void report(std::string file, std::uint64_t line, errc code, std::string message) {
    report(diagnostic{std::move(file), line, code, std::move(message)});
  }

  std::uint64_t total() const noexcept { return total_; }
  // Count of diagnostics by code, in code order (deterministic).
  const std::map<errc, std::uint64_t>& counts() const noexcept { return counts_; }
  std::uint64_t count(errc c) const noexcept {
    auto it = counts_.find(c);
    return it == counts_.end() ? 0 : it->second;
  }
  // The first keep_limit diagnostics, in arrival order.
  const std::vector<diagnostic>& kept() const noexcept { return kept_; }
  bool empty() const noexcept { return total_ == 0; }

 private:
  std::ostream* echo_;
  std::size_t keep_limit_;
  std::uint64_t total_ = 0;
  std::map<errc, std::uint64_t> counts_;
  std::vector<diagnostic> kept_;
};

}  // namespace warden
