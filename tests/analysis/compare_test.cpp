// migsim compare: records matched by scenario, point, replicate and VM; metrics against their
// tolerances; by point means with confidence intervals; exit 0, 1 or 2 from the command line.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "analysis/compare.h"
#include "scenarios/config_tree.h"
#include "tests/support.h"

using namespace migsim;
using analysis::CompareMode;
using analysis::Json;

namespace {

Json record(int point, int replicate, double downtime, const std::string& stop = "max_rounds",
            const std::string& memory = "1GiB") {
  Json r;
  r["scenario_name"] = "s";
  r["point_index"] = point;
  r["point"] = Json{{"vm.memory", memory}};
  r["replicate"] = replicate;
  r["scenario"] = Json{{"vm", {{"memory", memory}}}};
  r["metrics"] =
      Json{{"downtime_s", downtime}, {"stop_reason", stop}, {"sim_events", 100 + replicate}};
  return r;
}

void write_lines(const std::string& path, const std::vector<Json>& records) {
  std::ofstream out(path);
  for (const auto& r : records) out << r.dump() << "\n";
}

}  // namespace

TEST_CASE("compare flags a metric past its tolerance and nothing within it", "[compare]") {
  const std::vector<Json> base{record(0, 0, 0.100), record(0, 1, 0.200), record(1, 0, 0.300)};
  std::vector<Json> cur = base;
  analysis::Tolerances tol;  // exact by default
  auto c = analysis::compare(base, cur, tol, CompareMode::kReplicate);
  CHECK(c.records == 3);
  CHECK(c.values == 6);  // downtime and stop_reason; sim_events ignored by default
  CHECK(c.drifts.empty());

  cur[1]["metrics"]["downtime_s"] = 0.210;  // +5%
  cur[2]["metrics"]["sim_events"] = 999;    // ignored
  c = analysis::compare(base, cur, tol, CompareMode::kReplicate);
  REQUIRE(c.drifts.size() == 1);
  CHECK(c.drifts[0].metric == "downtime_s");
  CHECK(c.drifts[0].where.find("point 0") != std::string::npos);
  CHECK(c.drifts[0].where.find("replicate 1") != std::string::npos);

  tol.per_metric["downtime_s"] = {0.06, 0.0, false};  // 6% allowed
  CHECK(analysis::compare(base, cur, tol, CompareMode::kReplicate).drifts.empty());
  tol.per_metric["downtime_s"] = {0.0, 0.011, false};  // 11 ms allowed
  CHECK(analysis::compare(base, cur, tol, CompareMode::kReplicate).drifts.empty());
  tol.per_metric["downtime_s"] = {0.0, 0.009, false};
  CHECK(analysis::compare(base, cur, tol, CompareMode::kReplicate).drifts.size() == 1);

  cur = base;
  cur[0]["metrics"]["stop_reason"] = "downtime_limit";  // text: exact, whatever the tolerance
  tol.fallback = {1.0, 1.0, false};
  c = analysis::compare(base, cur, tol, CompareMode::kReplicate);
  REQUIRE(c.drifts.size() == 1);
  CHECK(c.drifts[0].metric == "stop_reason");
}

TEST_CASE("compare refuses records that do not describe the same runs", "[compare]") {
  const std::vector<Json> base{record(0, 0, 0.1), record(0, 1, 0.2)};
  analysis::Tolerances tol;
  std::vector<Json> missing{base[0]};
  CHECK_THROWS_AS(analysis::compare(base, missing, tol, CompareMode::kReplicate),
                  analysis::CompareInputError);
  CHECK_THROWS_AS(analysis::compare(missing, base, tol, CompareMode::kReplicate),
                  analysis::CompareInputError);
  std::vector<Json> other = base;
  other[1]["scenario"]["vm"]["memory"] = "2GiB";  // same point, another scenario
  CHECK_THROWS_WITH(analysis::compare(base, other, tol, CompareMode::kReplicate),
                    Catch::Contains("scenario.vm.memory"));
  std::vector<Json> twice{base[0], base[0]};
  CHECK_THROWS_AS(analysis::compare(twice, twice, tol, CompareMode::kReplicate),
                  analysis::CompareInputError);
}

TEST_CASE("compare by mean allows for the replicates' confidence intervals", "[compare]") {
  // Five replicates around 0.100 (sd 0.01): moving one by 5% moves the mean by 1%, well inside
  // the interval; shifting all of them by 10% is not.
  std::vector<Json> base;
  const double xs[] = {0.09, 0.10, 0.11, 0.095, 0.105};
  for (int i = 0; i < 5; ++i) base.push_back(record(0, i, xs[i]));
  analysis::Tolerances tol;
  std::vector<Json> cur = base;
  cur[2]["metrics"]["downtime_s"] = 0.11 * 1.05;
  CHECK(analysis::compare(base, cur, tol, CompareMode::kReplicate).drifts.size() == 1);
  const auto by_mean = analysis::compare(base, cur, tol, CompareMode::kMean);
  CHECK(by_mean.records == 1);
  CHECK(by_mean.drifts.empty());
  for (int i = 0; i < 5; ++i)
    cur[static_cast<std::size_t>(i)]["metrics"]["downtime_s"] = xs[i] + 0.02;
  CHECK(analysis::compare(base, cur, tol, CompareMode::kMean).drifts.size() == 1);
}

