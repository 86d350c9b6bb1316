#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/simulation.h"

using namespace migsim::sim;

namespace {

struct Log {
  std::vector<std::string> entries;
};

void record(void* ctx) {
  static_cast<std::vector<int>*>(ctx)->push_back(0);
}

Process sleeper(Simulation& sim, Log& log, std::string name, Duration d, int times) {
  for (int i = 0; i < times; ++i) {
    co_await sim.sleep(d);
    log.entries.push_back(name + "@" + std::to_string(sim.now().count_ns()));
  }
}

Task<int> add_after(Simulation& sim, int a, int b) {
  co_await sim.sleep(Duration::ns(5));
  co_return a + b;
}

Task<void> stage(Simulation& sim, Log& log, std::string name) {
  co_await sim.sleep(Duration::ns(1));
  log.entries.push_back(name);
}

Process protocol(Simulation& sim, Log& log) {
  co_await stage(sim, log, "first");
  const int v = co_await add_after(sim, 2, 3);
  log.entries.push_back("sum=" + std::to_string(v));
  co_await stage(sim, log, "last");
}

Process failing(Simulation& sim) {
  co_await sim.sleep(Duration::ns(3));
  throw std::runtime_error("boom");
}

Process waiter(Signal& s, Log& log, std::string name, Simulation& sim) {
  co_await s.wait();
  log.entries.push_back(name + "@" + std::to_string(sim.now().count_ns()));
}

Process notifier(Simulation& sim, Signal& s) {
  co_await sim.sleep(Duration::ns(7));
  s.notify();
}

}  // namespace

TEST_CASE("events at the same time run by band, then in insertion order", "[kernel]") {
  Simulation sim;
  std::vector<int> order;
  struct Ctx {
    std::vector<int>* out;
    int id;
  };
  std::vector<Ctx> ctxs{{&order, 1}, {&order, 2}, {&order, 3}, {&order, 4}, {&order, 5}};
  const auto push = [](void* c) {
    auto* x = static_cast<Ctx*>(c);
    x->out->push_back(x->id);
  };
  sim.schedule(Duration::ns(10), Band::kLate, push, &ctxs[0]);
  sim.schedule(Duration::ns(10), Band::kNormal, push, &ctxs[1]);
  sim.schedule(Duration::ns(10), Band::kUrgent, push, &ctxs[2]);
  sim.schedule(Duration::ns(10), Band::kNormal, push, &ctxs[3]);
  sim.schedule(Duration::ns(5), Band::kLate, push, &ctxs[4]);
  sim.run();
  CHECK(order == std::vector<int>{5, 3, 2, 4, 1});
  CHECK(sim.now() == Duration::ns(10));
  CHECK(sim.events_processed() == 5);
}

TEST_CASE("scheduling in the past is refused", "[kernel]") {
  Simulation sim;
  std::vector<int> v;
  sim.schedule(Duration::ns(10), Band::kNormal, record, &v);
  sim.run();
  CHECK_THROWS_AS(sim.schedule(Duration::ns(9), Band::kNormal, record, &v), std::logic_error);
}

TEST_CASE("processes interleave by simulated time", "[kernel]") {
  Simulation sim;
  Log log;
  sim.spawn(sleeper(sim, log, "a", Duration::ns(3), 3));
  sim.spawn(sleeper(sim, log, "b", Duration::ns(4), 2));
  sim.run();
  CHECK(log.entries == std::vector<std::string>{"a@3", "b@4", "a@6", "b@8", "a@9"});
}

TEST_CASE("equal-time wake-ups keep spawn order", "[kernel]") {
  Simulation sim;
  Log log;
  sim.spawn(sleeper(sim, log, "x", Duration::ns(2), 2));
  sim.spawn(sleeper(sim, log, "y", Duration::ns(2), 2));
  sim.run();
  CHECK(log.entries == std::vector<std::string>{"x@2", "y@2", "x@4", "y@4"});
}

TEST_CASE("tasks nest, return values and resume their caller", "[kernel]") {
  Simulation sim;
  Log log;
  sim.spawn(protocol(sim, log));
  sim.run();
  CHECK(log.entries == std::vector<std::string>{"first", "sum=5", "last"});
  CHECK(sim.now() == Duration::ns(7));
}

TEST_CASE("an exception in a process surfaces from run()", "[kernel]") {
  Simulation sim;
  sim.spawn(failing(sim));
  CHECK_THROWS_WITH(sim.run(), "boom");
  CHECK(sim.now() == Duration::ns(3));
}

TEST_CASE("a signal wakes every waiter at the time it is notified", "[kernel]") {
  Simulation sim;
  Signal s(sim);
  Log log;
  sim.spawn(waiter(s, log, "w1", sim));
  sim.spawn(waiter(s, log, "w2", sim));
  sim.spawn(notifier(sim, s));
  sim.run();
  CHECK(log.entries == std::vector<std::string>{"w1@7", "w2@7"});
  CHECK(s.waiting() == 0);
}

TEST_CASE("run_until stops at the horizon and keeps later events", "[kernel]") {
  Simulation sim;
  Log log;
  sim.spawn(sleeper(sim, log, "a", Duration::ns(10), 3));
  sim.run_until(Duration::ns(15));
  CHECK(log.entries == std::vector<std::string>{"a@10"});
  CHECK(sim.now() == Duration::ns(15));
  sim.run();
  CHECK(log.entries.size() == 3);
}

TEST_CASE("time arithmetic saturates and the kernel refuses the end of time", "[kernel]") {
  CHECK(Duration::max() + Duration::ns(1) == Duration::max());
  CHECK(BitRate::bits_per_second(1).time_for(Bytes{INT64_MAX / 2}) == Duration::max());
  Simulation sim;
  std::vector<int> v;
  CHECK_THROWS_WITH(sim.schedule(Duration::max(), Band::kNormal, record, &v),
                    Catch::Contains("ran past its end"));
}

namespace {

// Waits for `deadline`, and after each early poke waits again for a later one (a guest whose
// next miss moves on as pages arrive).
Process rewaiter(Simulation& sim, Wakeup& w, std::vector<std::int64_t>& woke, int pokes) {
  Duration deadline = Duration::ns(1'000'000);
  for (int i = 0; i <= pokes; ++i) {
    co_await w.wait_until(deadline);
    woke.push_back(sim.now().count_ns());
    if (sim.now() < deadline) deadline = deadline + Duration::ns(10);
  }
}

Process poker(Simulation& sim, Wakeup& w, int pokes) {
  for (int i = 0; i < pokes; ++i) {
    co_await sim.sleep(Duration::ns(100));
    w.poke();
  }
}

}  // namespace

TEST_CASE("a wakeup waited on again after early pokes resumes at its deadline, with one timer",
          "[sim][wakeup]") {
  Simulation sim;
  Wakeup& w = sim.make_wakeup();
  std::vector<std::int64_t> woke;
  const int pokes = 1000;
  sim.spawn(rewaiter(sim, w, woke, pokes));
  sim.spawn(poker(sim, w, pokes));
  sim.run();
  REQUIRE(woke.size() == pokes + 1);
  for (int i = 0; i < pokes; ++i) CHECK(woke[i] == 100 * (i + 1));
  // The last wait ends at its deadline, moved on by every poke.
  CHECK(woke.back() == 1'000'000 + 10 * pokes);
  // Per poke: the poker's sleep and the waiter's resume. The deadlines moved later each time,
  // so the first timer re-arms once for the last one instead of a timer per wait piling up.
  CHECK(sim.events_processed() <= 2 * pokes + 8);
}
