// warden/detail/atomic_file.hpp — replacing a file atomically and durably,
// for checkpoints and trail stores (internal; used by monitor::checkpoint
// and trail_store::save).
//
// The bytes go to a temporary file beside the target (same directory, so the
// rename cannot cross file systems), written with a loop that resumes after
// short writes and EINTR, then fsync'd, closed, renamed over the target and
// the directory fsync'd so that the rename itself survives a power cut. A
// reader of `path` sees the old file or the new one, whole, never a mixture.
// On any failure the temporary file is removed and the target is untouched;
// errors are errc::io_error with the failing step, the file and strerror.
//
// Temporary names are "<path>.tmp.<pid>.<n>" with n a per-process counter,
// so concurrent writers of different targets in one process, or of the same
// target in different processes, never share a temporary file (two writers
// of one target: the last rename wins, each rename whole).
//
// Fault injection (tests only): io_fault_plan makes the k-th write(2) call
// (counted across all atomic writers in the process since the plan was set)
// fail with EIO or ENOSPC, write only part of its buffer, be interrupted, or
// simulate a crash (part of the buffer reaches the temporary file, then the
// writer stops dead: no cleanup, no rename, as if the process had died).
// fsync and rename can be made to fail too. max_write_bytes splits writes so
// that a small file takes many write calls. The plan is process-global and
// guarded by a mutex; set it only while no other thread writes files.
//
// Thread-safety: an atomic_file_writer is used by one thread; distinct
// writers may run concurrently.
#pragma once

#include <warden/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden::detail {

enum class io_fault : std::uint8_t {
  none,
  error,        // write returns -1, errno EIO
  no_space,     // write returns -1, errno ENOSPC
  short_write,  // write writes half its buffer (at least 1 byte) and returns that
  interrupted,  // write returns -1, errno EINTR, nothing written
  crash,        // half the buffer is written, then the writer stops: tmp left, no rename
};

struct io_fault_plan {
  std::uint64_t at_write = 0;      // 0-based index of the write call that faults
  io_fault fault = io_fault::none;
  std::size_t max_write_bytes = 0;  // > 0: no write call passes more than this
  bool fail_fsync = false;          // fsync of the temporary file fails (EIO)
  bool fail_rename = false;         // rename fails (EXDEV)
};

// Test hooks. set_io_fault_plan resets the write-call counter.
void set_io_fault_plan(const io_fault_plan& plan) noexcept;
void clear_io_fault_plan() noexcept;
// write(2) calls made by atomic writers since the plan was last set.
std::uint64_t io_write_calls() noexcept;

class atomic_file_writer {
 public:
  // Creates the temporary file. Errors: io_error.
  static result<atomic_file_writer> create(std::string path);

  atomic_file_writer(atomic_file_writer&& o) noexcept;
  atomic_file_writer& operator=(atomic_file_writer&&) = delete;
  atomic_file_writer(const atomic_file_writer&) = delete;
  // Not committed: closes and removes the temporary file.
  ~atomic_file_writer();

  // Appends bytes to the temporary file. After an error every later call
  // fails with the same error. Errors: io_error.
  result<void> write(std::string_view bytes);
  // fsync, close, rename over the target, fsync the directory. Errors: io_error.
  result<void> commit();

  const std::string& temp_path() const noexcept { return tmp_; }

 private:
  atomic_file_writer(std::string path, std::string tmp, int fd) noexcept
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  void abandon() noexcept;

  std::string path_, tmp_;
  int fd_ = -1;
  bool crashed_ = false;  // a simulated crash: leave the temporary file as it is
  error failed_{};        // the first error, if any
};

// create + write + commit.
result<void> write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace warden::detail
