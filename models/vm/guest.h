// A running guest: applies its activity (a workload) to guest memory over guest time, which
// stops while the guest is paused (dirty-log fetches, suspend, a fault's stall). Writes are
// applied lazily, when something observes memory (`sync`), so their cost follows the pages they
// touch, not events. At the destination the guest can only touch pages its host holds; the
// activity says when it will first touch one that is missing (`next_miss`), and the migration
// stalls it there until the page arrives.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/storage/storage.h"
#include "models/vm/guest_memory.h"
#include "sim/units.h"

namespace migsim::vm {

using sim::Duration;

// The guest's first access to a page its host does not hold.
struct Miss {
  static constexpr std::uint64_t kNoPage = std::numeric_limits<std::uint64_t>::max();
  Duration at{};  // guest time of the access
  // The page; kNoPage: no miss before `at`, ask again then (a memoryless activity whose next
  // miss lies beyond the simulator's horizon).
  std::uint64_t page = kNoPage;
  bool write = false;
};

// What the guest does to its memory. Implemented by the models in workloads/.
class GuestActivity {
 public:
  virtual ~GuestActivity() = default;
  // Applies the writes the guest makes while it runs during guest-time interval [from, to), and
  // at the destination reports its range reads (GuestMemory::read_range). Called with
  // contiguous, increasing intervals. At the destination, the caller guarantees that the
  // interval ends at or before the next miss, so every page touched is held.
  virtual void advance(Duration from, Duration to, GuestMemory& memory) = 0;
  // The guest's first access (read or write) at or after guest time `from` to a page missing at
  // the destination, if what is missing stayed as it is now; nullopt if there is none. Called
  // only while the guest runs at the destination. The cost follows the words or blocks looked
  // at, never the accesses.
  virtual std::optional<Miss> next_miss(Duration from, const GuestMemory& memory) = 0;
  // True when next_miss draws the miss at random from a memoryless process (Poisson accesses):
  // the draw must be redone whenever what is missing changes (exact, by memorylessness).
  // Otherwise the answer stays exact as long as its page is still missing.
  virtual bool memoryless() const { return false; }
  // The guest's own average disk I/O (it competes with migration reads on shared storage).
  virtual storage::DiskLoad disk_load() const { return {}; }
  // Called once before the migration starts: sets up what the workload has already done to
  // memory by then (a desktop's page cache), without logging it.
  virtual void prepare(GuestMemory& /*memory*/) {}
  // Facts to record with the run (e.g. the drawn start phase), as (name, value) pairs.
  virtual std::vector<std::pair<std::string, double>> facts() const { return {}; }
};

class Guest {
 public:
  Guest(GuestMemory& memory, GuestActivity& activity) : memory_(memory), activity_(activity) {}

  GuestMemory& memory() { return memory_; }
  GuestActivity& activity() { return activity_; }
  // Applies the guest's writes up to simulated time `now`.
  void sync(Duration now) {
    if (running_ && now > last_) {
      Duration ran = now - last_;
      if (speed_ < 1.0) {  // a throttled vCPU runs part of each instant
        const Duration lost = Duration::ns(static_cast<std::int64_t>(
            std::llround(static_cast<double>(ran.count_ns()) * (1.0 - speed_))));
        throttled_ += lost;
        ran = ran - lost;
      }
      const Duration next = guest_time_ + ran;
      activity_.advance(guest_time_, next, memory_);
      guest_time_ = next;
    }
    last_ = now;
  }
  // Slows the vCPUs to `speed` (0 < speed <= 1) of real time from `now` on: VMware's SDPS
  // (stun during page send) and throttles like it.
  void set_speed(Duration now, double speed) {
    sync(now);
    speed_ = speed;
  }
  double speed() const { return speed_; }
  // Time the throttle took from the guest while it ran.
  Duration throttled() const { return throttled_; }
  void pause(Duration now) {
    sync(now);
    running_ = false;
  }
  void resume(Duration now) {
    sync(now);
    running_ = true;
  }
  bool running() const { return running_; }
  // The guest's activity begins at simulated time `now` (a migration a schedule starts late):
  // what it did before is not modelled, so guest time starts there, as for a guest migrated
  // at time 0. Only before the first sync.
  void begin_at(Duration now) { last_ = now; }
  // Time the guest has run so far (simulated time minus pauses).
  Duration guest_time() const { return guest_time_; }

 private:
  GuestMemory& memory_;
  GuestActivity& activity_;
  bool running_ = true;
  Duration last_{};
  Duration guest_time_{};
  double speed_ = 1.0;
  Duration throttled_{};
};

}  // namespace migsim::vm
