#include "models/migration/post_switch.h"

#include <stdexcept>
#include <string>

namespace migsim::migration {
namespace {

class PostSwitch {
 public:
  PostSwitch(MigrationSession& s, const PostSwitchOptions& o)
      : s_(s),
        o_(o),
        sim_(s.context().sim),
        guest_(s.context().guest),
        mem_(s.memory()),
        wake_(sim_.make_wakeup()),
        push_wake_(sim_.make_wakeup()),
        pusher_done_(sim_) {}

  sim::Task<void> run() {
    const Duration resumed = s_.now();
    s_.begin_round().post_switch = true;
    s_.on_arrival(&wake_);
    sim_.spawn(push());
    co_await run_guest();
    // Every page is current: stop the push (it has nothing left) and wait for it to end.
    done_ = true;
    push_wake_.poke();
    while (!push_ended_) co_await pusher_done_.wait();
    s_.on_arrival(nullptr);
    s_.close_round();
    s_.report().post_switch = s_.now() - resumed;
  }

 private:
  // The guest at the destination: runs to its next miss, stalls there until the page arrives.
  sim::Task<void> run_guest() {
    vm::GuestActivity& activity = guest_.activity();
    std::optional<vm::Miss> miss;
    bool known = false;  // `miss` is the answer for what is missing now
    for (;;) {
      s_.sync_guest();
      if (mem_.missing_count() == 0) co_return;
      if (known && miss && miss->page != vm::Miss::kNoPage && !mem_.held(miss->page) &&
          !activity.memoryless()) {
        // Still exact: what arrived cannot have moved a deterministic guest's next miss.
      } else {
        miss = activity.next_miss(guest_.guest_time(), mem_);
        known = true;
      }
      // A deterministic guest's miss stands while its page is missing: only that page's
      // arrival wakes it (or the last page's, when it will touch nothing missing). A
      // memoryless one redraws on every arrival.
      if (activity.memoryless() || (miss && miss->page == vm::Miss::kNoPage))
        s_.watch_arrival(MigrationSession::kAnyArrival);
      else
        s_.watch_arrival(miss ? miss->page : MigrationSession::kLastArrival);
      if (!miss) {  // the guest will touch nothing missing: wait for pages to arrive
        co_await wake_.wait_until(Duration::max());
        known = false;
        continue;
      }
      const Duration at = s_.now() + (miss->at - guest_.guest_time());
      co_await wake_.wait_until(at);
      if (s_.now() < at) {  // woken by an arrival it watched
        if (activity.memoryless()) known = false;
        continue;
      }
      known = false;
      if (miss->page == vm::Miss::kNoPage) continue;  // beyond the horizon: draw again
      s_.sync_guest();
      if (mem_.held(miss->page)) continue;  // it arrived at this very instant
      co_await fault(miss->page);
    }
  }

  // The guest stalls on page p until it arrives.
  sim::Task<void> fault(std::uint64_t p) {
    MigrationReport& report = s_.report();
    ++report.faults;
    ++s_.round().faults;
    const Duration stalled = s_.now();
    guest_.pause(stalled);
    if (!mem_.in_flight(p)) {
      if (!s_.is_pending(p))
        throw std::logic_error("page " + std::to_string(p) +
                               " is missing at the destination but neither pending nor in flight");
      // The request goes back over the return path; the source then sends the page and its
      // pending neighbours at once, ahead of the next push batch.
      s_.count_request(o_.request_bytes);
      net::Flow& back = s_.context().channel.to_source();
      co_await back.send(o_.request_bytes);
      co_await sim_.sleep(back.latency());
      if (s_.is_pending(p)) {  // not pushed meanwhile
        const std::uint64_t half = o_.window / 2;
        const std::uint64_t first = p >= half ? p - half : 0;
        const Batch b = s_.take_range(first, p + (o_.window - half) + 1, o_.window + 1);
        report.pages_demand += 1;
        report.pages_prepulled += b.pages - 1;
        s_.round().pages_demand += b.pages;
        (void)s_.transmit(b);  // the guest waits for the arrival, not for the departure
      }
      if (o_.push_order == PushOrder::kPivot) {
        forward_ = p + 1;
        backward_ = p;
      }
    } else if (o_.expedite) {
      o_.expedite(p);
    }
    s_.watch_arrival(p);
    while (!mem_.held(p)) co_await wake_.wait_until(Duration::max());
    guest_.resume(s_.now());
    report.guest_stall += s_.now() - stalled;
  }

