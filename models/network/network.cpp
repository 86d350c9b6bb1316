#include "models/network/network.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace migsim::net {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// --- Flow ---

void Flow::push(Bytes bytes, BitRate cap, Duration delay, Callback done, void* context) {
  queue_.push_slot() = Transfer{bytes.count(), cap, delay, done, context};
  // Inside a done callback the flow picks its next transfer once the callback returns.
  if (queue_.size() == 1 && !in_done_ && !delaying_) start_head();
}

double Flow::limit() const {
  double l = steady_bps_;
  if (!queue_.empty() && queue_.front().cap.bps() > 0)
    l = std::min(l, static_cast<double>(queue_.front().cap.bps()));
  if (in_slow_start_) l = std::min(l, cwnd_ * 8e9 / static_cast<double>(rtt().count_ns()));
  return l;
}

double Flow::remaining_now() const {
  const Duration since = net_->sim_.now() - last_update_;
  return std::max(0.0, remaining_ - rate_ * static_cast<double>(since.count_ns()) / 8e9);
}

void Flow::schedule_finish() {
  sim::Simulation& sim = net_->sim_;
  if (have_finish_) sim.cancel(finish_event_);
  have_finish_ = false;
  if (rate_ <= 0.0) return;  // starved: re-sharing reschedules it
  std::int64_t ns = 0;
  const double whole = std::floor(remaining_);
  if (whole == remaining_ && rate_ == std::floor(rate_) && rate_ < 9e18 && whole < 1e9) {
    // Exact integer arithmetic, as BitRate::time_for: the one-flow case matches it to the ns.
    // Below 1e9 bytes the numerator fits 64 bits (a batch always does): no 128-bit division.
    // A migration sends batch after batch of the same size at the same rate: the last
    // quotient is kept.
    if (whole != last_bytes_ || rate_ != last_rate_) {
      const auto bps = static_cast<std::uint64_t>(rate_);
      const std::uint64_t num = static_cast<std::uint64_t>(whole) * 8 * 1000000000;
      last_ns_ = static_cast<std::int64_t>((num + bps - 1) / bps);
      last_bytes_ = whole;
      last_rate_ = rate_;
    }
    ns = last_ns_;
  } else if (whole == remaining_ && rate_ == std::floor(rate_) && rate_ < 9e18) {
    const auto bps = static_cast<__int128>(rate_);
    const __int128 num = static_cast<__int128>(static_cast<std::int64_t>(whole)) * 8 * 1000000000;
    const __int128 q = (num + bps - 1) / bps;
    ns = q >= Duration::max().count_ns() ? Duration::max().count_ns() - 1
                                         : static_cast<std::int64_t>(q);
  } else {
    const double t = std::ceil(remaining_ * 8e9 / rate_);
    ns = t >= 9e18 ? Duration::max().count_ns() - 1 : static_cast<std::int64_t>(t);
  }
  const Duration at =
      sim.now() + Duration::ns(std::min(ns, Duration::max().count_ns() - sim.now().count_ns() - 1));
  finish_event_ = sim.schedule(at, sim::Band::kNormal, &Flow::on_finish, this);
  have_finish_ = true;
}

