// Importing CSV and valgrind lackey traces, and fitting synthetic workloads to a trace.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/fit.h"
#include "tests/support.h"
#include "workloads/trace_import.h"

namespace migsim {
namespace {

using workloads::ImportFormat;
using workloads::ImportOptions;
using workloads::PageRun;

std::shared_ptr<const workloads::Trace> import(const std::string& text, ImportOptions o) {
  std::istringstream in(text);
  return workloads::import_trace(in, "in.txt", o);
}

std::string import_error(const std::string& text, ImportOptions o) {
  try {
    (void)import(text, o);
  } catch (const workloads::ImportError& e) {
    return e.what();
  }
  return "accepted";
}

TEST_CASE("import csv: accesses are binned into frames of the interval") {
  ImportOptions o;
  o.interval_ns = 10'000'000;  // 10 ms
  const auto t = import(
      "time,page,op\n"
      "0,5\n"
      "0.001,6,w\n"
      "0.002,7,r\n"
      "# a comment\n"
      "0.0099,300,W\n"
      "0.010,5\n"
      "35ms,0x10,R\n",
      o);
  REQUIRE(t->frames() == 4);
  CHECK(t->header().pages == 256 * 2);  // page 300: rounded up to 2 MiB
  CHECK(t->header().has_reads);
  CHECK(t->decode(0).writes == std::vector<PageRun>{{5, 2}, {300, 1}});
  CHECK(t->decode(0).reads == std::vector<PageRun>{{7, 1}});
  CHECK(t->decode(1).writes == std::vector<PageRun>{{5, 1}});
  CHECK(t->decode(2).writes.empty());
  CHECK(t->decode(3).reads == std::vector<PageRun>{{16, 1}});
  o.addresses = true;
  const auto a = import("0,4095\n0,4096\n0,12288\n", o);
  CHECK(a->decode(0).writes == std::vector<PageRun>{{0, 2}, {3, 1}});
}

TEST_CASE("import csv: bad lines are named with their line number") {
  ImportOptions o;
  CHECK_THAT(import_error("0,1\n0.5,x\n", o), Catch::Contains("in.txt:2: page 'x'"));
  CHECK_THAT(import_error("0,1\n0.5,2\n0.4,3\n", o),
             Catch::Contains("in.txt:3: time 0.4 is before the previous line's"));
  CHECK_THAT(import_error("0,1,x\n", o), Catch::Contains("in.txt:1: access 'x': expected r"));
  CHECK_THAT(import_error("0,1,w,4\n", o), Catch::Contains("in.txt:1: expected time,page"));
  CHECK_THAT(import_error("-1,1\n", o), Catch::Contains("in.txt:1: time '-1'"));
  CHECK_THAT(import_error("time,page\n", o), Catch::Contains("no accesses"));
  o.memory_pages = 4;
  CHECK_THAT(import_error("0,4\n", o), Catch::Contains("page 4 is beyond the guest memory given"));
}

TEST_CASE("import lackey: stores write, loads read, modifies do both, in first-touch page order") {
  ImportOptions o;
  o.format = ImportFormat::kLackey;
  o.access_ns = 1'000'000;  // 1 ms per line, 2 ms frames
  o.interval_ns = 2'000'000;
  const auto t = import(
      "==123== Lackey, an example Valgrind tool\n"
      "I  04001000,3\n"   // t=0: instruction, not recorded
      " S 7ff000ff8,8\n"  // t=1: virtual page 0x7ff000 -> guest 0 written
      " L 00600ffc,8\n"   // t=2: straddles 0x600 and 0x601 -> guests 1, 2 read
      " M 7ff000ff0,4\n"  // t=3: guest 0 read and written
      "==123== \n",
      o);
  REQUIRE(t->frames() == 2);
  CHECK(t->decode(0).writes == std::vector<PageRun>{{0, 1}});
  CHECK(t->decode(0).reads.empty());
  CHECK(t->decode(1).reads == std::vector<PageRun>{{0, 3}});
  CHECK(t->decode(1).writes == std::vector<PageRun>{{0, 1}});
  CHECK_THAT(import_error("I  04001000,3\nhello\n", o),
             Catch::Contains("in.txt:2: not a lackey --trace-mem line"));
  CHECK_THAT(import_error(" S zz,8\n", o), Catch::Contains("in.txt:1: expected a hex address"));
}

TEST_CASE("import lackey: a real valgrind run of a program imports") {
  if (test::run_cli_in_shell("command -v valgrind").exit_code != 0) {
    WARN("skipped: valgrind is not installed");
    return;
  }
  const std::string dir = test::temp_dir("lackey");
  std::filesystem::create_directories(dir);
  const auto v = test::run_cli_in_shell("valgrind --tool=lackey --trace-mem=yes --log-file=" + dir +
                                        "/lackey.log /bin/true");
  REQUIRE(v.exit_code == 0);
  const auto r = test::run_cli("import --format lackey " + dir + "/lackey.log --out " + dir +
                               "/t.trace --interval 100us");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const auto t = workloads::read_trace(dir + "/t.trace");
  CHECK(t->written_pages_total() > 0);
  CHECK(t->header().has_reads);
  std::filesystem::remove_all(dir);
}

std::shared_ptr<const workloads::Trace> synth(const std::string& workload) {
  return scenarios::synthesize_trace(
      test::points(test::migration_yaml("256MiB", workload, "pre_copy")).at(0), 0,
      sim::Duration::ms(100), 1200);
}

double param(const analysis::Fit& f, const char* name) {
  for (const auto& [n, v] : f.params)
    if (n == name) return v;
  FAIL("no parameter " << name);
  return 0;
}

TEST_CASE("fit: each synthetic workload's own model fits its trace best, with its parameters") {
  {
    const auto t = synth("{type: hotcold, rate: 20000/s, hot_fraction: 0.05, hot_share: 0.9}");
    const auto fits = analysis::fit_workloads(*t, analysis::dirty_curve(*t));
    REQUIRE(fits.at(0).model == "hotcold");
    CHECK(fits[0].error < 0.005);
    CHECK(param(fits[0], "rate_per_s") == Approx(20000).epsilon(0.1));
    CHECK(param(fits[0], "hot_fraction") == Approx(0.05).epsilon(0.1));
    CHECK(param(fits[0], "hot_share") == Approx(0.9).epsilon(0.05));
    CHECK(fits[1].error > 5 * fits[0].error);
  }
  {
    const auto t = synth("{type: sequential, dirty_rate: 30MiB/s, size: 128MiB}");
    const auto fits = analysis::fit_workloads(*t, analysis::dirty_curve(*t));
    REQUIRE(fits.at(0).model == "sequential");
    CHECK(param(fits[0], "dirty_rate_bytes_per_s") == Approx(30 << 20).epsilon(0.01));
    CHECK(param(fits[0], "region_pages") == Approx(32768).epsilon(0.01));
    CHECK(fits[0].yaml == "{type: sequential, dirty_rate: 30MiB/s, size: 128MiB}");
  }
  {
    const auto t = synth("{type: uniform, rate: 5000/s, size: 64MiB}");
    const auto fits = analysis::fit_workloads(*t, analysis::dirty_curve(*t));
    // hotcold with every write in its hot set is uniform too: either may come first.
    const analysis::Fit& u = fits.at(0).model == "uniform" ? fits[0] : fits.at(1);
    REQUIRE(u.model == "uniform");
    CHECK(u.error < 0.005);
    CHECK(param(u, "rate_per_s") == Approx(5000).epsilon(0.05));
    CHECK(param(u, "region_pages") == Approx(16384).epsilon(0.02));
    CHECK(fits.back().model == "sequential");
  }
}

TEST_CASE("fit: the measured curve is the mean distinct-page count of windows of each length") {
  workloads::TraceHeader h;
  h.pages = 100;
  h.interval_ns = 1'000'000'000;
  workloads::TraceBuilder b(h);
  // Frames write pages {0}, {1}, {0}, {1}: a window of one frame holds 1 page, of two holds 2.
  for (int k = 0; k < 4; ++k) b.add_frame({{static_cast<std::uint64_t>(k % 2), 1}});
  const auto curve = analysis::dirty_curve(*b.finish());
  REQUIRE(curve.size() == 2);
  CHECK(curve[0].t == 1.0);
  CHECK(curve[0].pages == 1.0);
  CHECK(curve[1].t == 2.0);
  CHECK(curve[1].pages == 2.0);
}

}  // namespace
}  // namespace migsim

