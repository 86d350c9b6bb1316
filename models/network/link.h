// The `link:` section: one full-duplex link between the source and the destination (the
// one-link topology), described by its raw bandwidth, one-way latency, segment loss and the
// goodput efficiency left after Ethernet/IP/TCP framing (1448/1538 = 94.15% at MTU 1500 with TCP
// timestamps, hypervisor-mechanics.md 4.2). Presets for LAN, metro and wide-area paths. A
// migration's Channel is its set of TCP flows over the network (network.h): one or more streams
// to the destination and one flow back.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/network/network.h"
#include "models/network/tcp.h"

#include "sim/limits.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/simulation.h"
#include "sim/units.h"

namespace migsim::net {

using sim::BitRate;
using sim::Bytes;
using sim::Duration;

struct LinkParams {
  BitRate bandwidth = BitRate::bits_per_second(1000000000);
  Duration latency = Duration::us(100);
  double efficiency = 0.9415;
  double loss = 0.0;

  template <class V>
  void visit(V& v) {
    v(sim::param("bandwidth", bandwidth, "raw line rate")
          .at_least(sim::limits::kMinLinkRate)
          .at_most(sim::limits::kMaxLinkRate));
    v(sim::param("latency", latency, "one-way latency")
          .at_least(Duration{})
          .at_most(Duration::s(10)));
    v(sim::param("efficiency", efficiency,
                 "fraction of the line rate left for the migration stream after Ethernet, IP "
                 "and TCP overhead (0.9415 at MTU 1500 with TCP timestamps)")
          .at_least(0.01)
          .at_most(1.0));
    v(sim::param("loss", loss,
                 "probability that a TCP segment is lost on this link (limits each stream to "
                 "Mathis et al.'s MSS/RTT * 1.22/sqrt(loss))")
          .at_least(0.0)
          .at_most(0.1));
  }
  // bandwidth x efficiency, rounded to a whole bit/s.
  BitRate goodput() const;
};

// How a migration uses the network: `migration.streams`.
struct ConnectionParams {
  std::int64_t streams = 1;
  std::int64_t packet_pages = 128;

  template <class V>
  void visit(V& v) {
    v(sim::param("streams", streams,
                 "TCP connections the migration spreads its pages over (XvMotion's Streams, "
                 "QEMU multifd channels); each is a flow with its own window")
          .at_least(1)
          .at_most(64)
          .counting("connections"));
    v(sim::param("packet_pages", packet_pages,
                 "with several streams, pages per packet dealt to a stream (QEMU multifd: "
                 "MULTIFD_PACKET_SIZE 512 KiB = 128 pages); one stream sends whole batches")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
  }
};

struct LinkPreset {
  std::string_view name;
  std::string_view help;
  LinkParams defaults;
};
const sim::Registry<LinkPreset>& link_presets();

// A migration's connection: `streams` TCP flows from the source to the destination (stream 0 is
// the main stream: device state goes there) and one flow back (post-copy page requests, hash
// answers). The flows live in the network, shared with whatever else crosses the same links.
class Channel {
 public:
  using Route = std::vector<Network::LinkId>;
  Channel(Network& net, const Route& forward, const Route& back, const ConnectionParams& connection,
          const TcpParams& tcp);

  std::size_t streams() const { return streams_.size(); }
  // Pages per packet when there are several streams.
  std::int64_t packet_pages() const { return packet_pages_; }
  Flow& stream(std::size_t i) { return *streams_[i]; }
  Flow& to_destination() { return *streams_[0]; }
  Flow& to_source() { return *back_; }
  // One-way latency of the forward route.
  Duration latency() const { return streams_[0]->latency(); }
  // What the streams together can carry once their windows are open, alone on the network:
  // the narrowest link, or the streams' window and loss limits if lower.
  BitRate goodput() const { return goodput_; }
  // The same for the flow back to the source.
  Duration return_latency() const { return back_->latency(); }
  BitRate return_goodput() const { return return_goodput_; }

 private:
  std::vector<Flow*> streams_;
  Flow* back_;
  BitRate goodput_;
  BitRate return_goodput_;
  std::int64_t packet_pages_;
};

// A network of one full-duplex link between two hosts with a migration's channel over it: what
// the `link:` section describes, and what model tests build.
class PointToPoint {
 public:
  PointToPoint(sim::Simulation& sim, const LinkParams& link, const TcpParams& tcp = {},
               const ConnectionParams& connection = {});
  Network& network() { return net_; }
  Channel& channel() { return channel_; }

 private:
  Network net_;
  Network::LinkId forward_, back_;
  Channel channel_;
};

}  // namespace migsim::net