void Flow::start_head() {
  sim::Simulation& sim = net_->sim_;
  Transfer& t = queue_.front();
  if (t.delay.count_ns() > 0) {
    if (sending_) stop_sending();
    delaying_ = true;
    delay_event_ = sim.schedule(sim.now() + std::exchange(t.delay, Duration{}), sim::Band::kNormal,
                                &Flow::on_delay_over, this);
    return;
  }
  remaining_ = static_cast<double>(t.bytes);
  last_update_ = sim.now();
  if (t.bytes == 0) {
    if (sending_) stop_sending();
    finish_event_ = sim.schedule(sim.now(), sim::Band::kNormal, &Flow::on_finish, this);
    have_finish_ = true;
    return;
  }
  if (!sending_) {
    const Duration rtt_now = rtt();
    if (tcp_.slow_start && rtt_now.count_ns() > 0) {
      const auto initial = static_cast<double>(tcp_.initial_window.count());
      const Duration idle = sim.now() - idle_since_;
      const Duration timeout = rto(tcp_, rtt_now);
      double restart = -1;  // the window to slow-start from, if any
      if (!ever_sent_) {
        restart = initial;
      } else if (tcp_.restart_after_idle && idle >= timeout) {
        // Linux tcp_cwnd_restart: the window halves for every RTO idle, down to the initial one.
        const std::int64_t halvings =
            std::min<std::int64_t>(idle.count_ns() / timeout.count_ns(), 62);
        restart = std::max(initial, cwnd_at_stop_ / std::ldexp(1.0, static_cast<int>(halvings)));
      }
      if (restart > 0) {
        cwnd_ = restart;
        in_slow_start_ = cwnd_ * 8e9 / static_cast<double>(rtt_now.count_ns()) < steady_bps_;
        if (in_slow_start_) ++slow_starts_;
      }
      if (in_slow_start_ && !have_grow_) {
        grow_event_ = sim.schedule(sim.now() + rtt_now, sim::Band::kNormal, &Flow::on_grow, this);
        have_grow_ = true;
      }
    }
    ever_sent_ = true;
    if (parked_) {
      // Still alone on its links: it sends again at the rate it had, unless its limit moved.
      parked_ = false;
      sending_ = true;
      if (limit() != rate_limit_)
        net_->solve_alone(*this);
      else
        schedule_finish();
    } else {
      net_->join(*this);
      net_->reshare(route_, this);
    }
  } else if (limit() != rate_limit_) {
    net_->reshare(route_, this);
  } else {
    schedule_finish();
  }
}

void Flow::stop_sending() {
  sim::Simulation& sim = net_->sim_;
  if (have_finish_) sim.cancel(finish_event_);
  have_finish_ = false;
  if (have_grow_) sim.cancel(grow_event_);
  have_grow_ = false;
  idle_since_ = sim.now();
  // The window it stops with: the slow-start window, or what its last rate kept in flight.
  cwnd_at_stop_ = in_slow_start_ ? cwnd_ : rate_ * static_cast<double>(rtt().count_ns()) / 8e9;
  if (net_->carries(route_, 1)) {  // only this flow
    // Nobody else is on its links, so nobody gains from its leaving: it stays on them, parked,
    // keeping its rate for when it sends again (a migration's sender idles between batches).
    // A flow that joins one of its links first makes it leave (Network::join).
    sending_ = false;
    parked_ = true;
    return;
  }
  net_->leave(*this);
  rate_ = 0.0;
  net_->reshare(route_, nullptr);
}

void Flow::stop() {
  if (queue_.empty()) return;
  if (delaying_) {
    net_->sim_.cancel(delay_event_);
    delaying_ = false;
  }
  if (sending_) {
    const auto sent = static_cast<std::int64_t>(
        std::floor(static_cast<double>(queue_.front().bytes) - remaining_now()));
    bytes_sent_ += sent;
    for (const auto l : route_) net_->links_[l].bytes += sent;
    stop_sending();
  } else if (have_finish_) {  // a zero-byte transfer about to finish
    net_->sim_.cancel(finish_event_);
    have_finish_ = false;
  }
  queue_.clear();
  remaining_ = 0.0;
}

void Flow::on_finish(void* self) {
  auto* f = static_cast<Flow*>(self);
  f->have_finish_ = false;
  const Transfer t = f->queue_.front();
  f->queue_.pop_front();
  f->remaining_ = 0.0;
  f->bytes_sent_ += t.bytes;
  for (const auto l : f->route_) f->net_->links_[l].bytes += t.bytes;
  if (t.done != nullptr) {
    f->in_done_ = true;
    t.done(t.context);
    f->in_done_ = false;
  }
  if (!f->queue_.empty())
    f->start_head();
  else if (f->sending_)
    f->stop_sending();
}

void Flow::on_delay_over(void* self) {
  auto* f = static_cast<Flow*>(self);
  f->delaying_ = false;
  f->start_head();
}

