// The destination's loader of storage-assisted migration (Jo & Egger 2013): map entries name
// pages whose content is a disk block on shared storage; the loader reads them from the device,
// up to `parallelism` requests at once, consecutive blocks merged into one request up to the
// device's max_request, in the order the entries arrived. A guest fault on a page still to be
// loaded reads that page's run at once, ahead of the queue (expedite). A loaded page becomes
// current at the destination only if the guest has not written it at the source since its map
// entry was captured (MigrationSession::land / GuestMemory::arrive): otherwise the dirty log
// sends it again.
#pragma once

#include <cstdint>
#include <deque>

#include "models/migration/session.h"
#include "models/storage/storage.h"

namespace migsim::migration {

class StorageLoader final : public MappedPageSink {
 public:
  StorageLoader(MigrationSession& s, storage::Storage& device, std::int64_t parallelism);

  void map_arrived(std::uint64_t w, sim::Bitmap::Word mask, sim::Bitmap::Word next) override;
  // A guest access stalls on `page`: read its run now if it is still queued.
  void expedite(std::uint64_t page);
  // Nothing queued and nothing outstanding.
  bool idle() const { return queue_.empty() && outstanding_.empty(); }
  // (A queue entry whose pages a fault has all read stays until fill() passes it: harmless, it
  // is dropped without a request.)
  // Waits until idle().
  sim::Task<void> drained();
  // Pokes `w` whenever the loader becomes idle.
  void on_idle(sim::Wakeup* w) { idle_wake_ = w; }

 private:
  struct Entry {
    std::uint64_t w;
    sim::Bitmap::Word mask, next;
  };
  struct Request {
    std::uint64_t w;
    sim::Bitmap::Word mask;
    bool demand = false;  // for a fault: not counted against the parallelism
  };
  // Takes from entry e the run starting at its lowest page (or at `from`).
  Request carve(Entry& e, int from = -1);
  void issue(const Request& r);
  void fill();
  static void complete(void* self);

  MigrationSession& s_;
  storage::Storage& device_;
  std::uint64_t parallelism_;
  std::uint64_t max_pages_;
  std::deque<Entry> queue_;
  // Pages queued and not yet read, and those of them that continue the previous page's block:
  // a fault finds its page's run here in O(1), and the queue skips what a fault took.
  sim::Bitmap queued_, next_;
  std::deque<Request> outstanding_;  // completes in issue order (the device is FIFO)
  std::uint64_t in_slots_ = 0;       // requests in flight that came from the queue
  sim::Signal idle_signal_;
  sim::Wakeup* idle_wake_ = nullptr;
};

}  // namespace migsim::migration
