// Motion filter: speed gate, spike test and constant-velocity Kalman filter
// (warden/motion_filter.hpp).
#include <warden/motion_filter.hpp>

#include <algorithm>
#include <cmath>

namespace warden {
namespace {

// accuracy_m is a 95% radius of a 2-D normal error: sigma per axis is
// accuracy / sqrt(chi2_2(0.95)) = accuracy / 2.4477.
constexpr double k95 = 2.4477468306808161;

double seconds_between(instant a, instant b) noexcept {
  return static_cast<double>((b - a).count()) / 1000.0;
}

}  // namespace

motion_filter::motion_filter() noexcept : x_(Eigen::Matrix2d::Zero()), p_(Eigen::Matrix2d::Zero()) {}

double motion_filter::position_radius_m() const noexcept { return k95 * std::sqrt(std::max(0.0, p_(0, 0))); }

void motion_filter::restart(const motion_point& p, const motion_filter_params& o) noexcept {
  const double sigma = p.accuracy_m / k95;
  x_ << p.pos.x_m, p.pos.y_m, 0.0, 0.0;
  p_ << sigma * sigma, 0.0, 0.0, o.initial_speed_sigma_mps * o.initial_speed_sigma_mps;
  t_ = p.time;
  last_ = p;
  hard_rejects_ = 0;
  init_ = true;
}

motion_filter::gate_result motion_filter::gate(const motion_point& p, const motion_filter_params& o) const noexcept {
  if (!init_ || p.time - t_ > o.reset_after) return {motion_outcome::none, 0, 0, 0};
  // Hard gate against the last accepted raw fix, granting both radii.
  const double dt_last = seconds_between(last_.time, p.time);
  const double d_m = distance_m(last_.pos, p.pos);
  if (d_m - last_.accuracy_m - p.accuracy_m > o.max_speed_mps * dt_last) return {motion_outcome::reject, 0, 0, 0};
  // Kalman prediction to p.time.
  const double dt = seconds_between(t_, p.time);
  Eigen::Matrix2d f;
  f << 1.0, dt, 0.0, 1.0;
  Eigen::Matrix2d q;
  q << dt * dt * dt / 3.0, dt * dt / 2.0, dt * dt / 2.0, dt;
  const Eigen::Matrix2d pp = f * p_ * f.transpose() + o.accel_noise_m2_s3 * q;
  const Eigen::Matrix2d xp = f * x_;
  const double r = (p.accuracy_m / k95) * (p.accuracy_m / k95);
  const double s = pp(0, 0) + r;
  const double nx = p.pos.x_m - xp(0, 0), ny = p.pos.y_m - xp(0, 1);
  const double n2 = nx * nx + ny * ny;
  const double m2 = n2 / s;
  const double excess = std::sqrt(n2) - k95 * std::sqrt(pp(0, 0));
  return {m2 > o.gate_chi2 ? motion_outcome::hold : motion_outcome::accept, m2, excess, std::sqrt(n2)};
}

double motion_filter::update(const motion_point& p, const motion_filter_params& o) noexcept {
  const double dt = seconds_between(t_, p.time);
  Eigen::Matrix2d f;
  f << 1.0, dt, 0.0, 1.0;
  Eigen::Matrix2d q;
  q << dt * dt * dt / 3.0, dt * dt / 2.0, dt * dt / 2.0, dt;
  p_ = f * p_ * f.transpose() + o.accel_noise_m2_s3 * q;
  x_ = f * x_;
  const double prior_radius_m = k95 * std::sqrt(p_(0, 0));
  const double r = (p.accuracy_m / k95) * (p.accuracy_m / k95);
  const double s = p_(0, 0) + r;
  const Eigen::Vector2d k = p_.col(0) / s;
  Eigen::RowVector2d nu;
  nu << p.pos.x_m - x_(0, 0), p.pos.y_m - x_(0, 1);
  x_ += k * nu;
  const Eigen::Matrix2d kh = k * p_.row(0);
  p_ -= kh;
  // Keep the covariance symmetric against rounding drift.
  p_(0, 1) = p_(1, 0) = 0.5 * (p_(0, 1) + p_(1, 0));
  t_ = p.time;
  last_ = p;
  hard_rejects_ = 0;
  return std::max(p.accuracy_m, nu.norm() - prior_radius_m);
}

motion_outcome motion_filter::decide_current(const motion_point& p, const motion_filter_params& o,
                                             double& acc) noexcept {
  const gate_result g = gate(p, o);
  switch (g.outcome) {
    case motion_outcome::none:
      restart(p, o);
      acc = p.accuracy_m;
      return motion_outcome::accept;
    case motion_outcome::reject:
      if (++hard_rejects_ > o.max_hard_rejects) {
        // Several impossible jumps in a row from the same anchor: the anchor
        // was the bad fix. Start again from here.
        restart(p, o);
        acc = p.accuracy_m;
        return motion_outcome::accept;
      }
      return motion_outcome::reject;
    case motion_outcome::hold:
      held_ = true;
      held_pt_ = p;
      held_excess_m_ = g.excess_m;
      return motion_outcome::hold;
    case motion_outcome::accept:
      acc = update(p, o);
      return motion_outcome::accept;
  }
  return motion_outcome::reject;
}

motion_decision motion_filter::push(const motion_point& p, const motion_filter_params& o) noexcept {
  motion_decision d;
  if (held_) {
    held_ = false;
    if (p.time - held_pt_.time > o.hold_max) {
      d.held = motion_outcome::accept;
      d.held_accuracy_m = std::max(held_pt_.accuracy_m, held_excess_m_);
      motion_point h = held_pt_;
      h.accuracy_m = d.held_accuracy_m;
      restart(h, o);
    } else if (const gate_result g = gate(p, o);
               g.outcome == motion_outcome::accept && distance_m(p.pos, held_pt_.pos) > g.innovation_m) {
      // The next fix agrees with the track the held fix left, and not with
      // the held fix: a spike.
      d.held = motion_outcome::reject;
    } else {
      // The track really changed at the held fix.
      d.held = motion_outcome::accept;
      d.held_accuracy_m = held_pt_.accuracy_m;
      restart(held_pt_, o);
    }
  }
  d.current = decide_current(p, o, d.current_accuracy_m);
  return d;
}

double motion_filter::release(const motion_filter_params& o) noexcept {
  if (!held_) return -1.0;
  held_ = false;
  // Nothing confirms or disproves it: accept, but do not believe a claimed
  // accuracy that the prediction contradicts.
  motion_point h = held_pt_;
  h.accuracy_m = std::max(held_pt_.accuracy_m, held_excess_m_);
  restart(h, o);
  return h.accuracy_m;
}

motion_filter::raw_state motion_filter::save() const noexcept {
  raw_state s{};
  s.x[0] = x_(0, 0), s.x[1] = x_(0, 1), s.x[2] = x_(1, 0), s.x[3] = x_(1, 1);
  s.p[0] = p_(0, 0), s.p[1] = p_(0, 1), s.p[2] = p_(1, 0), s.p[3] = p_(1, 1);
  s.t_ms = to_epoch_ms(t_);
  s.last_x = last_.pos.x_m, s.last_y = last_.pos.y_m, s.last_acc = last_.accuracy_m;
  s.last_t_ms = to_epoch_ms(last_.time);
  s.held_x = held_pt_.pos.x_m, s.held_y = held_pt_.pos.y_m, s.held_acc = held_pt_.accuracy_m;
  s.held_t_ms = to_epoch_ms(held_pt_.time);
  s.held_excess_m = held_excess_m_;
  s.hard_rejects = hard_rejects_;
  s.init = init_ ? 1 : 0;
  s.held = held_ ? 1 : 0;
  return s;
}

void motion_filter::load(const raw_state& s) noexcept {
  x_ << s.x[0], s.x[1], s.x[2], s.x[3];
  p_ << s.p[0], s.p[1], s.p[2], s.p[3];
  t_ = from_epoch_ms(s.t_ms);
  last_ = {from_epoch_ms(s.last_t_ms), {s.last_x, s.last_y}, s.last_acc};
  held_pt_ = {from_epoch_ms(s.held_t_ms), {s.held_x, s.held_y}, s.held_acc};
  held_excess_m_ = s.held_excess_m;
  hard_rejects_ = s.hard_rejects;
  init_ = s.init != 0;
  held_ = s.held != 0;
}

}  // namespace warden
