// The flow network against hand-computed max-min shares and finish times, the TCP limits against
// their formulas, and streams and topologies through whole migrations.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "models/network/link.h"
#include "models/network/network.h"
#include "models/network/topology.h"
#include "tests/support.h"

using namespace migsim;
using sim::BitRate;
using sim::Bytes;
using sim::Duration;

namespace {

// TCP that never limits: huge window, no slow start, no loss. The tests of sharing use it.
net::TcpParams fluid() {
  net::TcpParams t;
  t.slow_start = false;
  t.window = Bytes{std::int64_t{1} << 32};
  return t;
}

BitRate mbps(std::int64_t m) {
  return BitRate::bits_per_second(m * 1000000);
}

// Records when each transfer's last byte left.
struct Finish {
  sim::Simulation* sim;
  double at = -1;
  static void done(void* self) {
    auto* f = static_cast<Finish*>(self);
    f->at = f->sim->now().seconds();
  }
};

}  // namespace

TEST_CASE("two flows on one link share it equally, and the survivor speeds up", "[network]") {
  sim::Simulation sim;
  net::Network net(sim);
  const auto l = net.add_link(mbps(100), Duration{}, 0.0, "l");
  net::Flow& a = net.open_flow({l}, fluid());
  net::Flow& b = net.open_flow({l}, fluid());
  Finish fa{&sim}, fb{&sim};
  // a: 25 MB, b: 12.5 MB, both from t = 0 on 100 Mbit/s = 12.5 MB/s.
  a.push(Bytes{25000000}, BitRate{}, Duration{}, &Finish::done, &fa);
  b.push(Bytes{12500000}, BitRate{}, Duration{}, &Finish::done, &fb);
  sim.run_until(Duration::ms(500));
  CHECK(a.rate_bps() == Approx(50e6));
  CHECK(b.rate_bps() == Approx(50e6));
  sim.run();
  // b: 12.5 MB at 6.25 MB/s = 2 s. a then has 12.5 MB left at 12.5 MB/s: 1 s more.
  CHECK(fb.at == Approx(2.0).epsilon(1e-9));
  CHECK(fa.at == Approx(3.0).epsilon(1e-9));
  CHECK(net.link_bytes(l).count() == 37500000);
}

TEST_CASE("a flow bottlenecked elsewhere leaves the rest of a shared link to the other",
          "[network]") {
  sim::Simulation sim;
  net::Network net(sim);
  const auto wide = net.add_link(mbps(100), Duration{}, 0.0, "wide");
  const auto narrow = net.add_link(mbps(30), Duration{}, 0.0, "narrow");
  net::Flow& through = net.open_flow({wide, narrow}, fluid());
  net::Flow& local = net.open_flow({wide}, fluid());
  through.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  local.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(1));
  CHECK(through.rate_bps() == Approx(30e6));
  CHECK(local.rate_bps() == Approx(70e6));
  CHECK(net.link_load_bps(wide) == Approx(100e6));
}

TEST_CASE("a capped flow leaves room to others, and a cap change re-shares", "[network]") {
  sim::Simulation sim;
  net::Network net(sim);
  const auto l = net.add_link(mbps(100), Duration{}, 0.0, "l");
  net::Flow& capped = net.open_flow({l}, fluid());
  net::Flow& free = net.open_flow({l}, fluid());
  net::Flow& third = net.open_flow({l}, fluid());
  // 20 Mbit/s cap for the first 2.5 MB (1 s), then no cap.
  capped.push(Bytes{2500000}, mbps(20), Duration{}, nullptr, nullptr);
  capped.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  free.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  third.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(500));
  CHECK(capped.rate_bps() == Approx(20e6));
  CHECK(free.rate_bps() == Approx(40e6));
  CHECK(third.rate_bps() == Approx(40e6));
  sim.run_until(Duration::ms(1500));
  CHECK(capped.rate_bps() == Approx(100e6 / 3));
  CHECK(free.rate_bps() == Approx(100e6 / 3));
}

