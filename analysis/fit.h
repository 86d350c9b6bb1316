// Fitting synthetic workloads to a trace (`migsim fit`): the curve a pre-copy round sees is the
// number of distinct pages written in a window of length t, D(t). We measure it on the trace
// (averaged over windows starting at up to 16 points of its first half) and fit each model's
// closed form (seed-papers.md 9a, 9c):
//   uniform     D(t) = n (1 - exp(-r t / n))                       rate r, region n pages
//   hotcold     D(t) = H (1 - exp(-r s t / H)) + C (1 - exp(-r (1-s) t / C)),
//               H = h N, C = N - H                                 rate r, hot_fraction h,
//                                                                  hot_share s (N: all pages)
//   sequential  D(t) = min(n, d t / page)                          dirty_rate d, region n pages
// by Nelder-Mead on the relative squared error from several starts. The fit error is the RMS of
// (model - measured) over the curve's points, as a share of the largest measured value.
#pragma once

#include <string>
#include <vector>

#include "workloads/trace_file.h"

namespace migsim::analysis {

struct CurvePoint {
  double t = 0.0;      // seconds
  double pages = 0.0;  // distinct pages written in a window of length t
};

// D(t) for windows of 1 .. frames/2 frames (at most `points` of them, evenly spaced).
std::vector<CurvePoint> dirty_curve(const workloads::Trace& trace, std::size_t points = 200);

struct Fit {
  std::string model;                                   // "uniform", "hotcold", "sequential"
  std::vector<std::pair<std::string, double>> params;  // name -> value in the model's units
  std::string yaml;                                    // the workload section that uses them
  double error = 0.0;             // RMS error as a share of the largest measured value
  std::vector<double> predicted;  // at each curve point
};

// Every model fitted, best first.
std::vector<Fit> fit_workloads(const workloads::Trace& trace, const std::vector<CurvePoint>& curve);

}  // namespace migsim::analysis
