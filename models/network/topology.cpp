#include "models/network/topology.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <cstdint>

namespace migsim::net {

Topology::Topology(TopologySpec spec) : spec_(std::move(spec)) {
  nodes_ = spec_.hosts;
  nodes_.insert(nodes_.end(), spec_.switches.begin(), spec_.switches.end());
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (std::find(nodes_.begin(), nodes_.begin() + static_cast<std::ptrdiff_t>(i), nodes_[i]) !=
        nodes_.begin() + static_cast<std::ptrdiff_t>(i))
      throw TopologyError("node '" + nodes_[i] + "' is declared twice", -1);
  for (std::size_t i = 0; i < spec_.links.size(); ++i) {
    const TopologyLink& l = spec_.links[i];
    for (const std::string& end : {l.a, l.b})
      if (!node(end))
        throw TopologyError("link end '" + end + "' is neither a host nor a switch",
                            static_cast<int>(i));
    if (l.a == l.b)
      throw TopologyError("a link joins '" + l.a + "' to itself", static_cast<int>(i));
  }
}

std::optional<std::size_t> Topology::node(const std::string& name) const {
  const auto it = std::find(nodes_.begin(), nodes_.end(), name);
  if (it == nodes_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - nodes_.begin());
}

bool Topology::is_host(const std::string& name) const {
  return std::find(spec_.hosts.begin(), spec_.hosts.end(), name) != spec_.hosts.end();
}

std::vector<Topology::Hop> Topology::route(const std::string& from, const std::string& to) const {
  using Graph =
      boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                            boost::property<boost::edge_weight_t, std::int64_t,
                                            boost::property<boost::edge_index_t, std::size_t>>>;
  const auto src = node(from), dst = node(to);
  if (!src || !dst || *src == *dst) return {};
  Graph g(nodes_.size());
  for (std::size_t i = 0; i < spec_.links.size(); ++i) {
    const TopologyLink& l = spec_.links[i];
    // Latency first, then hop count: 1 ns of latency outweighs any number of hops.
    const std::int64_t weight = l.params.latency.count_ns() * 4096 + 1;
    boost::add_edge(*node(l.a), *node(l.b), Graph::edge_property_type(weight, i), g);
  }
  std::vector<Graph::vertex_descriptor> pred(nodes_.size());
  std::vector<std::int64_t> dist(nodes_.size());
  boost::dijkstra_shortest_paths(
      g, *src,
      boost::predecessor_map(
          boost::make_iterator_property_map(pred.begin(), boost::get(boost::vertex_index, g)))
          .distance_map(
              boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g))));
  if (pred[*dst] == *dst) return {};
  std::vector<Hop> hops;
  const auto edge_index = boost::get(boost::edge_index, g);
  const auto weight = boost::get(boost::edge_weight, g);
  for (auto v = *dst; v != *src; v = pred[v]) {
    const auto u = pred[v];
    // The lightest edge between u and v (parallel links: the one Dijkstra relaxed through).
    std::optional<Graph::edge_descriptor> best;
    for (auto [e, end] = boost::out_edges(u, g); e != end; ++e)
      if (boost::target(*e, g) == v &&
          (!best || weight[*e] < weight[*best] ||
           (weight[*e] == weight[*best] && edge_index[*e] < edge_index[*best])))
        best = *e;
    const std::size_t link = edge_index[*best];
    hops.push_back(Hop{link, nodes_[u] == spec_.links[link].a});
  }
  std::reverse(hops.begin(), hops.end());
  return hops;
}

void Topology::build(Network& net) const {
  for (const TopologyLink& l : spec_.links) {
    net.add_link(l.params.goodput(), l.params.latency, l.params.loss, l.a + ">" + l.b);
    net.add_link(l.params.goodput(), l.params.latency, l.params.loss, l.b + ">" + l.a);
  }
}

}  // namespace migsim::net
