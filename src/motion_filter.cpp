// Motion filter: speed gate, spike test and constant-velocity Kalman filter
// (warden/motion_filter.hpp).
#include <warden/motion_filter.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace warden {
namespace {

// accuracy_m is a 95% radius of a 2-D normal error: sigma per axis is
// accuracy / sqrt(chi2_2(0.95)) = accuracy / 2.4477.
constexpr double k95 = 2.4477468306808161;

double seconds_between(instant a, instant b) noexcept {
  return static_cast<double>((b - a).count()) / 1000.0;
}

// The constant-velocity prediction over dt: P' = F P F^T + q Q and x' = F x
// with F = [1 dt; 0 1], Q = [dt^3/3 dt^2/2; dt^2/2 dt]. Every entry is the
// same products and sums the matrix expression evaluated (the products by
// the 0 and 1 of F included: 0 * x + y is not y when y is -0).
void predict_cov(const double (&p)[2][2], double dt, double noise, double (&out)[2][2]) noexcept {
  const double f00 = 1.0, f01 = dt, f10 = 0.0, f11 = 1.0;
  // T = F P
  const double t00 = f00 * p[0][0] + f01 * p[1][0];
  const double t01 = f00 * p[0][1] + f01 * p[1][1];
  const double t10 = f10 * p[0][0] + f11 * p[1][0];
  const double t11 = f10 * p[0][1] + f11 * p[1][1];
  // T F^T (F^T = [f00 f10; f01 f11]) + noise * Q
  const double q00 = dt * dt * dt / 3.0, q01 = dt * dt / 2.0, q11 = dt;
  out[0][0] = (t00 * f00 + t01 * f01) + noise * q00;
  out[0][1] = (t00 * f10 + t01 * f11) + noise * q01;
  out[1][0] = (t10 * f00 + t11 * f01) + noise * q01;
  out[1][1] = (t10 * f10 + t11 * f11) + noise * q11;
}

void predict_state(const double (&x)[2][2], double dt, double (&out)[2][2]) noexcept {
  for (int j = 0; j < 2; ++j) {
    out[0][j] = 1.0 * x[0][j] + dt * x[1][j];
    out[1][j] = 0.0 * x[0][j] + 1.0 * x[1][j];
  }
}

}  // namespace

motion_filter::motion_filter() noexcept = default;

double motion_filter::position_radius_m() const noexcept { return k95 * std::sqrt(std::max(0.0, p_[0][0])); }

void motion_filter::restart(const motion_point& p, const motion_filter_params& o) noexcept {
  const double sigma = p.accuracy_m / k95;
  x_[0][0] = p.pos.x_m, x_[0][1] = p.pos.y_m, x_[1][0] = 0.0, x_[1][1] = 0.0;
  p_[0][0] = sigma * sigma, p_[0][1] = 0.0, p_[1][0] = 0.0;
  p_[1][1] = o.initial_speed_sigma_mps * o.initial_speed_sigma_mps;
  t_ = p.time;
  last_ = p;
  hard_rejects_ = 0;
  init_ = true;
}

