// migsim run --shard I/N and migsim merge: the shards of a sweep, merged, are byte for byte what
// one unsharded run writes; merge refuses an incomplete or mixed set of shards.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support.h"

using migsim::test::read_file;
using migsim::test::run_cli;

TEST_CASE("shards merged equal the unsharded run byte for byte", "[cli][shard]") {
  const std::string dir = migsim::test::temp_dir("shard");
  const std::string src = MIGSIM_SOURCE_DIR;
  // Two files, one with several VMs (a batch record per run), 84 runs in all.
  const std::string files = src + "/scenarios/default-suite/tsmc-low-dirty.yaml " + src +
                            "/scenarios/examples/evacuation.yaml";
  REQUIRE(run_cli("run " + files + " --quiet --out " + dir + "/full").exit_code == 0);
  for (const int n : {1, 3, 7}) {
    std::string shards;
    for (int i = n - 1; i >= 0; --i) {  // given to merge in reverse order
      const std::string out = dir + "/s" + std::to_string(n) + "-" + std::to_string(i);
      REQUIRE(run_cli("run " + files + " --quiet --jobs 2 --shard " + std::to_string(i) + "/" +
                      std::to_string(n) + " --out " + out)
                  .exit_code == 0);
      shards += " " + out;
    }
    const std::string merged = dir + "/merged" + std::to_string(n);
    const auto r = run_cli("merge " + merged + shards);
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("84 runs") != std::string::npos);
    for (const char* f : {"results.jsonl", "results.csv", "summary.txt"}) {
      INFO(n << " shards, " << f);
      CHECK(read_file(merged + "/" + f) == read_file(dir + "/full/" + f));
    }
  }
  // Shard 1 of 3 takes runs 1, 4, 7, ...: its first record is point 0's replicate 1 (the TSMC
  // file runs 5 replicates per point), its second point 0's replicate 4.
  const std::string one = read_file(dir + "/s3-1/results.jsonl");
  const std::string first = one.substr(0, one.find('\n'));
  const std::string second = one.substr(first.size() + 1, one.find('\n', first.size() + 1));
  CHECK(first.find("\"point_index\":0,") != std::string::npos);
  CHECK(first.find("\"replicate\":1,") != std::string::npos);
  CHECK(second.find("\"point_index\":0,") != std::string::npos);
  CHECK(second.find("\"replicate\":4,") != std::string::npos);

  SECTION("merge refuses a missing, repeated or foreign shard") {
    auto r = run_cli("merge " + dir + "/m " + dir + "/s3-0 " + dir + "/s3-1");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("shard 2/3 is missing") != std::string::npos);
    r = run_cli("merge " + dir + "/m " + dir + "/s3-0 " + dir + "/s3-1 " + dir + "/s3-1");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("given twice") != std::string::npos);
    r = run_cli("merge " + dir + "/m " + dir + "/s3-0 " + dir + "/s3-1 " + dir + "/s7-2");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("another sweep") != std::string::npos);
    r = run_cli("merge " + dir + "/m " + dir + "/full");
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("not the output of a sharded run") != std::string::npos);
    CHECK(!std::filesystem::exists(dir + "/m/results.jsonl"));
  }
  SECTION("--shard takes I/N with 0 <= I < N") {
    for (const char* bad : {"3/3", "1-3", "a/3", "1/0", "1/", "/3", "1/3x"}) {
      INFO(bad);
      CHECK(run_cli("run " + files + " --quiet --shard " + bad + " --out " + dir + "/bad")
                .exit_code == 2);
    }
  }
  std::filesystem::remove_all(dir);
}
