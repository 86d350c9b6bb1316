// The phase after the guest resumes at the destination before all its pages are there: the
// machinery post-copy (Hines & Gopalan 2009; QEMU postcopy-ram), three-stage copy (TSMC) and
// hybrid share. Two activities run at once:
//   - the guest runs at the destination until its next access to a missing page (the access
//     model, vm::GuestActivity::next_miss); it then stalls: a request goes back over the return
//     path, the source sends the page (with a window of pending neighbours) ahead of any push
//     batch not yet on the wire, and the guest resumes when the page arrives;
//   - the source pushes the other pending pages in batches, one batch on the wire at a time (so
//     a demand page waits behind at most one batch), back to back or one batch per interval.
// The phase ends when every page is current at the destination.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "models/migration/session.h"

namespace migsim::migration {

// The most pre-copy passes a post-copy-family algorithm makes before it switches (QEMU/libvirt
// switch after 1; a guest that needs many passes is pre-copy's case, and each pass of a large
// non-converging guest costs the pages it dirties).
inline constexpr std::int64_t kMaxPassesBeforeSwitch = 100;

// Post-switch round records: one per push interval up to this many; the last one then covers
// the rest of the phase, so a tiny interval over a long phase keeps records (and memory)
// bounded, like the live-round guard (sim::limits::kMaxRounds).
inline constexpr std::int64_t kMaxPostSwitchRounds = 10000;

// The request a fault sends back: QEMU's MIG_RP_MSG_REQ_PAGES, 4-byte header + 8-byte address +
// 4-byte length (hypervisor-mechanics.md 2.8).
inline constexpr std::int64_t kRequestBytes = 16;

enum class PushOrder {
  kLinear,  // the source's scan goes on in page order, wrapping (QEMU's background scan)
  kPivot,   // around the latest fault in both directions, re-centred on each fault (Hines'
            // "bubbling" active push)
};

struct PostSwitchOptions {
  Duration push_interval{};  // 0: push batches back to back
  std::uint64_t push_batch_pages = 1024;
  PushOrder push_order = PushOrder::kLinear;
  std::uint64_t window = 0;  // pending neighbours sent with a faulted page (half on each side)
  Duration push_start{};     // the push begins this long after the resume
  Bytes request_bytes{kRequestBytes};  // one page request on the return path
  // Called when the guest faults on a page already on its way by another path (a storage
  // read still queued): fetch it first. Empty: wait for it.
  std::function<void(std::uint64_t page)> expedite;
};

// The demand-paging parameters post_copy and hybrid share (their defaults differ).
struct DemandPagingParams {
  std::string push_order = "linear";
  std::int64_t prepage_pages = 0;
  std::int64_t push_batch_pages = 64;

  template <class V>
  void visit(V& v) {
    v(sim::param("push_order", push_order,
                 "background push after the switch: linear = in page order from where the scan "
                 "is (QEMU); pivot = around the latest fault, both directions (Hines' bubbling)")
          .one_of({"linear", "pivot"}));
    v(sim::param("prepage_pages", prepage_pages,
                 "pending pages around a faulted page sent with it (half before, half after)")
          .at_least(0)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
    v(sim::param("push_batch_pages", push_batch_pages,
                 "pages per push batch; a demand page waits behind at most one batch")
          .at_least(1)
          .at_most(sim::limits::kMaxBatchPages)
          .counting("pages"));
  }
  PostSwitchOptions options() const {
    PostSwitchOptions o;
    o.push_batch_pages = static_cast<std::uint64_t>(push_batch_pages);
    o.push_order = push_order == "pivot" ? PushOrder::kPivot : PushOrder::kLinear;
    o.window = static_cast<std::uint64_t>(prepage_pages);
    return o;
  }
};

// Resumes nothing itself: call after transfer_state_and_resume(..., at_destination = true).
// Returns when every page is current at the destination.
sim::Task<void> run_post_switch(MigrationSession& s, const PostSwitchOptions& o);

// The whole switch-over of the post-copy family, the guest already suspended: the dirty log's
// last fetch joins the pending set (when `fetch_log`; otherwise every page is pending), the
// pending bitmap (pages / 8 bytes) and `bytes_per_pending_page` for each pending page go with
// the state, the guest resumes at the destination and pulls the rest; then the migration ends.
sim::Task<void> switch_to_destination(MigrationSession& s, bool fetch_log,
                                      std::int64_t bytes_per_pending_page,
                                      const PostSwitchOptions& o);

}  // namespace migsim::migration
