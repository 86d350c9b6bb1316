// The invariants every run record must satisfy, and a driver that checks them on random valid
// scenarios (tests/properties/scenario_generator.h).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "sim/limits.h"
#include "tests/properties/scenario_generator.h"
#include "tests/support.h"

using migsim::test::Json;

namespace migsim::test {

inline int scenario_count(int fallback) {
  if (const char* env = std::getenv("MIGSIM_PROPERTY_SCENARIOS")) return std::atoi(env);
  return fallback;
}

// Every number in the record is finite and not negative.
inline void check_numbers(const Json& j, const std::string& path) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) check_numbers(v, path + "." + k);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      check_numbers(j[i], path + "[" + std::to_string(i) + "]");
  } else if (j.is_number()) {
    INFO(path);
    const double v = j.get<double>();
    CHECK(std::isfinite(v));
    CHECK(v >= 0.0);
  }
}

inline double end_of(const Json& round) {
  return round["start_s"].get<double>() + round["duration_s"].get<double>();
}

inline void check_record(const Json& r) {
  const Json& m = r["metrics"];
  check_numbers(m, "metrics");
  check_numbers(r["rounds"], "rounds");
  CHECK(m["stale_pages"] == 0);
  CHECK(m["downtime_s"].get<double>() <= m["total_time_s"].get<double>());
  // Return-path requests (post-copy family) and hash exchanges (memory_compare) are on the wire
  // too.
  const std::int64_t hash = m.contains("bytes_hash") ? m["bytes_hash"].get<std::int64_t>() : 0;
  // xvmotion's disk bytes (bulk copy and mirror) are on the wire beside the memory's.
  const std::int64_t disk = m.contains("bytes_disk") ? m["bytes_disk"].get<std::int64_t>() : 0;
  const std::int64_t request =
      (m.contains("bytes_request") ? m["bytes_request"].get<std::int64_t>() : 0) + hash + disk;
  CHECK(m["bytes_total"].get<std::int64_t>() == m["bytes_first_pass"].get<std::int64_t>() +
                                                    m["bytes_resent"].get<std::int64_t>() +
                                                    m["bytes_framing"].get<std::int64_t>() +
                                                    m["bytes_state"].get<std::int64_t>() + request);
  CHECK(m["guest_work_s"].get<double>() <= m["total_time_s"].get<double>() + 1e-9);
  // First-pass payload is each page at most once.
  migsim::sim::Bytes page;
  std::string error;
  REQUIRE(
      migsim::sim::parse_bytes(r["scenario"]["vm"]["page_size"].get<std::string>(), page, error));
  CHECK(m["bytes_first_pass"].get<std::int64_t>() <=
        m["guest_pages"].get<std::int64_t>() * page.count());

  const Json& rounds = r["rounds"];
  REQUIRE(rounds.size() == m["rounds"].get<std::size_t>());
  std::vector<Json> live, post;
  std::int64_t round_bytes = 0;
  std::uint64_t round_pages = 0, post_pages = 0, post_faults = 0;
  std::size_t finals = 0;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    CHECK(rounds[i]["index"] == i + 1);
    const bool is_post = rounds[i].value("post_switch", false);
    if (is_post) {
      post.push_back(rounds[i]);
      post_pages += rounds[i]["pages_sent"].get<std::uint64_t>();
      post_faults += rounds[i]["faults"].get<std::uint64_t>();
      CHECK(rounds[i]["pages_sent"] == rounds[i]["pages_pushed"].get<std::uint64_t>() +
                                           rounds[i]["pages_demand"].get<std::uint64_t>());
    } else if (rounds[i]["final"].get<bool>()) {
      ++finals;
      CHECK(post.empty());
    } else {
      CHECK(post.empty());  // live rounds come first
      CHECK(finals == 0);
      live.push_back(rounds[i]);
    }
    round_bytes += rounds[i]["bytes"].get<std::int64_t>();
    round_pages += rounds[i]["pages_sent"].get<std::uint64_t>();
  }
  CHECK(live.size() == m["live_rounds"].get<std::size_t>());
  CHECK(live.size() <= static_cast<std::size_t>(migsim::sim::limits::kMaxRounds));
  // Rounds count the hash exchanges of their batches.
  CHECK(round_bytes + m["bytes_state"].get<std::int64_t>() + request - hash ==
        m["bytes_total"].get<std::int64_t>());
  CHECK(round_pages == m["pages_sent"].get<std::uint64_t>());
  REQUIRE_FALSE(rounds.empty());
  if (m.contains("faults")) {
    // The guest at the destination: what was sent after the switch is pushed or demanded, the
    // stall fits in the phase, and each fault sends at most one request.
    CHECK(post_pages == m["pages_pushed"].get<std::uint64_t>() +
                            m["pages_demand"].get<std::uint64_t>() +
                            m["pages_prepulled"].get<std::uint64_t>());
    CHECK(post_faults == m["faults"].get<std::uint64_t>());
    CHECK(m["guest_stall_s"].get<double>() <= m["post_switch_s"].get<double>() + 1e-9);
    CHECK(m["pages_demand"].get<std::uint64_t>() <= m["faults"].get<std::uint64_t>());
    CHECK(m["bytes_request"].get<std::int64_t>() % 16 == 0);
    CHECK(m["bytes_request"].get<std::int64_t>() / 16 <= m["faults"].get<std::int64_t>());
  }
  const bool loads_after_final = r["scenario"]["migration"]["algorithm"] == "storage_assisted";
  if (!post.empty() && !loads_after_final) {
    CHECK(finals == 0);  // the guest resumed early: no stop-and-copy round
  } else if (loads_after_final) {
    // A final copy, then storage loads may go on after the resume (post-switch rounds).
    CHECK(finals == 1);
  } else {
    CHECK(finals == 1);  // exactly one final round, last
    CHECK(rounds.back()["final"].get<bool>());
  }

  // The stop reason agrees with the rounds and the parameters.
  const std::string reason = m["stop_reason"];
  const Json& mig = r["scenario"]["migration"];
  INFO("stop_reason " << reason);
  if (reason == "stop_and_copy") {
    CHECK(live.empty());
    return;
  }
  if (reason == "post_copy") {
    CHECK_FALSE(post.empty());
    if (mig.contains("precopy_rounds"))
      CHECK(static_cast<std::int64_t>(live.size()) == mig["precopy_rounds"].get<std::int64_t>());
    if (mig.contains("switch_after_rounds"))
      CHECK(static_cast<std::int64_t>(live.size()) ==
            mig["switch_after_rounds"].get<std::int64_t>());
    return;
  }
  if (reason == "single_pass") {
    CHECK(live.size() == 1);
    CHECK_FALSE(post.empty());
    return;
  }
  REQUIRE_FALSE(live.empty());
  const Json& last = live.back();
  const auto sent_or_skipped =
      last["pages_sent"].get<std::uint64_t>() + last["pages_skipped"].get<std::uint64_t>();
  if (reason == "max_rounds") {
    CHECK(static_cast<std::int64_t>(live.size()) == mig["max_rounds"].get<std::int64_t>());
  } else if (reason == "min_dirty_pages") {
    CHECK(sent_or_skipped < mig["min_dirty_pages"].get<std::uint64_t>());
  } else if (reason == "max_factor") {
    std::uint64_t live_pages = 0;
    for (const auto& x : live) live_pages += x["pages_sent"].get<std::uint64_t>();
    CHECK(static_cast<double>(live_pages) >
          mig["max_factor"].get<double>() * m["guest_pages"].get<double>());
  } else if (reason == "max_time") {
    CHECK(mig["max_time"] != "0s");
    const double deadline = [&] {
      migsim::sim::Duration d;
      std::string error;
      REQUIRE(migsim::sim::parse_duration(mig["max_time"].get<std::string>(), d, error));
      return d.seconds();
    }();
    CHECK(end_of(last) >= deadline - 1e-9);
  } else if (reason == "nothing_pending") {
    CHECK(sent_or_skipped == 0);
    if (live.size() >= 2) CHECK(live[live.size() - 2]["pages_pending"] == 0);
  } else if (reason == "no_progress") {
    CHECK((last["pages_sent"] == 0 || last["duration_s"].get<double>() == 0.0));
  } else if (reason == "downtime_limit") {
    CHECK(mig["downtime_limit"] != "0s");
  } else if (reason == "storage_loaded") {
    CHECK(mig["algorithm"] == "storage_assisted");
    CHECK(mig["background_fetch"] == false);
  } else if (reason == "round_guard") {
    CHECK(static_cast<std::int64_t>(live.size()) == migsim::sim::limits::kMaxRounds);
  } else if (reason == "time_guard") {
    CHECK(end_of(last) >= migsim::sim::limits::kMaxLivePhase.seconds());
  } else {
    FAIL("unknown stop reason " << reason);
  }
}

