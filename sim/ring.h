// A FIFO on a circular buffer whose slots outlive their elements: pop_front leaves the object
// in place and push_slot hands it out again, so an element that owns buffers (a batch's page
// list) keeps their capacity from one use to the next, and a queue of steady length allocates
// nothing. std::deque allocates and frees a block every few elements as a FIFO moves through
// it, and boost::circular_buffer destroys what it pops; on the per-batch path of a migration
// both cost more than the work they carry.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace migsim::sim {

template <class T>
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  // The i-th element from the front.
  T& operator[](std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
  const T& operator[](std::size_t i) const { return slots_[(head_ + i) & (slots_.size() - 1)]; }

  // Appends an element and returns it: a default-constructed T, or one popped earlier as it was
  // left (the caller sets what it uses). References to elements stay valid until the next
  // push_slot that grows the ring.
  T& push_slot() {
    if (size_ == slots_.size()) grow();
    T& t = slots_[(head_ + size_) & (slots_.size() - 1)];
    ++size_;
    return t;
  }
  void pop_front() {
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  void clear() { size_ = 0; }

 private:
  void grow() {
    std::vector<T> bigger(std::max<std::size_t>(4, slots_.size() * 2));  // a power of two
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace migsim::sim