namespace migsim {
namespace {

TEST_CASE("trace commands: bad input exits 2 with the reason") {
  const std::string dir = test::temp_dir("trace-cli");
  std::filesystem::create_directories(dir);
  const auto exit2 = [](const std::string& args, const std::string& says) {
    const auto r = test::run_cli(args);
    INFO(args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(says));
  };
  exit2("fit " + dir + "/none.trace", "none.trace: cannot open");
  exit2("trace info " + std::string(MIGSIM_SOURCE_DIR) + "/README.md", "not a migsim trace");
  exit2("import --format xml x --out y", "--format must be csv or lackey");
  exit2("import --format csv " + dir + "/none.csv --out " + dir + "/t.trace",
        "none.csv: cannot open");
  exit2("record --pid 0 --out " + dir + "/t.trace", "--pid must be a process ID");
  exit2("record --out " + dir + "/t.trace", "exactly one of --pid PID and -- COMMAND");
  exit2("record --pid 2147483000 --method content --out " + dir + "/t.trace",
        "no process with PID");
  exit2("import --format csv /dev/zero --out " + dir + "/t.trace",
        "/dev/zero:1: line longer than 64 KiB");
  exit2("import --format lackey /dev/zero --out " + dir + "/t.trace",
        "/dev/zero:1: line longer than 64 KiB");
  exit2("trace synth x.yaml --duration 1s --interval 300ms --out t", "whole number of --interval");
  {
    std::ofstream f(dir + "/bad.csv");
    f << "0,1\n0.5,2\n0.1,3\n";
  }
  exit2("import --format csv " + dir + "/bad.csv --out " + dir + "/t.trace", "bad.csv:3: time 0.1");
  CHECK(!std::filesystem::exists(dir + "/t.trace"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace commands: import then fit from the command line") {
  const std::string dir = test::temp_dir("trace-cli-fit");
  std::filesystem::create_directories(dir);
  {
    // A sequential writer: page k at k ms, 4000 pages of a 16 MiB guest.
    std::ofstream f(dir + "/seq.csv");
    for (int k = 0; k < 4000; ++k) f << k / 1000.0 << "," << k << "\n";
  }
  const auto imp =
      test::run_cli("import --format csv " + dir +
                    "/seq.csv --memory 16MiB --interval 10ms --out " + dir + "/seq.trace");
  INFO(imp.output);
  REQUIRE(imp.exit_code == 0);
  CHECK_THAT(imp.output, Catch::Contains("400 x 10ms = 4s"));
  const auto fit = test::run_cli("fit " + dir + "/seq.trace --curve " + dir + "/curve.csv");
  INFO(fit.output);
  REQUIRE(fit.exit_code == 0);
  // 1000 pages/s of 4 KiB: 4000KiB/s; the best model is listed first.
  CHECK_THAT(fit.output,
             Catch::Contains("sequential       0.00%  {type: sequential, dirty_rate: 4000KiB/s"));
  CHECK_THAT(test::read_file(dir + "/curve.csv"), Catch::StartsWith("t_s,measured,sequential"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migsim
