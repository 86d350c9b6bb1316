#include "analysis/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "models/migration/metrics.h"
#include "scenarios/config_tree.h"

namespace migsim::analysis {

namespace {

using scenarios::ConfigNode;
using scenarios::ScenarioError;

bool declared_metric(std::string_view name) {
  for (const auto& d : migration::metric_decls())
    if (d.name == name) return true;
  for (const auto& d : migration::batch_metric_decls())
    if (d.name == name) return true;
  return false;
}

double number_at(const std::string& file, const ConfigNode& node, const std::string& path) {
  if (node.kind == ConfigNode::Kind::kScalar && !node.quoted) {
    std::size_t used = 0;
    try {
      const double v = std::stod(node.scalar, &used);
      if (used == node.scalar.size() && std::isfinite(v) && v >= 0) return v;
    } catch (const std::exception&) {
    }
  }
  throw ScenarioError(file, node.line, path, "expected a number >= 0, got '" + node.scalar + "'");
}

Tolerance read_tolerance(const std::string& file, const ConfigNode& node, const std::string& path,
                         Tolerance t) {
  if (node.kind != ConfigNode::Kind::kMap)
    throw ScenarioError(file, node.line, path,
                        "expected a mapping with relative, absolute and/or ignore");
  for (const auto& e : node.map) {
    const std::string key = path + "." + e.key;
    if (e.key == "relative") {
      t.relative = number_at(file, e.value, key);
    } else if (e.key == "absolute") {
      t.absolute = number_at(file, e.value, key);
    } else if (e.key == "ignore") {
      if (e.value.scalar != "true" && e.value.scalar != "false")
        throw ScenarioError(file, e.value.line, key, "expected true or false");
      t.ignore = e.value.scalar == "true";
    } else {
      throw ScenarioError(file, e.key_line, key,
                          "unknown key '" + e.key + "': allowed are relative, absolute, ignore");
    }
  }
  return t;
}

std::string point_text(const Json& r) {
  std::string s;
  const auto it = r.find("point");
  if (it == r.end() || !it->is_object()) return s;
  for (const auto& [k, v] : it->items()) {
    if (!s.empty()) s += ' ';
    s += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s;
}

// Who a record is: scenario, point, record kind and VM, and (by replicate) the replicate.
std::string record_key(const Json& r, bool with_replicate, std::string* label) {
  const std::string scenario = r.value("scenario_name", std::string{}).empty()
                                   ? r.value("scenario_file", std::string{})
                                   : r.value("scenario_name", std::string{});
  const auto point = r.value("point_index", std::int64_t{-1});
  const std::string kind = record_kind(r);
  std::string who;
  if (kind == "vm") who = fmt::format(" vm {}", r.value("vm_index", std::int64_t{-1}));
  if (kind == "batch") who = " batch";
  const std::string rep =
      with_replicate ? fmt::format(" replicate {}", r.value("replicate", std::int64_t{-1})) : "";
  const std::string pt = point_text(r);
  if (label != nullptr)
    *label = fmt::format("{} point {}{}{}{}", scenario, point, pt.empty() ? "" : " (" + pt + ")",
                         who, rep);
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}", scenario, point, pt, who, rep);
}

// The first place two resolved scenarios differ, as a key path.
std::string first_difference(const Json& a, const Json& b, const std::string& path) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      const auto it = b.find(k);
      const std::string p = path.empty() ? k : path + "." + k;
      if (it == b.end()) return p + " (only in the baseline)";
      if (*it != v) return first_difference(v, *it, p);
    }
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) return (path.empty() ? k : path + "." + k) + " (only in the current)";
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return first_difference(a[i], b[i], fmt::format("{}[{}]", path, i));
  }
  return fmt::format("{}: {} vs {}", path, a.dump(), b.dump());
}

std::string show(double v) {
  return fmt::format("{:.9g}", v);
}

