// Random valid scenarios for property tests. Everything is drawn from the declarations: every
// registered workload, algorithm, hypervisor and link preset, and random overrides of their
// declared parameters within the declared limits (narrowed where noted so a run stays cheap).
// An algorithm or workload registered later is drawn with no edit here.
#pragma once

#include <cmath>
#include <string>

#include "models/host/hypervisor.h"
#include "models/migration/algorithm.h"
#include "models/network/link.h"
#include "sim/overload.h"
#include "sim/random.h"
#include "workloads/workload.h"

namespace migsim::test {

class ScenarioGenerator {
 public:
  explicit ScenarioGenerator(std::uint64_t seed)
      : rng_(seed, 0, "test.scenario-generator"),
        background_rng_(seed, 0, "test.scenario-generator.background") {}

  // One scenario as YAML. It may still be rejected by the loader (cross-parameter checks such
  // as a region past the end of memory); callers draw again.
  std::string next() {
    std::string y = "seed: " + std::to_string(rng_.below(1000000)) + "\n";
    // Guest: 4 KiB to 64 GiB, mostly 4 KiB pages.
    const std::int64_t page = pick<std::int64_t>({4096, 4096, 4096, 512, 65536, 2 << 20});
    const double log_mem = uniform(std::log2(4096.0), 36.0);
    std::int64_t memory =
        std::max<std::int64_t>(page, static_cast<std::int64_t>(std::exp2(log_mem)) / page * page);
    memory_ = memory;
    page_ = page;
    y += "vm: {memory: " + std::to_string(memory) + "B, page_size: " + std::to_string(page) +
         "B, zero_fraction: " + sim::format_double(coin(0.5) ? 0.0 : uniform(0.0, 1.0)) + "}\n";

    const auto& wl = workloads::workloads().entries();
    const auto& w = wl[rng_.below(wl.size())];
    auto wp = w.make_params();
    y += "workload: {type: " + std::string(w.name) + overrides(*wp) + "}\n";
    // A quarter of the scenarios get a background workload, drawn from a stream of its own so
    // the rest of each scenario is what it was before backgrounds existed.
    std::swap(rng_, background_rng_);
    if (coin(0.25)) {
      const auto& b = wl[rng_.below(wl.size())];
      auto bp = b.make_params();
      y += "background: {type: " + std::string(b.name) + overrides(*bp) + "}\n";
    }
    std::swap(rng_, background_rng_);

    const auto& links = net::link_presets().entries();
    y += "link: {preset: " + std::string(links[rng_.below(links.size())].name);
    if (coin(0.7))
      y += ", bandwidth: " + sim::format_bit_rate(sim::BitRate::bits_per_second(
                                 log_uniform_int(100000000, 100000000000)));
    if (coin(0.5))
      y += ", latency: " + sim::format_duration(sim::Duration::us(log_uniform_int(1, 100000)));
    if (coin(0.3)) y += ", efficiency: " + sim::format_double(uniform(0.5, 1.0));
    y += "}\n";

    const auto& hvs = host::hypervisor_presets().entries();
    const auto& hv = hvs[rng_.below(hvs.size())];
    host::HostParams hp = hv.defaults;
    sim::ParamSetOf<host::HostParams> hset(hp);
    y += "host: {hypervisor: " + std::string(hv.name) + overrides(hset) + "}\n";

    const auto& algs = migration::algorithms().entries();
    const auto& a = algs[rng_.below(algs.size())];
    auto ap = a.make_params(hv.name);
    y += "migration: {algorithm: " + std::string(a.name) + overrides(*ap) + "}\n";
    return y;
  }

 private:
  bool coin(double p) { return rng_.uniform01() < p; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * rng_.uniform01(); }
  std::int64_t log_uniform_int(std::int64_t lo, std::int64_t hi) {
    lo = std::max<std::int64_t>(lo, 1);
    if (hi <= lo) return lo;
    const double v = std::exp(
        uniform(std::log(static_cast<double>(lo)), std::log(static_cast<double>(hi) + 1.0)));
    return std::clamp(static_cast<std::int64_t>(v), lo, hi);
  }
  template <class T>
  T pick(std::initializer_list<T> options) {
    return *(options.begin() + rng_.below(options.size()));
  }

