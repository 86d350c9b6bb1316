// A point-to-point link carrying the migration stream: raw bandwidth, one-way latency and the
// goodput efficiency left after Ethernet/IP/TCP framing (1448/1538 = 94.15% at MTU 1500 with
// TCP timestamps, hypervisor-mechanics.md 4.2). Transfers are serialised FIFO, so several
// senders can share one link; streaming transfers pay latency once, when the last byte lands.
// A migration's Channel is two such links, one per direction (full duplex): the stream to the
// destination and the return path (post-copy page requests). Priority is the senders' business:
// a background sender that queues one batch at a time lets a demand page overtake everything
// but the batch on the wire (QEMU's postcopy-preempt channel, TSMC's on-demand copy).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

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
  }
  // bandwidth x efficiency, rounded to a whole bit/s.
  BitRate goodput() const;
};

struct LinkPreset {
  std::string_view name;
  std::string_view help;
  LinkParams defaults;
};
const sim::Registry<LinkPreset>& link_presets();

class Link {
 public:
  Link(sim::Simulation& sim, const LinkParams& params);

  BitRate goodput() const { return goodput_; }
  Duration latency() const { return latency_; }

  // Awaitable: pushes `bytes` at min(goodput, cap) (cap 0 = no cap) once earlier transfers have
  // left; resumes the caller when the last byte has left the sender. Arrival is latency later.
  sim::Simulation::Sleep send(Bytes bytes, BitRate cap = BitRate{});
  // Nothing is sent before `t` (the sender is waiting for something else).
  void hold_until(Duration t) { busy_until_ = std::max(busy_until_, t); }
  Duration busy_until() const { return busy_until_; }

 private:
  sim::Simulation& sim_;
  BitRate goodput_;
  Duration latency_;
  Duration busy_until_{};
};

// Both directions of a migration's connection, each with the link's parameters.
class Channel {
 public:
  Channel(sim::Simulation& sim, const LinkParams& params)
      : to_destination_(sim, params), to_source_(sim, params) {}
  Link& to_destination() { return to_destination_; }
  Link& to_source() { return to_source_; }

 private:
  Link to_destination_;
  Link to_source_;
};

}  // namespace migsim::net
