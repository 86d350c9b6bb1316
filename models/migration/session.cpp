#include "models/migration/session.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace migsim::migration {

using Word = sim::Bitmap::Word;

MigrationSession::MigrationSession(MigrationContext& ctx, const StreamFormat& format,
                                   MigrationReport& report)
    : ctx_(ctx),
      format_(format),
      encoder_(ctx.compression, ctx.host.migration_cores),
      send_rate_(ctx.channel.goodput()),
      report_(report),
      log_fetch_time_(ctx.host.log_fetch_time(ctx.guest.memory().memory())),
      page_size_(ctx.guest.memory().page_size()),
      pending_(ctx.guest.memory().pages()),
      start_(ctx.sim.now()),
      window_start_(ctx.sim.now()),
      guest_time_at_start_(ctx.guest.guest_time()),
      landed_(ctx.sim) {
  streams_.resize(ctx.channel.streams());
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    streams_[i].session = this;
    streams_[i].flow = &ctx.channel.stream(i);
  }
}

void MigrationSession::hold_back(const sim::Bitmap& set) {
  for (std::uint64_t w = 0; w < pending_.word_count(); ++w) {
    const Word drop = pending_.word(w) & set.word(w);
    if (drop == 0) continue;
    pending_.word(w) &= ~drop;
    pending_count_ -= static_cast<std::uint64_t>(std::popcount(drop));
  }
}

void MigrationSession::release(const sim::Bitmap& set) {
  for (std::uint64_t w = 0; w < pending_.word_count(); ++w) {
    const Word add = set.word(w) & ~pending_.word(w);
    if (add == 0) continue;
    pending_.word(w) |= add;
    pending_count_ += static_cast<std::uint64_t>(std::popcount(add));
  }
}

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

sim::Task<void> MigrationSession::fetch_dirty_log(sim::Bitmap* fetched) {
  if (streams_.size() > 1) co_await drain();
  co_await pause_guest_for(log_fetch_time_);
  sync_guest();
  last_fetch_ = memory().fetch_and_clear(pending_, fetched);
  pending_count_ += last_fetch_.newly_pending;
  ++report_.dirty_syncs;
}

void MigrationSession::capture_word(std::uint64_t w, Word cand, Batch& b, std::uint64_t& normal,
                                    std::uint64_t& resent) {
  vm::GuestMemory& mem = memory();
  if (compare_) [[unlikely]] {
    cand = drop_matched(w, cand, b);
    if (cand == 0) return;
  }
  const auto n = static_cast<std::uint64_t>(std::popcount(cand));
  const Word zero = format_.detect_zero_pages ? (cand & mem.zero_word(w)) : Word{0};
  Word data = cand & ~zero;
  if (map_sink_ != nullptr) [[unlikely]]
    data = take_mapped(w, data, b);
  if (encoder_.active()) [[unlikely]]
    mem.count_classes(w, data, full_classes_);
  b.zero_pages += static_cast<std::uint64_t>(std::popcount(zero));
  normal += static_cast<std::uint64_t>(std::popcount(data));
  resent += static_cast<std::uint64_t>(std::popcount(mem.sent_before(w, data)));
  mem.capture(w, cand);
  taken_.emplace_back(w, cand);
  const std::uint64_t lo =
      w * sim::Bitmap::kBits + static_cast<std::uint64_t>(std::countr_zero(cand));
  const std::uint64_t hi = w * sim::Bitmap::kBits + sim::Bitmap::kBits - 1 -
                           static_cast<std::uint64_t>(std::countl_zero(cand));
  if (b.pages == 0 || lo < b.lowest) b.lowest = lo;
  if (b.pages == 0 || hi > b.highest) b.highest = hi;
  pending_.word(w) &= ~cand;
  pending_count_ -= n;
  b.pages += n;
}

Word MigrationSession::drop_matched(std::uint64_t w, Word cand, Batch& b) {
  // The destination answers "same" for the pages it holds in their latest version.
  b.hashed += static_cast<std::uint64_t>(std::popcount(cand));
  if (const Word same = cand & ~memory().stale_word(w); same != 0) {
    const auto m = static_cast<std::uint64_t>(std::popcount(same));
    b.matched += m;
    pending_.word(w) &= ~same;
    pending_count_ -= m;
    cand &= ~same;
  }
  return cand;
}

