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
  std::vector<const int*> buffers;
  for (int i = 0; i < 4; ++i) {  // fills the first four slots
    std::vector<int>& v = ring.push_slot();
    v.assign(1000, i);
    buffers.push_back(v.data());
  }
  for (int i = 0; i < 4; ++i) {
    REQUIRE(ring.front().front() == i);
    ring.front().clear();  // what a user does before popping: empty, capacity kept
    ring.pop_front();
  }
  for (int i = 0; i < 4; ++i) {  // the same slots again, in the same order
    std::vector<int>& again = ring.push_slot();
    CHECK(again.empty());
    CHECK(again.capacity() >= 1000);
    CHECK(again.data() == buffers[static_cast<std::size_t>(i)]);
  }
}
