// The migration stream's own framing (hypervisor-mechanics.md 1.3, 1.4, 2.3, 4.1), shared by
// every algorithm that sends pages.
#pragma once

#include <cstdint>

#include "sim/limits.h"
#include "sim/params.h"

namespace migsim::migration {

struct StreamFormat {
  std::int64_t page_header_bytes = 8;
  std::int64_t batch_header_bytes = 4;
  std::int64_t batch_pages = 1024;
  bool detect_zero_pages = false;
  std::int64_t zero_page_bytes = 9;

  template <class V>
  void visit(V& v) {
    v(sim::param("page_header_bytes", page_header_bytes,
                 "bytes sent with each page (Xen: 8-byte pfn_type entry; QEMU: be64 offset|flags)")
          .at_least(0)
          .at_most(sim::limits::kMaxRecordBytes)
          .counting("bytes"));
    v(sim::param("batch_header_bytes", batch_header_bytes,
                 "bytes per batch (Xen legacy: 4-byte count; Xen v2: 16-byte record headers; "
                 "QEMU: 8-byte EOS per iterate call)")
          .at_least(0)
          .at_most(sim::limits::kMaxRecordBytes)
          .counting("bytes"));
    v(sim::param("batch_pages", batch_pages,
                 "pages per batch (Xen MAX_BATCH_SIZE 1024), and fewer when the pages would "
                 "exceed 1GiB (huge pages); also the granularity at which stop rules are checked")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    v(sim::param("detect_zero_pages", detect_zero_pages,
                 "send all-zero pages as short records (QEMU); Xen sends them in full"));
    v(sim::param("zero_page_bytes", zero_page_bytes,
                 "wire size of a zero-page record when detect_zero_pages is on (QEMU: 8 + 1)")
          .at_least(0)
          .at_most(sim::limits::kMaxRecordBytes)
          .counting("bytes"));
  }
};

}  // namespace migsim::migration
