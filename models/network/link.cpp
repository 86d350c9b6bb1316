#include "models/network/link.h"

#include <algorithm>
#include <cmath>

namespace migsim::net {

BitRate LinkParams::goodput() const {
  return BitRate::bits_per_second(std::llround(static_cast<double>(bandwidth.bps()) * efficiency));
}

const sim::Registry<LinkPreset>& link_presets() {
  // metro and wan are estimates: RTTs from hypervisor-mechanics.md 4.3 (about 1 ms of RTT per
  // 100 km of fibre; coast-to-coast and transatlantic 60-90 ms), a provisioned path's loss of
  // 1e-6 (Mathis: 142 Mbit/s per stream at 100 ms, the table in 4.3).
  static const sim::Registry<LinkPreset> presets{
      {"gigabit", "1 Gbit/s Ethernet, MTU 1500, TCP: 941.5 Mbit/s goodput, 0.1 ms one way",
       LinkParams{BitRate::bits_per_second(1000000000), Duration::us(100), 0.9415, 0.0}},
      {"10gigabit", "10 Gbit/s Ethernet, MTU 1500, TCP: 9.415 Gbit/s goodput, 0.05 ms one way",
       LinkParams{BitRate::bits_per_second(10000000000), Duration::us(50), 0.9415, 0.0}},
      {"metro",
       "metro-area path: 1 Gbit/s, 5 ms RTT (about 500 km of fibre; vMotion's Metro limit is "
       "10 ms), loss 1e-6 (estimate)",
       LinkParams{BitRate::bits_per_second(1000000000), Duration::us(2500), 0.9415, 1e-6}},
      {"wan",
       "wide-area path: 1 Gbit/s, 100 ms RTT (transatlantic or coast to coast), loss 1e-6: "
       "one TCP stream gets 142 Mbit/s (Mathis), so several are needed to fill it (estimate)",
       LinkParams{BitRate::bits_per_second(1000000000), Duration::ms(50), 0.9415, 1e-6}},
  };
  return presets;
}

Channel::Channel(Network& net, const Route& forward, const Route& back,
                 const ConnectionParams& connection, const TcpParams& tcp)
    : packet_pages_(connection.packet_pages) {
  for (std::int64_t i = 0; i < connection.streams; ++i)
    streams_.push_back(&net.open_flow(forward, tcp));
  back_ = &net.open_flow(back, tcp);
  const Flow& one = *streams_.front();
  const double total =
      std::min(one.narrowest_bps(), one.steady_bps() * static_cast<double>(connection.streams));
  goodput_ = BitRate::bits_per_second(std::max<std::int64_t>(1, std::llround(total)));
  return_goodput_ =
      BitRate::bits_per_second(std::max<std::int64_t>(1, std::llround(back_->nominal_bps())));
}

namespace {
Network::LinkId add(Network& net, const LinkParams& link, const char* name) {
  return net.add_link(link.goodput(), link.latency, link.loss, name);
}
}  // namespace

PointToPoint::PointToPoint(sim::Simulation& sim, const LinkParams& link, const TcpParams& tcp,
                           const ConnectionParams& connection)
    : net_(sim),
      forward_(add(net_, link, "link>")),
      back_(add(net_, link, "link<")),
      channel_(net_, {forward_}, {back_}, connection, tcp) {}

}  // namespace migsim::net