void Flow::on_grow(void* self) {
  auto* f = static_cast<Flow*>(self);
  f->have_grow_ = false;
  if (!f->sending_ || !f->in_slow_start_) return;
  const double rtt_ns = static_cast<double>(f->rtt().count_ns());
  if (f->rate_ < f->cwnd_ * 8e9 / rtt_ns * (1.0 - 1e-9)) {
    f->in_slow_start_ = false;  // limited elsewhere (its share, a cap): the window no longer binds
  } else {
    f->cwnd_ *= 2.0;
    if (f->cwnd_ * 8e9 / rtt_ns >= f->steady_bps_) {
      f->in_slow_start_ = false;
    } else {
      f->grow_event_ =
          f->net_->sim_.schedule(f->net_->sim_.now() + f->rtt(), sim::Band::kNormal, &on_grow, f);
      f->have_grow_ = true;
    }
  }
  if (f->limit() != f->rate_limit_) f->net_->reshare(f->route_, nullptr);
}

// --- Network ---

Network::LinkId Network::add_link(BitRate goodput, Duration latency, double loss,
                                  std::string name) {
  LinkState l;
  l.capacity = static_cast<double>(goodput.bps());
  l.latency = latency;
  l.loss = loss;
  l.name = std::move(name);
  links_.push_back(std::move(l));
  return static_cast<LinkId>(links_.size() - 1);
}

Flow& Network::open_flow(const std::vector<LinkId>& route, const TcpParams& tcp) {
  if (route.empty()) throw std::logic_error("a flow needs at least one link");
  Flow& f = flows_.emplace_back();
  f.net_ = this;
  f.route_ = route;
  f.tcp_ = tcp;
  double keep = 1.0;
  double narrowest = kInf;
  for (const auto l : route) {
    f.latency_ += links_.at(l).latency;
    keep *= 1.0 - links_[l].loss;
    narrowest = std::min(narrowest, links_[l].capacity);
  }
  const double loss = 1.0 - keep;
  f.steady_bps_ = std::min(window_limit_bps(tcp.window, f.rtt()),
                           mathis_limit_bps(tcp.mss, f.rtt(), loss, tcp.mathis_constant));
  f.narrowest_bps_ = narrowest;
  f.nominal_bps_ = std::min(f.steady_bps_, narrowest);
  if (tcp.sharing == "rtt_weighted")
    f.weight_ = 1e6 / static_cast<double>(std::max<std::int64_t>(f.rtt().count_ns(), 1));
  return f;
}

double Network::link_load_bps(LinkId l) const {
  double sum = 0.0;
  for (const Flow* f : links_[l].sending)
    if (f->sending_) sum += f->rate_;
  return sum;
}

bool Network::carries(const std::vector<LinkId>& route, std::size_t flows) const {
  for (const auto l : route)
    if (links_[l].sending.size() != flows) return false;
  return true;
}

void Network::join(Flow& f) {
  // A parked flow is the only one on each of its links: it leaves them before f shares one.
  for (const auto l : f.route_) {
    if (links_[l].sending.empty() || !links_[l].sending.front()->parked_) continue;
    Flow& parked = *links_[l].sending.front();
    parked.parked_ = false;
    leave(parked);
    parked.rate_ = 0.0;
  }
  for (const auto l : f.route_) links_[l].sending.push_back(&f);
  f.sending_ = true;
  f.rate_ = 0.0;
}

void Network::leave(Flow& f) {
  for (const auto l : f.route_) {
    auto& s = links_[l].sending;
    const auto it = std::find(s.begin(), s.end(), &f);
    *it = s.back();
    s.pop_back();
  }
  f.sending_ = false;
}

void Network::solve_alone(Flow& f) {
  f.rate_limit_ = f.limit();
  if (f.weight_ == 1.0) {
    apply_rate(f, std::min(f.rate_limit_, f.narrowest_bps_), &f);
    return;
  }
  const double share = f.narrowest_bps_ / f.weight_;  // the filling's share on its links
  apply_rate(f, f.rate_limit_ / f.weight_ <= share ? f.rate_limit_ : share * f.weight_, &f);
}

