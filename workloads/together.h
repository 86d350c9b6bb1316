// Two activities at once: the scenario's workload and its `background` (the guest OS's own
// writes, a co-located job). Writes of both land in the same memory; the guest's next miss is
// whichever of the two comes first.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/vm/guest.h"

namespace migsim::workloads {

class Together final : public vm::GuestActivity {
 public:
  // The second activity's facts are recorded with `prefix` ("background." for a background; ""
  // for the disk I/O a section carries, whose facts have names of their own).
  Together(std::unique_ptr<vm::GuestActivity> main, std::unique_ptr<vm::GuestActivity> background,
           std::string prefix = "background.")
      : main_(std::move(main)), background_(std::move(background)), prefix_(std::move(prefix)) {}

  void advance(sim::Duration from, sim::Duration to, vm::GuestMemory& memory) override {
    main_->advance(from, to, memory);
    background_->advance(from, to, memory);
  }
  std::optional<vm::Miss> next_miss(sim::Duration from, const vm::GuestMemory& memory) override {
    std::optional<vm::Miss> a = main_->next_miss(from, memory);
    std::optional<vm::Miss> b = background_->next_miss(from, memory);
    if (!a) return b;
    if (!b) return a;
    return b->at < a->at ? b : a;
  }
  storage::DiskLoad disk_load() const override {
    const storage::DiskLoad a = main_->disk_load(), b = background_->disk_load();
    return {a.bytes_per_s + b.bytes_per_s, a.requests_per_s + b.requests_per_s};
  }
  void prepare(vm::GuestMemory& memory) override {
    main_->prepare(memory);
    background_->prepare(memory);
  }
  // A redraw of the deterministic part gives the same answer, so redrawing both is exact.
  bool memoryless() const override { return main_->memoryless() || background_->memoryless(); }
  // The second activity's facts carry the prefix given at construction.
  std::vector<std::pair<std::string, double>> facts() const override {
    auto out = main_->facts();
    for (auto& [name, value] : background_->facts()) out.emplace_back(prefix_ + name, value);
    return out;
  }

 private:
  std::unique_ptr<vm::GuestActivity> main_;
  std::unique_ptr<vm::GuestActivity> background_;
  std::string prefix_;
};

}  // namespace migsim::workloads