TEST_CASE("rtt_weighted sharing divides a bottleneck in inverse proportion to RTT", "[network]") {
  // Two flows meet on a 90 Mbit/s link; one has 1 ms of latency on its private access link,
  // the other 4 ms, so their RTTs are 2 ms + 2 x 0.5 ms = 3 ms and 9 ms: shares 3:1 under
  // rtt_weighted (67.5 and 22.5 Mbit/s), equal under max_min (45 each).
  const auto rates = [](const char* sharing) {
    sim::Simulation sim;
    net::Network net(sim);
    const auto shared = net.add_link(mbps(90), Duration::us(500), 0.0, "shared");
    const auto near_access = net.add_link(mbps(1000), Duration::ms(1), 0.0, "near");
    const auto far_access = net.add_link(mbps(1000), Duration::ms(4), 0.0, "far");
    net::TcpParams tcp = fluid();
    tcp.sharing = sharing;
    net::Flow& near = net.open_flow({near_access, shared}, tcp);
    net::Flow& far = net.open_flow({far_access, shared}, tcp);
    near.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
    far.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
    sim.run_until(Duration::ms(1));
    return std::pair{near.rate_bps(), far.rate_bps()};
  };
  const auto [near_w, far_w] = rates("rtt_weighted");
  CHECK(near_w == Approx(67.5e6));
  CHECK(far_w == Approx(22.5e6));
  const auto [near_e, far_e] = rates("max_min");
  CHECK(near_e == Approx(45e6));
  CHECK(far_e == Approx(45e6));

  // A weighted flow held below its share by its own cap leaves the rest to the other.
  sim::Simulation sim;
  net::Network net(sim);
  const auto shared = net.add_link(mbps(90), Duration::us(500), 0.0, "shared");
  const auto far_access = net.add_link(mbps(1000), Duration::ms(4), 0.0, "far");
  net::TcpParams tcp = fluid();
  tcp.sharing = "rtt_weighted";
  net::Flow& near = net.open_flow({shared}, tcp);
  net::Flow& far = net.open_flow({far_access, shared}, tcp);
  near.push(Bytes{1000000000}, mbps(30), Duration{}, nullptr, nullptr);
  far.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(1));
  CHECK(near.rate_bps() == Approx(30e6));
  CHECK(far.rate_bps() == Approx(60e6));
}

TEST_CASE("an idle flow leaves the whole link to a newcomer and shares it when it sends again",
          "[network]") {
  // A sends 1.25 MB alone (0.1 s at 100 Mbit/s) and idles; B starts at 0.2 s and must get the
  // whole link; A sends again at 0.3 s and the two share it; the load never counts an idle flow.
  sim::Simulation sim;
  net::Network net(sim);
  const auto l = net.add_link(mbps(100), Duration{}, 0.0, "l");
  const auto other = net.add_link(mbps(100), Duration{}, 0.0, "other");
  net::Flow& a = net.open_flow({l}, fluid());
  net::Flow& b = net.open_flow({other, l}, fluid());
  Finish first{&sim};
  a.push(Bytes{1250000}, BitRate{}, Duration{}, &Finish::done, &first);
  sim.run_until(Duration::ms(150));
  CHECK(first.at == Approx(0.1).epsilon(1e-9));
  CHECK(a.rate_bps() == 0.0);
  CHECK(net.link_load_bps(l) == 0.0);
  sim.run_until(Duration::ms(200));
  b.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(250));
  CHECK(b.rate_bps() == Approx(100e6));
  CHECK(net.link_load_bps(l) == Approx(100e6));
  Finish second{&sim};
  sim.run_until(Duration::ms(300));
  a.push(Bytes{1250000}, BitRate{}, Duration{}, &Finish::done, &second);
  sim.run_until(Duration::ms(350));
  CHECK(a.rate_bps() == Approx(50e6));
  CHECK(b.rate_bps() == Approx(50e6));
  sim.run_until(Duration::ms(600));
  // 1.25 MB at 6.25 MB/s: 0.2 s after 0.3 s; then B has the link alone again.
  CHECK(second.at == Approx(0.5).epsilon(1e-9));
  CHECK(b.rate_bps() == Approx(100e6));
  CHECK(net.link_bytes(l).count() == 2500000);  // A's two transfers; B's is still on the wire
}

TEST_CASE("re-sharing touches only the flows that share links with the change", "[network]") {
  sim::Simulation sim;
  net::Network net(sim);
  const auto l1 = net.add_link(mbps(100), Duration{}, 0.0, "l1");
  const auto l2 = net.add_link(mbps(100), Duration{}, 0.0, "l2");
  std::vector<net::Flow*> on_l2;
  for (int i = 0; i < 10; ++i) {
    on_l2.push_back(&net.open_flow({l2}, fluid()));
    on_l2.back()->push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  }
  net::Flow& a = net.open_flow({l1}, fluid());
  net::Flow& b = net.open_flow({l1}, fluid());
  a.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(1));
  const auto before = net.rate_changes();
  b.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(2));
  CHECK(net.rate_changes() - before == 2);  // a halves, b starts; the ten on l2 untouched
  for (net::Flow* f : on_l2) CHECK(f->rate_bps() == Approx(10e6));
}

