#include "analysis/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>
#include <tuple>

#include "models/migration/metrics.h"

namespace migsim::analysis {

std::string record_kind(const Json& record) {
  const auto it = record.find("record");
  return it != record.end() && it->is_string() ? it->get<std::string>() : "run";
}

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

const Estimate* PointSummary::find(std::string_view name) const {
  for (const auto& [n, e] : metrics)
    if (n == name) return &e;
  return nullptr;
}

namespace {

// What a summary needs of a declared metric, run or batch.
struct Column {
  std::string_view name, unit, label;
  migration::MetricShow show;
};

std::vector<Column> table_metrics() {
  std::vector<Column> out;
  for (const auto& d : migration::metric_decls())
    if (d.show.table) out.push_back({d.name, d.unit, d.label, d.show});
  for (const auto& d : migration::batch_metric_decls())
    if (d.show.table) out.push_back({d.name, d.unit, d.label, d.show});
  return out;
}

// The VM a record describes, or "batch", or "" for a single migration.
std::string vm_label(const Json& rec) {
  if (record_kind(rec) == "batch") return "batch";
  if (!rec.contains("vm_index")) return {};
  std::string label = rec["vm_index"].dump();
  const std::string name = rec.value("vm_name", "");
  return name.empty() ? label : label + " " + name;
}

}  // namespace

void Summarizer::add(const Json& rec) {
  if (columns_.empty())
    for (const auto& c : table_metrics()) columns_.emplace_back(c.name);
  const auto key = std::make_tuple(rec["scenario_file"].get<std::string>(),
                                   rec["point_index"].get<std::size_t>(), vm_label(rec));
  auto [it, added] = index_.emplace(key, groups_.size());
  if (added) {
    Group g;
    const std::string name = rec["scenario_name"].get<std::string>();
    g.summary.scenario = name.empty() ? std::get<0>(key) : name;
    g.summary.point_index = std::get<1>(key);
    g.summary.vm = std::get<2>(key);
    for (const auto& [k, v] : rec["point"].items())
      g.summary.point += (g.summary.point.empty() ? "" : " ") + k + "=" + v.get<std::string>();
    g.moments.resize(columns_.size());
    groups_.push_back(std::move(g));
  }
  Group& g = groups_[it->second];
  const Json& m = rec["metrics"];
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const auto f = m.find(columns_[c]);
    if (f == m.end() || !f->is_number()) continue;
    // Welford's update: the mean and the sum of squared deviations, one value at a time.
    Moments& mo = g.moments[c];
    const double v = f->get<double>();
    ++mo.n;
    const double delta = v - mo.mean;
    mo.mean += delta / static_cast<double>(mo.n);
    mo.m2 += delta * (v - mo.mean);
  }
}

std::vector<PointSummary> Summarizer::result() const {
  std::vector<PointSummary> out;
  for (const Group& g : groups_) {
    PointSummary s = g.summary;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const Moments& mo = g.moments[c];
      if (mo.n == 0) continue;
      Estimate e;
      e.n = mo.n;
      e.mean = mo.mean;
      if (mo.n >= 2) {
        const double sd = std::sqrt(mo.m2 / static_cast<double>(mo.n - 1));
        const boost::math::students_t dist(static_cast<double>(mo.n - 1));
        e.half_width =
            boost::math::quantile(dist, 0.975) * sd / std::sqrt(static_cast<double>(mo.n));
      }
      s.metrics.emplace_back(columns_[c], e);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<PointSummary> summarize(const std::vector<Json>& records) {
  Summarizer s;
  for (const auto& rec : records) s.add(rec);
  return s.result();
}

std::string format_table(const std::vector<PointSummary>& rows) {
  // The table metrics some row reports (an algorithm-specific column appears only when a run of
  // that algorithm is in the table).
  std::vector<Column> columns;
  for (const Column& d : table_metrics())
    if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.find(d.name); }))
      columns.push_back(d);
  const bool vms =
      std::any_of(rows.begin(), rows.end(), [](const auto& r) { return !r.vm.empty(); });
  // Cells first, then each column as wide as its widest cell.
  std::vector<std::string> header{"point"};
  if (vms) header.push_back("vm");
  header.push_back("n");
  for (const Column& d : columns) {
    const std::string_view unit = d.show.unit.empty() ? d.unit : d.show.unit;
    std::string h(d.label);
    if (unit != "count" && !unit.empty()) h += " [" + std::string(unit) + "]";
    header.push_back(std::move(h));
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    std::size_t n = 0;
    for (const auto& [name, e] : r.metrics) n = std::max(n, e.n);
    std::vector<std::string> line{r.point.empty() ? "-" : r.point};
    if (vms) line.push_back(r.vm.empty() ? "-" : r.vm);
    line.push_back(std::to_string(n));
    for (const Column& d : columns) {
      const Estimate* e = r.find(d.name);
      const double k = d.show.scale;
      const int p = d.show.precision;
      line.push_back(e ? fmt::format("{:.{}f} ± {:.{}f}", e->mean * k, p, e->half_width * k, p)
                       : std::string("-"));
    }
    cells.push_back(std::move(line));
  }
  // Display width: "±" is one column but two bytes.
  const auto width = [](const std::string& s) {
    return s.size() - (s.find("±") != std::string::npos ? 1 : 0);
  };
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = width(header[c]);
    for (const auto& line : cells) widths[c] = std::max(widths[c], width(line[c]));
  }
  const auto row = [&](const std::vector<std::string>& line) {
    std::string out = line[0] + std::string(widths[0] - width(line[0]), ' ');
    for (std::size_t c = 1; c < line.size(); ++c)
      out += "  " + std::string(widths[c] - width(line[c]), ' ') + line[c];
    return out + "\n";
  };
  std::string out = row(header);
  std::string last_scenario;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].scenario != last_scenario) {
      out += "# " + rows[i].scenario + "\n";
      last_scenario = rows[i].scenario;
    }
    out += row(cells[i]);
  }
  out +=
      "(mean ± 95% confidence half-width over replications, Student t; - = not reported by "
      "the algorithm)\n";
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