void Network::apply_rate(Flow& f, double rate, const Flow* started) {
  const bool changed = rate != f.rate_;
  if (changed) {
    ++rate_changes_;
    if (!f.in_done_) {
      f.remaining_ = f.remaining_now();
      f.last_update_ = sim_.now();
    }
    f.rate_ = rate;
  }
  if ((changed || &f == started) && !f.in_done_) f.schedule_finish();
}

void Network::reshare(const std::vector<LinkId>& route, Flow* started) {
  ++reshares_;
  // Alone on its route (one migration on its own path, the common case), a flow's component is
  // itself: it gets its own limit or its narrowest link, exactly as the filling below would
  // give it; and a flow that stopped on links now idle leaves nothing to re-share.
  if (carries(route, started != nullptr ? 1 : 0)) {
    if (started != nullptr) solve_alone(*started);
    return;
  }
  ++epoch_;
  comp_links_.clear();
  comp_flows_.clear();
  // The connected component: links reachable from `route` through flows that are sending.
  for (const auto l : route) {
    if (links_[l].mark == epoch_) continue;
    links_[l].mark = epoch_;
    comp_links_.push_back(l);
  }
  for (std::size_t i = 0; i < comp_links_.size(); ++i) {
    for (Flow* f : links_[comp_links_[i]].sending) {
      if (f->mark_ == epoch_) continue;
      f->mark_ = epoch_;
      comp_flows_.push_back(f);
      for (const auto l2 : f->route_) {
        if (links_[l2].mark == epoch_) continue;
        links_[l2].mark = epoch_;
        comp_links_.push_back(l2);
      }
    }
  }
  if (comp_flows_.empty()) return;

  // Progressive filling: raise every unfrozen flow's rate together, each in proportion to its
  // weight; a flow freezes when it reaches its own limit (cap, window, loss, slow start) or a
  // link it crosses is full. `share` is a rate per unit of weight.
  for (const auto l : comp_links_) {
    links_[l].remaining = links_[l].capacity;
    links_[l].unfrozen = 0;
    links_[l].unfrozen_weight = 0.0;
  }
  for (Flow* f : comp_flows_) {
    f->frozen_ = false;
    f->new_rate_ = f->limit();  // its own limit until frozen
    for (const auto l : f->route_) {
      ++links_[l].unfrozen;
      links_[l].unfrozen_weight += f->weight_;
    }
  }
  const auto fix = [&](Flow* f, double rate) {
    f->frozen_ = true;
    f->rate_limit_ = f->new_rate_;
    f->new_rate_ = rate;
    for (const auto l : f->route_) {
      links_[l].remaining = std::max(0.0, links_[l].remaining - rate);
      --links_[l].unfrozen;
      links_[l].unfrozen_weight -= f->weight_;
    }
  };
  std::size_t left = comp_flows_.size();
  while (left > 0) {
    double share = kInf;
    LinkId bottleneck = 0;
    for (const auto l : comp_links_) {
      const LinkState& s = links_[l];
      if (s.unfrozen == 0) continue;
      const double each = s.remaining / s.unfrozen_weight;
      if (each < share) {
        share = each;
        bottleneck = l;
      }
    }
    Flow* lowest = nullptr;
    for (Flow* f : comp_flows_)
      if (!f->frozen_ &&
          (lowest == nullptr || f->new_rate_ / f->weight_ < lowest->new_rate_ / lowest->weight_))
        lowest = f;
    if (lowest->new_rate_ / lowest->weight_ <= share) {
      fix(lowest, lowest->new_rate_);
      --left;
    } else {
      for (Flow* f : links_[bottleneck].sending) {
        if (f->frozen_) continue;
        fix(f, share * f->weight_);
        --left;
      }
    }
  }

  for (Flow* f : comp_flows_) apply_rate(*f, f->new_rate_, started);
}

}  // namespace migsim::net