TEST_CASE("a transfer's delay idles its flow and lets others use the link", "[network]") {
  sim::Simulation sim;
  net::Network net(sim);
  const auto l = net.add_link(mbps(80), Duration{}, 0.0, "l");
  net::Flow& a = net.open_flow({l}, fluid());
  net::Flow& b = net.open_flow({l}, fluid());
  Finish fa{&sim}, fb{&sim};
  a.push(Bytes{10000000}, BitRate{}, Duration::s(1), &Finish::done, &fa);  // waits 1 s first
  b.push(Bytes{10000000}, BitRate{}, Duration{}, &Finish::done, &fb);
  sim.run();
  // b alone for 1 s at 10 MB/s: done at 1 s. a then alone: 1 s + 1 s.
  CHECK(fb.at == Approx(1.0));
  CHECK(fa.at == Approx(2.0));
}

TEST_CASE("TCP limits follow their formulas", "[network][tcp]") {
  // window / RTT: 4 MiB over 100 ms.
  CHECK(net::window_limit_bps(Bytes{4 << 20}, Duration::ms(100)) ==
        Approx(4.0 * 1048576 * 8 / 0.1));
  // Mathis: MSS/RTT * C/sqrt(p). hypervisor-mechanics.md 4.3 lists 142 Mbit/s at 100 ms and
  // 1e-6, and 90 Mbit/s at 50 ms and 1e-5, with C = 1.22.
  CHECK(net::mathis_limit_bps(Bytes{1448}, Duration::ms(100), 1e-6, 1.22) ==
        Approx(141.3e6).epsilon(0.01));
  CHECK(net::mathis_limit_bps(Bytes{1448}, Duration::ms(50), 1e-5, 1.22) ==
        Approx(89.4e6).epsilon(0.01));
  CHECK(std::isinf(net::mathis_limit_bps(Bytes{1448}, Duration::ms(50), 0.0, 1.22)));
  CHECK(net::rto(net::TcpParams{}, Duration::ms(10)) == Duration::ms(210));
  CHECK(net::rto(net::TcpParams{}, Duration::ms(150)) == Duration::ms(350));
}

