#include "analysis/merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace migsim::analysis {

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw CompareInputError(fmt::format("cannot read {}", p.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Where a record stands in an unsharded run: file, point, replicate, then its VMs in order and
// the batch record last.
using Order = std::tuple<std::size_t, std::int64_t, std::int64_t, int, std::int64_t>;

}  // namespace

ShardOutput read_shard(const std::string& dir) {
  ShardOutput s;
  s.dir = dir;
  const std::filesystem::path d = dir;
  s.manifest = Json::parse(read_text(d / "manifest.json"), nullptr, false);
  if (s.manifest.is_discarded() || !s.manifest.is_object())
    throw CompareInputError(fmt::format("{}: manifest.json is not JSON", dir));
  const auto shard = s.manifest.find("shard");
  if (shard == s.manifest.end() || !shard->is_object() || !s.manifest.contains("files"))
    throw CompareInputError(
        fmt::format("{} is not the output of a sharded run (migsim run --shard I/N)", dir));
  std::istringstream lines(read_text(d / "results.jsonl"));
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty()) s.lines.push_back(line);
  return s;
}

Merged merge_shards(const std::vector<ShardOutput>& shards) {
  if (shards.empty()) throw CompareInputError("merge needs at least one shard directory");
  const Json& first = shards.front().manifest;
  const Json files = first.at("files");
  const auto count = first.at("shard").value("count", std::int64_t{0});
  const auto runs_total = first.at("shard").value("runs_total", std::int64_t{0});
  std::set<std::int64_t> seen;
  for (const auto& s : shards) {
    const Json& sh = s.manifest.at("shard");
    if (s.manifest.at("files") != files || sh.value("count", std::int64_t{0}) != count ||
        sh.value("runs_total", std::int64_t{0}) != runs_total)
      throw CompareInputError(fmt::format(
          "{} comes from another sweep than {} (its files, shard count or run count differ)", s.dir,
          shards.front().dir));
    const auto index = sh.value("index", std::int64_t{-1});
    if (!seen.insert(index).second)
      throw CompareInputError(fmt::format("shard {}/{} is given twice ({})", index, count, s.dir));
  }
  for (std::int64_t i = 0; i < count; ++i)
    if (!seen.contains(i)) throw CompareInputError(fmt::format("shard {}/{} is missing", i, count));

  std::vector<std::pair<Order, std::size_t>> order;
  std::vector<std::string> lines;
  std::vector<Json> heads;
  std::set<std::tuple<std::size_t, std::int64_t, std::int64_t>> runs;
  for (const auto& s : shards) {
    for (std::size_t n = 0; n < s.lines.size(); ++n) {
      Json r = Json::parse(s.lines[n], nullptr, false);
      if (r.is_discarded() || !r.is_object() || !r.contains("metrics"))
        throw CompareInputError(
            fmt::format("{}/results.jsonl:{}: not a migsim record", s.dir, n + 1));
      const std::string file = r.value("scenario_file", std::string{});
      const auto f = std::find(files.begin(), files.end(), file);
      if (f == files.end())
        throw CompareInputError(
            fmt::format("{}/results.jsonl:{}: scenario file {} is not one of "
                        "the sweep's files",
                        s.dir, n + 1, file));
      const auto file_index = static_cast<std::size_t>(f - files.begin());
      const auto point = r.value("point_index", std::int64_t{-1});
      const auto replicate = r.value("replicate", std::int64_t{-1});
      const std::string kind = record_kind(r);
      runs.insert({file_index, point, replicate});
      order.push_back({Order{file_index, point, replicate, kind == "batch" ? 1 : 0,
                             r.value("vm_index", std::int64_t{0})},
                       lines.size()});
      lines.push_back(s.lines[n]);
      r.erase("scenario");
      r.erase("rounds");
      r.erase("workload");
      heads.push_back(std::move(r));
    }
  }
  if (static_cast<std::int64_t>(runs.size()) != runs_total)
    throw CompareInputError(
        fmt::format("the shards hold {} of the sweep's {} runs", runs.size(), runs_total));
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (order[i].first == order[i - 1].first)
      throw CompareInputError("a record appears in two shards");
  Merged m;
  for (const auto& [key, idx] : order) {
    m.lines.push_back(std::move(lines[idx]));
    m.heads.push_back(std::move(heads[idx]));
  }
  Json dirs = Json::array();
  for (const auto& s : shards) dirs.push_back(s.dir);
  m.manifest = Json{{"files", files},
                    {"merged_from", dirs},
                    {"shards", count},
                    {"runs", runs_total},
                    {"records", m.lines.size()}};
  return m;
}

}  // namespace migsim::analysis
