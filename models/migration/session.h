// The machinery every migration algorithm shares: the pending-page set, batched sending with
// framing and byte accounting, pages in flight until they arrive, dirty-log fetches (with their
// guest pause), suspend, state transfer and resume, and the round records. An algorithm file
// composes these into its protocol; it never touches bitmaps or byte counters directly.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "models/host/hypervisor.h"
#include "models/migration/encoder.h"
#include "models/migration/report.h"
#include "models/migration/stream.h"
#include "models/network/link.h"
#include "models/storage/storage.h"
#include "models/vm/guest.h"
#include "sim/bitmap.h"
#include "sim/ring.h"
#include "sim/simulation.h"

namespace migsim::migration {

using sim::BitRate;

// Everything an algorithm runs against. Owned by the caller; outlives the migration.
struct MigrationContext {
  sim::Simulation& sim;
  vm::Guest& guest;
  net::Channel& channel;
  host::HostParams host;
  CompressionParams compression{};      // how pages sent in full are encoded (none by default)
  storage::Storage* storage = nullptr;  // the VM's shared storage (null: none)
  // The run's seed and replicate, for an algorithm's own random streams.
  std::uint64_t seed = 0;
  std::uint64_t replicate = 0;
};

// Where map entries go when they reach the destination (storage_assisted's NAS loader): the
// pages of `mask` (word w) are to be read from storage; `next` marks those whose block follows
// the previous page's (they can join its request).
class MappedPageSink {
 public:
  virtual ~MappedPageSink() = default;
  virtual void map_arrived(std::uint64_t w, sim::Bitmap::Word mask, sim::Bitmap::Word next) = 0;
};

// Pages taken from the pending set for one batch.
struct Batch {
  std::uint64_t pages = 0;
  std::uint64_t zero_pages = 0;
  std::uint64_t skipped = 0;
  std::uint64_t mapped = 0;   // on-storage pages sent as map entries
  std::uint64_t hashed = 0;   // pages whose hashes were compared with the destination's copy
  std::uint64_t matched = 0;  // of those, pages the destination held: not sent
  Bytes hash_bytes{};         // the hashes and the destination's answer
  Duration exchange{};        // hashing at both ends and the round trip, before the pages go
  Bytes first_pass{};
  Bytes resent{};
  Bytes framing{};
  Duration cpu{};  // compression or decompression time, whichever is longer (0: no codec)
  std::uint64_t lowest = 0, highest = 0;  // lowest and highest page taken (when pages > 0)
  Bytes bytes() const { return first_pass + resent + framing; }
};

class MigrationSession {
 public:
  MigrationSession(MigrationContext& ctx, const StreamFormat& format, MigrationReport& report);

  vm::GuestMemory& memory() { return ctx_.guest.memory(); }
  Duration now() const { return ctx_.sim.now(); }
  // Time since this migration started: what records and deadlines use, so a simulation can
  // start several migrations at different times.
  Duration elapsed() const { return now() - start_; }
  Duration log_fetch_time() const { return log_fetch_time_; }

  // --- pending set ---
  // Turns on dirty logging: clears the log and marks every page pending (round 1 = full copy).
  // Counts as a dirty-log sync (QEMU's setup sync).
  void start_dirty_logging();
  // Every page pending, no logging (stop-and-copy: the guest is already stopped).
  void mark_all_pending();
  std::uint64_t pending_pages() const { return pending_count_; }
  Bytes pending_bytes() const { return page_size_ * static_cast<std::int64_t>(pending_count_); }
  bool is_pending(std::uint64_t page) const { return pending_.test(page); }
  // Restarts the scan at page 0 (Xen walks PFNs from 0 each round; QEMU resumes where it was).
  void rewind() { cursor_ = 0; }
  // The scan continues from `page` (QEMU's postcopy: after a requested page).
  void scan_from(std::uint64_t page) { cursor_ = page < pending_.size() ? page : 0; }
  // Takes the pages of `set` out of the pending set (improved pre-copy's hot pages), or puts
  // them back. O(words).
  void hold_back(const sim::Bitmap& set);
  void release(const sim::Bitmap& set);