Word MigrationSession::take_mapped(std::uint64_t w, Word data, Batch& b) {
  // On-storage pages go as (page, block) map entries; the destination reads their content.
  const vm::GuestMemory& mem = memory();
  const Word next = data & mem.class_word(w, vm::PageClass::kStorageNext);
  const Word mapped = next | (data & mem.class_word(w, vm::PageClass::kStorage));
  if (mapped != 0) {
    b.mapped += static_cast<std::uint64_t>(std::popcount(mapped));
    mapped_taken_.push_back({w, mapped, next});
    data &= ~mapped;
  }
  return data;
}

void MigrationSession::finish_batch(Batch& b, std::uint64_t normal, std::uint64_t resent) {
  const std::int64_t page = page_size_.count();
  b.first_pass = Bytes{static_cast<std::int64_t>(normal - resent) * page};
  b.resent = Bytes{static_cast<std::int64_t>(resent) * page};
  if (b.hashed > 0) {
    // Hashes out, the destination's bitmap back (8-byte header each), hashing at both ends.
    const auto n = static_cast<std::int64_t>(b.hashed);
    const Bytes out{n * hash_entry_bytes_.count() + 8};
    const Bytes back{(n + 7) / 8 + 8};
    b.hash_bytes = out + back;
    const double hash_s =
        static_cast<double>(n * page) /
        (hash_bps_ * static_cast<double>(std::max<std::int64_t>(1, ctx_.host.migration_cores)));
    const net::Channel& ch = ctx_.channel;
    b.exchange = Duration::ns(static_cast<std::int64_t>(std::ceil(2 * hash_s * 1e9))) +
                 ch.goodput().time_for(out) + ch.latency() + ch.return_goodput().time_for(back) +
                 ch.return_latency();
  }
  if (encoder_.active() && normal > 0) {
    // The pages sent in full go through the codec: their payload shrinks by the batch's ratio.
    const Encoded e = encoder_.encode(full_classes_, page_size_, send_rate_);
    full_classes_ = {};
    const double scale = e.payload / static_cast<double>(normal * static_cast<std::uint64_t>(page));
    b.first_pass = Bytes{std::llround(static_cast<double>(b.first_pass.count()) * scale)};
    b.resent = Bytes{std::llround(static_cast<double>(b.resent.count()) * scale)};
    b.cpu = std::max(e.compress, e.decompress);
    report_.bytes_before_compression += Bytes{std::llround(e.raw)};
    report_.cpu_compress_s += e.compress_core_s;
  }
  if (b.pages > 0) {
    b.framing = Bytes{static_cast<std::int64_t>(normal) * format_.page_header_bytes +
                      static_cast<std::int64_t>(b.zero_pages) * format_.zero_page_bytes +
                      static_cast<std::int64_t>(b.mapped) * map_entry_bytes_.count() +
                      format_.batch_header_bytes};
  }
  account(b);
}

Batch MigrationSession::take_batch(bool skip_redirtied, std::uint64_t limit) {
  sync_before_capture();
  vm::GuestMemory& mem = memory();
  Batch b;
  if (limit == 0) limit = static_cast<std::uint64_t>(format_.batch_pages);
  // Several streams: pages are dealt in packets, so the last pages of a round spread evenly.
  if (streams_.size() > 1)
    limit = std::min(limit, static_cast<std::uint64_t>(ctx_.channel.packet_pages()));
  limit = std::min<std::uint64_t>(
      limit, static_cast<std::uint64_t>(std::max<std::int64_t>(
                 1, sim::limits::kMaxBatchPayload.count() / page_size_.count())));
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
      const std::uint64_t room = limit - b.pages - b.matched;
      if (const auto have = static_cast<std::uint64_t>(std::popcount(cand)); have >= room) {
        // The batch fills in this word: all of it, or the `room` lowest pending pages.
        if (have > room) cand &= sim::select_bit(cand, room) - 1;
        full = true;
        next_cursor = w * sim::Bitmap::kBits +
                      (sim::Bitmap::kBits - static_cast<std::uint64_t>(std::countl_zero(cand)));
      }
      capture_word(w, cand, b, normal, resent);
      if (full) break;
    }
    if (++w == words) w = 0;
  }
  cursor_ = full ? next_cursor : w * sim::Bitmap::kBits;
  if (cursor_ >= pending_.size()) cursor_ = 0;
  finish_batch(b, normal, resent);
  return b;
}