std::string show(const Json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string change_text(double base, double cur) {
  const double d = cur - base;
  if (base == 0.0) return fmt::format("{:+.9g}", d);
  return fmt::format("{:+.3g}% ({:+.6g})", 100.0 * d / std::abs(base), d);
}

std::string allowed_text(const Tolerance& t) {
  return fmt::format("±{:g}% ±{:g}", 100.0 * t.relative, t.absolute);
}

struct Group {
  std::string label;
  const Json* scenario = nullptr;
  std::vector<const Json*> records;
};

std::map<std::string, Group> group(const std::vector<Json>& records, bool with_replicate,
                                   const char* side) {
  std::map<std::string, Group> groups;
  for (const Json& r : records) {
    std::string label;
    const std::string key = record_key(r, with_replicate, &label);
    Group& g = groups[key];
    if (with_replicate && !g.records.empty())
      throw CompareInputError(fmt::format("{} has two records for {}", side, label));
    g.label = label;
    const auto it = r.find("scenario");
    if (it != r.end()) {
      if (g.scenario != nullptr && *g.scenario != *it)
        throw CompareInputError(
            fmt::format("{} records of {} were run with different scenarios", side, label));
      g.scenario = &*it;
    }
    g.records.push_back(&r);
  }
  return groups;
}

void compare_values(const std::string& where, const std::string& metric, const Json& base,
                    const Json& cur, const Tolerance& tol, Comparison& out) {
  ++out.values;
  if (base.is_number() && cur.is_number()) {
    const double b = base.get<double>();
    const double c = cur.get<double>();
    if (std::abs(c - b) <= tol.absolute + tol.relative * std::abs(b)) return;
    out.drifts.push_back({where, metric, show(b), show(c), change_text(b, c), allowed_text(tol)});
  } else if (base != cur) {
    out.drifts.push_back({where, metric, show(base), show(cur), "differs", "exact"});
  }
}

void compare_means(const std::string& where, const std::string& metric,
                   const std::vector<const Json*>& base, const std::vector<const Json*>& cur,
                   const Tolerance& tol, Comparison& out) {
  ++out.values;
  std::vector<double> b, c;
  std::vector<std::string> bt, ct;
  for (const Json* v : base)
    v->is_number() ? b.push_back(v->get<double>()) : bt.push_back(show(*v));
  for (const Json* v : cur) v->is_number() ? c.push_back(v->get<double>()) : ct.push_back(show(*v));
  if (!bt.empty() || !ct.empty()) {
    std::sort(bt.begin(), bt.end());
    std::sort(ct.begin(), ct.end());
    if (bt != ct || b.size() != c.size())
      out.drifts.push_back({where, metric, fmt::format("{}", fmt::join(bt, ",")),
                            fmt::format("{}", fmt::join(ct, ",")), "differs", "exact"});
    return;
  }
  const Estimate eb = estimate(b);
  const Estimate ec = estimate(c);
  // The means may differ by the tolerance plus what their 95% intervals leave uncertain.
  const double slack = std::hypot(eb.half_width, ec.half_width);
  if (std::abs(ec.mean - eb.mean) <= tol.absolute + tol.relative * std::abs(eb.mean) + slack)
    return;
  out.drifts.push_back({where, metric, fmt::format("{} ±{:.3g}", show(eb.mean), eb.half_width),
                        fmt::format("{} ±{:.3g}", show(ec.mean), ec.half_width),
                        change_text(eb.mean, ec.mean),
                        allowed_text(tol) + fmt::format(" ±{:.3g} (CI)", slack)});
}

}  // namespace

const Tolerance& Tolerances::of(const std::string& metric) const {
  const auto it = per_metric.find(metric);
  return it != per_metric.end() ? it->second : fallback;
}

Tolerances load_tolerances(const std::string& path) {
  const ConfigNode root = scenarios::load_config_file(path);
  if (root.kind != ConfigNode::Kind::kMap)
    throw ScenarioError(path, root.line, "", "expected a mapping with default and/or metrics");
  Tolerances t;
  for (const auto& e : root.map) {
    if (e.key == "default") {
      t.fallback = read_tolerance(path, e.value, "default", t.fallback);
    } else if (e.key == "metrics") {
      if (e.value.kind != ConfigNode::Kind::kMap)
        throw ScenarioError(path, e.value.line, "metrics", "expected a mapping from metric names");
      for (const auto& m : e.value.map) {
        if (!declared_metric(m.key))
          throw ScenarioError(path, m.key_line, "metrics." + m.key,
                              "unknown metric '" + m.key + "' (migsim list metrics names them)");
        t.per_metric[m.key] = read_tolerance(path, m.value, "metrics." + m.key, t.fallback);
      }
    } else {
      throw ScenarioError(path, e.key_line, e.key,
                          "unknown key '" + e.key + "': allowed are default, metrics");
    }
  }
  return t;
}