inline void run_random_scenarios(int count, std::uint64_t seed) {
  migsim::test::ScenarioGenerator gen(seed);
  int accepted = 0, drawn = 0;
  const std::string dir = migsim::test::temp_dir("properties");
  std::filesystem::create_directories(dir);
  std::vector<std::string> cli_files;
  while (accepted < count) {
    ++drawn;
    REQUIRE(drawn < 20 * count + 100);  // the generator must mostly produce valid scenarios
    const std::string yaml = gen.next();
    std::vector<migsim::scenarios::ScenarioPoint> points;
    try {
      points = migsim::test::points(yaml);
    } catch (const migsim::scenarios::ScenarioError&) {
      continue;
    }
    ++accepted;
    INFO("scenario #" << accepted << ":\n" << yaml);
    if (std::getenv("MIGSIM_PROPERTY_TRACE")) std::fprintf(stderr, "running:\n%s", yaml.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    migsim::scenarios::RunResult result;
    REQUIRE_NOTHROW(result = migsim::scenarios::simulate(points.at(0), 0));
    const Json r = migsim::scenarios::record_json(points.at(0), 0, result);
    // The line migsim run writes (no tree) is the tree's text, byte for byte.
    std::string line;
    migsim::scenarios::append_record_line(points.at(0), 0, result, line);
    REQUIRE(line == r.dump());
    if (std::getenv("MIGSIM_PROPERTY_TRACE"))
      std::fprintf(stderr, "#%d %.3fs\n%s\n", accepted,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                   yaml.c_str());
    check_record(r);
    CHECK(r.dump().size() < 4u << 20);  // README: the largest record is under 4 MB
    if (accepted % 25 == 0) {
      cli_files.push_back(dir + "/s" + std::to_string(accepted) + ".yaml");
      std::ofstream(cli_files.back()) << yaml;
    }
  }
  // A sample through the command line: exit 0 and one record per file.
  std::string args = "run --quiet --jobs 2 --out " + dir + "/out";
  for (const auto& f : cli_files) args += " " + f;
  if (!cli_files.empty()) {
    const auto c = migsim::test::run_cli(args);
    CHECK(c.exit_code == 0);
    INFO(c.output);
    const std::string lines = migsim::test::read_file(dir + "/out/results.jsonl");
    CHECK(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')) ==
          cli_files.size());
  }
}

}  // namespace migsim::test
