// Declaring a model's parameters once. A parameter struct has defaults in member initialisers
// and one `visit` that names each field, its help text and its limits:
//
//   template <class V> void visit(V& v) {
//     v(sim::param("memory", memory, "guest RAM size").at_least(Bytes{4096}));
//   }
//
// The scenario reader, the validator, `migsim list`, the JSON schema and the resolved scenario in
// every run record all walk that one declaration through a ParamVisitor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/units.h"

namespace migsim::sim {

using ParamScalar =
    std::variant<Bytes, Duration, BitRate, Rate, double, std::int64_t, bool, std::string>;
using ParamRef =
    std::variant<Bytes*, Duration*, BitRate*, Rate*, double*, std::int64_t*, bool*, std::string*>;

// The type-independent view of one declared parameter.
struct ParamDecl {
  std::string_view name;
  std::string_view help;
  ParamRef value;
  std::optional<ParamScalar> min;
  bool min_exclusive = false;
  std::optional<ParamScalar> max;
  std::vector<std::string_view> choices;  // for strings: the allowed words
  std::string_view unit;                  // for plain numbers: what they count ("pages")
  bool power_of_two = false;              // for sizes and integers

  // "size", "duration", "data rate", "event rate", "number", "integer", "boolean", "string".
  std::string type_name() const;
  // What a valid value looks like, including the limits: "a size such as 4GiB, at least 4KiB".
  std::string allowed() const;
  // The current value as scenario text ("1GiB", "300ms", "true", "0.25").
  std::string text() const;
  // Parses `text` into the value; false with `error` set when it is not of the right type.
  bool parse(std::string_view text, std::string& error) const;
  // An error message when the current value is outside the limits, else empty.
  std::string check() const;
};

template <class T>
class Param {
 public:
  Param(std::string_view name, T& value, std::string_view help) {
    decl_.name = name;
    decl_.help = help;
    decl_.value = &value;
  }
  Param&& at_least(T v) && {
    decl_.min = ParamScalar{std::move(v)};
    return std::move(*this);
  }
  Param&& above(T v) && {
    decl_.min = ParamScalar{std::move(v)};
    decl_.min_exclusive = true;
    return std::move(*this);
  }
  Param&& at_most(T v) && {
    decl_.max = ParamScalar{std::move(v)};
    return std::move(*this);
  }
  Param&& one_of(std::initializer_list<std::string_view> words) && {
    decl_.choices.assign(words.begin(), words.end());
    return std::move(*this);
  }
  Param&& one_of(std::vector<std::string_view> words) && {
    decl_.choices = std::move(words);
    return std::move(*this);
  }
  Param&& power_of_two() && {
    decl_.power_of_two = true;
    return std::move(*this);
  }
  Param&& counting(std::string_view unit) && {
    decl_.unit = unit;
    return std::move(*this);
  }
  const ParamDecl& decl() const { return decl_; }

 private:
  ParamDecl decl_;
};

template <class T>
Param<T> param(std::string_view name, T& value, std::string_view help) {
  return Param<T>(name, value, help);
}

class ParamVisitor {
 public:
  virtual ~ParamVisitor() = default;
  virtual void visit(const ParamDecl& decl) = 0;
  template <class T>
  void operator()(const Param<T>& p) {
    visit(p.decl());
  }
};

// A parameter struct behind a common interface, so registries can hold any model's parameters.
class ParamSet {
 public:
  virtual ~ParamSet() = default;
  virtual void accept(ParamVisitor& visitor) = 0;
  virtual std::unique_ptr<ParamSet> clone() const = 0;
};

template <class P>
class ParamSetOf final : public ParamSet {
 public:
  explicit ParamSetOf(P p = {}) : value(std::move(p)) {}
  void accept(ParamVisitor& visitor) override { value.visit(visitor); }
  std::unique_ptr<ParamSet> clone() const override { return std::make_unique<ParamSetOf>(value); }
  P value;
};

// Thrown by model constructors when parameters are individually valid but inconsistent
// together; `key` names the parameter (within its section) to blame.
class ParamError : public std::runtime_error {
 public:
  ParamError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Calls fn(decl) for each declared parameter of `target`: a ParamSet or a parameter struct.
template <class T, class Fn>
void for_each_param(T& target, Fn&& fn) {
  using F = std::remove_reference_t<Fn>;
  struct V final : ParamVisitor {
    F* f;
    explicit V(F* fp) : f(fp) {}
    void visit(const ParamDecl& d) override { (*f)(d); }
  } v(&fn);
  if constexpr (std::is_base_of_v<ParamSet, T>)
    target.accept(v);
  else
    target.visit(v);
}

// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace migsim::sim
