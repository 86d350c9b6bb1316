// The discrete-event kernel: integer-nanosecond time, an event queue ordered by
// (time, priority band, insertion sequence), and processes written as C++20 coroutines
// (SimCpp20 style): a process `co_await`s `sim.sleep(d)`, a `Signal`, or another `Task`.
// A Simulation is an ordinary object: no global state, so independent simulations run on
// parallel threads.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <queue>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/units.h"

namespace migsim::sim {

// Among events at the same instant, lower bands run first; within a band, insertion order.
enum class Band : std::uint8_t { kUrgent = 0, kNormal = 1, kLate = 2 };

class Simulation;
class Wakeup;

// A top-level simulation process. Create one by calling a coroutine that returns Process, then
// hand it to Simulation::spawn. Exceptions escaping the process are rethrown by run().
class Process {
 public:
  struct promise_type;
  using Handle = std::coroutine_handle<promise_type>;

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    void await_suspend(Handle h) noexcept;
    void await_resume() noexcept {}
  };
  struct promise_type {
    Simulation* sim = nullptr;
    void (*on_end)(void*) = nullptr;  // called when the process returns (Simulation::spawn)
    void* on_end_context = nullptr;
    Process get_return_object() { return Process{Handle::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    FinalAwaiter final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception();
  };

  Process(Process&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  Process& operator=(Process&&) = delete;
  ~Process() {
    if (handle_) handle_.destroy();
  }

 private:
  friend class Simulation;
  explicit Process(Handle h) : handle_(h) {}
  Handle handle_;
};

// A coroutine that another coroutine awaits (a stage of a protocol). Starts when awaited and
// resumes its awaiter when it returns.
template <class T = void>
class Task;

namespace detail {
struct TaskPromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { error = std::current_exception(); }
};
}  // namespace detail

// What Task<T> and Task<void> share: ownership of the frame and the awaiter protocol.
template <class Promise>
class TaskBase {
 public:
  TaskBase(TaskBase&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  ~TaskBase() {
    if (handle_) handle_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    handle_.promise().continuation = awaiter;
    return handle_;
  }

 protected:
  explicit TaskBase(std::coroutine_handle<Promise> h) : handle_(h) {}
  Promise& promise() {
    if (handle_.promise().error) std::rethrow_exception(handle_.promise().error);
    return handle_.promise();
  }
  std::coroutine_handle<Promise> handle_;
};

template <class T>
struct TaskPromise : detail::TaskPromiseBase {
  T value{};
  Task<T> get_return_object();
  void return_value(T v) { value = std::move(v); }
};
template <>
struct TaskPromise<void> : detail::TaskPromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};

template <class T>
class Task : public TaskBase<TaskPromise<T>> {
 public:
  using promise_type = TaskPromise<T>;
  T await_resume() { return std::move(this->promise().value); }

 private:
  friend promise_type;
  using TaskBase<promise_type>::TaskBase;
};

template <>
class Task<void> : public TaskBase<TaskPromise<void>> {
 public:
  using promise_type = TaskPromise<void>;
  void await_resume() { (void)promise(); }

 private:
  friend promise_type;
  using TaskBase<promise_type>::TaskBase;
};

template <class T>
Task<T> TaskPromise<T>::get_return_object() {
  return Task<T>{std::coroutine_handle<TaskPromise<T>>::from_promise(*this)};
}
inline Task<void> TaskPromise<void>::get_return_object() {
  return Task<void>{std::coroutine_handle<TaskPromise<void>>::from_promise(*this)};
}

class Simulation {
 public:
  using Callback = void (*)(void* context);
  // Names one scheduled event, so it can be cancelled (a transfer whose finish time moved when
  // the network re-shared its links).
  using EventId = std::uint64_t;

  Simulation() = default;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  ~Simulation();

  // Current simulated time, measured from the start of the simulation.
  Duration now() const { return now_; }
  std::uint64_t events_processed() const { return events_processed_; }

