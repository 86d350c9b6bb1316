#include "sim/simulation.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace migsim::sim {

void Process::FinalAwaiter::await_suspend(Handle h) noexcept {
  h.promise().sim->process_finished(h);
}

void Process::promise_type::unhandled_exception() {
  sim->process_failed(std::current_exception());
}

Simulation::~Simulation() {
  for (auto h : live_) h.destroy();
}

Simulation::EventId Simulation::schedule(Duration at, Band band, Callback fn, void* context) {
  if (at == Duration::max())
    throw std::runtime_error(
        "simulated time ran past its end (292 years): a rate or duration is far too extreme");
  if (at < now_) {
    throw std::logic_error("event scheduled in the past: at " + std::to_string(at.count_ns()) +
                           "ns, now " + std::to_string(now_.count_ns()) + "ns");
  }
  const std::uint64_t order = (static_cast<std::uint64_t>(band) << 56) | sequence_++;
  queue_.push(Event{at.count_ns(), order, fn, context});
  return order;
}

void Simulation::spawn(Process process, Callback on_end, void* context) {
  auto h = std::exchange(process.handle_, {});
  h.promise().sim = this;
  h.promise().on_end = on_end;
  h.promise().on_end_context = context;
  live_.push_back(h);
  schedule(now_, Band::kNormal, h);
}

void Simulation::process_finished(Process::Handle h) noexcept {
  live_.erase(std::find(live_.begin(), live_.end(), h));
  const Callback on_end = h.promise().on_end;
  void* const context = h.promise().on_end_context;
  h.destroy();
  if (on_end != nullptr) on_end(context);
}

void Simulation::process_failed(std::exception_ptr e) noexcept {
  if (!error_) error_ = e;
}

void Simulation::step() {
  const Event e = queue_.top();
  queue_.pop();
  if (!cancelled_.empty() && cancelled_.erase(e.order) != 0) return;
  now_ = Duration::ns(e.time);
  ++events_processed_;
  e.fn(e.context);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void Simulation::run() {
  while (!queue_.empty()) step();
}

void Simulation::run_until(Duration until) {
  while (!queue_.empty() && queue_.top().time <= until.count_ns()) step();
  if (until > now_) now_ = until;
}

Wakeup& Simulation::make_wakeup() {
  wakeups_.push_back(std::make_unique<Wakeup>(*this));
  return *wakeups_.back();
}

void Wakeup::Awaiter::await_suspend(std::coroutine_handle<> h) {
  w->waiter_ = h;
  w->deadline_ = at;
  w->arm();
}

void Wakeup::arm() {
  if (deadline_ == Duration::max()) return;
  for (Duration t : timers_)
    if (t <= deadline_) return;  // that one fires first and re-arms for the deadline
  sim_->schedule(deadline_, Band::kNormal, &Wakeup::on_timer, this);
  timers_.push_back(deadline_);
}

void Wakeup::on_timer(void* self) {
  auto* w = static_cast<Wakeup*>(self);
  const Duration now = w->sim_->now();
  const auto it = std::find(w->timers_.begin(), w->timers_.end(), now);
  if (it != w->timers_.end()) w->timers_.erase(it);
  if (!w->waiter_) return;  // the wait it was armed for ended with a poke
  if (w->deadline_ == now)
    std::exchange(w->waiter_, {}).resume();
  else if (w->deadline_ > now)
    w->arm();  // armed by an earlier, nearer deadline: wait on for this one
}

void Wakeup::poke() {
  if (waiter_) sim_->schedule(sim_->now(), Band::kNormal, std::exchange(waiter_, {}));
}

void Signal::notify(Band band) {
  for (auto h : waiters_) sim_->schedule(sim_->now(), band, h);
  waiters_.clear();
}

}  // namespace migsim::sim
