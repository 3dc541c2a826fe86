// Overloaded{lambda, lambda, ...}: one visitor for std::visit from a lambda
// per alternative.
#pragma once

namespace sctpgw::core {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace sctpgw::core
