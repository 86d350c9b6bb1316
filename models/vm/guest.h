// A running guest: applies its activity (a workload) to guest memory over guest time, which
// stops while the guest is paused (dirty-log fetches, suspend). Writes are applied lazily, when
// something observes memory (`sync`), so their cost follows the pages they touch, not events.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "models/vm/guest_memory.h"
#include "sim/units.h"

namespace migsim::vm {

using sim::Duration;

// What the guest does to its memory. Implemented by the models in workloads/.
class GuestActivity {
 public:
  virtual ~GuestActivity() = default;
  // Applies the writes the guest makes while it runs during guest-time interval [from, to).
  // Called with contiguous, increasing intervals.
  virtual void advance(Duration from, Duration to, GuestMemory& memory) = 0;
  // Facts to record with the run (e.g. the drawn start phase), as (name, value) pairs.
  virtual std::vector<std::pair<std::string, double>> facts() const { return {}; }
};

class Guest {
 public:
  Guest(GuestMemory& memory, GuestActivity& activity) : memory_(memory), activity_(activity) {}

  GuestMemory& memory() { return memory_; }
  // Applies the guest's writes up to simulated time `now`.
  void sync(Duration now) {
    if (running_ && now > last_) {
      const Duration next = guest_time_ + (now - last_);
      activity_.advance(guest_time_, next, memory_);
      guest_time_ = next;
    }
    last_ = now;
  }
  void pause(Duration now) {
    sync(now);
    running_ = false;
  }
  void resume(Duration now) {
    sync(now);
    running_ = true;
  }
  bool running() const { return running_; }
  // Time the guest has run so far (simulated time minus pauses).
  Duration guest_time() const { return guest_time_; }

 private:
  GuestMemory& memory_;
  GuestActivity& activity_;
  bool running_ = true;
  Duration last_{};
  Duration guest_time_{};
};

}  // namespace migsim::vm
