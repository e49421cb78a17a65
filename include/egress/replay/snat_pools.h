// SNAT ports as the resource they are (../shared/spec/semantics.md 5): who may use which
// public IP and port towards which destination, in packet time, with Azure's numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "egress/engine/flow.h"
#include "egress/net/ip_address.h"

namespace egress {

/// How a flow ended, which decides the NAT gateway's cool-down before its port may be used
/// towards the same destination again (azure-egress-facts 3b).
enum class FlowEnd : uint8_t { kFin, kRst, kIdle, kHalfOpen, kEndOfInput };

/// A port held by a flow: the public IP (by slot, see SnatPools::ip) and the port.
struct SnatLease {
  uint32_t ip_slot = 0;
  uint16_t port = 0;
};

/// One public IP's use, for the summary.
struct SnatIpUse {
  IpAddress ip;
  std::string resource;  // the NAT gateway, load balancer, appliance or host that owns it
  uint32_t ports = 0;    // ports the IP has for SNAT
  uint32_t in_use = 0;   // ports held now, by live flows or cooling down
  uint32_t peak_in_use = 0;
  /// New flows that found no port, each counted on one IP only, the one it would have left
  /// with (an LB instance's first frontend; for a NAT gateway or an appliance an IP drawn from
  /// the flow), so that a resource's IPs add up to the resource's count.
  uint64_t exhausted = 0;
};

/// The port pools of every NAT gateway, load balancer outbound rule, appliance and instance
/// public IP a replay meets, created on first use. Deterministic: the same calls in the same
/// order with the same seed give the same ports. Not thread-safe; one per replay.
class SnatPools {
 public:
  explicit SnatPools(uint64_t seed);
  ~SnatPools();
  SnatPools(SnatPools&&) noexcept;
  SnatPools& operator=(SnatPools&&) noexcept;

  /// A port for a new flow leaving through `point`, or nullopt when every IP it may use has
  /// no free port towards the flow's destination (the flow is `snat-exhausted`). `resource`
  /// names the owner for the summary. An ICMP flow or a point without IPs of the flow's
  /// family gets nullopt without counting as exhausted: check `exhausted()` to tell.
  std::optional<SnatLease> acquire(const SnatPoint& point, const std::string& resource,
                                   const FlowKey& flow, int64_t now_ns);
  /// Whether the last acquire failed for want of ports.
  bool exhausted() const;

  /// Gives the port back; a NAT gateway port stays unavailable towards the same destination
  /// until its cool-down has passed. `lease` is one acquire() gave for `flow` through `point`,
  /// given back once.
  void release(const SnatLease& lease, const SnatPoint& point, const FlowKey& flow, FlowEnd end,
               int64_t now_ns);

  /// Ends the cool-downs that are over by `now_ns`.
  void advance(int64_t now_ns);

  /// Hints that ready the memory of an acquire() or release() some calls later, for a caller
  /// that sees its calls coming (a threaded replay's stage). They change nothing: a wrong guess
  /// costs a wasted load. Two steps, some calls apart: kSlots the sets' index slots, then
  /// kEntries the entries those slots name.
  enum class Step : uint8_t { kSlots, kEntries };
  /// For an acquire() that `ahead` other acquisitions come before: a NAT gateway's or an
  /// appliance's first try (IP and port) is guessed from its resource's random stream, as if
  /// each of those took a port at its first try.
  void prefetch_acquire(const SnatPoint& point, const FlowKey& flow, uint32_t ahead,
                        Step step) const noexcept;
  void prefetch_release(const SnatLease& lease, const SnatPoint& point, const FlowKey& flow,
                        FlowEnd end, Step step) const noexcept;

  const IpAddress& ip(uint32_t slot) const;
  /// Every public IP met so far, in order of first use.
  const std::vector<SnatIpUse>& ip_use() const;
  /// Bytes the pools hold now (for the bytes-per-flow figures).
  size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace egress
