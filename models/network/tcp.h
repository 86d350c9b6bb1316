// What bounds one TCP connection's throughput over distance (hypervisor-mechanics.md 4.3):
// its window over the round-trip time (the socket buffer caps the window), the loss-limited rate
// of Mathis et al. 1997, MSS/RTT * C/sqrt(p) with C = sqrt(3/2), and slow start, which opens the
// window from `initial_window` and doubles it every RTT. The flow network takes the lowest of
// these and the flow's fair share of its links.
#pragma once

#include <cstdint>
#include <string>

#include "sim/params.h"
#include "sim/units.h"

namespace migsim::net {

using sim::Bytes;
using sim::Duration;

struct TcpParams {
  Bytes mss{1448};
  Bytes initial_window{14480};
  Bytes window{std::int64_t{4} << 20};
  bool slow_start = true;
  bool restart_after_idle = true;
  Duration min_rto = Duration::ms(200);
  double mathis_constant = 1.2247448713915890;  // sqrt(3/2): every segment ACKed
  // How connections that share a bottleneck divide it: "max_min" (equal shares, RTT-fair
  // like CUBIC) or "rtt_weighted" (shares in inverse proportion to the RTT, Reno's RTT bias).
  std::string sharing = "max_min";

  template <class V>
  void visit(V& v) {
    v(sim::param("mss", mss,
                 "maximum segment size: payload per segment (1448 at MTU 1500 with TCP "
                 "timestamps)")
          .at_least(Bytes{64})
          .at_most(Bytes{65536}));
    v(sim::param("initial_window", initial_window,
                 "congestion window a connection starts with (RFC 6928: 10 segments)")
          .at_least(Bytes{64})
          .at_most(Bytes{std::int64_t{1} << 30}));
    v(sim::param("window", window,
                 "largest window the socket buffers allow (Linux tcp_wmem max 4 MiB): one "
                 "connection moves at most window / RTT")
          .at_least(Bytes{1024})
          .at_most(Bytes{std::int64_t{1} << 32}));
    v(sim::param("slow_start", slow_start,
                 "a new connection opens its window from initial_window, doubling every RTT"));
    v(sim::param("restart_after_idle", restart_after_idle,
                 "after an idle period the window halves once per RTO idle, down to "
                 "initial_window, and slow start reopens it (Linux tcp_slow_start_after_idle=1, "
                 "tcp_cwnd_restart)"));
    v(sim::param("min_rto", min_rto,
                 "retransmission timeout floor (Linux TCP_RTO_MIN 200 ms); with a steady RTT, "
                 "RTO = RTT + min_rto (Linux: srtt + max(4 rttvar, rto_min))")
          .at_least(Duration::ms(1))
          .at_most(Duration::s(60)));
    v(sim::param("mathis_constant", mathis_constant,
                 "C in Mathis et al. 1997, rate = MSS/RTT * C/sqrt(loss): 1.22 when every "
                 "segment is ACKed, 0.87 with delayed ACKs")
          .at_least(0.1)
          .at_most(10.0));
    v(sim::param("sharing", sharing,
                 "how connections with a common bottleneck divide it: max_min = equal shares "
                 "(CUBIC is close to RTT-fair); rtt_weighted = shares in inverse proportion to "
                 "each connection's RTT (Reno's RTT bias; SimGrid's network models weigh flows "
                 "by route latency this way). Applies to every connection of the simulation")
          .one_of({"max_min", "rtt_weighted"}));
  }
};

// Payload bits per second a window allows over a round trip (infinite at RTT 0).
double window_limit_bps(Bytes window, Duration rtt);
// Mathis et al. 1997: MSS/RTT * C/sqrt(loss), bits per second (infinite without loss or RTT).
double mathis_limit_bps(Bytes mss, Duration rtt, double loss, double constant);
// The retransmission timeout of a connection with a steady RTT: RTT + min_rto (Linux:
// srtt + max(4 rttvar, rto_min)).
Duration rto(const TcpParams& tcp, Duration rtt);

}  // namespace migsim::net
