// The slot-reusing FIFO: order across wrap-around and growth, indexing from the front, and a
// popped slot handed out again with what it owned.
#include <catch2/catch.hpp>
#include <deque>
#include <vector>

#include "sim/ring.h"

using migsim::sim::Ring;

TEST_CASE("a ring keeps FIFO order through wrap-around and growth as a deque does", "[ring]") {
  Ring<int> ring;
  std::deque<int> model;
  int next = 0;
  // A queue that grows to 37, shrinks to 2 and grows again, so the head wraps many times and the
  // ring grows while wrapped.
  const std::vector<std::pair<int, int>> phases{{37, 0}, {0, 35}, {50, 30}, {3, 25}, {100, 0}};
  for (const auto& [pushes, pops] : phases) {
    for (int i = 0; i < pushes; ++i) {
      ring.push_slot() = next;
      model.push_back(next++);
      for (int k = 0; k < 3 && !model.empty(); ++k) {  // interleave a few pops and pushes
        REQUIRE(ring.front() == model.front());
        ring.pop_front();
        model.pop_front();
        ring.push_slot() = next;
        model.push_back(next++);
      }
    }
    for (int i = 0; i < pops; ++i) {
      REQUIRE(ring.front() == model.front());
      ring.pop_front();
      model.pop_front();
    }
    REQUIRE(ring.size() == model.size());
    for (std::size_t i = 0; i < model.size(); ++i) REQUIRE(ring[i] == model[i]);
  }
  ring.clear();
  CHECK(ring.empty());
}

TEST_CASE("a popped slot comes back with the buffer it owned", "[ring]") {
  Ring<std::vector<int>> ring;
  std::vector<int>& first = ring.push_slot();
  first.assign(1000, 7);
  const int* buffer = first.data();
  first.clear();
  ring.pop_front();
  std::vector<int>& again = ring.push_slot();  // the same slot: one element, capacity 4
  CHECK(again.empty());
  CHECK(again.capacity() >= 1000);
  CHECK(again.data() == buffer);
}