  // --- awaitables ---
  // Pauses the guest (if running) for `d`; used for dirty-log fetches and PEEKs.
  struct GuestPause {
    MigrationSession* s;
    Duration d;
    bool paused_here = false;
    bool await_ready() const noexcept { return d.count_ns() == 0; }
    void await_suspend(std::coroutine_handle<> h);
    void await_resume();
  };
  GuestPause pause_guest_for(Duration d) { return GuestPause{this, d}; }
  // One dirty-log fetch: pays its cost (pausing the guest if the host does), then ORs the log into
  // the pending set and clears it (Xen CLEAN, QEMU sync). Result in last_fetch().
  // With `fetched`, also sets there the pages this fetch found (the round's own dirty set).
  sim::Task<void> fetch_dirty_log(sim::Bitmap* fetched = nullptr);
  const vm::LogFetch& last_fetch() const { return last_fetch_; }
  // The guest's writes so far, applied (call before looking at the log).
  void sync_guest() { ctx_.guest.sync(now()); }
  // Pages are captured from the source's memory, so the guest's writes there come first. A guest
  // at the destination never touches a page the source has still to send (it is missing
  // there), so a capture needs no sync then: a push costs no guest work.
  void sync_before_capture() {
    if (memory().side() == vm::Side::kSource) sync_guest();
  }

  // Takes up to batch_pages pending pages from the cursor (wrapping at the end), captures their
  // content now and counts their bytes. With `skip_redirtied`, pending pages whose log bit is set
  // (dirtied again since the last fetch) are dropped instead: the next fetch brings them back.
  // `limit` 0 = the stream's batch_pages.
  Batch take_batch(bool skip_redirtied, std::uint64_t limit = 0);
  // Takes up to `limit` pending pages of [first, end), lowest first.
  Batch take_range(std::uint64_t first, std::uint64_t end, std::uint64_t limit);
  // Takes up to `limit` pending on-storage pages from page `from` on (map entries when
  // map_storage_pages is on); `from` moves past what was scanned.
  Batch take_storage_pages(std::uint64_t& from, std::uint64_t limit);
  // Takes up to `limit` pending pages below `end`, highest first (a backward scan).
  Batch take_below(std::uint64_t end, std::uint64_t limit);
  // Sends what was taken since the last transmit on one of the channel's streams (the first
  // idle one, else the least loaded); the awaitable resumes the sender when its last byte has
  // left or, with several streams, as soon as a stream is idle (QEMU multifd: the next idle
  // channel). Its pages arrive one latency after leaving (GuestMemory::arrive, in the stream's
  // order). `cap` 0 = no cap; a cap is the migration's, split evenly over its streams.
  struct Sent {
    MigrationSession* s;
    std::uint64_t ticket;
    bool await_ready() const noexcept { return s->streams_.size() > 1 && s->stream_free(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      s->sender_ = h;
      s->sender_ticket_ = ticket;
    }
    void await_resume() const noexcept {}
  };
  Sent transmit(const Batch& b, BitRate cap = BitRate{});
  // Resumes when every stream has sent everything queued on it. With several streams, a page
  // sent again must not overtake its older copy on another stream, so each dirty-log fetch
  // waits for this first (QEMU's multifd sync), and so does the device state.
  struct Drained {
    MigrationSession* s;
    bool await_ready() const noexcept { return s->streams_idle(); }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->drainer_ = h; }
    void await_resume() const noexcept {}
  };
  Drained drain() { return Drained{this}; }
  // Resumes once every batch sent so far has arrived (its map entries handed to the sink).
  sim::Task<void> landed();
  // From now on, on-storage pages are captured as map entries of `entry_bytes` each instead of
  // their content; at the destination they go to `sink`, which loads them and lands them.
  void map_storage_pages(Bytes entry_bytes, MappedPageSink* sink) {
    map_entry_bytes_ = entry_bytes;
    map_sink_ = sink;
  }
  // From now on (until turned off), each batch's pages are first compared with the
  // destination's copies by hash (memory_compare): the source hashes them and sends
  // `hash_bytes` per page, the destination hashes its copies and answers with a bitmap; pages
  // it holds in their latest version are not sent. Hashing runs on the host's migration cores
  // at `hash_bps` bytes per second per core, at both ends.
  void compare_before_sending(bool on, Bytes hash_bytes = Bytes{}, double hash_bps = 0.0) {
    compare_ = on;
    hash_entry_bytes_ = hash_bytes;
    hash_bps_ = hash_bps;
  }
  // Pages of word w reach the destination by another path (a storage read): they become
  // current there unless written since their capture (GuestMemory::arrive), and a guest
  // waiting for one of them is woken.
  void land(std::uint64_t w, sim::Bitmap::Word mask);
  // Called (after the pages are placed) whenever a batch arrives at the destination.
  void on_arrival(sim::Wakeup* wake) {
    arrival_wake_ = wake;
    arrival_watch_ = kAnyArrival;
  }
  // Narrows the arrival wakeup to the arrival of `page` (kAnyArrival: every arrival;
  // kLastArrival: the arrival that leaves nothing missing), so a guest waiting on one page is
  // not woken by each push batch.
  static constexpr std::uint64_t kAnyArrival = ~std::uint64_t{0};
  static constexpr std::uint64_t kLastArrival = ~std::uint64_t{0} - 1;  // once nothing is missing
  void watch_arrival(std::uint64_t page) { arrival_watch_ = page; }
  // Batches sent and not yet arrived.
  bool in_flight() const;
  // Achieved rate of the most recent transmission, bytes per second (0 before any).
  double measured_bandwidth() const { return measured_bps() / 8.0; }

