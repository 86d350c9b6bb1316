// The flow-level network (the fluid model SimGrid uses, Velho et al. 2013): directed links of
// fixed goodput capacity, flows along routes of links, and rates shared max-min fairly among the
// flows that are sending (or in inverse proportion to their RTT, tcp.sharing), re-shared whenever a
// flow starts, stops or changes its cap. Each flow is a TCP connection (tcp.h), so its rate is also
// bounded by window/RTT, the Mathis loss limit and slow start. A flow carries a FIFO of transfers;
// a transfer's finish event moves when sharing changes. Re-sharing solves only the flows that share
// a link with the changed one, directly or through others (its connected component), so its cost
// follows the flows affected.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "models/network/tcp.h"
#include "sim/ring.h"
#include "sim/simulation.h"
#include "sim/units.h"

namespace migsim::net {

using sim::BitRate;

class Network;

// One TCP connection between two hosts. Transfers leave in the order they were queued.
class Flow {
 public:
  using Callback = sim::Simulation::Callback;

  // Queues `bytes`; when it reaches the head of the queue the flow waits `delay` (the sender is
  // busy elsewhere, e.g. a hash exchange) and then sends at most at `cap` (0: no cap). `done`
  // (may be null) is called with `context` once the last byte has left the sender.
  void push(Bytes bytes, BitRate cap, Duration delay, Callback done, void* context);

  // Awaitable form of push: resumes the caller when the last byte has left.
  struct Sent {
    Flow* flow;
    Bytes bytes;
    BitRate cap;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      flow->push(bytes, cap, Duration{}, &sim::Simulation::resume_handle, h.address());
    }
    void await_resume() const noexcept {}
  };
  Sent send(Bytes bytes, BitRate cap = BitRate{}) { return Sent{this, bytes, cap}; }

  // Ends the flow's transfers now: the one on the wire is cut short (the bytes it has sent
  // count), queued ones are dropped, and no done callback runs. Not from inside one.
  void stop();
  // One-way latency of the route (the sum of its links' latencies) and the round-trip time.
  Duration latency() const { return latency_; }
  Duration rtt() const { return latency_ * 2; }
  // The rate the flow would reach alone once slow start is over: its route's narrowest link,
  // window/RTT and the Mathis limit. Bits per second.
  double nominal_bps() const { return nominal_bps_; }
  // Its narrowest link's capacity, and its own TCP limit (min of window/RTT and Mathis).
  double narrowest_bps() const { return narrowest_bps_; }
  double steady_bps() const { return steady_bps_; }
  // Its current rate (0 while it sends nothing), bits per second.
  double rate_bps() const { return sending_ ? rate_ : 0.0; }
  // Transfers queued and not yet sent (the one in progress included).
  std::size_t queued() const { return queue_.size(); }
  bool idle() const { return queue_.empty(); }
  // Times slow start began (the first send, and each restart after an idle RTO: the window
  // halves per RTO idle, down to the initial window).
  std::uint64_t slow_starts() const { return slow_starts_; }
  Bytes bytes_sent() const { return Bytes{bytes_sent_}; }

 private:
  friend class Network;
  struct Transfer {
    std::int64_t bytes;
    BitRate cap;
    Duration delay;
    Callback done;
    void* context;
  };

  static void on_finish(void* self);
  static void on_delay_over(void* self);
  static void on_grow(void* self);
  void start_head();
  void stop_sending();
  double limit() const;
  // Bytes of the head transfer still to send at now().
  double remaining_now() const;
  void schedule_finish();

