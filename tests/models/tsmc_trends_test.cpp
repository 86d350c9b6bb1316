// Three-stage copy (TSMC, Song et al. 2014) against Xen legacy pre-copy on the paper's setup, in
// the two memtester regimes calibrated in scenarios/default-suite/ (seed-papers.md section 6):
// total time lower at every VM size and by 20-50% on average (paper: -36.2% low, -44.1% high),
// bytes lower in the low regime (paper: -22%), and TSMC's downtime below pre-copy's at 128 MiB
// and above it at 1024 MiB (paper section 4.1). Runs the shipped files as they are, so the
// calibration the default suite shows is the one tested.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "scenarios/batch.h"
#include "tests/support.h"

using namespace migsim;

namespace {

struct Means {
  double time = 0, bytes = 0, downtime = 0;
  int n = 0;
};

// Mean total time, bytes and downtime per (algorithm, VM memory) over the file's replications.
std::map<std::pair<std::string, std::string>, Means> run_regime(const std::string& name) {
  const auto points = scenarios::load_scenario(std::string(MIGSIM_SOURCE_DIR) +
                                               "/scenarios/default-suite/" + name + ".yaml");
  std::map<std::pair<std::string, std::string>, Means> out;
  for (const auto& p : points) {
    REQUIRE(p.replications == 5);
    std::string memory;
    for (const auto& [path, value] : p.sweep_values)
      if (path == "vm.memory") memory = value;
    Means& m = out[{p.algorithm, memory}];
    for (std::int64_t rep = 0; rep < p.replications; ++rep) {
      const test::Json r = scenarios::run_point(p, rep);
      m.time += r["metrics"]["total_time_s"].get<double>();
      m.bytes += r["metrics"]["bytes_total"].get<double>();
      m.downtime += r["metrics"]["downtime_s"].get<double>();
      ++m.n;
    }
  }
  for (auto& [key, m] : out) {
    m.time /= m.n;
    m.bytes /= m.n;
    m.downtime /= m.n;
  }
  return out;
}

const std::vector<std::string> kSizes{"128MiB", "256MiB", "512MiB", "1024MiB"};

// Average over VM sizes of 1 - three_stage / pre_copy for one metric.
template <class F>
double mean_cut(const std::map<std::pair<std::string, std::string>, Means>& m, F metric) {
  double sum = 0;
  for (const auto& size : kSizes)
    sum += 1.0 - metric(m.at({"three_stage", size})) / metric(m.at({"pre_copy", size}));
  return sum / static_cast<double>(kSizes.size());
}

}  // namespace

TEST_CASE("TSMC: three-stage copy cuts total time at every size in both memtester regimes",
          "[three_stage][paper]") {
  for (const std::string regime : {"tsmc-low-dirty", "tsmc-high-dirty"}) {
    INFO(regime);
    const auto m = run_regime(regime);
    for (const auto& size : kSizes) {
      INFO(size);
      CHECK(m.at({"three_stage", size}).time < m.at({"pre_copy", size}).time);
    }
    const double cut = mean_cut(m, [](const Means& x) { return x.time; });
    INFO("mean cut in total time " << cut);
    CHECK(cut >= 0.20);
    CHECK(cut <= 0.50);
  }
}

TEST_CASE("TSMC, low dirty rate: fewer bytes, and a downtime that grows past pre-copy's",
          "[three_stage][paper]") {
  const auto m = run_regime("tsmc-low-dirty");
  for (const auto& size : kSizes) {
    INFO(size);
    CHECK(m.at({"three_stage", size}).bytes < m.at({"pre_copy", size}).bytes);
  }
  CHECK(mean_cut(m, [](const Means& x) { return x.bytes; }) > 0.0);
  // Pre-copy's downtime is flat across sizes; TSMC's grows with the pages dirtied in stage 1.
  const auto down = [&](const char* alg, const std::string& size) {
    return m.at({alg, size}).downtime;
  };
  CHECK(down("three_stage", "128MiB") < down("pre_copy", "128MiB"));
  CHECK(down("three_stage", "1024MiB") > down("pre_copy", "1024MiB"));
  CHECK(down("three_stage", "1024MiB") > 1.5 * down("three_stage", "128MiB"));
  CHECK(down("pre_copy", "1024MiB") < 1.5 * down("pre_copy", "128MiB"));
  CHECK(down("pre_copy", "128MiB") < 1.5 * down("pre_copy", "1024MiB"));
}