  // The source's background push.
  sim::Process push() {
    if (o_.push_start.count_ns() > 0 && !done_)
      co_await push_wake_.wait_until(s_.now() + o_.push_start);
    bool first = true;
    while (!done_ && s_.pending_pages() > 0) {
      const Duration started = s_.now();
      if (o_.push_interval.count_ns() > 0 && !std::exchange(first, false) &&
          rounds_ < kMaxPostSwitchRounds) {
        s_.close_round();
        s_.begin_round().post_switch = true;
        ++rounds_;
      }
      const Batch b = next_push_batch();
      s_.report().pages_pushed += b.pages;
      s_.round().pages_pushed += b.pages;
      if (b.pages > 0) co_await s_.transmit(b);
      if (o_.push_interval.count_ns() > 0 && !done_)
        co_await push_wake_.wait_until(std::max(s_.now(), started + o_.push_interval));
    }
    push_ended_ = true;
    pusher_done_.notify();
  }

  Batch next_push_batch() {
    const std::uint64_t n = o_.push_batch_pages;
    if (o_.push_order == PushOrder::kLinear) return s_.take_batch(false, n);
    // Pivot: half after the latest fault, half before it (the rest from whichever side has
    // pages). Each side's cursor moves past what it took or scanned.
    const std::uint64_t pages = mem_.pages();
    Batch b = s_.take_range(forward_, pages, n - n / 2);
    forward_ = b.pages < n - n / 2 ? pages : b.highest + 1;
    if (b.pages < n) {
      const std::uint64_t limit = n - b.pages;
      const Batch below = s_.take_below(backward_, limit);
      backward_ = below.pages < limit ? 0 : below.lowest;
      if (below.pages > 0) b = merge(b, below);
    }
    if (b.pages < n && forward_ < pages) {  // too little below: the rest from above
      const std::uint64_t limit = n - b.pages;
      const Batch above = s_.take_range(forward_, pages, limit);
      forward_ = above.pages < limit ? pages : above.highest + 1;
      if (above.pages > 0) b = merge(b, above);
    }
    return b;
  }

  // Two takes sent together (each was framed and counted as its own batch).
  Batch merge(Batch a, const Batch& c) {
    if (a.pages == 0) return c;
    a.pages += c.pages;
    a.zero_pages += c.zero_pages;
    a.first_pass += c.first_pass;
    a.resent += c.resent;
    a.framing += c.framing;
    a.cpu += c.cpu;
    a.lowest = std::min(a.lowest, c.lowest);
    a.highest = std::max(a.highest, c.highest);
    return a;
  }

  MigrationSession& s_;
  PostSwitchOptions o_;
  sim::Simulation& sim_;
  vm::Guest& guest_;
  vm::GuestMemory& mem_;
  sim::Wakeup& wake_;
  sim::Wakeup& push_wake_;
  sim::Signal pusher_done_;
  bool done_ = false;
  bool push_ended_ = false;
  std::uint64_t forward_ = 0, backward_ = 0;  // pivot push cursors
  std::int64_t rounds_ = 1;                   // post-switch round records so far
};

}  // namespace

sim::Task<void> run_post_switch(MigrationSession& s, const PostSwitchOptions& o) {
  PostSwitch phase(s, o);
  co_await phase.run();
}

sim::Task<void> switch_to_destination(MigrationSession& s, bool fetch_log,
                                      std::int64_t bytes_per_pending_page,
                                      const PostSwitchOptions& o) {
  if (fetch_log) {
    co_await s.fetch_dirty_log();
    s.record_fetch(s.last_fetch().dirty_count);
  } else {
    s.mark_all_pending();  // nothing sent yet: every page is pending, nothing was logged
  }
  const Bytes metadata{static_cast<std::int64_t>((s.memory().pages() + 7) / 8) +
                       static_cast<std::int64_t>(s.pending_pages()) * bytes_per_pending_page};
  co_await s.transfer_state_and_resume(metadata, /*at_destination=*/true);
  co_await run_post_switch(s, o);
  s.finish();
}

}  // namespace migsim::migration
