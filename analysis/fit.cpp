#include "analysis/fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <functional>
#include <limits>

#include "sim/units.h"

namespace migsim::analysis {
namespace {

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double logit(double p) {
  p = std::clamp(p, 1e-9, 1.0 - 1e-9);
  return std::log(p / (1.0 - p));
}

// Nelder-Mead on an unconstrained vector (the models' parameters are transformed to be so).
std::vector<double> minimise(const std::function<double(const std::vector<double>&)>& f,
                             std::vector<double> x0, int iterations = 3000) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> simplex{x0};
  for (std::size_t i = 0; i < n; ++i) {
    auto x = x0;
    x[i] += 0.5;
    simplex.push_back(x);
  }
  std::vector<double> value;
  for (const auto& x : simplex) value.push_back(f(x));
  for (int it = 0; it < iterations; ++it) {
    std::vector<std::size_t> order(n + 1);
    for (std::size_t i = 0; i <= n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return value[a] < value[b]; });
    const std::size_t best = order[0], worst = order[n], second = order[n - 1];
    if (std::abs(value[worst] - value[best]) <= 1e-14 * (1.0 + std::abs(value[best]))) break;
    std::vector<double> centroid(n, 0.0);
    for (std::size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (std::size_t d = 0; d < n; ++d) centroid[d] += simplex[i][d] / static_cast<double>(n);
    const auto along = [&](double k) {
      std::vector<double> x(n);
      for (std::size_t d = 0; d < n; ++d)
        x[d] = centroid[d] + k * (simplex[worst][d] - centroid[d]);
      return x;
    };
    const auto reflected = along(-1.0);
    const double fr = f(reflected);
    if (fr < value[best]) {
      const auto expanded = along(-2.0);
      const double fe = f(expanded);
      if (fe < fr) {
        simplex[worst] = expanded;
        value[worst] = fe;
      } else {
        simplex[worst] = reflected;
        value[worst] = fr;
      }
    } else if (fr < value[second]) {
      simplex[worst] = reflected;
      value[worst] = fr;
    } else {
      const auto contracted = along(fr < value[worst] ? -0.5 : 0.5);
      const double fc = f(contracted);
      if (fc < std::min(fr, value[worst])) {
        simplex[worst] = contracted;
        value[worst] = fc;
      } else {  // shrink towards the best
        for (std::size_t i = 0; i <= n; ++i) {
          if (i == best) continue;
          for (std::size_t d = 0; d < n; ++d)
            simplex[i][d] = simplex[best][d] + 0.5 * (simplex[i][d] - simplex[best][d]);
          value[i] = f(simplex[i]);
        }
      }
    }
  }
  const auto best = std::min_element(value.begin(), value.end()) - value.begin();
  return simplex[static_cast<std::size_t>(best)];
}

struct Model {
  std::string name;
  // Predicted D(t) for transformed parameters x.
  std::function<double(const std::vector<double>&, double)> curve;
  std::vector<std::vector<double>> starts;
  std::function<Fit(const std::vector<double>&)> describe;
};

}  // namespace

std::vector<CurvePoint> dirty_curve(const workloads::Trace& trace, std::size_t points) {
  const std::uint64_t frames = trace.frames();
  if (frames == 0) return {};
  const std::uint64_t longest = std::max<std::uint64_t>(1, frames / 2);
  std::vector<std::uint64_t> lengths;
  for (std::size_t i = 1; i <= std::min<std::uint64_t>(points, longest); ++i) {
    const auto k = static_cast<std::uint64_t>(
        std::llround(static_cast<double>(i) * static_cast<double>(longest) /
                     static_cast<double>(std::min<std::uint64_t>(points, longest))));
    if (lengths.empty() || k > lengths.back()) lengths.push_back(std::max<std::uint64_t>(1, k));
  }
  const std::uint64_t starts = std::min<std::uint64_t>(8, frames - longest + 1);
  std::vector<double> sum(lengths.size(), 0.0);
  std::vector<std::uint64_t> seen(trace.header().pages / 64 + 1);
  for (std::uint64_t i = 0; i < starts; ++i) {
    const std::uint64_t s = starts == 1 ? 0 : i * (frames - longest) / (starts - 1);
    std::fill(seen.begin(), seen.end(), 0);
    std::uint64_t distinct = 0;
    std::size_t next = 0;
    for (std::uint64_t k = 0; k < longest && next < lengths.size(); ++k) {
      const workloads::Trace::FrameIndex& fi = trace.frame(s + k);
      workloads::RunDecoder d(trace.body().data(), fi.writes_at);
      while (d.remaining() > 0) {
        const workloads::PageRun r = d.next();
        for (std::uint64_t p = r.first; p < r.first + r.count; ++p) {
          std::uint64_t& w = seen[p / 64];
          const std::uint64_t bit = std::uint64_t{1} << (p % 64);
          distinct += (w & bit) == 0;
          w |= bit;
        }
      }
      if (k + 1 == lengths[next]) sum[next++] += static_cast<double>(distinct);
    }
  }
  std::vector<CurvePoint> out;
  const double interval = static_cast<double>(trace.header().interval_ns) / 1e9;
  for (std::size_t i = 0; i < lengths.size(); ++i)
    out.push_back(
        {static_cast<double>(lengths[i]) * interval, sum[i] / static_cast<double>(starts)});
  return out;
}

