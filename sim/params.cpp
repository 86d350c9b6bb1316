#include "sim/params.h"

#include "sim/overload.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace migsim::sim {
namespace {

std::string scalar_text(const ParamScalar& v) {
  return std::visit(Overload{
                        [](const Bytes& b) { return format_bytes(b); },
                        [](const Duration& d) { return format_duration(d); },
                        [](const BitRate& r) { return format_bit_rate(r); },
                        [](const Rate& r) { return format_rate(r); },
                        [](double d) { return format_double(d); },
                        [](std::int64_t i) { return std::to_string(i); },
                        [](bool b) { return std::string(b ? "true" : "false"); },
                        [](const std::string& s) { return s; },
                    },
                    v);
}

ParamScalar current(const ParamRef& ref) {
  return std::visit([](auto* p) { return ParamScalar{*p}; }, ref);
}

std::string join(const std::vector<std::string_view>& words) {
  std::string s;
  for (auto w : words) s += (s.empty() ? "" : ", ") + std::string(w);
  return s;
}

}  // namespace

std::string ParamDecl::type_name() const {
  return std::visit(Overload{
                        [](Bytes*) { return "size"; },
                        [](Duration*) { return "duration"; },
                        [](BitRate*) { return "data rate"; },
                        [](Rate*) { return "event rate"; },
                        [](double*) { return "number"; },
                        [](std::int64_t*) { return "integer"; },
                        [](bool*) { return "boolean"; },
                        [](std::string*) { return "string"; },
                    },
                    value);
}

std::string ParamDecl::allowed() const {
  std::string s =
      std::visit(Overload{
                     [](Bytes*) { return std::string("a size such as 4GiB"); },
                     [](Duration*) { return std::string("a duration such as 300ms"); },
                     [](BitRate*) { return std::string("a data rate such as 1Gbit/s or 125MB/s"); },
                     [](Rate*) { return std::string("an event rate such as 20000/s"); },
                     [](double*) { return std::string("a number"); },
                     [](std::int64_t*) { return std::string("a whole number"); },
                     [](bool*) { return std::string("true or false"); },
                     [](std::string*) { return std::string("a string"); },
                 },
                 value);
  if (!choices.empty()) s = "one of: " + join(choices);
  if (power_of_two) s += ", a power of two";
  if (min) s += std::string(min_exclusive ? ", greater than " : ", at least ") + scalar_text(*min);
  if (max) s += ", at most " + scalar_text(*max);
  return s;
}

std::string ParamDecl::text() const {
  return scalar_text(current(value));
}

bool ParamDecl::parse(std::string_view text, std::string& error) const {
  return std::visit(
      Overload{
          [&](Bytes* p) { return parse_bytes(text, *p, error); },
          [&](Duration* p) { return parse_duration(text, *p, error); },
          [&](BitRate* p) { return parse_bit_rate(text, *p, error); },
          [&](Rate* p) { return parse_rate(text, *p, error); },
          [&](double* p) {
            double v = 0;
            const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(v)) {
              error = "expected a number";
              return false;
            }
            *p = v;
            return true;
          },
          [&](std::int64_t* p) {
            std::int64_t v = 0;
            const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || ptr != text.data() + text.size()) {
              error = "expected a whole number";
              return false;
            }
            *p = v;
            return true;
          },
          [&](bool* p) {
            if (text == "true")
              *p = true;
            else if (text == "false")
              *p = false;
            else {
              error = "expected true or false";
              return false;
            }
            return true;
          },
          [&](std::string* p) {
            if (!choices.empty() &&
                std::find(choices.begin(), choices.end(), text) == choices.end()) {
              error = "'" + std::string(text) + "' is not one of: " + join(choices);
              std::vector<std::string> c(choices.begin(), choices.end());
              if (auto m = closest_match(text, c)) error += " (did you mean " + *m + "?)";
              return false;
            }
            *p = std::string(text);
            return true;
          },
      },
      value);
}

std::string ParamDecl::check() const {
  const ParamScalar v = current(value);
  const auto fail = [&] {
    return text() + " is out of range: must be " + allowed().substr(allowed().find(", ") + 2);
  };
  if (min) {
    const bool ok = min_exclusive ? (*min < v) : !(v < *min);
    if (!ok) return fail();
  }
  if (max && *max < v) return fail();
  if (power_of_two) {
    const std::int64_t n = std::visit(
        Overload{[](const Bytes& b) { return b.count(); }, [](std::int64_t i) { return i; },
                 [](const auto&) { return std::int64_t{1}; }},
        v);
    if (n <= 0 || (n & (n - 1)) != 0)
      return text() + " is not a power of two: must be " +
             allowed().substr(allowed().find(", ") + 2);
  }
  return {};
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // Damerau-Levenshtein (optimal string alignment) distance.
    const std::size_t n = word.size(), m = c.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
      for (std::size_t j = 1; j <= m; ++j) {
        const std::size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == c[j - 2] && word[i - 2] == c[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    if (d[n][m] < best_distance) {
      best_distance = d[n][m];
      best = c;
    }
  }
  return best;
}

}  // namespace migsim::sim
