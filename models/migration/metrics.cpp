#include "models/migration/metrics.h"

#include <algorithm>

namespace migsim::migration {
namespace {

double seconds(Duration d) {
  return d.seconds();
}
std::uint64_t live_rounds(const MigrationReport& r) {
  return static_cast<std::uint64_t>(std::count_if(
      r.rounds.begin(), r.rounds.end(), [](const auto& x) { return !x.final && !x.post_switch; }));
}
double total_s(const MetricInputs& in) {
  return seconds(in.report.total_time);
}

// The algorithms whose guest runs at the destination before every page is there.
const std::vector<std::string_view> kResumeEarly = {"three_stage", "post_copy", "hybrid",
                                                    "storage_assisted"};

std::vector<double> downtimes_of(const BatchInputs& in) {
  std::vector<double> d;
  for (const MigrationReport* r : in.reports) d.push_back(seconds(r->downtime));
  return d;
}

}  // namespace

bool MetricDecl::applies_to(std::string_view algorithm) const {
  return algorithms.empty() ||
         std::find(algorithms.begin(), algorithms.end(), algorithm) != algorithms.end();
}

const std::vector<MetricDecl>& metric_decls() {
  using In = const MetricInputs&;
  using V = Metric::Value;
  static const std::vector<MetricDecl> decls = {
      {"total_time_s",
       "s",
       "Total migration time",
       "migration start until the destination holds every page and runs (QEMU total-time)",
       {},
       [](In in) -> V { return total_s(in); },
       {"s", 1.0, 3, true, true}},
      {"start_s",
       "s",
       "Start",
       "simulated time the migration started at: 0 for a single migration, later for a VM a "
       "schedule queued (it ends at start_s + total_time_s)",
       {},
       [](In in) -> V { return seconds(in.report.start); }},
      {"switch_time_s",
       "s",
       "Switch time",
       "migration start until the guest runs at the destination (= total time unless pages "
       "still arrive after the resume: post-copy family, storage loads in the background)",
       {},
       [](In in) -> V { return seconds(in.report.switch_time); }},
      {"downtime_s",
       "s",
       "Downtime",
       "guest paused from suspend at the source to resume at the destination (QEMU downtime)",
       {},
       [](In in) -> V { return seconds(in.report.downtime); },
       {"ms", 1e3, 1, true, true}},
      {"downtime_suspend_s",
       "s",
       "Suspend",
       "downtime part: suspending the guest",
       {},
       [](In in) -> V { return seconds(in.report.downtime_suspend); }},
      {"downtime_final_copy_s",
       "s",
       "Final copy",
       "downtime part: the last dirty-log fetch and the pages still pending",
       {},
       [](In in) -> V { return seconds(in.report.downtime_final_copy); }},
      {"downtime_state_s",
       "s",
       "State transfer",
       "downtime part: device/vCPU state (and a post-copy bitmap) and the last byte's latency",
       {},
       [](In in) -> V { return seconds(in.report.downtime_state); }},
      {"downtime_resume_s",
       "s",
       "Resume",
       "downtime part: resuming at the destination",
       {},
       [](In in) -> V { return seconds(in.report.downtime_resume); }},
      {"bytes_total",
       "bytes",
       "Data transferred",
       "every byte the migration put on the wire, both directions (QEMU transferred + return "
       "path)",
       {},
       [](In in) -> V { return in.report.bytes_total().count(); },
       {"MiB", 1.0 / 1048576.0, 1, true, true}},
      {"bytes_first_pass",
       "bytes",
       "First-pass payload",
       "page payload sent for the first time",
       {},
       [](In in) -> V { return in.report.bytes_first_pass.count(); }},
      {"bytes_resent",
       "bytes",
       "Re-sent payload",
       "page payload of pages sent before",
       {},
       [](In in) -> V { return in.report.bytes_resent.count(); }},
      {"bytes_framing",
       "bytes",
       "Framing",
       "page and batch headers, zero-page records",
       {},
       [](In in) -> V { return in.report.bytes_framing.count(); }},
      {"bytes_state",
       "bytes",
       "State",
       "device/vCPU state and switch-over metadata (a post-copy algorithm's bitmap)",
       {},
       [](In in) -> V { return in.report.bytes_state.count(); }},
      {"transfer_ratio",
       "ratio",
       "Transfer ratio",
       "bytes_total / guest memory",
       {},
       [](In in) -> V {
         return static_cast<double>(in.report.bytes_total().count()) /
                static_cast<double>(in.memory.memory().count());
       }},
      {"pages_sent",
       "pages",
       "Pages sent",
       "pages sent, every time each was sent (QEMU normal + "
       "duplicate)",
       {},
       [](In in) -> V { return in.report.pages_sent; }},
      {"pages_zero",
       "pages",
       "Zero pages",
       "pages sent as zero-page records (QEMU duplicate)",
       {},
       [](In in) -> V { return in.report.pages_zero; }},
      {"pages_skipped",
       "pages",
       "Pages skipped",
       "pending pages skipped because dirtied again (Xen legacy to_skip)",
       {},
       [](In in) -> V { return in.report.pages_skipped; }},
      {"guest_pages",
       "pages",
       "Guest pages",
       "the guest's pages",
       {},
       [](In in) -> V { return in.memory.pages(); }},
      {"zero_pages_at_start",
       "pages",
       "Zero pages at start",
       "all-zero pages when the migration started",
       {},
       [](In in) -> V { return in.memory.zero_pages_at_start(); }},
      {"rounds",
       "count",
       "Rounds",
       "round records: live rounds, the final round, post-switch "
       "push intervals",
       {},
       [](In in) -> V { return static_cast<std::uint64_t>(in.report.rounds.size()); },
       {"", 1.0, 1, true, false}},
      {"live_rounds",
       "count",
       "Live rounds",
       "rounds sent while the guest ran at the source",
       {},
       [](In in) -> V { return static_cast<std::int64_t>(live_rounds(in.report)); }},
      {"dirty_sync_count",
       "count",
       "Dirty-log syncs",
       "dirty-log fetches, the one enabling logging included (QEMU dirty-sync-count)",
       {},
       [](In in) -> V { return in.report.dirty_syncs; }},
      {"mbps",
       "Mbit/s",
       "Throughput",
       "bytes_total x 8 / total_time_s (QEMU mbps)",
       {},
       [](In in) -> V {
         const double t = total_s(in);
         return t > 0 ? static_cast<double>(in.report.bytes_total().count()) * 8.0 / t / 1e6 : 0.0;
       }},
      {"expected_downtime_s",
       "s",
       "Expected downtime",
       "the last live round's pending bytes / measured bandwidth (QEMU expected-downtime)",
       {},
       [](In in) -> V {
         Duration d{};
         for (const auto& r : in.report.rounds)
           if (!r.final && !r.post_switch) d = r.expected_downtime;
         return seconds(d);
       }},
      {"stop_reason",
       "text",
       "Stop reason",
       "which rule ended the live phase",
       {},
       [](In in) -> V { return to_string(in.report.stop_reason); }},
      {"stale_pages",
       "pages",
       "Stale pages",
       "pages the destination lacks the latest version of at the end (0 in a correct run; null "
       "when not tracked)",
       {},
       [](In in) -> V {
         return in.memory.tracks_stale() ? V(in.memory.stale_count()) : V(nullptr);
       }},
      {"guest_work_s",
       "s",
       "Guest work",
       "guest time actually run from migration start to its end: total_time_s - guest_work_s "
       "is what the application lost (log-fetch pauses, downtime, stalls)",
       {},
       [](In in) -> V { return seconds(in.report.guest_work); }},
      {"faults", "count", "Faults",
       "guest accesses at the destination that stalled on a missing page (QEMU "
       "postcopy-requests)",
       kResumeEarly, [](In in) -> V { return in.report.faults; }},
      {"pages_demand", "pages", "Demand pages", "faulted pages sent on request", kResumeEarly,
       [](In in) -> V { return in.report.pages_demand; }},
      {"pages_prepulled", "pages", "Prepulled pages",
       "pending neighbours sent with faulted pages (TSMC prepull, post-copy pre-paging)",
       kResumeEarly, [](In in) -> V { return in.report.pages_prepulled; }},
      {"pages_pushed", "pages", "Pushed pages",
       "pages the source pushed in the background after the switch", kResumeEarly,
       [](In in) -> V { return in.report.pages_pushed; }},
      {"guest_stall_s",
       "s",
       "Guest stall",
       "vCPU time blocked on missing pages",
       kResumeEarly,
       [](In in) -> V { return seconds(in.report.guest_stall); },
       {"ms", 1e3, 1, true, true}},
      {"post_switch_s", "s", "Post-switch phase",
       "resume at the destination until every page is current (0: the pre-copy converged)",
       kResumeEarly, [](In in) -> V { return seconds(in.report.post_switch); }},
      {"bytes_request", "bytes", "Request bytes", "page requests, destination to source",
       kResumeEarly, [](In in) -> V { return in.report.bytes_request.count(); }},
      {"hot_pages_final",
       "pages",
       "Hot pages",
       "pages held back for the final round when it began",
       {"improved_pre_copy"},
       [](In in) -> V { return in.report.hot_pages_final; }},
      {"bytes_before_compression",
       "bytes",
       "Bytes before compression",
       "page bytes that went through a compressor (compression block), before it; 0 when "
       "nothing was compressed",
       {},
       [](In in) -> V { return in.report.bytes_before_compression.count(); }},
      {"cpu_compress_s",
       "s",
       "Compression CPU",
       "CPU seconds the source spent compressing pages, over all its migration cores",
       {},
       [](In in) -> V { return in.report.cpu_compress_s; }},
      {"bytes_storage",
       "bytes",
       "Storage bytes",
       "bytes the destination read from shared storage instead of receiving them (not in "
       "bytes_total, which counts the migration network)",
       {"storage_assisted"},
       [](In in) -> V { return in.report.bytes_storage.count(); },
       {"MiB", 1.0 / 1048576.0, 1, true, true}},
      {"pages_from_storage",
       "pages",
       "Pages from storage",
       "pages the destination loaded from shared storage (map entries sent instead)",
       {"storage_assisted"},
       [](In in) -> V { return in.report.pages_from_storage; }},
      {"storage_requests",
       "count",
       "Storage requests",
       "read requests the destination issued to shared storage (runs of consecutive blocks)",
       {"storage_assisted"},
       [](In in) -> V { return in.report.storage_requests; }},
      {"bytes_hash",
       "bytes",
       "Hash bytes",
       "page hashes sent to the destination and its answers (included in bytes_total)",
       {"memory_compare"},
       [](In in) -> V { return in.report.bytes_hash.count(); }},
      {"pages_matched",
       "pages",
       "Pages matched",
       "pages whose hash matched the destination's copy: not sent",
       {"memory_compare"},
       [](In in) -> V { return in.report.pages_matched; },
       {"", 1.0, 0, true, false}},
      {"bytes_disk",
       "bytes",
       "Disk bytes",
       "the disk's bulk copy and mirrored guest writes (included in bytes_total)",
       {"xvmotion"},
       [](In in) -> V { return in.report.bytes_disk.count(); },
       {"MiB", 1.0 / (1024 * 1024), 1, false, false}},
      {"disk_copy_s",
       "s",
       "Disk copy",
       "the disk's bulk copy, from its first block to the last one landing",
       {"xvmotion"},
       [](In in) -> V { return seconds(in.report.disk_copy); }},
      {"mirror_lag_max_bytes",
       "bytes",
       "Mirror lag",
       "most guest-write bytes the I/O mirror had outstanding to the destination at once",
       {"xvmotion"},
       [](In in) -> V { return in.report.mirror_lag_max.count(); }},
      {"guest_io_throttled_s",
       "s",
       "I/O throttled",
       "time the guest's disk writes ran below their rate: its write queue full of slow "
       "(synchronously mirrored) writes, or the asynchronous mirror's queue full",
       {"xvmotion"},
       [](In in) -> V { return seconds(in.report.guest_io_throttled); }},
      {"vcpu_throttled_s",
       "s",
       "vCPU throttled",
       "vCPU time SDPS (stun during page send) took from the guest to make pre-copy converge",
       {"xvmotion"},
       [](In in) -> V { return seconds(in.report.vcpu_throttled); }},
      {"disk_write_latency_s",
       "s",
       "Write latency",
       "mean latency of the guest's disk writes during the migration (a synchronous mirror "
       "adds the round trip to mirrored writes)",
       {"xvmotion"},
       [](In in) -> V { return in.report.disk_write_latency_s; }},
      {"stale_blocks",
       "count",
       "Stale blocks",
       "disk blocks older at the destination than at the source at the end (must be 0)",
       {"xvmotion"},
       [](In in) -> V { return in.report.stale_blocks; }},
      {"sim_events",
       "count",
       "Events",
       "simulation events processed (a cost measure)",
       {},
       [](In in) -> V { return in.sim_events; }},
  };
  return decls;
}

const std::vector<BatchMetricDecl>& batch_metric_decls() {
  using In = const BatchInputs&;
  using V = Metric::Value;
  static const std::vector<BatchMetricDecl> decls = {
      {"makespan_s",
       "s",
       "Makespan",
       "start of the simulation until the last migration ends",
       [](In in) -> V {
         Duration end{};
         for (const MigrationReport* r : in.reports) end = std::max(end, r->start + r->total_time);
         return seconds(end);
       },
       {"s", 1.0, 3, true, false}},
      {"migrations", "count", "Migrations", "VMs migrated",
       [](In in) -> V { return static_cast<std::uint64_t>(in.reports.size()); }},
      {"downtime_sum_s",
       "s",
       "Downtime sum",
       "sum of the VMs' downtimes",
       [](In in) -> V {
         double sum = 0.0;
         for (double d : downtimes_of(in)) sum += d;
         return sum;
       },
       {"ms", 1e3, 1, false, false}},
      {"downtime_max_s",
       "s",
       "Max downtime",
       "longest downtime of any VM",
       [](In in) -> V {
         double m = 0.0;
         for (double d : downtimes_of(in)) m = std::max(m, d);
         return m;
       },
       {"ms", 1e3, 1, true, false}},
      {"total_time_mean_s",
       "s",
       "Mean migration time",
       "mean of the VMs' total migration times (each from its own start)",
       [](In in) -> V {
         double sum = 0.0;
         for (const MigrationReport* r : in.reports) sum += seconds(r->total_time);
         return sum / static_cast<double>(in.reports.size());
       },
       {"s", 1.0, 3, true, false}},
      {"bytes_total",
       "bytes",
       "Bytes sent",
       "sum of the migrations' bytes (cross traffic not included)",
       [](In in) -> V {
         std::int64_t sum = 0;
         for (const MigrationReport* r : in.reports) sum += r->bytes_total().count();
         return sum;
       },
       {"MiB", 1.0 / (1024 * 1024), 1, false, false}},
      {"cross_traffic_bytes", "bytes", "Cross traffic",
       "bytes the scenario's cross traffic delivered",
       [](In in) -> V { return in.cross_traffic.count(); }},
      {"sim_events", "count", "Events", "simulation events processed (a cost measure)",
       [](In in) -> V { return in.sim_events; }},
  };
  return decls;
}

std::vector<Metric> measure_batch(const BatchInputs& in) {
  std::vector<Metric> out;
  for (const BatchMetricDecl& d : batch_metric_decls()) out.push_back(Metric{d.name, d.get(in)});
  return out;
}

std::vector<Metric> measure(std::string_view algorithm, const MetricInputs& in) {
  std::vector<Metric> out;
  for (const MetricDecl& d : metric_decls())
    if (d.applies_to(algorithm)) out.push_back(Metric{d.name, d.get(in)});
  return out;
}

}  // namespace migsim::migration
