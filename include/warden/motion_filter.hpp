// warden/motion_filter.hpp — per-subject motion filter in front of the
// monitoring rules: a speed gate that rejects physically impossible jumps, a
// spike test that catches multipath outliers which claim a good accuracy, and
// a constant-velocity Kalman filter that smooths jitter and says how far a fix
// is from where the subject could plausibly be.
//
// Feed fixes of one subject in event-time order (the monitor replays its
// history to keep that true when records arrive late). For each fix the
// filter answers accept, reject (errc::impossible_jump) or hold:
// - hard gate: the straight-line speed from the last accepted fix, after
//   granting both accuracy radii, exceeds max_speed_mps -> reject now.
// - Kalman gate: the fix is outside the chi-square gate of the prediction
//   (innovation against predicted covariance plus the fix's own accuracy)
//   -> hold. The next fix decides: if it is consistent with the prediction
//   made WITHOUT the held fix and closer to that prediction than to the
//   held fix, the held fix was an isolated spike and is rejected; otherwise the subject really moved (a car pulling away, a turn)
//   and the held fix is accepted and the filter restarts there. A held fix
//   with no next fix within hold_max is accepted (nothing disproves it).
// - after reset_after without fixes, or max_hard_rejects consecutive hard
//   rejections (the last accepted fix was the wrong one), the filter restarts.
// Accepted fixes carry an effective accuracy: the claimed radius, raised to
// the part of the innovation the prediction cannot explain, so a receiver
// that claims 5 m on a 60 m error is not believed.
//
// The Kalman filter: state (position, velocity) per axis, white-noise
// acceleration of spectral density accel_noise_m2_s3, measurement sigma =
// accuracy_m / 2.4477 (accuracy is a 95% radius, so 2-D sigma per axis).
// With isotropic measurement and process noise the x and y filters share one
// 2x2 covariance exactly (not an approximation), so the state is a 2x2
// matrix (rows position/velocity, columns x/y) and one 2x2 covariance.
// The 2x2 algebra is written out in scalars, each entry computed with the
// same products and sums as the matrix expressions it replaces (Eigen, up to
// 2026-11-22), so results are bit-identical: -ffp-contract=off, and a sum of
// two products rounds the same in either order.
//
// Units: metres, metres per second, milliseconds (instant). Positions are
// frame metres (warden/frame.hpp).
// Thread-safety: a value type; one filter per subject, not shared.
#pragma once

#include <warden/geo.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>

#include <chrono>
#include <cstdint>

namespace warden {

struct motion_filter_params {
  double max_speed_mps = 70.0;           // hard gate: ~250 km/h, faster than any tagged person travels
  double accel_noise_m2_s3 = 0.001;      // Kalman process noise: tight, so jitter is smoothed; surprises are held, not dropped
  double gate_chi2 = 9.21;               // 99% of a 2-D chi-square: beyond this a fix is suspicious
  double initial_speed_sigma_mps = 10.0; // velocity uncertainty when the filter (re)starts
  std::chrono::milliseconds hold_max{std::chrono::minutes{10}};     // lookahead for a suspicious fix
  std::chrono::milliseconds reset_after{std::chrono::minutes{30}};  // gap after which the filter restarts
  std::uint32_t max_hard_rejects = 3;  // consecutive hard rejections that restart the filter
};

// One position handed to the filter.
struct motion_point {
  instant time;
  xy pos;
  double accuracy_m = 10.0;
};

enum class motion_outcome : std::uint8_t {
  none = 0,    // no decision (e.g. no held fix)
  accept = 1,
  reject = 2,  // errc::impossible_jump
  hold = 3,    // suspicious: decided by the next fix or by release()
};

// What one push decided: for the previously held fix (if any) and for the
// new fix. effective accuracy is meaningful for accepted fixes only.
struct motion_decision {
  motion_outcome held = motion_outcome::none;
  double held_accuracy_m = 0;
  motion_outcome current = motion_outcome::none;
  double current_accuracy_m = 0;
};

class motion_filter {
 public:
  motion_filter() noexcept;

  // Next fix in event-time order (time >= the previous fix's).
  motion_decision push(const motion_point& p, const motion_filter_params& o) noexcept;
  // Accepts the held fix without lookahead (its window expired); returns
  // its effective accuracy, or a negative value when nothing was held.
  double release(const motion_filter_params& o) noexcept;

  bool holding() const noexcept { return held_; }
  const motion_point& held_point() const noexcept { return held_pt_; }
  bool initialised() const noexcept { return init_; }
  // The smoothed position and velocity at the last accepted fix.
  xy position() const noexcept { return {x_[0][0], x_[0][1]}; }
  xy velocity_mps() const noexcept { return {x_[1][0], x_[1][1]}; }
  // 95% radius of the smoothed position, metres.
  double position_radius_m() const noexcept;
  instant time() const noexcept { return t_; }

  // Raw state for checkpoints (plain doubles; see monitor checkpoint).
  struct raw_state {
    double x[4];
    double p[4];
    std::int64_t t_ms;
    double last_x, last_y, last_acc;
    std::int64_t last_t_ms;
    double held_x, held_y, held_acc;
    std::int64_t held_t_ms;
    double held_excess_m;
    std::uint32_t hard_rejects;
    std::uint8_t init, held;
  };
  raw_state save() const noexcept;
  void load(const raw_state& s) noexcept;

 private:
  // Outcome of gating p against the current state (no side effects).
  struct gate_result {
    motion_outcome outcome;
    double mahalanobis2;
    double excess_m;  // innovation beyond the predicted 95% radius
    double innovation_m;  // distance from the predicted position
  };
  gate_result gate(const motion_point& p, const motion_filter_params& o) const noexcept;
  void restart(const motion_point& p, const motion_filter_params& o) noexcept;
  double update(const motion_point& p, const motion_filter_params& o) noexcept;  // returns effective accuracy
  motion_outcome decide_current(const motion_point& p, const motion_filter_params& o, double& acc) noexcept;

  double x_[2][2] = {};  // rows: position, velocity; columns: x, y
  double p_[2][2] = {};  // shared covariance of (position, velocity)
  instant t_{};
  motion_point last_{};     // last accepted fix, raw
  motion_point held_pt_{};
  double held_excess_m_ = 0;  // innovation beyond the predicted radius when it was held
  std::uint32_t hard_rejects_ = 0;
  bool init_ = false;
  bool held_ = false;
};

}  // namespace warden