  Network* net_ = nullptr;
  std::vector<std::uint32_t> route_;
  Duration latency_{};
  TcpParams tcp_;
  double steady_bps_ = 0.0;   // min(window/RTT, Mathis)
  double nominal_bps_ = 0.0;  // steady limit and the narrowest link
  double narrowest_bps_ = 0.0;
  sim::Ring<Transfer> queue_;
  bool sending_ = false;   // the head transfer is on the wire and counted in link sharing
  bool parked_ = false;    // idle, but left on its links, where it is alone (Flow::stop_sending)
  bool in_done_ = false;   // inside a transfer's done callback: pushes only queue
  bool delaying_ = false;  // the head transfer waits its delay
  sim::Simulation::EventId delay_event_ = 0;
  double rate_ = 0.0;         // bits/s, while sending
  double new_rate_ = 0.0;     // scratch for the solver
  double rate_limit_ = -1.0;  // the flow's own limit when its rate was last solved
  double remaining_ = 0.0;    // bytes of the head transfer left at last_update_
  Duration last_update_{};
  bool have_finish_ = false;
  sim::Simulation::EventId finish_event_ = 0;
  // The last whole-byte transfer time computed (schedule_finish): bytes, rate, nanoseconds.
  double last_bytes_ = -1.0;
  double last_rate_ = -1.0;
  std::int64_t last_ns_ = 0;
  // Slow start.
  double cwnd_ = 0.0;  // bytes
  bool in_slow_start_ = false;
  bool ever_sent_ = false;
  Duration idle_since_{};
  double cwnd_at_stop_ = 0.0;  // bytes
  bool have_grow_ = false;
  sim::Simulation::EventId grow_event_ = 0;
  std::uint64_t slow_starts_ = 0;
  std::int64_t bytes_sent_ = 0;
  // Its weight in sharing a bottleneck: 1, or 1 ms / RTT under tcp.sharing rtt_weighted.
  double weight_ = 1.0;
  // Solver scratch.
  std::uint64_t mark_ = 0;
  bool frozen_ = false;
};

class Network {
 public:
  using LinkId = std::uint32_t;

  explicit Network(sim::Simulation& sim) : sim_(sim) {}
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // One direction of a link: `goodput` bits/s for payload, `latency` one way, `loss` the
  // probability a segment is lost.
  LinkId add_link(BitRate goodput, Duration latency, double loss, std::string name);
  // A TCP connection along `route` (links in order, at least one). The flow lives as long as
  // the network.
  Flow& open_flow(const std::vector<LinkId>& route, const TcpParams& tcp);

  sim::Simulation& sim() { return sim_; }
  std::size_t link_count() const { return links_.size(); }
  const std::string& link_name(LinkId l) const { return links_[l].name; }
  double link_capacity_bps(LinkId l) const { return links_[l].capacity; }
  // Payload bytes that have finished crossing each link (transfers completed).
  Bytes link_bytes(LinkId l) const { return Bytes{links_[l].bytes}; }
  // Sum of the current rates of the flows on a link, bits/s.
  double link_load_bps(LinkId l) const;
  // Re-sharing passes so far, and flows whose rate they changed (for benchmarks and tests).
  std::uint64_t reshares() const { return reshares_; }
  std::uint64_t rate_changes() const { return rate_changes_; }

 private:
  friend class Flow;
  struct LinkState {
    double capacity = 0.0;  // bits/s
    Duration latency{};
    double loss = 0.0;
    std::string name;
    std::vector<Flow*> sending;  // flows on the wire through this link
    std::int64_t bytes = 0;
    // Solver scratch.
    std::uint64_t mark = 0;
    double remaining = 0.0;
    std::uint32_t unfrozen = 0;
    double unfrozen_weight = 0.0;
  };

  // Whether every link of `route` carries exactly `flows` sending flows (1 with a flow on it:
  // that flow is alone there; 0: the route is idle).
  bool carries(const std::vector<LinkId>& route, std::size_t flows) const;
  void join(Flow& f);
  void leave(Flow& f);
  // Re-shares the component of the flows sharing a link with `route` (transitively).
  void reshare(const std::vector<LinkId>& route, Flow* started);
  // The rate of a flow alone on its links.
  void solve_alone(Flow& f);
  // Gives `f` its new rate: what it has sent so far is settled at the old one, and its finish
  // event moves (or is placed, for the flow that just started).
  void apply_rate(Flow& f, double rate, const Flow* started);

  sim::Simulation& sim_;
  std::vector<LinkState> links_;
  std::deque<Flow> flows_;
  std::uint64_t epoch_ = 0;
  std::vector<LinkId> comp_links_;  // scratch
  std::vector<Flow*> comp_flows_;   // scratch
  std::uint64_t reshares_ = 0;
  std::uint64_t rate_changes_ = 0;
};

}  // namespace migsim::net
