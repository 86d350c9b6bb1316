#include "analysis/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>

namespace migsim::analysis {

Estimate estimate(const std::vector<double>& values) {
  Estimate e;
  e.n = values.size();
  if (values.empty()) return e;
  double sum = 0.0;
  for (double v : values) sum += v;
  e.mean = sum / static_cast<double>(e.n);
  if (e.n < 2) return e;
  double ss = 0.0;
  for (double v : values) ss += (v - e.mean) * (v - e.mean);
  const double sd = std::sqrt(ss / static_cast<double>(e.n - 1));
  const boost::math::students_t dist(static_cast<double>(e.n - 1));
  e.half_width = boost::math::quantile(dist, 0.975) * sd / std::sqrt(static_cast<double>(e.n));
  return e;
}

std::vector<PointSummary> summarize(const std::vector<Json>& records) {
  struct Acc {
    PointSummary s;
    std::vector<double> t, d, b, r;
  };
  std::vector<Acc> groups;
  std::map<std::pair<std::string, std::size_t>, std::size_t> index;
  for (const auto& rec : records) {
    const auto key = std::make_pair(rec["scenario_file"].get<std::string>(),
                                    rec["point_index"].get<std::size_t>());
    auto [it, added] = index.emplace(key, groups.size());
    if (added) {
      Acc a;
      const std::string name = rec["scenario_name"].get<std::string>();
      a.s.scenario = name.empty() ? key.first : name;
      a.s.point_index = key.second;
      for (const auto& [k, v] : rec["point"].items())
        a.s.point += (a.s.point.empty() ? "" : " ") + k + "=" + v.get<std::string>();
      groups.push_back(std::move(a));
    }
    Acc& a = groups[it->second];
    const Json& m = rec["metrics"];
    a.t.push_back(m["total_time_s"].get<double>());
    a.d.push_back(m["downtime_s"].get<double>());
    a.b.push_back(m["bytes_total"].get<double>());
    a.r.push_back(m["rounds"].get<double>());
  }
  std::vector<PointSummary> out;
  for (auto& a : groups) {
    a.s.total_time_s = estimate(a.t);
    a.s.downtime_s = estimate(a.d);
    a.s.bytes_total = estimate(a.b);
    a.s.rounds = estimate(a.r);
    out.push_back(std::move(a.s));
  }
  return out;
}

std::string format_table(const std::vector<PointSummary>& rows) {
  std::size_t point_width = 5;
  for (const auto& r : rows) point_width = std::max(point_width, r.point.size());
  const auto ci = [](const Estimate& e, double scale, int precision) {
    return fmt::format("{:.{}f} ± {:.{}f}", e.mean * scale, precision, e.half_width * scale,
                       precision);
  };
  std::string out =
      fmt::format("{:<{}}  {:>3}  {:>20}  {:>20}  {:>22}  {:>6}\n", "point", point_width, "n",
                  "total time [s]", "downtime [ms]", "transferred [MiB]", "rounds");
  std::string last_scenario;
  for (const auto& r : rows) {
    if (r.scenario != last_scenario) {
      out += "# " + r.scenario + "\n";
      last_scenario = r.scenario;
    }
    out += fmt::format("{:<{}}  {:>3}  {:>20}  {:>20}  {:>22}  {:>6.1f}\n",
                       r.point.empty() ? "-" : r.point, point_width, r.total_time_s.n,
                       ci(r.total_time_s, 1.0, 3), ci(r.downtime_s, 1e3, 1),
                       ci(r.bytes_total, 1.0 / 1048576.0, 1), r.rounds.mean);
  }
  out += "(mean ± 95% confidence half-width over replications, Student t)\n";
  return out;
}

namespace {

std::string csv_field(const Json& v) {
  std::string s;
  if (v.is_string())
    s = v.get<std::string>();
  else if (v.is_null())
    s = "";
  else
    s = v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

}  // namespace

std::string to_csv(const std::vector<Json>& records) {
  std::vector<std::string> point_keys, metric_keys;
  for (const auto& rec : records) {
    for (const auto& [k, v] : rec["point"].items())
      if (std::find(point_keys.begin(), point_keys.end(), k) == point_keys.end())
        point_keys.push_back(k);
    for (const auto& [k, v] : rec["metrics"].items())
      if (std::find(metric_keys.begin(), metric_keys.end(), k) == metric_keys.end())
        metric_keys.push_back(k);
  }
  std::string out = "scenario_file,scenario_name,point_index";
  for (const auto& k : point_keys) out += "," + csv_field(Json(k));
  out += ",replicate,seed";
  for (const auto& k : metric_keys) out += "," + k;
  out += "\n";
  for (const auto& rec : records) {
    out += csv_field(rec["scenario_file"]) + "," + csv_field(rec["scenario_name"]) + "," +
           csv_field(rec["point_index"]);
    for (const auto& k : point_keys)
      out += "," + (rec["point"].contains(k) ? csv_field(rec["point"][k]) : "");
    out += "," + csv_field(rec["replicate"]) + "," + csv_field(rec["seed"]);
    for (const auto& k : metric_keys)
      out += "," + (rec["metrics"].contains(k) ? csv_field(rec["metrics"][k]) : "");
    out += "\n";
  }
  return out;
}

}  // namespace migsim::analysis
