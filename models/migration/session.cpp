#include "models/migration/session.h"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

namespace migsim::migration {

using Word = sim::Bitmap::Word;

MigrationSession::MigrationSession(MigrationContext& ctx, const StreamFormat& format,
                                   MigrationReport& report)
    : ctx_(ctx),
      format_(format),
      report_(report),
      log_fetch_time_(ctx.host.log_fetch_time(ctx.guest.memory().memory())),
      page_size_(ctx.guest.memory().page_size()),
      pending_(ctx.guest.memory().pages()),
      start_(ctx.sim.now()) {}

void MigrationSession::mark_all_pending() {
  sync_guest();
  memory().clear_log();
  pending_.set_all();
  pending_count_ = memory().pages();
  cursor_ = 0;
}

void MigrationSession::start_dirty_logging() {
  mark_all_pending();
  // Enabling the log is a sync too: QEMU's ram_init_bitmaps starts dirty logging with one
  // migration_bitmap_sync, counted in dirty-sync-count; Xen's log-dirty enable costs one fetch.
  ++report_.dirty_syncs;
}

void MigrationSession::GuestPause::await_suspend(std::coroutine_handle<> h) {
  if (s->ctx_.host.log_fetch_pauses_guest && s->ctx_.guest.running()) {
    s->ctx_.guest.pause(s->now());
    paused_here = true;
  }
  s->ctx_.sim.schedule(s->now() + d, sim::Band::kNormal, h);
}

void MigrationSession::GuestPause::await_resume() {
  if (paused_here) s->ctx_.guest.resume(s->now());
}

sim::Task<void> MigrationSession::fetch_dirty_log() {
  co_await pause_guest_for(log_fetch_time_);
  sync_guest();
  last_fetch_ = memory().fetch_and_clear(pending_);
  pending_count_ += last_fetch_.newly_pending;
  ++report_.dirty_syncs;
}

Batch MigrationSession::take_batch(bool skip_redirtied) {
  sync_guest();
  vm::GuestMemory& mem = memory();
  Batch b;
  const auto limit = static_cast<std::uint64_t>(std::min(
      format_.batch_pages,
      std::max<std::int64_t>(1, sim::limits::kMaxBatchPayload.count() / page_size_.count())));
  const std::uint64_t words = pending_.word_count();
  std::uint64_t w = cursor_ / sim::Bitmap::kBits;
  Word mask = ~Word{0} << (cursor_ % sim::Bitmap::kBits);
  std::uint64_t normal = 0, resent = 0;
  std::uint64_t next_cursor = 0;
  bool full = false;
  for (std::uint64_t scanned = 0; scanned <= words && pending_count_ > 0; ++scanned) {
    // Words with nothing pending are passed over in bulk (counted as scanned, as if visited).
    if (pending_.word(w) == 0) {
      const std::uint64_t empty = std::min(pending_.next_nonzero_word(w) - w, words + 1 - scanned);
      scanned += empty - 1;  // the loop adds the last one
      w += empty;
      if (w == words) w = 0;
      mask = ~Word{0};
      continue;
    }
    Word cand = pending_.word(w) & mask;
    mask = ~Word{0};
    if (cand != 0 && skip_redirtied) {
      const Word skip = cand & mem.peek(w);
      const auto n = static_cast<std::uint64_t>(std::popcount(skip));
      b.skipped += n;
      pending_count_ -= n;
      pending_.word(w) &= ~skip;
      cand &= ~skip;
    }
    if (cand != 0) {
      const std::uint64_t room = limit - b.pages;
      if (const auto have = static_cast<std::uint64_t>(std::popcount(cand)); have >= room) {
        // The batch fills in this word: all of it, or the `room` lowest pending pages.
        if (have > room) cand &= sim::select_bit(cand, room) - 1;
        full = true;
        next_cursor = w * sim::Bitmap::kBits +
                      (sim::Bitmap::kBits - static_cast<std::uint64_t>(std::countl_zero(cand)));
      }
      const auto n = static_cast<std::uint64_t>(std::popcount(cand));
      const Word zero = format_.detect_zero_pages ? (cand & ~mem.data_word(w)) : Word{0};
      const Word data = cand & ~zero;
      b.zero_pages += static_cast<std::uint64_t>(std::popcount(zero));
      normal += static_cast<std::uint64_t>(std::popcount(data));
      resent += static_cast<std::uint64_t>(std::popcount(mem.sent_before(w, data)));
      mem.capture(w, cand);
      pending_.word(w) &= ~cand;
      pending_count_ -= n;
      b.pages += n;
      if (full) break;
    }
    if (++w == words) w = 0;
  }
  cursor_ = full ? next_cursor : w * sim::Bitmap::kBits;
  if (cursor_ >= pending_.size()) cursor_ = 0;
  const std::int64_t page = page_size_.count();
  b.first_pass = Bytes{static_cast<std::int64_t>(normal - resent) * page};
  b.resent = Bytes{static_cast<std::int64_t>(resent) * page};
  if (b.pages > 0) {
    b.framing = Bytes{static_cast<std::int64_t>(normal) * format_.page_header_bytes +
                      static_cast<std::int64_t>(b.zero_pages) * format_.zero_page_bytes +
                      format_.batch_header_bytes};
  }
  account(b);
  return b;
}

void MigrationSession::account(const Batch& b) {
  report_.bytes_first_pass += b.first_pass;
  report_.bytes_resent += b.resent;
  report_.bytes_framing += b.framing;
  report_.pages_sent += b.pages;
  report_.pages_zero += b.zero_pages;
  report_.pages_skipped += b.skipped;
  RoundRecord& r = round();
  r.pages_sent += b.pages;
  r.pages_zero += b.zero_pages;
  r.pages_skipped += b.skipped;
  r.bytes += b.bytes();
}

sim::Simulation::Sleep MigrationSession::transmit(const Batch& b, BitRate cap) {
  const Duration start = now();
  auto sleep = ctx_.link.send(b.bytes(), cap);
  const Duration took = sleep.at - start;
  if (took.count_ns() > 0)
    measured_bps_ =
        static_cast<double>(b.bytes().count()) * 8e9 / static_cast<double>(took.count_ns());
  return sleep;
}

RoundRecord& MigrationSession::begin_round(bool final) {
  RoundRecord r;
  r.index = static_cast<int>(report_.rounds.size()) + 1;
  r.final = final;
  r.start = elapsed();
  report_.rounds.push_back(r);
  round_fetched_ = false;
  return report_.rounds.back();
}

void MigrationSession::close_round() {
  RoundRecord& r = round();
  r.duration = elapsed() - r.start;
  if (r.duration.count_ns() > 0)
    r.bandwidth_bps =
        static_cast<double>(r.bytes.count()) * 8e9 / static_cast<double>(r.duration.count_ns());
}

void MigrationSession::record_fetch(std::uint64_t pages_dirtied) {
  RoundRecord& r = round();
  r.pages_dirtied += pages_dirtied;
  r.pages_pending = pending_count_;
  round_fetched_ = true;
  if (measured_bps_ > 0.0)
    r.expected_downtime = Duration::ns(static_cast<std::int64_t>(
        static_cast<double>(pending_bytes().count()) * 8e9 / measured_bps_));
}

sim::Task<void> MigrationSession::suspend() {
  downtime_start_ = now();
  ctx_.guest.pause(now());
  co_await ctx_.sim.sleep(ctx_.host.suspend_time);
  report_.downtime_suspend = now() - downtime_start_;
}

sim::Task<void> MigrationSession::final_copy(bool fetch_log) {
  const Duration start = now();
  if (fetch_log) {
    co_await fetch_dirty_log();
    // What this fetch found was dirtied while the last live round ran (or since its sync).
    if (!report_.rounds.empty()) {
      if (round_fetched_)
        round().pages_dirtied += last_fetch_.dirty_count;
      else
        record_fetch(last_fetch_.dirty_count);
    }
  }
  begin_round(/*final=*/true);
  while (pending_count_ > 0) {
    const Batch b = take_batch(/*skip_redirtied=*/false);
    co_await transmit(b);
  }
  close_round();
  report_.downtime_final_copy = now() - start;
}

sim::Task<void> MigrationSession::transfer_state_and_resume() {
  const Duration start = now();
  const Bytes state = ctx_.host.state_size;
  report_.bytes_state += state;
  if (state.count() > 0) co_await ctx_.link.send(state);
  co_await ctx_.sim.sleep(ctx_.link.latency());
  report_.downtime_state = now() - start;
  co_await ctx_.sim.sleep(ctx_.host.resume_time);
  report_.downtime_resume = ctx_.host.resume_time;
  report_.downtime = now() - downtime_start_;
  report_.total_time = elapsed();
}

void MigrationSession::finish() {
  if (pending_count_ != 0)
    throw std::logic_error("migration ended with " + std::to_string(pending_count_) +
                           " pages still pending");
  const vm::GuestMemory& mem = memory();
  if (mem.tracks_stale() && mem.stale_count() != 0)
    throw std::logic_error("destination is stale: " + std::to_string(mem.stale_count()) +
                           " pages do not hold their latest version at the end (first: page " +
                           std::to_string(mem.first_stale_page()) + ")");
}

}  // namespace migsim::migration