TEST_CASE("one TCP flow is held to window/RTT and to the loss limit", "[network][tcp]") {
  sim::Simulation sim;
  net::Network net(sim);
  // 1 Gbit/s, 50 ms each way: RTT 100 ms.
  const auto l = net.add_link(mbps(1000), Duration::ms(50), 0.0, "l");
  net::TcpParams tcp;
  tcp.slow_start = false;
  net::Flow& f = net.open_flow({l}, tcp);
  f.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(1));
  CHECK(f.rate_bps() == Approx(net::window_limit_bps(tcp.window, Duration::ms(100))));

  const auto lossy = net.add_link(mbps(1000), Duration::ms(50), 1e-6, "lossy");
  net::Flow& g = net.open_flow({lossy}, tcp);
  g.push(Bytes{1000000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(Duration::ms(2));
  CHECK(g.rate_bps() ==
        Approx(net::mathis_limit_bps(tcp.mss, Duration::ms(100), 1e-6, tcp.mathis_constant)));
}

TEST_CASE("slow start moves one window per round trip, doubling, until the link binds",
          "[network][tcp]") {
  sim::Simulation sim;
  net::Network net(sim);
  // 100 Mbit/s, RTT 20 ms: the link holds 250,000 bytes per RTT. Windows 14480, 28960, 57920,
  // 115840, 231680 stay below it (5 RTTs, 448,880 bytes), then the link binds.
  const auto l = net.add_link(mbps(100), Duration::ms(10), 0.0, "l");
  net::TcpParams tcp;
  net::Flow& f = net.open_flow({l}, tcp);
  Finish done{&sim};
  f.push(Bytes{10000000}, BitRate{}, Duration{}, &Finish::done, &done);
  sim.run_until(Duration::ms(10));
  CHECK(f.rate_bps() == Approx(14480 * 8 / 0.020));
  sim.run();
  const double slow = 5 * 0.020;
  const double expect = slow + (10000000.0 - 448880) / 12.5e6;
  CHECK(done.at == Approx(expect).epsilon(1e-6));
  CHECK(f.slow_starts() == 1);
  // Idle for less than an RTO (20 + 200 ms): no new slow start, the link rate at once.
  sim.run_until(sim.now() + Duration::ms(100));
  f.push(Bytes{1000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(sim.now() + Duration::ms(1));
  CHECK(f.rate_bps() == Approx(100e6));
  sim.run();
  CHECK(f.slow_starts() == 1);
  // Idle 3 RTOs: the 250,000-byte window halves three times (31,250 bytes), then slow start.
  sim.run_until(sim.now() + Duration::ms(700));
  f.push(Bytes{1000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(sim.now() + Duration::ms(1));
  CHECK(f.rate_bps() == Approx(31250 * 8 / 0.020));
  sim.run();
  CHECK(f.slow_starts() == 2);
  // Idle 60 RTOs: back to the initial window.
  sim.run_until(sim.now() + Duration::s(14));
  f.push(Bytes{1000000}, BitRate{}, Duration{}, nullptr, nullptr);
  sim.run_until(sim.now() + Duration::ms(1));
  CHECK(f.rate_bps() == Approx(14480 * 8 / 0.020));
}

TEST_CASE("cancelled events do not run and reschedule moves them", "[network][sim]") {
  sim::Simulation sim;
  int ran = 0;
  auto bump = [](void* p) { ++*static_cast<int*>(p); };
  const auto a = sim.schedule(Duration::ms(5), sim::Band::kNormal, bump, &ran);
  const auto b = sim.schedule(Duration::ms(6), sim::Band::kNormal, bump, &ran);
  sim.cancel(a);
  (void)sim.reschedule(b, Duration::ms(9), sim::Band::kNormal, bump, &ran);
  sim.run_until(Duration::ms(8));
  CHECK(ran == 0);
  sim.run();
  CHECK(ran == 1);
  CHECK(sim.now() == Duration::ms(9));
  CHECK(sim.events_processed() == 1);
}

TEST_CASE("topology routes take the lowest latency, then the fewest hops", "[network]") {
  net::TopologySpec spec;
  spec.hosts = {"a", "b"};
  spec.switches = {"s1", "s2", "s3"};
  net::LinkParams fast, slow;
  fast.latency = Duration::us(10);
  slow.latency = Duration::ms(5);
  spec.links = {{"a", "s1", "", fast},  {"s1", "b", "", slow}, {"a", "s2", "", fast},
                {"s2", "s3", "", fast}, {"s3", "b", "", fast}, {"b", "a", "", slow}};
  const net::Topology t(spec);
  const auto r = t.route("a", "b");
  REQUIRE(r.size() == 3);  // a-s2-s3-b: 30 us beats 5.01 ms and the direct 5 ms link
  CHECK(r[0].link == 2);
  CHECK(r[0].forward);
  CHECK(r[2].link == 4);
  const auto back = t.route("b", "a");
  REQUIRE(back.size() == 3);
  CHECK(back[0].link == 4);
  CHECK_FALSE(back[0].forward);
  spec.links.pop_back();
  spec.links[3].params.latency = Duration::us(4990);  // a-s1-b and a-s2-s3-b: 5.01 ms each
  CHECK(net::Topology(spec).route("a", "b").size() == 2);
  CHECK_THROWS_AS(net::Topology(net::TopologySpec{{"a", "a"}, {}, {}}), net::TopologyError);
}

TEST_CASE("over a 100 ms RTT path one stream is window-bound and 8 streams fill the link",
          "[network][streams]") {
  const std::string base =
      "vm: {memory: 4GiB}\nworkload: {type: idle}\nhost: {hypervisor: qemu}\n"
      "link: {preset: wan, loss: 0}\ntcp: {window: 4MiB}\n";
  const auto rate = [&](int streams) {
    const auto r = test::run_yaml(base +
                                  "migration: {algorithm: pre_copy, max_bandwidth: 0bit/s, "
                                  "streams: " +
                                  std::to_string(streams) + "}\n");
    const auto& round = r["rounds"][0];
    return round["bytes"].get<double>() * 8 / round["duration_s"].get<double>();
  };
  const double window_rtt = 4.0 * 1048576 * 8 / 0.1;
  const double one = rate(1);
  CHECK(one <= window_rtt);
  CHECK(one > 0.97 * window_rtt);  // slow start costs under a second of a 100 s pass
  const double eight = rate(8);
  CHECK(eight > 0.97 * 941.5e6);
  CHECK(eight <= 941.5e6 * 1.0001);
}

TEST_CASE("migrations over a topology cross every link of the route", "[network]") {
  const auto r = test::run_yaml(
      "vm: {memory: 256MiB}\nworkload: {type: idle}\nhost: {hypervisor: xen-v2}\n"
      "migration: {algorithm: pre_copy}\n"
      "topology:\n"
      "  hosts: [h1, h2]\n"
      "  switches: [tor1, tor2]\n"
      "  links:\n"
      "    - {between: [h1, tor1], preset: 10gigabit}\n"
      "    - {between: [tor1, tor2], bandwidth: 400Mbit/s, latency: 1ms}\n"
      "    - {between: [tor2, h2], preset: 10gigabit}\n"
      "source: h1\ndestination: h2\n");
  const auto& m = r["metrics"];
  // The 400 Mbit/s middle link binds: 256 MiB + framing at 376.6 Mbit/s goodput.
  const double goodput = 400e6 * 0.9415;
  const double wire = m["bytes_total"].get<double>() * 8;
  CHECK(m["total_time_s"].get<double>() > wire / goodput);
  CHECK(m["total_time_s"].get<double>() < wire / goodput * 1.02);
  CHECK(r["scenario"]["topology"]["links"].size() == 3);
  CHECK(r["scenario"]["source"] == "h1");
}