std::vector<Fit> fit_workloads(const workloads::Trace& trace,
                               const std::vector<CurvePoint>& curve) {
  if (curve.empty()) return {};
  const double N = static_cast<double>(trace.header().pages);
  const double page = static_cast<double>(trace.header().page_size);
  double top = 0.0;
  for (const auto& c : curve) top = std::max(top, c.pages);
  if (top <= 0.0) top = 1.0;
  const double slope = std::max(curve.front().pages / curve.front().t, 1e-3);
  const double reach = std::clamp(top / N, 1e-6, 1.0);

  const auto saturating = [](double n, double rate, double t) {
    return n <= 0.0 ? 0.0 : n * -std::expm1(-rate * t / n);
  };
  std::vector<Model> models;
  models.push_back(
      {"uniform",
       [&](const std::vector<double>& x, double t) {
         return saturating(std::max(1.0, N * sigmoid(x[1])), std::exp(x[0]), t);
       },
       {},
       [&](const std::vector<double>& x) {
         const double rate = std::exp(x[0]);
         const auto n = static_cast<std::int64_t>(std::max(1.0, std::round(N * sigmoid(x[1]))));
         Fit f{"uniform",
               {{"rate_per_s", rate}, {"region_pages", static_cast<double>(n)}},
               "",
               0,
               {}};
         f.yaml = fmt::format(
             "{{type: uniform, rate: {:.0f}/s{}}}", rate,
             n >= static_cast<std::int64_t>(N)
                 ? ""
                 : ", size: " + sim::format_bytes(sim::Bytes{n * static_cast<std::int64_t>(page)}));
         return f;
       }});
  for (const double k : {1.0, 3.0, 10.0, 30.0})
    for (const double r : {reach, std::min(1.0, reach * 1.5), 1.0})
      models.back().starts.push_back({std::log(slope * k), logit(r)});

  models.push_back(
      {"hotcold",
       [&](const std::vector<double>& x, double t) {
         const double rate = std::exp(x[0]);
         const double h = std::max(1.0, std::round(sigmoid(x[1]) * N));
         const double s = sigmoid(x[2]);
         return saturating(h, rate * s, t) + saturating(N - h, rate * (1.0 - s), t);
       },
       {},
       [&](const std::vector<double>& x) {
         const double rate = std::exp(x[0]), h = sigmoid(x[1]), s = sigmoid(x[2]);
         Fit f{"hotcold", {{"rate_per_s", rate}, {"hot_fraction", h}, {"hot_share", s}}, "", 0, {}};
         f.yaml = fmt::format(
             "{{type: hotcold, rate: {:.0f}/s, hot_fraction: {:.4g}, hot_share: {:.4g}}}", rate, h,
             s);
         return f;
       }});
  for (const double k : {1.0, 3.0, 10.0})
    for (const double h : {0.01, 0.05, 0.2, std::max(0.001, reach / 2)})
      for (const double s : {0.5, 0.9, 0.99})
        models.back().starts.push_back({std::log(slope * k), logit(h), logit(s)});

  models.push_back(
      {"sequential",
       [&](const std::vector<double>& x, double t) {
         return std::min(std::max(1.0, N * sigmoid(x[1])), std::exp(x[0]) * t);
       },
       {},
       [&](const std::vector<double>& x) {
         const double rate = std::exp(x[0]);
         const auto n = static_cast<std::int64_t>(std::max(1.0, std::round(N * sigmoid(x[1]))));
         // Whole KiB/s: the text stays short ("6262KiB/s") and within 0.02% of the fit.
         const auto bytes_per_s =
             std::max<std::int64_t>(1024, std::llround(rate * page / 1024.0) * 1024);
         Fit f{"sequential",
               {{"dirty_rate_bytes_per_s", static_cast<double>(bytes_per_s)},
                {"region_pages", static_cast<double>(n)}},
               "",
               0,
               {}};
         f.yaml = fmt::format(
             "{{type: sequential, dirty_rate: {}{}}}",
             sim::format_bit_rate(sim::BitRate::bytes_per_second(bytes_per_s)),
             n >= static_cast<std::int64_t>(N)
                 ? ""
                 : ", size: " + sim::format_bytes(sim::Bytes{n * static_cast<std::int64_t>(page)}));
         return f;
       }});
  for (const double k : {0.5, 1.0, 2.0})
    for (const double r : {reach, std::min(1.0, reach * 1.2)})
      models.back().starts.push_back({std::log(slope * k), logit(r)});

  std::vector<Fit> fits;
  for (const Model& m : models) {
    const auto error = [&](const std::vector<double>& x) {
      double e = 0.0;
      for (const auto& c : curve) {
        const double d = (m.curve(x, c.t) - c.pages) / top;
        e += d * d;
      }
      return e / static_cast<double>(curve.size());
    };
    std::vector<double> best;
    double best_error = std::numeric_limits<double>::infinity();
    for (const auto& start : m.starts) {
      auto x = minimise(error, start);
      x = minimise(error, x);  // a restart escapes a collapsed simplex
      const double e = error(x);
      if (e < best_error) {
        best_error = e;
        best = x;
      }
    }
    Fit f = m.describe(best);
    f.error = std::sqrt(best_error);
    for (const auto& c : curve) f.predicted.push_back(m.curve(best, c.t));
    fits.push_back(std::move(f));
  }
  std::stable_sort(fits.begin(), fits.end(),
                   [](const Fit& a, const Fit& b) { return a.error < b.error; });
  return fits;
}

}  // namespace migsim::analysis
