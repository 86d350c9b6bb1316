// A network of hosts and switches joined by full-duplex links (the scenario's `topology:`
// section). Routes are shortest paths by latency, fewest hops among equals (Boost.Graph's
// Dijkstra), the same in both directions. Each link becomes two directed links of the flow
// network, one per direction, each with the link's full goodput.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/network/link.h"
#include "models/network/network.h"

namespace migsim::net {

struct TopologyLink {
  std::string a, b;  // the nodes it joins
  std::string preset;
  LinkParams params;
};

struct TopologySpec {
  std::vector<std::string> hosts;
  std::vector<std::string> switches;
  std::vector<TopologyLink> links;
};

// A topology that cannot be built: `link` is the index of the offending link (or -1).
class TopologyError : public std::runtime_error {
 public:
  TopologyError(const std::string& what, int link) : std::runtime_error(what), link_(link) {}
  int link() const { return link_; }

 private:
  int link_;
};

class Topology {
 public:
  // Checks names (unique, every link end declared, no link from a node to itself); throws
  // TopologyError.
  explicit Topology(TopologySpec spec);
  const TopologySpec& spec() const { return spec_; }
  bool is_host(const std::string& name) const;
  // The links from `from` to `to`, in order, as (link index, forward: a -> b); empty when no
  // path joins them.
  struct Hop {
    std::size_t link;
    bool forward;
  };
  std::vector<Hop> route(const std::string& from, const std::string& to) const;
  // Adds the directed links to `net`, in link order: link i is 2i (a -> b) and 2i+1 (b -> a).
  void build(Network& net) const;
  static Network::LinkId directed(const Hop& h) {
    return static_cast<Network::LinkId>(2 * h.link + (h.forward ? 0 : 1));
  }

 private:
  std::optional<std::size_t> node(const std::string& name) const;
  TopologySpec spec_;
  std::vector<std::string> nodes_;  // hosts, then switches
};

}  // namespace migsim::net
