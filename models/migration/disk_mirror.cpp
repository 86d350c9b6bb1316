#include "models/migration/disk_mirror.h"

#include <algorithm>
#include <cmath>

namespace migsim::migration {

DiskMirror::DiskMirror(MigrationContext& ctx, storage::VirtualDisk& disk,
                       const MirrorParams& params)
    : ctx_(ctx), disk_(disk), p_(params), sync_(params.mirror == "sync"), progress_(ctx.sim) {}

DiskMirror::~DiskMirror() {
  stop_guest_io();
}

void DiskMirror::start_guest_io() {
  if (ticking_ || disk_.params().write_rate.bps() == 0) return;
  ticking_ = true;
  tick_event_ = ctx_.sim.schedule(ctx_.sim.now() + p_.io_tick, sim::Band::kNormal, &on_tick, this);
}

void DiskMirror::stop_guest_io() {
  if (!ticking_) return;
  ctx_.sim.cancel(tick_event_);
  ticking_ = false;
}

void DiskMirror::on_tick(void* self) {
  auto* m = static_cast<DiskMirror*>(self);
  m->tick_event_ =
      m->ctx_.sim.schedule(m->ctx_.sim.now() + m->p_.io_tick, sim::Band::kNormal, &on_tick, m);
  if (m->ctx_.guest.running()) m->io_tick();
}

void DiskMirror::io_tick() {
  const storage::DiskParams& d = disk_.params();
  const double tick_s = p_.io_tick.seconds();
  const auto size = static_cast<double>(d.write_size.count());
  carry_ += static_cast<double>(d.write_rate.bps()) / 8.0 * tick_s;
  const auto wanted = static_cast<std::uint64_t>(carry_ / size);
  if (wanted == 0) return;
  carry_ -= static_cast<double>(wanted) * size;
  // A mirrored write in sync mode waits for the destination: the round trip and its own
  // transfer time on top of the local write.
  const net::Channel& ch = ctx_.channel;
  const double remote_s = (ch.latency() + ch.return_latency()).seconds() +
                          size * 8.0 / static_cast<double>(ch.goodput().bps());
  const double local_s = d.write_latency.seconds();
  // The guest keeps io_depth writes outstanding: in one tick it has io_depth x tick of write
  // time to spend.
  const double budget_s = static_cast<double>(d.io_depth) * tick_s;
  // The mirror's share of the streams for this tick (what one tick left unused carries over,
  // up to one tick more).
  const double share = p_.mirror_share * static_cast<double>(ch.goodput().bps()) / 8.0 * tick_s;
  mirror_budget_ = std::min(mirror_budget_ + share, 2 * share);
  double used_s = 0.0;
  Transfer mirrored{this, {}, {}, 0, true, nullptr};
  // A tick draws at most kMaxDraws writes; beyond that each draw stands for `weight` writes to
  // the same block (what changes is that the block was written, so the cost follows blocks).
  constexpr std::uint64_t kMaxDraws = 4096;
  const std::uint64_t draws = std::min(wanted, kMaxDraws);
  const double weight = static_cast<double>(wanted) / static_cast<double>(draws);
  const auto bytes = static_cast<std::int64_t>(std::llround(size * weight));
  std::uint64_t drawn = 0;
  for (; drawn < draws; ++drawn) {
    const std::uint64_t block = disk_.draw_block();
    const bool mirror = block < cursor_;
    const double latency = local_s + (mirror && sync_ ? remote_s : 0.0);
    if (used_s + latency * weight > budget_s && drawn > 0) break;  // the guest's queue is full
    if (mirror && !sync_ && mirror_outstanding_ + mirrored.bytes + bytes > p_.mirror_queue.count())
      break;  // the async mirror is full: the guest's writes wait (I/O throttling)
    if (mirror && static_cast<double>(mirrored.bytes + bytes) > mirror_budget_ &&
        mirrored.bytes > 0)
      break;  // the mirror has used its share of the streams: the writes wait
    used_s += latency * weight;
    latency_sum_s_ += latency * weight;
    const std::uint32_t version = disk_.write(block);
    if (mirror) {
      mirrored.blocks.emplace_back(block, version);
      mirrored.bytes += bytes;
    }
  }
  const double done = static_cast<double>(drawn) * weight;
  writes_ += done;
  throttled_ns_ += static_cast<double>(p_.io_tick.count_ns()) *
                   (static_cast<double>(wanted) - done) / static_cast<double>(wanted);
  if (mirrored.bytes > 0) {
    mirror_budget_ -= static_cast<double>(mirrored.bytes);
    mirror_outstanding_ += mirrored.bytes;
    lag_max_ = std::max(lag_max_, mirror_outstanding_);
    send(std::move(mirrored));
  }
}

void DiskMirror::send(Transfer t) {
  net::Channel& ch = ctx_.channel;
  net::Flow& flow = ch.stream(next_stream_++ % ch.streams());
  const std::int64_t bytes = t.bytes;
  const bool copy = !t.mirror;
  in_flight_.push_back(std::move(t));
  Transfer& placed = in_flight_.back();
  placed.at = std::prev(in_flight_.end());
  placed.flow = &flow;
  placed.seq = ++sent_;
  bytes_ += bytes;
  if (copy) {
    ++copies_leaving_;
    ++copies_landing_;
  }
  // The bulk copy reads the source disk as it sends: no faster than the disk's copy rate.
  const BitRate cap =
      copy ? BitRate::bits_per_second(std::max<std::int64_t>(
                 1, disk_.params().copy_rate.bps() / static_cast<std::int64_t>(ch.streams())))
           : BitRate{};
  flow.push(Bytes{bytes}, cap, Duration{}, &on_departed, &placed);
}

void DiskMirror::on_departed(void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  DiskMirror* m = t->self;
  if (!t->mirror) --m->copies_leaving_;
  m->ctx_.sim.schedule(m->ctx_.sim.now() + t->flow->latency(), sim::Band::kNormal, &on_landed, t);
  m->progress_.notify();
}

void DiskMirror::on_landed(void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  DiskMirror* m = t->self;
  for (const auto& [block, version] : t->blocks) m->disk_.arrive(block, version);
  if (t->mirror)
    m->mirror_outstanding_ -= t->bytes;
  else
    --m->copies_landing_;
  m->in_flight_.erase(t->at);
  m->progress_.notify();
}

sim::Task<void> DiskMirror::bulk_copy() {
  const Duration start = ctx_.sim.now();
  const storage::DiskParams& d = disk_.params();
  const std::uint64_t blocks = disk_.blocks();
  // Two blocks per stream in flight: one on the wire, one queued behind it.
  const std::size_t window = 2 * ctx_.channel.streams();
  while (cursor_ < blocks) {
    while (copies_leaving_ >= window) co_await progress_.wait();
    const std::uint64_t block = cursor_++;
    const std::int64_t bytes =
        std::min(d.block_size.count(),
                 d.size.count() - static_cast<std::int64_t>(block) * d.block_size.count());
    send(Transfer{this, {}, {{block, disk_.version(block)}}, bytes, false, nullptr});
  }
  // The mirror goes on meanwhile; only the copies need to have landed.
  while (copies_landing_ > 0) co_await progress_.wait();
  copy_time_ = ctx_.sim.now() - start;
}

sim::Task<void> DiskMirror::landed() {
  // The list is in sending order: what was sent by now has landed when the oldest transfer
  // still in flight came later.
  const std::uint64_t target = sent_;
  while (!in_flight_.empty() && in_flight_.front().seq <= target) co_await progress_.wait();
}

}  // namespace migsim::migration
