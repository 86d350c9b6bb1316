// Shards of one sweep (migsim run --shard I/N) put back together (migsim merge): the records of
// every shard in the order one unsharded run writes them, checked to cover every run once.
#pragma once

#include <string>
#include <vector>

#include "analysis/compare.h"

namespace migsim::analysis {

struct ShardOutput {
  std::string dir;
  Json manifest;                   // DIR/manifest.json: files, shard {index, count, runs_total}
  std::vector<std::string> lines;  // DIR/results.jsonl, one record per line
};

// Reads DIR/manifest.json and DIR/results.jsonl. Throws CompareInputError (exit 2) when either
// is missing or malformed, or the directory is not a shard's output.
ShardOutput read_shard(const std::string& dir);

struct Merged {
  Json manifest;                   // files, shard count, runs, the directories merged
  std::vector<std::string> lines;  // results.jsonl's lines, in unsharded order
  std::vector<Json> heads;         // the records without scenario, rounds and workload facts
};

// Throws CompareInputError unless the shards come from the same files, have the same count N,
// hold indices 0..N-1 once each, and together hold every run exactly once.
Merged merge_shards(const std::vector<ShardOutput>& shards);

}  // namespace migsim::analysis
