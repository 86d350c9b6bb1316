// Improved pre-copy (Ma, Liu, Liu 2010, seed-papers.md 3): Xen's legacy pre-copy, plus a bitmap
// of "frequently updated" pages that are sent only in the last round, so each is transmitted
// once more at most instead of once per round. A page dirtied in `hot_after` consecutive
// observations (the dirty-log fetches that close live rounds; default 2: dirtied in round i-1
// and again in round i, the paper's to_send & to_skip) joins the hot set and leaves the pending
// set. The paper keeps it there ("transmitted just once"); `hot_release` lets a page leave
// after a round in which it stayed clean. Termination: the hypervisor's rules; excluding hot
// pages is what makes Xen's sent+skipped < 50 trigger early ("no more than 5" iterations).
#include <bit>
#include <vector>

#include "models/migration/algorithm.h"
#include "models/migration/live_rounds.h"

namespace migsim::migration {
namespace {

struct ImprovedPreCopyParams {
  LiveCopyParams live;
  std::int64_t hot_after = 2;
  bool hot_release = false;

  template <class V>
  void visit(V& v) {
    live.stop.visit(v);
    live.visit_round_options(v);
    v(sim::param("hot_after", hot_after,
                 "a page dirtied in this many consecutive rounds joins the hot set, sent only in "
                 "the final round (Ma et al.: 2)")
          .at_least(1)
          .at_most(64)
          .counting("rounds"));
    v(sim::param("hot_release", hot_release,
                 "a hot page that stays clean for a round leaves the hot set and is sent again "
                 "live (the paper: no, hot pages are transmitted once)"));
    live.format.visit(v);
  }
  static ImprovedPreCopyParams for_hypervisor(std::string_view hypervisor) {
    ImprovedPreCopyParams p;
    p.live = LiveCopyParams::for_hypervisor(hypervisor);
    return p;
  }
};

// The hot set: per page, how many consecutive observations dirtied it (a small counter kept in
// bit planes, updated a word at a time), and whether it is hot.
class HotSet {
 public:
  HotSet(std::uint64_t pages, std::int64_t hot_after, bool release)
      : threshold_(static_cast<sim::Bitmap::Word>(hot_after - 1)),
        release_(release),
        hot_(pages),
        released_(pages),
        fetched_(pages) {
    const int planes = std::max(1, static_cast<int>(std::bit_width(threshold_)));
    for (int i = 0; i < planes; ++i) streak_.emplace_back(pages);
  }

  sim::Bitmap& fetched() { return fetched_; }
  const sim::Bitmap& hot() const { return hot_; }
  const sim::Bitmap& released() const { return released_; }
  std::uint64_t size() const { return size_; }

  // One observation: the pages of fetched() were dirtied; the others stayed clean.
  void observe() {
    using Word = sim::Bitmap::Word;
    released_any_ = false;
    for (std::uint64_t w = 0; w < fetched_.word_count(); ++w) {
      const Word d = std::exchange(fetched_.word(w), 0);
      Word at_threshold = ~Word{0};  // pages whose streak equals hot_after - 1
      for (std::size_t j = 0; j < streak_.size(); ++j)
        at_threshold &= ((threshold_ >> j) & 1U) ? streak_[j].word(w) : ~streak_[j].word(w);
      const Word joining = d & at_threshold & ~hot_.word(w);
      // Dirty pages count one more (saturating at the threshold); clean ones start over.
      Word carry = d & ~at_threshold;
      for (auto& plane : streak_) {
        const Word bit = plane.word(w);
        plane.word(w) = (bit ^ carry) & d;
        carry &= bit;
      }
      hot_.word(w) |= joining;
      size_ += static_cast<std::uint64_t>(std::popcount(joining));
      released_.word(w) = 0;
      if (release_) {
        const Word leaving = hot_.word(w) & ~d;
        if (leaving != 0) {
          hot_.word(w) &= ~leaving;
          released_.word(w) = leaving;
          released_any_ = true;
          size_ -= static_cast<std::uint64_t>(std::popcount(leaving));
        }
      }
    }
  }
  bool released_any() const { return released_any_; }

 private:
  sim::Bitmap::Word threshold_;
  bool release_;
  std::vector<sim::Bitmap> streak_;  // bit planes of the consecutive-dirty counter
  sim::Bitmap hot_, released_, fetched_;
  std::uint64_t size_ = 0;
  bool released_any_ = false;
};

class ImprovedPreCopy final : public Algorithm {
 public:
  explicit ImprovedPreCopy(const ImprovedPreCopyParams& p) : p_(p), stop_(p.live.stop) {
    p_.live.check();
  }

  sim::Process run(MigrationContext& ctx, MigrationReport& report) override {
    MigrationSession s(ctx, p_.live.format, report);
    HotSet hot(s.memory().pages(), p_.hot_after, p_.hot_release);

    LiveRoundHooks hooks;
    hooks.fetched = &hot.fetched();
    hooks.after_fetch = [&] {
      // Frequently updated pages wait for the last round; released ones are sent live again.
      hot.observe();
      if (hot.released_any()) s.release(hot.released());
      s.hold_back(hot.hot());
      s.round().hot_pages = hot.size();
    };
    report.stop_reason = co_await run_live_rounds(s, p_.live, stop_, hooks);
    s.round().hot_pages = hot.size();  // the last live round ended without an observation

    co_await s.suspend();
    report.hot_pages_final = hot.size();
    s.release(hot.hot());  // the last round sends the hot pages with the rest
    co_await s.final_copy();
    co_await s.transfer_state_and_resume();
    s.finish();
  }

 private:
  ImprovedPreCopyParams p_;
  StopPolicy stop_;
};

}  // namespace

void register_improved_pre_copy(AlgorithmRegistry& registry) {
  registry.add(make_algorithm_entry<ImprovedPreCopyParams, ImprovedPreCopy>(
      "improved_pre_copy", "pre-copy that holds frequently dirtied pages back for the final round",
      "Ma, Liu, Liu, ICSESS 2010 (seed-papers.md 3)", &ImprovedPreCopyParams::for_hypervisor));
}

}  // namespace migsim::migration