  // Calls fn(context) at time `at` (>= now()).
  EventId schedule(Duration at, Band band, Callback fn, void* context);
  EventId schedule(Duration at, Band band, std::coroutine_handle<> h) {
    return schedule(at, band, &resume_handle, h.address());
  }
  // The event will not run. Only for an event that has not run yet (its id is not reused).
  // A cancelled event stays queued until its time and is then dropped uncounted, so cancelling
  // costs O(1) and queue order is untouched.
  void cancel(EventId id) { cancelled_.insert(id); }
  // Moves an event: cancels `id` and schedules the same call at `at`; returns the new id.
  EventId reschedule(EventId id, Duration at, Band band, Callback fn, void* context) {
    cancel(id);
    return schedule(at, band, fn, context);
  }

  // A Callback that resumes the coroutine whose address is `address` (for awaitables that hand
  // a coroutine to a callback-based API).
  static void resume_handle(void* address) {
    std::coroutine_handle<>::from_address(address).resume();
  }

  // Starts `process` at the current time (after events already scheduled for now). `on_end`
  // (may be null) is called with `context` when it returns (not when it fails: run() throws).
  void spawn(Process process, Callback on_end = nullptr, void* context = nullptr);

  // Runs events until the queue is empty. Rethrows the first exception a process raised.
  void run();
  // Runs events with time <= `until`, then sets now() to `until`.
  void run_until(Duration until);

  // Awaitable: resumes the awaiting coroutine `d` later (d = 0 yields to same-time events).
  struct Sleep {
    Simulation* sim;
    Duration at;
    Band band;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { sim->schedule(at, band, h); }
    void await_resume() const noexcept {}
  };
  Sleep sleep(Duration d, Band band = Band::kNormal) { return Sleep{this, now_ + d, band}; }
  Sleep sleep_until(Duration t, Band band = Band::kNormal) { return Sleep{this, t, band}; }

  // A new Wakeup, owned by the simulation (so its late timer events stay harmless after the
  // process that used it has ended).
  Wakeup& make_wakeup();

 private:
  friend struct Process::FinalAwaiter;
  friend struct Process::promise_type;

  struct Event {
    std::int64_t time;
    std::uint64_t order;  // band << 56 | sequence
    Callback fn;
    void* context;
    bool operator>(const Event& o) const {
      return time != o.time ? time > o.time : order > o.order;
    }
  };

  void process_finished(Process::Handle h) noexcept;
  void process_failed(std::exception_ptr e) noexcept;
  void step();

  Duration now_{};
  std::uint64_t sequence_ = 0;
  std::uint64_t events_processed_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::vector<Process::Handle> live_;
  std::exception_ptr error_;
  std::vector<std::unique_ptr<Wakeup>> wakeups_;
  std::unordered_set<EventId> cancelled_;  // queued events that must not run
};

// One process waits until a time or until something pokes it, whichever comes first: the guest
// at the destination waits for its next fault, and a page arriving earlier changes when that
// is. Made by Simulation::make_wakeup.
class Wakeup {
 public:
  explicit Wakeup(Simulation& sim) : sim_(&sim) {}
  struct Awaiter {
    Wakeup* w;
    Duration at;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume() const noexcept {}
  };
  // Resumes the waiter at `at` (>= now), or earlier when poked; Duration::max(): only a poke.
  Awaiter wait_until(Duration at) { return Awaiter{this, at}; }
  // Wakes the waiter now, if there is one.
  void poke();
  bool waiting() const { return static_cast<bool>(waiter_); }

 private:
  static void on_timer(void* self);
  // Arms a timer for the current deadline unless one already fires no later than it: a waiter
  // woken early and waiting again (a guest whose next miss moved on) adds no event, so stale
  // timers cannot pile up in the queue.
  void arm();
  Simulation* sim_;
  std::coroutine_handle<> waiter_;
  Duration deadline_{};
  std::vector<Duration> timers_;  // times of this wakeup's timer events still queued
};

// A one-shot or repeated notification: processes await it; notify() wakes all current waiters
// at the current time, in the order they started waiting.
class Signal {
 public:
  explicit Signal(Simulation& sim) : sim_(&sim) {}
  struct Awaiter {
    Signal* signal;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { signal->waiters_.push_back(h); }
    void await_resume() const noexcept {}
  };
  Awaiter wait() { return Awaiter{this}; }
  void notify(Band band = Band::kNormal);
  std::size_t waiting() const { return waiters_.size(); }

 private:
  Simulation* sim_;
  std::vector<std::coroutine_handle<>> waiters_;
};

}  // namespace migsim::sim
