#include "egress/migrate/flow_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "egress/groups/destination_groups.h"

namespace egress {
namespace {

constexpr size_t kExamples = 3;

// A flow as both runs saw it: its endpoints in a fixed order and its first packet, since a
// flow may be started from either end depending on which sender a topology knows.
using PairKey = std::tuple<int, IpAddress, uint16_t, IpAddress, uint16_t, int64_t>;

PairKey pair_key(const FlowRecord& r) {
  const FlowKey& k = r.result.flow;
  bool swap = std::tie(k.dst, k.dport) < std::tie(k.src, k.sport);
  return swap
             ? PairKey{static_cast<int>(k.proto), k.dst, k.dport, k.src, k.sport, r.stats.first_ns}
             : PairKey{static_cast<int>(k.proto), k.src, k.sport, k.dst, k.dport, r.stats.first_ns};
}

DiffSide side_of(const FlowRecord& r, const std::map<IpAddress, std::string>& rename) {
  DiffSide s;
  s.verdict = r.result.verdict;
  s.reason = r.result.reason;
  s.via = r.result.via;
  s.resource = r.result.resource;
  for (const ResultAddress& ip : r.result.egress_ips) {
    auto it = ip.known() ? rename.find(ip.address()) : rename.end();
    s.egress_ips.push_back(it == rename.end() ? to_string(ip, r.result.resource) : it->second);
  }
  std::sort(s.egress_ips.begin(), s.egress_ips.end());
  return s;
}

class Collector final : public ReplaySink {
 public:
  Collector(std::map<PairKey, FlowRecord>& mine, std::map<PairKey, FlowRecord>& theirs,
            std::vector<std::pair<FlowRecord, FlowRecord>>& pairs, bool is_before)
      : mine_(mine), theirs_(theirs), pairs_(pairs), is_before_(is_before) {}

  void on_flow(const FlowRecord& record) override {
    PairKey key = pair_key(record);
    auto it = theirs_.find(key);
    if (it == theirs_.end()) {
      mine_.emplace(key, record);
      return;
    }
    if (is_before_) {
      pairs_.emplace_back(record, std::move(it->second));
    } else {
      pairs_.emplace_back(std::move(it->second), record);
    }
    theirs_.erase(it);
  }