TEST_CASE("tolerance files are checked like scenario files", "[compare]") {
  const std::string dir = test::temp_dir("tolerances");
  std::filesystem::create_directories(dir);
  const std::string good = dir + "/good.yaml";
  std::ofstream(good) << "default: {relative: 0.01}\nmetrics:\n  downtime_s: {absolute: 0.002}\n"
                         "  sim_events: {ignore: true}\n";
  const auto t = analysis::load_tolerances(good);
  CHECK(t.fallback.relative == 0.01);
  CHECK(t.of("downtime_s").relative == 0.01);  // inherits the default
  CHECK(t.of("downtime_s").absolute == 0.002);
  CHECK(t.of("sim_events").ignore);
  const auto bad = [&](const std::string& text, const std::string& key, int line) {
    const std::string f = dir + "/bad.yaml";
    std::ofstream(f) << text;
    try {
      analysis::load_tolerances(f);
      FAIL("accepted: " << text);
    } catch (const scenarios::ScenarioError& e) {
      CHECK(e.key_path() == key);
      CHECK(e.line() == line);
    }
  };
  bad("metrics:\n  downtime: {relative: 0.1}\n", "metrics.downtime", 2);
  bad("default: {relative: -1}\n", "default.relative", 1);
  bad("default: {relativ: 1}\n", "default.relativ", 1);
  bad("defaults: {}\n", "defaults", 1);
  bad("metrics:\n  downtime_s: {ignore: maybe}\n", "metrics.downtime_s.ignore", 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("migsim compare exits 0 within tolerance and 1 on a planted drift and 2 on bad input",
          "[compare][cli]") {
  const std::string dir = test::temp_dir("compare");
  std::filesystem::create_directories(dir);
  const std::string scenario = dir + "/s.yaml";
  std::ofstream(scenario) << "vm: {memory: 64MiB}\nworkload: {type: uniform, rate: 5000/s}\n"
                             "host: {hypervisor: qemu}\nreplications: 2\n"
                             "sweep: {migration.algorithm: [pre_copy, post_copy]}\n";
  REQUIRE(test::run_cli("run " + scenario + " --out " + dir + "/a --quiet").exit_code == 0);
  REQUIRE(test::run_cli("run " + scenario + " --out " + dir + "/b --quiet").exit_code == 0);
  auto r = test::run_cli("compare " + dir + "/a " + dir + "/b/results.jsonl");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("4 records matched") != std::string::npos);

  // Plant a drift: the second record's total time 3% longer.
  std::vector<Json> records;
  {
    std::ifstream in(dir + "/b/results.jsonl");
    std::string line;
    while (std::getline(in, line)) records.push_back(Json::parse(line));
  }
  const double t = records[1]["metrics"]["total_time_s"].get<double>();
  records[1]["metrics"]["total_time_s"] = t * 1.03;
  write_lines(dir + "/drift.jsonl", records);
  r = test::run_cli("compare " + dir + "/a " + dir + "/drift.jsonl");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("total_time_s") != std::string::npos);
  CHECK(r.output.find("1 drifted") != std::string::npos);
  std::ofstream(dir + "/tol.yaml") << "metrics: {total_time_s: {relative: 0.05}}\n";
  CHECK(test::run_cli("compare " + dir + "/a " + dir + "/drift.jsonl --tolerances " + dir +
                      "/tol.yaml")
            .exit_code == 0);

  records.pop_back();
  write_lines(dir + "/short.jsonl", records);
  r = test::run_cli("compare " + dir + "/a " + dir + "/short.jsonl");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no record for") != std::string::npos);
  std::ofstream(dir + "/torn.jsonl") << records[0].dump() << "\n{\"metrics\": {\"total";
  r = test::run_cli("compare " + dir + "/a " + dir + "/torn.jsonl");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("torn.jsonl:2") != std::string::npos);
  CHECK(test::run_cli("compare " + dir + "/a").exit_code == 2);
  CHECK(test::run_cli("compare " + dir + "/a " + dir + "/nothing").exit_code == 2);
  CHECK(test::run_cli("compare " + dir + "/a " + dir + "/b --by median").exit_code == 2);
  std::filesystem::remove_all(dir);
}
