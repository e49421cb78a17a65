// Every behaviour the engine implements where Azure documents none, in one place. Each has a
// stable id that results carry (`FlowResult::models`) and `egress-sim models` lists, so a user
// can always tell a documented rule from a modelled one (../shared/spec/semantics.md, preamble).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace egress {

struct Model {
  std::string_view id;
  std::string_view text;
};

namespace model {
inline constexpr std::string_view kApplianceMissing = "appliance-missing-drops";
inline constexpr std::string_view kGatewayMissing = "gateway-missing-drops";
inline constexpr std::string_view kApplianceNoSnatNoNat = "appliance-no-snat-needs-nat-gateway";
inline constexpr std::string_view kInternetTag = "nsg-internet-tag";
inline constexpr std::string_view kBlockRule = "block-nsg-rule";
inline constexpr std::string_view kPeeringTwoSided = "peering-two-sided";
inline constexpr std::string_view kForwardedPeering = "peering-forwarded-traffic";
inline constexpr std::string_view kSnatSample = "snat-sample";
inline constexpr std::string_view kIngressBackend = "ingress-backend-nodes";
inline constexpr std::string_view kBgpShadowedByVnet = "bgp-shadowed-by-vnet";
inline constexpr std::string_view kPodToPod = "pod-cidr-internal";
inline constexpr std::string_view kNodePublicIp = "node-public-ip";
// Azure Firewall (azure-behaviour B): where its documents stop.
inline constexpr std::string_view kFirewallNoHost = "firewall-no-host";
inline constexpr std::string_view kFirewallFqdnByHost = "firewall-fqdn-by-host";
inline constexpr std::string_view kFirewallRuleOrder = "firewall-rule-order";
// Replay (semantics.md 5): what time and ports add.
inline constexpr std::string_view kFlowIdleTimeout = "flow-idle-timeout";
inline constexpr std::string_view kFlowEnd = "flow-end";
inline constexpr std::string_view kFlowDirection = "flow-direction";
inline constexpr std::string_view kLbPortChoice = "lb-port-choice";
inline constexpr std::string_view kAppliancePorts = "appliance-snat-ports";
inline constexpr std::string_view kNatGatewayDestination = "nat-gateway-destination";
inline constexpr std::string_view kHostNameWait = "host-name-wait";
// Service endpoints (azure-behaviour D4).
inline constexpr std::string_view kServiceEndpointAllRegions = "service-endpoint-all-regions";
}  // namespace model

/// Every model id in the order all_models() lists them (models.cc checks both agree at compile
/// time): a model's position here is its bit in ModelSet.
inline constexpr std::array kModelIds = {
    model::kApplianceMissing,
    model::kGatewayMissing,
    model::kApplianceNoSnatNoNat,
    model::kInternetTag,
    model::kBlockRule,
    model::kPeeringTwoSided,
    model::kForwardedPeering,
    model::kSnatSample,
    model::kIngressBackend,
    model::kBgpShadowedByVnet,
    model::kPodToPod,
    model::kNodePublicIp,
    model::kFirewallNoHost,
    model::kFirewallFqdnByHost,
    model::kFirewallRuleOrder,
    model::kFlowIdleTimeout,
    model::kFlowEnd,
    model::kFlowDirection,
    model::kLbPortChoice,
    model::kAppliancePorts,
    model::kNatGatewayDestination,
    model::kHostNameWait,
    model::kServiceEndpointAllRegions,
};
inline constexpr size_t kModelCount = kModelIds.size();

/// The bit of a model id, or kModelCount for an unknown id.
constexpr size_t model_index(std::string_view id) {
  for (size_t i = 0; i < kModelCount; ++i) {
    if (kModelIds[i] == id) {
      return i;
    }
  }
  return kModelCount;
}

/// The models that decided a result, one bit each. Results print them in id order (the order
/// replay has always printed them in), whatever order they were added in.
class ModelSet {
 public:
  // The width follows the number of models; past 64 this must become a wider type.
  static_assert(kModelCount <= 64, "more models than ModelSet has bits: widen ModelSet::Bits");
  using Bits = std::conditional_t<kModelCount <= 32, uint32_t, uint64_t>;

  constexpr ModelSet() = default;
  constexpr ModelSet(std::initializer_list<std::string_view> ids) {
    for (std::string_view id : ids) {
      add(id);
    }
  }

  /// Adds a model by id; false (and nothing added) for an id no model has.
  constexpr bool add(std::string_view id) {
    size_t i = model_index(id);
    if (i == kModelCount) {
      return false;
    }
    bits_ |= Bits{1} << i;
    return true;
  }
  constexpr void remove(std::string_view id) {
    size_t i = model_index(id);
    if (i != kModelCount) {
      bits_ &= ~(Bits{1} << i);
    }
  }
  constexpr bool contains(std::string_view id) const {
    size_t i = model_index(id);
    return i != kModelCount && (bits_ >> i & 1U) != 0;
  }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr size_t size() const { return static_cast<size_t>(std::popcount(bits_)); }
  constexpr Bits bits() const { return bits_; }
  /// The set bits() gave (a replay shard file carries it); bits past kModelCount dropped.
  static constexpr ModelSet from_bits(uint64_t bits) {
    ModelSet s;
    s.bits_ =
        static_cast<Bits>(kModelCount >= 64 ? bits : bits & ((uint64_t{1} << kModelCount) - 1));
    return s;
  }

  /// The ids in id order.
  std::vector<std::string_view> ids() const;
  /// The ids in id order, as strings (JSON arrays, joined cells).
  std::vector<std::string> id_strings() const;

  constexpr ModelSet& operator|=(const ModelSet& o) {
    bits_ |= o.bits_;
    return *this;
  }
  constexpr ModelSet& operator-=(const ModelSet& o) {
    bits_ &= ~o.bits_;
    return *this;
  }
  friend constexpr bool operator==(const ModelSet&, const ModelSet&) = default;

 private:
  Bits bits_ = 0;
};

/// All models, in a stable order.
std::span<const Model> all_models();
/// The text of a model, or empty for an unknown id.
std::string_view model_text(std::string_view id);

}  // namespace egress