 private:
  std::map<PairKey, FlowRecord>& mine_;
  std::map<PairKey, FlowRecord>& theirs_;
  std::vector<std::pair<FlowRecord, FlowRecord>>& pairs_;
  bool is_before_;
};

std::string endpoint(const FlowKey& k) {
  std::string ip = k.dst.is_v4() ? k.dst.to_string() : "[" + k.dst.to_string() + "]";
  return ip + ":" + std::to_string(k.dport) + "/" + to_string(k.proto);
}

}  // namespace

Result<DiffReport> diff_flows(const Engine& before, const Engine& after, PacketSource& source,
                              uint64_t seed, const std::map<IpAddress, std::string>& rename,
                              const DestinationGroups* groups) {
  std::map<PairKey, FlowRecord> pending_before;
  std::map<PairKey, FlowRecord> pending_after;
  std::vector<std::pair<FlowRecord, FlowRecord>> pairs;
  Collector before_sink(pending_before, pending_after, pairs, true);
  Collector after_sink(pending_after, pending_before, pairs, false);
  ReplayOptions options;
  options.seed = seed;
  options.records = true;
  options.progress_every = 0;
  Replayer before_run(before, options, before_sink);
  Replayer after_run(after, options, after_sink);

  DiffReport report;
  std::set<std::string> before_ips;
  std::set<std::string> after_ips;
  std::map<std::pair<std::vector<std::string>, std::vector<std::string>>, size_t> transition_of;
  std::map<size_t, std::set<std::string>> destinations_of;
  // Per group: the IPs before and after.
  std::vector<std::pair<std::set<std::string>, std::set<std::string>>> group_ips;
  if (groups != nullptr) {
    report.grouped = true;
    for (const DestinationGroup& g : groups->groups()) {
      report.groups.push_back(GroupDiff{g.name, 0, 0, {}, {}, {}, {}, {}});
    }
    group_ips.resize(report.groups.size());
  }

  auto compare = [&](const FlowRecord& b, const FlowRecord& a) {
    ++report.flows;
    DiffSide bs = side_of(b, {});
    DiffSide as = side_of(a, rename);
    before_ips.insert(bs.egress_ips.begin(), bs.egress_ips.end());
    after_ips.insert(as.egress_ips.begin(), as.egress_ips.end());
    // The name a firewall on either side read (a side without one does not look).
    const std::string& host = b.result.host.empty() ? a.result.host : b.result.host;
    size_t g = groups == nullptr ? kNoGroup : groups->match(b.result.flow, host);
    bool same =
        bs.verdict == as.verdict && bs.egress_ips == as.egress_ips && bs.reason == as.reason;
    bool newly_dropped = as.verdict == Verdict::kDropped && bs.verdict != Verdict::kDropped;
    if (g != kNoGroup) {
      GroupDiff& gd = report.groups[g];
      ++gd.flows;
      gd.changed += same ? 0 : 1;
      if (newly_dropped) {
        ++gd.newly_dropped[to_string(as.reason)];
      }
      group_ips[g].first.insert(bs.egress_ips.begin(), bs.egress_ips.end());
      group_ips[g].second.insert(as.egress_ips.begin(), as.egress_ips.end());
    }
    if (same) {
      return;
    }
    ++report.changed;
    if (newly_dropped) {
      ++report.newly_dropped[to_string(as.reason)];
    }
    if (bs.egress_ips == as.egress_ips || g != kNoGroup) {
      report.changes.push_back(FlowChange{b.result.flow, std::move(bs), std::move(as)});
      return;  // the verdict or reason changed, not what a destination sees
    }
    auto [it, fresh] =
        transition_of.try_emplace({bs.egress_ips, as.egress_ips}, report.transitions.size());
    if (fresh) {
      report.transitions.push_back(IpTransition{bs.egress_ips, as.egress_ips, 0, 0, {}});
    }
    IpTransition& t = report.transitions[it->second];
    ++t.flows;
    std::string dest = endpoint(b.result.flow);
    if (destinations_of[it->second].insert(dest).second) {
      ++t.destinations;
      if (t.examples.size() < kExamples) {
        t.examples.push_back(dest);
      }
    }
    report.changes.push_back(FlowChange{b.result.flow, std::move(bs), std::move(as)});
  };

  Result<bool> read = for_each_packet(source, [&](const RawPacket& packet) {
    before_run.push(packet);
    after_run.push(packet);
    for (auto& [b, a] : pairs) {
      compare(b, a);
    }
    pairs.clear();
  });
  if (!read.ok()) {
    return read.error();
  }
  before_run.finish();
  after_run.finish();
  for (auto& [b, a] : pairs) {
    compare(b, a);
  }
  pairs.clear();
  // A flow split in two by one topology's shorter idle timeout has no partner with the same
  // first packet: pair what is left in order of the flows' endpoints and start.
  auto b = pending_before.begin();
  auto a = pending_after.begin();
  while (b != pending_before.end() && a != pending_after.end()) {
    compare(b->second, a->second);
    ++b;
    ++a;
  }
  for (; b != pending_before.end(); ++b) {
    FlowRecord none = b->second;
    none.result.verdict = Verdict::kDropped;
    none.result.egress_ips.clear();
    compare(b->second, none);
  }

  report.before_ips.assign(before_ips.begin(), before_ips.end());
  report.after_ips.assign(after_ips.begin(), after_ips.end());
  std::set_difference(after_ips.begin(), after_ips.end(), before_ips.begin(), before_ips.end(),
                      std::back_inserter(report.new_ips));
  std::set_difference(before_ips.begin(), before_ips.end(), after_ips.begin(), after_ips.end(),
                      std::back_inserter(report.gone_ips));
  for (size_t g = 0; g < report.groups.size(); ++g) {
    GroupDiff& gd = report.groups[g];
    const auto& [b_ips, a_ips] = group_ips[g];
    gd.before_ips.assign(b_ips.begin(), b_ips.end());
    gd.after_ips.assign(a_ips.begin(), a_ips.end());
    std::set_difference(a_ips.begin(), a_ips.end(), b_ips.begin(), b_ips.end(),
                        std::back_inserter(gd.add));
    std::set_difference(b_ips.begin(), b_ips.end(), a_ips.begin(), a_ips.end(),
                        std::back_inserter(gd.remove));
  }
  std::stable_sort(report.transitions.begin(), report.transitions.end(),
                   [](const IpTransition& x, const IpTransition& y) { return x.flows > y.flows; });
  return report;
}

}  // namespace egress