void CsvColumns::add(const Json& rec) {
  for (const auto& [k, v] : rec["point"].items())
    if (std::find(point_keys_.begin(), point_keys_.end(), k) == point_keys_.end())
      point_keys_.push_back(k);
  for (const auto& [k, v] : rec["metrics"].items())
    if (std::find(metric_keys_.begin(), metric_keys_.end(), k) == metric_keys_.end())
      metric_keys_.push_back(k);
  if (rec.contains("record")) vms_ = true;
}

std::string CsvColumns::header() {
  // Declared metrics in declaration order, whatever the first record reported; any other
  // metric (from an older record) after them in order of appearance.
  std::vector<std::string_view> declared;
  for (const auto& d : migration::metric_decls()) declared.push_back(d.name);
  for (const auto& d : migration::batch_metric_decls())
    if (std::find(declared.begin(), declared.end(), d.name) == declared.end())
      declared.push_back(d.name);
  const auto rank = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(declared.begin(), declared.end(), name) -
                                    declared.begin());
  };
  std::stable_sort(metric_keys_.begin(), metric_keys_.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  std::string out = "scenario_file,scenario_name,point_index";
  for (const auto& k : point_keys_) out += "," + csv_field(Json(k));
  out += ",replicate,seed";
  if (vms_) out += ",record,vm_index,vm_name";
  for (const auto& k : metric_keys_) out += "," + k;
  out += "\n";
  return out;
}

std::string CsvColumns::row(const Json& rec) const {
  std::string out = csv_field(rec["scenario_file"]) + "," + csv_field(rec["scenario_name"]) + "," +
                    csv_field(rec["point_index"]);
  for (const auto& k : point_keys_)
    out += "," + (rec["point"].contains(k) ? csv_field(rec["point"][k]) : "");
  out += "," + csv_field(rec["replicate"]) + "," + csv_field(rec["seed"]);
  if (vms_)
    for (const char* k : {"record", "vm_index", "vm_name"})
      out += "," + (rec.contains(k) ? csv_field(rec[k]) : "");
  for (const auto& k : metric_keys_)
    out += "," + (rec["metrics"].contains(k) ? csv_field(rec["metrics"][k]) : "");
  out += "\n";
  return out;
}

std::string to_csv(const std::vector<Json>& records) {
  CsvColumns columns;
  for (const auto& rec : records) columns.add(rec);
  std::string out = columns.header();
  for (const auto& rec : records) out += columns.row(rec);
  return out;
}

Json metrics_json() {
  Json out = Json::array();
  const auto show = [](const migration::MetricShow& s, std::string_view unit) {
    return Json{{"unit", std::string(s.unit.empty() ? unit : s.unit)},
                {"scale", s.scale},
                {"table", s.table},
                {"figure", s.figure}};
  };
  for (const auto& d : migration::metric_decls()) {
    Json who = Json::array();
    for (auto a : d.algorithms) who.push_back(std::string(a));
    out.push_back(Json{{"name", std::string(d.name)},
                       {"unit", std::string(d.unit)},
                       {"label", std::string(d.label)},
                       {"help", std::string(d.help)},
                       {"reported_by", who.empty() ? Json("all") : who},
                       {"show", show(d.show, d.unit)}});
  }
  // Batch metrics (a scenario with several VMs) not already declared for runs.
  for (const auto& d : migration::batch_metric_decls()) {
    if (std::any_of(out.begin(), out.end(), [&](const Json& m) { return m["name"] == d.name; }))
      continue;
    out.push_back(Json{{"name", std::string(d.name)},
                       {"unit", std::string(d.unit)},
                       {"label", std::string(d.label)},
                       {"help", std::string(d.help)},
                       {"reported_by", "batch"},
                       {"show", show(d.show, d.unit)}});
  }
  return out;
}

}  // namespace migsim::analysis
