// Atomic, durable file replacement (warden/detail/atomic_file.hpp).
#include <warden/detail/atomic_file.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace warden::detail {
namespace {

std::mutex plan_mutex;
io_fault_plan plan;                         // guarded by plan_mutex
std::atomic<bool> plan_armed{false};        // fast path: no plan, no lock
std::atomic<std::uint64_t> write_calls{0};  // since the plan was set
std::atomic<std::uint64_t> temp_counter{0};

// What the next write call should do under the plan.
struct write_decision {
  std::size_t max_bytes;
  io_fault fault;
};

write_decision next_write(std::size_t want) noexcept {
  const std::uint64_t k = write_calls.fetch_add(1, std::memory_order_relaxed);
  if (!plan_armed.load(std::memory_order_acquire)) return {want, io_fault::none};
  std::lock_guard lock(plan_mutex);
  std::size_t cap = want;
  if (plan.max_write_bytes > 0) cap = std::min(cap, plan.max_write_bytes);
  return {cap, k == plan.at_write ? plan.fault : io_fault::none};
}

bool fsync_fails() noexcept {
  if (!plan_armed.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(plan_mutex);
  return plan.fail_fsync;
}

bool rename_fails() noexcept {
  if (!plan_armed.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(plan_mutex);
  return plan.fail_rename;
}

error io_failure(std::string_view step, const std::string& file, int err) {
  return make_error(errc::io_error, std::string(step) + " " + file + ": " + std::strerror(err));
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

}  // namespace

void set_io_fault_plan(const io_fault_plan& p) noexcept {
  std::lock_guard lock(plan_mutex);
  plan = p;
  write_calls.store(0, std::memory_order_relaxed);
  plan_armed.store(true, std::memory_order_release);
}

void clear_io_fault_plan() noexcept {
  std::lock_guard lock(plan_mutex);
  plan = {};
  write_calls.store(0, std::memory_order_relaxed);
  plan_armed.store(false, std::memory_order_release);
}

std::uint64_t io_write_calls() noexcept { return write_calls.load(std::memory_order_relaxed); }

result<atomic_file_writer> atomic_file_writer::create(std::string path) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(temp_counter.fetch_add(1, std::memory_order_relaxed));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_failure("cannot create", tmp, errno);
  return atomic_file_writer(std::move(path), std::move(tmp), fd);
}

atomic_file_writer::atomic_file_writer(atomic_file_writer&& o) noexcept
    : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), fd_(std::exchange(o.fd_, -1)),
      crashed_(o.crashed_), failed_(std::move(o.failed_)) {
  o.tmp_.clear();
}

atomic_file_writer::~atomic_file_writer() { abandon(); }

void atomic_file_writer::abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!tmp_.empty() && !crashed_) ::unlink(tmp_.c_str());
  tmp_.clear();
}

result<void> atomic_file_writer::write(std::string_view bytes) {
  if (failed_.code != errc::ok) return failed_;
  if (fd_ < 0) return failed_ = make_error(errc::io_error, "write to " + tmp_ + " after commit");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const write_decision d = next_write(bytes.size() - done);
    const char* p = bytes.data() + done;
    ssize_t n = -1;
    switch (d.fault) {
      case io_fault::none: n = ::write(fd_, p, d.max_bytes); break;
      case io_fault::error: n = -1, errno = EIO; break;
      case io_fault::no_space: n = -1, errno = ENOSPC; break;
      case io_fault::interrupted: n = -1, errno = EINTR; break;
      case io_fault::short_write: n = ::write(fd_, p, std::max<std::size_t>(1, d.max_bytes / 2)); break;
      case io_fault::crash:
        (void)!::write(fd_, p, std::max<std::size_t>(1, d.max_bytes / 2));
        crashed_ = true;
        ::close(fd_);
        fd_ = -1;
        return failed_ = make_error(errc::io_error, "simulated crash while writing " + tmp_);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = io_failure("cannot write", tmp_, errno);
      abandon();
      return failed_;
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

result<void> atomic_file_writer::commit() {
  if (failed_.code != errc::ok) return failed_;
  if (fd_ < 0) return failed_ = make_error(errc::io_error, "commit of " + tmp_ + " twice");
  const int sync_err = fsync_fails() ? EIO : (::fsync(fd_) != 0 ? errno : 0);
  const int close_err = ::close(fd_) != 0 ? errno : 0;
  fd_ = -1;
  if (sync_err != 0 || close_err != 0) {
    failed_ = io_failure("cannot sync", tmp_, sync_err != 0 ? sync_err : close_err);
    abandon();
    return failed_;
  }
  const int rename_err = rename_fails() ? EXDEV : (::rename(tmp_.c_str(), path_.c_str()) != 0 ? errno : 0);
  if (rename_err != 0) {
    failed_ = make_error(errc::io_error,
                         "cannot rename " + tmp_ + " to " + path_ + ": " + std::strerror(rename_err));
    abandon();
    return failed_;
  }
  tmp_.clear();
  // Make the rename itself durable. Some file systems cannot fsync a
  // directory; the new file is complete either way, so that is not an error.
  const std::string dir = parent_dir(path_);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

result<void> write_file_atomic(const std::string& path, std::string_view bytes) {
  auto w = atomic_file_writer::create(path);
  if (!w) return w.err();
  if (auto r = w->write(bytes); !r) return r;
  return w->commit();
}

}  // namespace warden::detail
