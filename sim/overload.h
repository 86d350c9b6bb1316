// overload{lambdas...}: one visitor from several lambdas, for std::visit over variants.
#pragma once

namespace migsim::sim {

template <class... Fs>
struct Overload : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overload(Fs...) -> Overload<Fs...>;

}  // namespace migsim::sim
