// A name -> entry table for pluggable models (workloads, algorithms, presets). Filled once at
// start-up from an explicit list, then read-only, so it is safe to share between threads.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace migsim::sim {

// Entry must have a `std::string_view name` member.
template <class Entry>
class Registry {
 public:
  Registry() = default;
  Registry(std::initializer_list<Entry> entries) {
    for (const auto& e : entries) add(e);
  }
  void add(Entry entry) {
    if (find(entry.name) != nullptr)
      throw std::logic_error("registered twice: " + std::string(entry.name));
    entries_.push_back(std::move(entry));
  }
  const Entry* find(std::string_view name) const {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.name == name; });
    return it == entries_.end() ? nullptr : &*it;
  }
  std::vector<std::string_view> names() const {
    std::vector<std::string_view> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace migsim::sim