  // --- rounds ---
  RoundRecord& begin_round(bool final = false);
  RoundRecord& round() { return report_.rounds.back(); }
  // Closes the current live round at now(): its duration and achieved bandwidth.
  void close_round();
  // Records the dirty-log fetch that followed the closed round: the pages dirtied during it and
  // the downtime expected for what is now pending.
  void record_fetch(std::uint64_t pages_dirtied);

  // --- switch-over ---
  // Downtime starts: pauses the guest, then pays suspend_time.
  sim::Task<void> suspend();
  // Final round with the guest paused: fetches the log (unless `fetch_log` is false: nothing was
  // logged), then sends every pending page unthrottled.
  sim::Task<void> final_copy(bool fetch_log = true);
  // Sends vCPU/device state and `metadata` (a post-copy algorithm's dirty bitmap), waits for the
  // last byte to land, then pays resume_time. With `at_destination`, the guest then runs at the
  // destination (before every page is there); otherwise it stays paused: the migration is over.
  sim::Task<void> transfer_state_and_resume(Bytes metadata = Bytes{}, bool at_destination = false);
  // Ends the migration: total time and guest work. Throws if a page is still pending or stale,
  // or if the guest touched a page its host did not hold.
  void finish();

  // --- the guest at the destination ---
  MigrationContext& context() { return ctx_; }
  MigrationReport& report() { return report_; }
  const StreamFormat& format() const { return format_; }
  // Counts bytes sent on the return path.
  void count_request(Bytes b) { report_.bytes_request += b; }

