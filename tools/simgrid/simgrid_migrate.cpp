// Concurrent VM live migrations in SimGrid (3.32), for cross-checking migsim.
//
// Not part of migsim's build: tools/simgrid/crosscheck.py compiles it against
// Debian's libsimgrid-dev and feeds it a platform and a migration list that it
// derived from a migsim scenario.
//
// usage: simgrid_migrate PLATFORM.xml MIGRATIONS.txt [--cfg=...]
//
// MIGRATIONS.txt:
//   max_concurrent K                       (0: all at once)
//   vm NAME SRC DST RAM_BYTES DIRTY_BYTES_PER_S WORKING_SET_BYTES
//   ...                                    (started in this order, at most K at a time)
//
// SimGrid's live-migration plugin (src/plugins/vm/VmLiveMigration.cpp) is a fluid
// pre-copy: stage 1 sends the RAM size, stage 2 resends what the guest dirtied during
// the previous transfer (dirtied bytes = flops computed x dirty-page rate, capped at
// the working set), until it is below the measured bandwidth x 30 ms; stage 3 sends
// the rest with the VM suspended. A guest with a dirty rate runs one vCPU that
// computes without end, so it computes `host speed` flops per second; the dirty-page
// intensity is chosen so that this is DIRTY_BYTES_PER_S.
//
// Prints one JSON object per VM and line: {"vm", "start_s", "end_s", "downtime_s", "bytes"}.

#include <simgrid/plugins/live_migration.h>
#include <simgrid/s4u.hpp>
#include <simgrid/s4u/VirtualMachine.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

// Migration speed given to the plugin: it also caps each transfer's rate, so it is
// set far above any link (the links decide the rate, as in migsim).
constexpr double kMigrationSpeed = 1e15;  // bytes per second

struct Migration {
  std::string name, src, dst;
  double ram = 0, dirty_rate = 0, working_set = 0;
  double start = -1, end = -1, suspended_at = -1, downtime = 0;
};

struct Input {
  unsigned max_concurrent = 0;
  std::vector<Migration> migrations;
};

Input read_input(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "simgrid_migrate: cannot open %s\n", path);
    std::exit(2);
  }
  Input input;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string kind;
    if (!(fields >> kind) || kind[0] == '#') continue;
    bool ok = false;
    if (kind == "max_concurrent") {
      ok = static_cast<bool>(fields >> input.max_concurrent);
    } else if (kind == "vm") {
      Migration m;
      ok = static_cast<bool>(fields >> m.name >> m.src >> m.dst >> m.ram >> m.dirty_rate >>
                             m.working_set);
      input.migrations.push_back(m);
    }
    if (!ok) {
      std::fprintf(stderr,
                   "simgrid_migrate: %s:%d: expected 'max_concurrent K' or 'vm NAME SRC DST RAM "
                   "DIRTY WSS'\n",
                   path, line_no);
      std::exit(2);
    }
  }
  return input;
}

// The guest's vCPU: computes until the simulation ends (daemon actor).
void guest_vcpu() {
  sg4::this_actor::execute(sg4::this_actor::get_host()->get_speed() * 1e7);
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PLATFORM.xml MIGRATIONS.txt [--cfg=...]\n", argv[0]);
    return 2;
  }
  sg_vm_live_migration_plugin_init();
  engine.load_platform(argv[1]);
  Input input = read_input(argv[2]);

  std::map<const sg4::VirtualMachine*, Migration*> by_vm;
  std::vector<sg4::VirtualMachine*> vms;
  for (Migration& m : input.migrations) {
    sg4::Host* src = sg4::Host::by_name(m.src);
    auto* vm = src->create_vm(m.name, 1);
    vm->set_ramsize(static_cast<sg_size_t>(m.ram));
    vm->start();
    sg_vm_set_migration_speed(vm, kMigrationSpeed);
    sg_vm_set_dirty_page_intensity(vm, m.dirty_rate / kMigrationSpeed);
    sg_vm_set_working_set_memory(vm, static_cast<sg_size_t>(m.working_set));
    by_vm[vm] = &m;
    vms.push_back(vm);
    if (m.dirty_rate > 0) sg4::Actor::create(m.name + "-vcpu", vm, guest_vcpu)->daemonize();
  }
  sg4::VirtualMachine::on_suspend_cb([&by_vm](sg4::VirtualMachine const& vm) {
    if (auto it = by_vm.find(&vm); it != by_vm.end())
      it->second->suspended_at = sg4::Engine::get_clock();
  });
  sg4::VirtualMachine::on_resume_cb([&by_vm](sg4::VirtualMachine const& vm) {
    auto it = by_vm.find(&vm);
    if (it != by_vm.end() && it->second->suspended_at >= 0)
      it->second->downtime += sg4::Engine::get_clock() - it->second->suspended_at;
  });
  // Bytes each migration sends: the plugin's data transfers go through a mailbox named
  // "__mbox_mig_src_dst:VM(SRC-DST)" (its control messages carry 0 bytes).
  std::map<std::string, double> sent;
  sg4::Comm::on_send_cb([&sent](sg4::Comm const& comm) {
    const std::string& mailbox = comm.get_mailbox()->get_name();
    const std::string prefix = "__mbox_mig_src_dst:";
    if (mailbox.rfind(prefix, 0) == 0)
      sent[mailbox.substr(prefix.size(), mailbox.find('(') - prefix.size())] +=
          comm.get_remaining();
  });

  // The scheduler starts the migrations in list order, at most `slots` at a time. Each
  // migration is driven from its source host (the plugin acknowledges to the caller).
  const unsigned slots =
      input.max_concurrent == 0 ? static_cast<unsigned>(vms.size()) : input.max_concurrent;
  sg4::Actor::create(
      "scheduler", sg4::Host::by_name(input.migrations.at(0).src), [&vms, &by_vm, slots] {
        sg4::SemaphorePtr running = sg4::Semaphore::create(slots);
        for (sg4::VirtualMachine* vm : vms) {
          running->acquire();
          sg4::Actor::create("migrate-" + vm->get_name(), vm->get_pm(), [vm, running, &by_vm] {
            Migration& m = *by_vm.at(vm);
            m.start = sg4::Engine::get_clock();
            sg_vm_migrate(vm, sg4::Host::by_name(m.dst));
            m.end = sg4::Engine::get_clock();
            running->release();
          });
        }
      });
  engine.run();

  for (const Migration& m : input.migrations)
    std::printf(
        "{\"vm\": \"%s\", \"start_s\": %.9f, \"end_s\": %.9f, \"downtime_s\": %.9f, \"bytes\": "
        "%.0f}\n",
        m.name.c_str(), m.start, m.end, m.downtime, sent[m.name]);
  return 0;
}
