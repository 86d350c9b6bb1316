#include "models/network/link.h"

#include <algorithm>
#include <cmath>

namespace migsim::net {

BitRate LinkParams::goodput() const {
  return BitRate::bits_per_second(std::llround(static_cast<double>(bandwidth.bps()) * efficiency));
}

const sim::Registry<LinkPreset>& link_presets() {
  static const sim::Registry<LinkPreset> presets{
      {"gigabit", "1 Gbit/s Ethernet, MTU 1500, TCP: 941.5 Mbit/s goodput, 0.1 ms one way",
       LinkParams{BitRate::bits_per_second(1000000000), Duration::us(100), 0.9415}},
      {"10gigabit", "10 Gbit/s Ethernet, MTU 1500, TCP: 9.415 Gbit/s goodput, 0.05 ms one way",
       LinkParams{BitRate::bits_per_second(10000000000), Duration::us(50), 0.9415}},
  };
  return presets;
}

Link::Link(sim::Simulation& sim, const LinkParams& params)
    : sim_(sim), goodput_(params.goodput()), latency_(params.latency) {}

sim::Simulation::Sleep Link::send(Bytes bytes, BitRate cap) {
  const BitRate rate = cap.bps() > 0 ? std::min(cap, goodput_) : goodput_;
  const Duration start = std::max(sim_.now(), busy_until_);
  busy_until_ = start + rate.time_for(bytes);
  return sim_.sleep_until(busy_until_);
}

}  // namespace migsim::net