  template <class T>
  static T bound(const std::optional<sim::ParamScalar>& b, T fallback) {
    return b ? std::get<T>(*b) : fallback;
  }

  // ", key: value" for a random subset of the declared parameters, each within its limits.
  std::string overrides(sim::ParamSet& set) {
    std::string out;
    sim::for_each_param(set, [&](const sim::ParamDecl& d) {
      if (!coin(0.35)) return;
      draw(d);
      if (!d.check().empty()) return;  // e.g. an exclusive minimum hit exactly: keep the default
      out += ", " + std::string(d.name) + ": " + quote(d);
    });
    return out;
  }

  static std::string quote(const sim::ParamDecl& d) {
    return std::holds_alternative<std::string*>(d.value) ? "\"" + d.text() + "\"" : d.text();
  }

  // Sets the parameter to a random value within its declared limits. Upper ends are narrowed
  // (durations to 10 min, rates to 10 M/s, counts to 10^4, data rates to 100 Gbit/s) so a few
  // hundred runs take seconds.
  void draw(const sim::ParamDecl& d) {
    std::visit(
        sim::Overload{
            [&](sim::Bytes* v) {
              const std::int64_t lo = bound(d.min, sim::Bytes{0}).count();
              const std::int64_t hi = std::min(bound(d.max, sim::limits::kMaxMemory).count(),
                                               std::max<std::int64_t>(memory_, lo));
              std::int64_t x = coin(0.2) ? lo : log_uniform_int(lo, hi);
              if (d.power_of_two)
                x = std::int64_t{1}
                    << (63 -
                        std::countl_zero(static_cast<std::uint64_t>(std::max<std::int64_t>(x, 1))));
              else if (x >= 4096)
                x = x / 4096 * 4096;
              *v = sim::Bytes{x};
            },
            [&](sim::Duration* v) {
              const std::int64_t lo = bound(d.min, sim::Duration{}).count_ns();
              const std::int64_t hi = std::min(bound(d.max, sim::Duration::max()).count_ns(),
                                               sim::Duration::s(600).count_ns());
              *v = sim::Duration::ns(
                  coin(0.2) ? lo : log_uniform_int(std::max<std::int64_t>(lo, 1000), hi));
            },
            [&](sim::BitRate* v) {
              const std::int64_t lo = bound(d.min, sim::BitRate{}).bps();
              const std::int64_t hi = std::min(bound(d.max, sim::limits::kMaxLinkRate).bps(),
                                               std::int64_t{100000000000});
              *v = sim::BitRate::bits_per_second(
                  coin(0.2) ? lo : log_uniform_int(std::max<std::int64_t>(lo, 1000000), hi));
            },
            [&](sim::Rate* v) {
              *v = sim::Rate{coin(0.2) ? 0.0 : static_cast<double>(log_uniform_int(1, 10000000))};
            },
            [&](double* v) {
              const double lo = bound(d.min, 0.0);
              const double hi = std::min(bound(d.max, 10.0), 10.0);
              *v = uniform(lo, hi);
            },
            [&](std::int64_t* v) {
              std::int64_t lo = bound(d.min, std::int64_t{0});
              // Cost follows batches: keep a pass under ~16k batches.
              if (d.name == "batch_pages") lo = std::max<std::int64_t>(lo, memory_ / page_ / 16384);
              const std::int64_t hi =
                  std::min(bound(d.max, std::int64_t{10000}), std::int64_t{10000});
              *v = coin(0.2) ? lo : log_uniform_int(lo, hi);
              if (*v < lo) *v = lo;
            },
            [&](bool* v) { *v = coin(0.5); },
            [&](std::string* v) {
              if (!d.choices.empty()) *v = std::string(d.choices[rng_.below(d.choices.size())]);
            },
        },
        d.value);
  }

  sim::RandomStream rng_;
  sim::RandomStream background_rng_;
  std::int64_t memory_ = 0;
  std::int64_t page_ = 4096;
};

}  // namespace migsim::test
