#include "workloads/poisson.h"

#include <cmath>
#include <string>

namespace migsim::workloads {

PoissonActivity::PoissonActivity(std::vector<PoissonStream> streams, const WorkloadContext& ctx,
                                 std::string_view name)
    : streams_(std::move(streams)),
      writes_(ctx.stream(name)),
      misses_(ctx.stream(std::string(name) + ".misses")) {}

void PoissonActivity::advance(Duration from, Duration to, vm::GuestMemory& memory) {
  const double t = (to - from).seconds();
  for (const PoissonStream& s : streams_) {
    if (s.pages.count == 0 || s.write_rate <= 0.0) continue;
    memory.write_random(s.pages.first, s.pages.count,
                        -std::expm1(-s.write_rate * t / static_cast<double>(s.pages.count)),
                        writes_);
  }
}

std::optional<vm::Miss> PoissonActivity::next_miss(Duration from, const vm::GuestMemory& memory) {
  // Beyond this the draw is not kept: the guest asks again then (exact, by memorylessness).
  constexpr double kHorizon = 1e7;  // seconds
  double best = kHorizon;
  const PoissonStream* hit = nullptr;
  std::uint64_t hit_missing = 0;
  bool any = false;
  for (const PoissonStream& s : streams_) {
    const double rate = s.read_rate + s.write_rate;
    if (rate <= 0.0 || s.pages.count == 0) continue;
    const std::uint64_t m = memory.missing_in(s.pages.first, s.pages.count);
    if (m == 0) continue;
    any = true;
    const double miss_rate = rate * static_cast<double>(m) / static_cast<double>(s.pages.count);
    const double wait = -sim::log_unit(1.0 - misses_.uniform01()) / miss_rate;
    if (wait < best) {
      best = wait;
      hit = &s;
      hit_missing = m;
    }
  }
  if (!any) return std::nullopt;
  vm::Miss miss;
  miss.at = from + Duration::ns(static_cast<std::int64_t>(std::ceil(best * 1e9)));
  if (hit == nullptr) return miss;  // beyond the horizon: kNoPage
  miss.page = memory.kth_missing(hit->pages.first, hit->pages.count, misses_.below(hit_missing));
  miss.write = misses_.uniform01() * (hit->read_rate + hit->write_rate) < hit->write_rate;
  return miss;
}

}  // namespace migsim::workloads
