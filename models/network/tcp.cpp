#include "models/network/tcp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace migsim::net {

double window_limit_bps(Bytes window, Duration rtt) {
  if (rtt.count_ns() <= 0) return std::numeric_limits<double>::infinity();
  return static_cast<double>(window.count()) * 8e9 / static_cast<double>(rtt.count_ns());
}

double mathis_limit_bps(Bytes mss, Duration rtt, double loss, double constant) {
  if (loss <= 0.0 || rtt.count_ns() <= 0) return std::numeric_limits<double>::infinity();
  return static_cast<double>(mss.count()) * 8e9 / static_cast<double>(rtt.count_ns()) * constant /
         std::sqrt(loss);
}

Duration rto(const TcpParams& tcp, Duration rtt) {
  return rtt + tcp.min_rto;
}

}  // namespace migsim::net