Batch MigrationSession::take_range(std::uint64_t first, std::uint64_t end, std::uint64_t limit) {
  sync_before_capture();
  Batch b;
  std::uint64_t normal = 0, resent = 0;
  end = std::min(end, pending_.size());
  for (std::uint64_t w = first / sim::Bitmap::kBits; first < end && b.pages < limit; ++w) {
    const std::uint64_t lo = w * sim::Bitmap::kBits;
    if (lo >= end) break;
    Word cand = pending_.word(w);
    if (lo < first) cand &= ~Word{0} << (first - lo);
    if (end - lo < sim::Bitmap::kBits) cand &= (Word{1} << (end - lo)) - 1;
    if (cand == 0) continue;
    const std::uint64_t room = limit - b.pages;
    if (static_cast<std::uint64_t>(std::popcount(cand)) > room)
      cand &= sim::select_bit(cand, room) - 1;
    capture_word(w, cand, b, normal, resent);
  }
  finish_batch(b, normal, resent);
  return b;
}

Batch MigrationSession::take_storage_pages(std::uint64_t& from, std::uint64_t limit) {
  sync_before_capture();
  vm::GuestMemory& mem = memory();
  Batch b;
  std::uint64_t normal = 0, resent = 0;
  std::uint64_t w = from / sim::Bitmap::kBits;
  for (; w < pending_.word_count() && b.pages < limit; ++w) {
    Word cand = pending_.word(w) & (mem.class_word(w, vm::PageClass::kStorage) |
                                    mem.class_word(w, vm::PageClass::kStorageNext));
    if (cand == 0) continue;
    const std::uint64_t room = limit - b.pages;
    if (static_cast<std::uint64_t>(std::popcount(cand)) > room) {
      cand &= sim::select_bit(cand, room) - 1;
      capture_word(w, cand, b, normal, resent);
      break;  // the rest of this word next time
    }
    capture_word(w, cand, b, normal, resent);
  }
  from = w * sim::Bitmap::kBits;
  finish_batch(b, normal, resent);
  return b;
}

Batch MigrationSession::take_below(std::uint64_t end, std::uint64_t limit) {
  sync_before_capture();
  Batch b;
  std::uint64_t normal = 0, resent = 0;
  end = std::min(end, pending_.size());
  for (std::uint64_t w = (end + sim::Bitmap::kBits - 1) / sim::Bitmap::kBits;
       w-- > 0 && b.pages < limit;) {
    const std::uint64_t lo = w * sim::Bitmap::kBits;
    Word cand = pending_.word(w);
    if (end - lo < sim::Bitmap::kBits) cand &= (Word{1} << (end - lo)) - 1;
    if (cand == 0) continue;
    const auto have = static_cast<std::uint64_t>(std::popcount(cand));
    const std::uint64_t room = limit - b.pages;
    if (have > room) cand &= ~(sim::select_bit(cand, have - room) - 1);  // the highest `room`
    capture_word(w, cand, b, normal, resent);
  }
  finish_batch(b, normal, resent);
  return b;
}

void MigrationSession::account(const Batch& b) {
  report_.bytes_first_pass += b.first_pass;
  report_.bytes_resent += b.resent;
  report_.bytes_framing += b.framing;
  report_.pages_sent += b.pages;
  report_.pages_zero += b.zero_pages;
  report_.pages_skipped += b.skipped;
  report_.pages_matched += b.matched;
  report_.bytes_hash += b.hash_bytes;
  RoundRecord& r = round();
  r.pages_sent += b.pages;
  r.pages_zero += b.zero_pages;
  r.pages_skipped += b.skipped;
  r.bytes += b.bytes() + b.hash_bytes;
}

MigrationSession::Stream& MigrationSession::pick_stream() {
  const std::size_t n = streams_.size();
  if (n == 1) return streams_[0];
  // The first idle stream from the one after the last used (round robin), else the least loaded.
  std::size_t best = next_stream_ % n;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_stream_ + k) % n;
    if (streams_[i].leaving.size() < streams_[best].leaving.size()) best = i;
    if (streams_[best].leaving.empty()) break;
  }
  next_stream_ = best + 1;
  return streams_[best];
}

bool MigrationSession::stream_free() const {
  for (const Stream& st : streams_)
    if (st.leaving.empty()) return true;
  return false;
}

bool MigrationSession::streams_idle() const {
  for (const Stream& st : streams_)
    if (!st.leaving.empty()) return false;
  return true;
}

bool MigrationSession::in_flight() const {
  for (const Stream& st : streams_) {
    if (!st.landing.empty()) return true;
    for (std::size_t i = 0; i < st.leaving.size(); ++i)
      if (st.leaving[i].has_pages) return true;
  }
  return false;
}

