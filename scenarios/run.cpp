#include "scenarios/run.h"

#include "migsim_version.h"
#include "models/migration/algorithm.h"
#include "workloads/workload.h"

namespace migsim::scenarios {

const char* const kVersion = MIGSIM_VERSION;

namespace {

double seconds(sim::Duration d) {
  return d.seconds();
}

Json round_json(const migration::RoundRecord& r) {
  return Json{
      {"index", r.index},
      {"final", r.final},
      {"start_s", seconds(r.start)},
      {"duration_s", seconds(r.duration)},
      {"pages_sent", r.pages_sent},
      {"pages_skipped", r.pages_skipped},
      {"pages_zero", r.pages_zero},
      {"pages_dirtied", r.pages_dirtied},
      {"pages_pending", r.pages_pending},
      {"bytes", r.bytes.count()},
      {"mbps", r.bandwidth_bps / 1e6},
      {"expected_downtime_s", seconds(r.expected_downtime)},
  };
}

}  // namespace

Json run_point(const ScenarioPoint& point, std::int64_t replicate) {
  const auto seed = static_cast<std::uint64_t>(point.seed);
  const auto rep = static_cast<std::uint64_t>(replicate);

  sim::Simulation sim;
  vm::GuestMemory memory(point.vm, seed, rep);
  const workloads::WorkloadContext wctx{memory.pages(), memory.page_size(), seed, rep};
  auto activity = workloads::workloads().find(point.workload_type)->make(*point.workload, wctx);
  vm::Guest guest(memory, *activity);
  net::Link link(sim, point.link);
  migration::MigrationContext ctx{sim, guest, link, point.host};
  auto algorithm = migration::algorithms().find(point.algorithm)->make(*point.migration);
  const std::uint64_t zero_pages_at_start = memory.zero_page_count();

  migration::MigrationReport report;
  sim.spawn(algorithm->run(ctx, report));
  sim.run();

  const double total_s = seconds(report.total_time);
  const auto bytes_total = report.bytes_total().count();
  const auto live_rounds = std::count_if(report.rounds.begin(), report.rounds.end(),
                                         [](const auto& r) { return !r.final; });
  sim::Duration expected_downtime{};
  for (const auto& r : report.rounds)
    if (!r.final) expected_downtime = r.expected_downtime;

  Json metrics{
      {"total_time_s", total_s},
      {"downtime_s", seconds(report.downtime)},
      {"downtime_suspend_s", seconds(report.downtime_suspend)},
      {"downtime_final_copy_s", seconds(report.downtime_final_copy)},
      {"downtime_state_s", seconds(report.downtime_state)},
      {"downtime_resume_s", seconds(report.downtime_resume)},
      {"bytes_total", bytes_total},
      {"bytes_first_pass", report.bytes_first_pass.count()},
      {"bytes_resent", report.bytes_resent.count()},
      {"bytes_framing", report.bytes_framing.count()},
      {"bytes_state", report.bytes_state.count()},
      {"transfer_ratio",
       static_cast<double>(bytes_total) / static_cast<double>(memory.memory().count())},
      {"pages_sent", report.pages_sent},
      {"pages_zero", report.pages_zero},
      {"pages_skipped", report.pages_skipped},
      {"guest_pages", memory.pages()},
      {"zero_pages_at_start", zero_pages_at_start},
      {"rounds", report.rounds.size()},
      {"live_rounds", live_rounds},
      {"dirty_sync_count", report.dirty_syncs},
      {"mbps", total_s > 0 ? static_cast<double>(bytes_total) * 8.0 / total_s / 1e6 : 0.0},
      {"expected_downtime_s", seconds(expected_downtime)},
      {"stop_reason", migration::to_string(report.stop_reason)},
      {"stale_pages", memory.tracks_stale() ? Json(memory.stale_count()) : Json(nullptr)},
      {"sim_events", sim.events_processed()},
  };
  Json facts = Json::object();
  for (const auto& [name, value] : activity->facts()) facts[name] = value;

  Json point_json = Json::object();
  for (const auto& [path, value] : point.sweep_values) point_json[path] = value;
  Json rounds = Json::array();
  for (const auto& r : report.rounds) rounds.push_back(round_json(r));

  return Json{
      {"migsim_version", kVersion},
      {"scenario_file", point.file},
      {"scenario_name", point.name},
      {"point_index", point.index},
      {"point", point_json},
      {"replicate", replicate},
      {"seed", point.seed},
      {"scenario", point.resolved()},
      {"metrics", metrics},
      {"workload", facts},
      {"rounds", rounds},
  };
}

}  // namespace migsim::scenarios