std::vector<Json> read_records(const std::string& path) {
  std::filesystem::path file = path;
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) file /= "results.jsonl";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw CompareInputError(fmt::format("cannot read {}", file.string()));
  std::vector<Json> records;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    Json r = Json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.is_object() || !r.contains("metrics") || !r["metrics"].is_object())
      throw CompareInputError(fmt::format(
          "{}:{}: not a migsim record (a JSON object with \"metrics\")", file.string(), line_no));
    records.push_back(std::move(r));
  }
  if (records.empty()) throw CompareInputError(fmt::format("{} holds no records", file.string()));
  return records;
}

Comparison compare(const std::vector<Json>& baseline, const std::vector<Json>& current,
                   const Tolerances& tolerances, CompareMode mode) {
  const bool by_replicate = mode == CompareMode::kReplicate;
  const auto base = group(baseline, by_replicate, "the baseline");
  const auto cur = group(current, by_replicate, "the current results");
  for (const auto& [key, g] : base)
    if (!cur.contains(key))
      throw CompareInputError("the current results have no record for " + g.label);
  for (const auto& [key, g] : cur)
    if (!base.contains(key)) throw CompareInputError("the baseline has no record for " + g.label);

  Comparison out;
  std::set<std::string> only_current;
  for (const auto& [key, b] : base) {
    const Group& c = cur.at(key);
    if (b.scenario != nullptr && c.scenario != nullptr && *b.scenario != *c.scenario)
      throw CompareInputError(fmt::format("{} was run with a different scenario: {}", b.label,
                                          first_difference(*b.scenario, *c.scenario, "scenario")));
    ++out.records;
    const Json& bm = b.records.front()->at("metrics");
    const Json& cm = c.records.front()->at("metrics");
    for (const auto& [name, value] : bm.items()) {
      const Tolerance& tol = tolerances.of(name);
      if (tol.ignore) continue;
      if (!cm.contains(name)) {
        out.drifts.push_back({b.label, name, show(value), "(missing)", "removed", "-"});
        continue;
      }
      if (by_replicate) {
        compare_values(b.label, name, value, cm.at(name), tol, out);
      } else {
        std::vector<const Json*> bv, cv;
        for (const Json* r : b.records) bv.push_back(&r->at("metrics").at(name));
        for (const Json* r : c.records)
          if (r->at("metrics").contains(name)) cv.push_back(&r->at("metrics").at(name));
        compare_means(b.label, name, bv, cv, tol, out);
      }
    }
    for (const auto& [name, value] : cm.items())
      if (!bm.contains(name)) only_current.insert(name);
  }
  for (const auto& name : only_current)
    out.notes.push_back("metric " + name + " is new: only the current records have it");
  return out;
}

std::string format_comparison(const Comparison& c) {
  std::ostringstream s;
  if (!c.drifts.empty()) {
    std::size_t w0 = 5, w1 = 6, w2 = 8, w3 = 7, w4 = 6;
    for (const auto& d : c.drifts) {
      w0 = std::max(w0, d.where.size());
      w1 = std::max(w1, d.metric.size());
      w2 = std::max(w2, d.baseline.size());
      w3 = std::max(w3, d.current.size());
      w4 = std::max(w4, d.change.size());
    }
    s << fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {}\n", "where", w0, "metric", w1,
                     "baseline", w2, "current", w3, "change", w4, "allowed");
    for (const auto& d : c.drifts)
      s << fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {}\n", d.where, w0, d.metric, w1,
                       d.baseline, w2, d.current, w3, d.change, w4, d.allowed);
  }
  for (const auto& n : c.notes) s << "note: " << n << "\n";
  s << fmt::format("{} record{} matched, {} value{} compared, {} drifted{}\n", c.records,
                   c.records == 1 ? "" : "s", c.values, c.values == 1 ? "" : "s", c.drifts.size(),
                   c.drifts.empty() ? ": within tolerance" : "");
  return s.str();
}

}  // namespace migsim::analysis