motion_filter::gate_result motion_filter::gate(const motion_point& p, const motion_filter_params& o) const noexcept {
  if (!init_ || p.time - t_ > o.reset_after) return {motion_outcome::none, 0, 0, 0};
  // Hard gate against the last accepted raw fix, granting both radii.
  const double dt_last = seconds_between(last_.time, p.time);
  {
    // Well inside the gate (the usual case) the squared distance shows it
    // without the distance itself: within half the allowance the rounding of
    // hypot and of the comparison cannot matter, so the outcome is the one
    // the exact test below gives. NaN fails the test and takes the slow path.
    const double dx = last_.pos.x_m - p.pos.x_m, dy = last_.pos.y_m - p.pos.y_m;
    const double allow = o.max_speed_mps * dt_last;
    const double b = allow + last_.accuracy_m + p.accuracy_m;
    if (!(allow >= 0 && last_.accuracy_m >= 0 && p.accuracy_m >= 0 && dx * dx + dy * dy <= 0.25 * b * b)) {
      const double d_m = distance_m(last_.pos, p.pos);
      if (d_m - last_.accuracy_m - p.accuracy_m > allow) return {motion_outcome::reject, 0, 0, 0};
    }
  }
  // Kalman prediction to p.time.
  const double dt = seconds_between(t_, p.time);
  double pp[2][2];
  predict_cov(p_, dt, o.accel_noise_m2_s3, pp);
  const double xp0 = 1.0 * x_[0][0] + dt * x_[1][0];
  const double xp1 = 1.0 * x_[0][1] + dt * x_[1][1];
  const double r = (p.accuracy_m / k95) * (p.accuracy_m / k95);
  const double s = pp[0][0] + r;
  const double nx = p.pos.x_m - xp0, ny = p.pos.y_m - xp1;
  const double n2 = nx * nx + ny * ny;
  const double m2 = n2 / s;
  const double innovation = std::sqrt(n2);
  const double excess = innovation - k95 * std::sqrt(pp[0][0]);
  return {m2 > o.gate_chi2 ? motion_outcome::hold : motion_outcome::accept, m2, excess, innovation};
}

double motion_filter::update(const motion_point& p, const motion_filter_params& o) noexcept {
  const double dt = seconds_between(t_, p.time);
  {
    double pp[2][2], xp[2][2];
    predict_cov(p_, dt, o.accel_noise_m2_s3, pp);
    predict_state(x_, dt, xp);
    std::memcpy(p_, pp, sizeof p_);
    std::memcpy(x_, xp, sizeof x_);
  }
  const double prior_radius_m = k95 * std::sqrt(p_[0][0]);
  const double r = (p.accuracy_m / k95) * (p.accuracy_m / k95);
  const double s = p_[0][0] + r;
  const double k0 = p_[0][0] / s, k1 = p_[1][0] / s;
  const double nu0 = p.pos.x_m - x_[0][0], nu1 = p.pos.y_m - x_[0][1];
  // x += k nu (outer product); P -= k P.row(0), from the P before the update.
  x_[0][0] += k0 * nu0;
  x_[0][1] += k0 * nu1;
  x_[1][0] += k1 * nu0;
  x_[1][1] += k1 * nu1;
  const double kh00 = k0 * p_[0][0], kh01 = k0 * p_[0][1], kh10 = k1 * p_[0][0], kh11 = k1 * p_[0][1];
  p_[0][0] -= kh00;
  p_[0][1] -= kh01;
  p_[1][0] -= kh10;
  p_[1][1] -= kh11;
  // Keep the covariance symmetric against rounding drift.
  p_[0][1] = p_[1][0] = 0.5 * (p_[0][1] + p_[1][0]);
  t_ = p.time;
  last_ = p;
  hard_rejects_ = 0;
  return std::max(p.accuracy_m, std::sqrt(nu0 * nu0 + nu1 * nu1) - prior_radius_m);
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
  s.x[0] = x_[0][0], s.x[1] = x_[0][1], s.x[2] = x_[1][0], s.x[3] = x_[1][1];
  s.p[0] = p_[0][0], s.p[1] = p_[0][1], s.p[2] = p_[1][0], s.p[3] = p_[1][1];
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
  // raw_state keeps the row-major order of the matrices it was written from.
  x_[0][0] = s.x[0], x_[0][1] = s.x[1], x_[1][0] = s.x[2], x_[1][1] = s.x[3];
  p_[0][0] = s.p[0], p_[0][1] = s.p[1], p_[1][0] = s.p[2], p_[1][1] = s.p[3];
  t_ = from_epoch_ms(s.t_ms);
  last_ = {from_epoch_ms(s.last_t_ms), {s.last_x, s.last_y}, s.last_acc};
  held_pt_ = {from_epoch_ms(s.held_t_ms), {s.held_x, s.held_y}, s.held_acc};
  held_excess_m_ = s.held_excess_m;
  hard_rejects_ = s.hard_rejects;
  init_ = s.init != 0;
  held_ = s.held != 0;
}

}  // namespace warden