MigrationSession::Sent MigrationSession::transmit(const Batch& b, BitRate cap) {
  const net::Channel& ch = ctx_.channel;
  const BitRate rate = cap.bps() > 0 ? std::min(cap, ch.goodput()) : ch.goodput();
  send_rate_ = rate;  // what the encoder's adaptive policy plans the next batch with
  const auto n = static_cast<std::int64_t>(streams_.size());
  BitRate stream_cap = cap;
  if (cap.bps() > 0 && n > 1)
    stream_cap = BitRate::bits_per_second(std::max<std::int64_t>(1, cap.bps() / n));
  if (b.cpu.count_ns() > 0 && b.bytes().count() > 0 && b.cpu > rate.time_for(b.bytes())) {
    // Compression and decompression are pipelined with the wire: the batch takes the longest of
    // the three, so a CPU-bound codec lowers the sending rate.
    const BitRate cpu_rate = BitRate::bits_per_second(std::max<std::int64_t>(
        1, static_cast<std::int64_t>(static_cast<double>(b.bytes().count()) * 8e9 /
                                     static_cast<double>(b.cpu.count_ns()))));
    stream_cap = stream_cap.bps() > 0 ? std::min(stream_cap, cpu_rate) : cpu_rate;
  }
  Stream& st = pick_stream();
  InFlight& f = st.leaving.push_slot();  // its page list and map entries are empty
  f.queued_at = now();
  f.bytes = b.bytes();
  f.ticket = ++tickets_;
  f.has_pages = !taken_.empty();
  if (f.has_pages) {
    std::swap(f.words, taken_);  // the batch's pages travel; taken_ gets the slot's empty buffer
    if (map_sink_ != nullptr) std::swap(f.mapped, mapped_taken_);
  }
  // A compared batch waits for the hash exchange: the stream carries nothing of it meanwhile.
  st.flow->push(b.bytes(), stream_cap, b.exchange, &departed, &st);
  return Sent{this, tickets_};
}

void MigrationSession::departed(void* stream) {
  auto& st = *static_cast<Stream*>(stream);
  MigrationSession& s = *st.session;
  InFlight& f = st.leaving.front();
  const Duration took = s.now() - f.queued_at;
  if (s.streams_.size() == 1) {
    // One stream: the rate of its latest batch (divided out when asked for).
    if (took.count_ns() > 0) {
      s.last_batch_bytes_ = f.bytes.count();
      s.last_batch_ns_ = took.count_ns();
    }
  } else {
    // Several: the bytes all streams sent over a window of at least 100 ms (QEMU measures its
    // bandwidth over each iteration of at least BUFFER_DELAY = 100 ms).
    s.window_bytes_ += f.bytes.count();
    const Duration span = s.now() - s.window_start_;
    if (span >= Duration::ms(100)) {
      s.measured_bps_ =
          static_cast<double>(s.window_bytes_) * 8e9 / static_cast<double>(span.count_ns());
      s.window_bytes_ = 0;
      s.window_start_ = s.now();
    }
  }
  const std::uint64_t ticket = f.ticket;
  if (f.has_pages) {
    // The pages land one latency after the last byte leaves; a stream's batches arrive in order.
    InFlight& l = st.landing.push_slot();
    std::swap(l.words, f.words);  // f keeps l's empty buffers for a later batch
    std::swap(l.mapped, f.mapped);
    s.ctx_.sim.schedule(s.now() + st.flow->latency(), sim::Band::kNormal, &arrive_front, &st);
  }
  st.leaving.pop_front();
  if (s.sender_ && (ticket == s.sender_ticket_ || (s.streams_.size() > 1 && s.stream_free())))
    std::exchange(s.sender_, {}).resume();
  else if (s.drainer_ && s.streams_idle())
    std::exchange(s.drainer_, {}).resume();
}