 private:
  void account(const Batch& b);
  // Captures `cand` (pending pages of word w) into batch b.
  void capture_word(std::uint64_t w, sim::Bitmap::Word cand, Batch& b, std::uint64_t& normal,
                    std::uint64_t& resent);
  void finish_batch(Batch& b, std::uint64_t normal, std::uint64_t resent);
  // capture_word's rarer steps: pages the destination already holds (compare_before_sending)
  // leave the pending set unsent; on-storage pages become map entries. Return what is left.
  sim::Bitmap::Word drop_matched(std::uint64_t w, sim::Bitmap::Word cand, Batch& b);
  sim::Bitmap::Word take_mapped(std::uint64_t w, sim::Bitmap::Word data, Batch& b);
  // Map entries of a batch: word, pages, pages continuing the previous page's block.
  struct Mapped {
    std::uint64_t w;
    sim::Bitmap::Word mask, next;
  };
  // A batch queued on a stream, leaving, or on the wire: its pages by word and map entries.
  struct InFlight {
    std::vector<std::pair<std::uint64_t, sim::Bitmap::Word>> words;
    std::vector<Mapped> mapped;
    Duration queued_at{};
    Bytes bytes{};
    std::uint64_t ticket = 0;
    bool has_pages = false;
  };
  // One TCP stream of the channel: batches queued or leaving, then batches on the wire. A
  // popped slot keeps its (emptied) page list for the next batch.
  struct Stream {
    MigrationSession* session = nullptr;
    net::Flow* flow = nullptr;
    sim::Ring<InFlight> leaving;
    sim::Ring<InFlight> landing;
  };
  static void departed(void* stream);
  static void arrive_front(void* stream);
  bool stream_free() const;
  bool streams_idle() const;
  Stream& pick_stream();
  void notify_arrival();

  MigrationContext& ctx_;
  StreamFormat format_;
  Encoder encoder_;
  vm::GuestMemory::ClassCounts full_classes_{};  // pages sent in full per class, this batch
  BitRate send_rate_;  // the rate the latest batch was sent at (link or cap)
  MigrationReport& report_;
  Duration log_fetch_time_;
  Bytes page_size_;
  sim::Bitmap pending_;
  std::uint64_t pending_count_ = 0;
  Duration start_;         // simulated time when the migration began
  Duration window_start_;  // several streams: the bandwidth measurement window
  std::int64_t window_bytes_ = 0;
  std::uint64_t cursor_ = 0;
  vm::LogFetch last_fetch_;
  // Several streams: the rate measured over the last window; one: the latest batch's bytes and
  // time from queued to sent.
  double measured_bps_ = 0.0;
  std::int64_t last_batch_bytes_ = 0;
  std::int64_t last_batch_ns_ = 0;
  double measured_bps() const {
    if (streams_.size() > 1) return measured_bps_;
    return last_batch_ns_ > 0
               ? static_cast<double>(last_batch_bytes_) * 8e9 / static_cast<double>(last_batch_ns_)
               : 0.0;
  }
  Duration downtime_start_{};
  bool round_fetched_ = false;  // the current round's closing fetch has been recorded
  Duration guest_time_at_start_{};
  // Pages taken since the last transmit (what it sends).
  std::vector<std::pair<std::uint64_t, sim::Bitmap::Word>> taken_;
  std::vector<Stream> streams_;
  std::size_t next_stream_ = 0;
  std::uint64_t tickets_ = 0;
  std::coroutine_handle<> sender_;  // waiting in transmit
  std::uint64_t sender_ticket_ = 0;
  std::coroutine_handle<> drainer_;  // waiting in drain
  sim::Signal landed_;               // notified when the last batch in flight arrives
  // The page list and map entries of the batch arrive_front is placing (their buffers reused).
  std::vector<std::pair<std::uint64_t, sim::Bitmap::Word>> arriving_;
  std::vector<Mapped> arriving_mapped_;
  bool compare_ = false;
  Bytes hash_entry_bytes_{};
  double hash_bps_ = 0.0;
  Bytes map_entry_bytes_{};
  MappedPageSink* map_sink_ = nullptr;
  std::vector<Mapped> mapped_taken_;  // map entries taken since the last transmit
  sim::Wakeup* arrival_wake_ = nullptr;
  std::uint64_t arrival_watch_ = kAnyArrival;
};

}  // namespace migsim::migration
