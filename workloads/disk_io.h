// Disk I/O through the guest's page cache, which any workload can carry (`disk:` inside a
// `workload` or `background` section): read requests load `read_size` of disk blocks into the
// page cache (the pages become an on-storage run; the DMA changes them, like a write), write
// requests write `write_size` of file data and write it back (the pages change, then their
// content is on disk). Requests are Poisson at `read_rate` and `write_rate`; each lands at a
// cursor that wraps over `region` (the page cache: the oldest data makes room), read and write
// cursors apart. The schedule is drawn ahead from the workload's own stream, so a run is the
// same wherever the guest runs, and at the destination the next miss is the first request that
// touches a missing page. Its average traffic loads the shared storage.
#pragma once

#include <deque>
#include <optional>

#include "workloads/workload.h"

namespace migsim::workloads {

struct DiskIoParams {
  sim::Rate read_rate{0.0};
  Bytes read_size{64 * 1024};
  sim::Rate write_rate{0.0};
  Bytes write_size{64 * 1024};
  Region region;

  template <class V>
  void visit(V& v) {
    v(sim::param("read_rate", read_rate, "disk read requests per second")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{1e7}));
    v(sim::param("read_size", read_size, "bytes per read request (into the page cache)")
          .at_least(Bytes{1})
          .at_most(sim::limits::kMaxMemory));
    v(sim::param("write_rate", write_rate, "disk write requests per second (written back)")
          .at_least(sim::Rate{0.0})
          .at_most(sim::Rate{1e7}));
    v(sim::param("write_size", write_size, "bytes per write request")
          .at_least(Bytes{1})
          .at_most(sim::limits::kMaxMemory));
    region.visit(v);
  }
};

class DiskIo final : public vm::GuestActivity {
 public:
  // Throws sim::ParamError when a request does not fit the region. Draws from stream
  // '<section>.disk'.
  DiskIo(const DiskIoParams& p, const WorkloadContext& ctx);

  void advance(Duration from, Duration to, vm::GuestMemory& memory) override;
  std::optional<vm::Miss> next_miss(Duration from, const vm::GuestMemory& memory) override;
  storage::DiskLoad disk_load() const override;
  std::vector<std::pair<std::string, double>> facts() const override;

 private:
  struct Request {
    Duration at;
    std::uint64_t first, count;
    bool write;
  };
  void extend_to(Duration t);

  DiskIoParams p_;
  Bytes page_size_;
  Region::Pages region_;
  std::uint64_t read_pages_ = 0, write_pages_ = 0;
  sim::RandomStream schedule_;
  std::deque<Request> requests_;
  Duration drawn_until_{};
  double next_t_ = 0.0;  // seconds: the next request not yet in requests_
  std::uint64_t read_cursor_ = 0, write_cursor_ = 0;
  std::uint64_t reads_ = 0, writes_ = 0;
};

}  // namespace migsim::workloads
