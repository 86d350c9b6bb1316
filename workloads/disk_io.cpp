#include "workloads/disk_io.h"

#include <cmath>
#include <string>

namespace migsim::workloads {

DiskIo::DiskIo(const DiskIoParams& p, const WorkloadContext& ctx)
    : p_(p),
      page_size_(ctx.page_size),
      region_(p.region.resolve(ctx)),
      schedule_(ctx.stream("disk")) {
  const auto pages_of = [&](Bytes b) {
    return static_cast<std::uint64_t>((b.count() + ctx.page_size.count() - 1) /
                                      ctx.page_size.count());
  };
  read_pages_ = pages_of(p.read_size);
  write_pages_ = pages_of(p.write_size);
  const auto fits = [&](const char* key, Bytes size, std::uint64_t pages, double rate) {
    if (rate > 0.0 && pages > region_.count)
      throw sim::ParamError(
          key, std::string(key) + " " + sim::format_bytes(size) +
                   " does not fit in the page-cache region (" +
                   sim::format_bytes(ctx.page_size * static_cast<std::int64_t>(region_.count)) +
                   ")");
  };
  fits("read_size", p.read_size, read_pages_, p.read_rate.per_second());
  fits("write_size", p.write_size, write_pages_, p.write_rate.per_second());
  // The write cursor starts half a region away from the read cursor.
  write_cursor_ = region_.count / 2;
  next_t_ = -1.0;
}

void DiskIo::extend_to(Duration t) {
  const double total = p_.read_rate.per_second() + p_.write_rate.per_second();
  if (total <= 0.0) return;
  if (next_t_ < 0.0) next_t_ = -sim::log_unit(1.0 - schedule_.uniform01()) / total;
  while (Duration::ns(static_cast<std::int64_t>(std::ceil(next_t_ * 1e9))) <= t) {
    const Duration at = Duration::ns(static_cast<std::int64_t>(std::ceil(next_t_ * 1e9)));
    const bool write = schedule_.uniform01() * total >= p_.read_rate.per_second();
    const std::uint64_t n = write ? write_pages_ : read_pages_;
    std::uint64_t& cursor = write ? write_cursor_ : read_cursor_;
    if (cursor + n > region_.count) cursor = 0;
    requests_.push_back({at, region_.first + cursor, n, write});
    cursor += n;
    next_t_ += -sim::log_unit(1.0 - schedule_.uniform01()) / total;
  }
}

void DiskIo::advance(Duration from, Duration to, vm::GuestMemory& memory) {
  extend_to(to);
  while (!requests_.empty() && requests_.front().at < to) {
    const Request& r = requests_.front();
    if (r.at >= from) {
      if (r.write) {
        memory.write_range(r.first, r.count);  // the file data written through the cache
        memory.store_to_disk(r.first, r.count);
        ++writes_;
      } else {
        memory.load_from_disk(r.first, r.count);
        ++reads_;
      }
    }
    requests_.pop_front();
  }
}

std::optional<vm::Miss> DiskIo::next_miss(Duration from, const vm::GuestMemory& memory) {
  if (memory.missing_count() == 0 || p_.read_rate.per_second() + p_.write_rate.per_second() <= 0.0)
    return std::nullopt;
  if (memory.missing_in(region_.first, region_.count) == 0) return std::nullopt;
  // Looked ahead 60 s at a time; beyond, the guest asks again (the schedule is fixed).
  const Duration limit = from + Duration::s(60);
  extend_to(limit);
  for (const Request& r : requests_) {
    if (r.at >= limit) break;
    if (r.at < from) continue;
    if (const std::uint64_t p = memory.next_missing(r.first, r.first + r.count);
        p < r.first + r.count)
      return vm::Miss{r.at, p, true};
  }
  return vm::Miss{limit, vm::Miss::kNoPage, false};
}

storage::DiskLoad DiskIo::disk_load() const {
  const auto page = static_cast<double>(page_size_.count());
  return {(p_.read_rate.per_second() * static_cast<double>(read_pages_) +
           p_.write_rate.per_second() * static_cast<double>(write_pages_)) *
              page,
          p_.read_rate.per_second() + p_.write_rate.per_second()};
}

std::vector<std::pair<std::string, double>> DiskIo::facts() const {
  return {{"disk_reads", static_cast<double>(reads_)},
          {"disk_writes", static_cast<double>(writes_)}};
}

}  // namespace migsim::workloads