void MigrationSession::arrive_front(void* stream) {
  auto& st = *static_cast<Stream*>(stream);
  MigrationSession* s = st.session;
  // Take the batch's lists out (the slot keeps the previous batch's emptied buffers), so what
  // placing the pages sets off cannot disturb them.
  std::vector<std::pair<std::uint64_t, Word>>& words = s->arriving_;
  std::vector<Mapped>& mapped = s->arriving_mapped_;
  std::swap(words, st.landing.front().words);
  std::swap(mapped, st.landing.front().mapped);
  st.landing.pop_front();
  vm::GuestMemory& mem = s->memory();
  // At the destination, a memoryless guest's accesses up to now happened before these pages
  // were there: apply them first. A deterministic guest needs nothing: its accesses up to its
  // next miss touch only pages held when that miss was computed, never these.
  if (mem.side() == vm::Side::kDestination && s->ctx_.guest.activity().memoryless())
    s->sync_guest();
  if (mapped.empty()) {
    for (const auto& [w, mask] : words) mem.arrive(w, mask);
  } else {
    // Map entries are not content: their pages stay in flight until the sink has read them.
    std::size_t i = 0;
    for (const auto& [w, mask] : words) {
      Word entries = 0;
      // In capture order; a word taken twice in one batch (a scan that wrapped) has disjoint
      // masks, so the intersection tells which take an entry belongs to.
      if (i < mapped.size() && mapped[i].w == w && (mapped[i].mask & mask) != 0)
        entries = mapped[i++].mask;
      if (mask & ~entries) mem.arrive(w, mask & ~entries);
    }
    for (const Mapped& m : mapped) s->map_sink_->map_arrived(m.w, m.mask, m.next);
  }
  words.clear();
  mapped.clear();
  s->notify_arrival();
  if (s->landed_.waiting() > 0 && !s->in_flight()) s->landed_.notify();
}

sim::Task<void> MigrationSession::landed() {
  while (in_flight()) co_await landed_.wait();
}

void MigrationSession::notify_arrival() {
  const std::uint64_t watch = arrival_watch_;
  const vm::GuestMemory& mem = memory();
  if (arrival_wake_ != nullptr &&
      (watch == kAnyArrival ||
       (watch == kLastArrival ? mem.missing_count() == 0 : mem.held(watch))))
    arrival_wake_->poke();
}

void MigrationSession::land(std::uint64_t w, Word mask) {
  vm::GuestMemory& mem = memory();
  if (mem.side() == vm::Side::kDestination && ctx_.guest.activity().memoryless()) sync_guest();
  mem.arrive(w, mask);
  notify_arrival();
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
  if (const double bps = measured_bps(); bps > 0.0)
    r.expected_downtime = Duration::ns(
        static_cast<std::int64_t>(static_cast<double>(pending_bytes().count()) * 8e9 / bps));
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
  co_await drain();  // several streams: the copy ends when the last packet has left
  close_round();
  report_.downtime_final_copy = now() - start;
}

sim::Task<void> MigrationSession::transfer_state_and_resume(Bytes metadata, bool at_destination) {
  const Duration start = now();
  const Bytes state = ctx_.host.state_size + metadata;
  report_.bytes_state += state;
  // The state goes on the main stream once every stream has sent its pages (QEMU's multifd
  // sync before the device state); one stream keeps them in order by itself.
  if (streams_.size() > 1) co_await drain();
  net::Flow& main = ctx_.channel.to_destination();
  if (state.count() > 0) co_await main.send(state);
  co_await ctx_.sim.sleep(main.latency());
  report_.downtime_state = now() - start;
  co_await ctx_.sim.sleep(ctx_.host.resume_time);
  report_.downtime_resume = ctx_.host.resume_time;
  report_.downtime = now() - downtime_start_;
  report_.switch_time = elapsed();
  if (at_destination) {
    // The destination drops what the pending bitmap names: those pages come again.
    for (std::uint64_t w = pending_.next_nonzero_word(0); w < pending_.word_count();
         w = pending_.next_nonzero_word(w + 1))
      memory().discard(w, pending_.word(w));
    memory().run_at(vm::Side::kDestination);
    report_.resumed_before_complete = true;
    ctx_.guest.resume(now());
  }
}

void MigrationSession::finish() {
  if (in_flight()) throw std::logic_error("migration ended with pages still in flight");
  if (pending_count_ != 0)
    throw std::logic_error("migration ended with " + std::to_string(pending_count_) +
                           " pages still pending");
  sync_guest();
  report_.start = start_;
  report_.total_time = elapsed();
  report_.guest_work = ctx_.guest.guest_time() - guest_time_at_start_;
  const vm::GuestMemory& mem = memory();
  if (mem.access_violations() != 0)
    throw std::logic_error("the guest touched " + std::to_string(mem.access_violations()) +
                           " pages its host did not hold");
  if (mem.tracks_stale() && mem.stale_count() != 0)
    throw std::logic_error("destination is stale: " + std::to_string(mem.stale_count()) +
                           " pages do not hold their latest version at the end (first: page " +
                           std::to_string(mem.first_stale_page()) + ")");
}

}  // namespace migsim::migration
