// The typed parts of a flow result: the model set, result addresses and hop actions, and their
// text forms, which are the contract (cli.md "A flow result").
#include "egress/engine/flow.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "egress/engine/models.h"

namespace egress {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(ModelSet, HasABitForEveryModelInTheOrderOfAllModels) {
  ASSERT_EQ(kModelCount, all_models().size());
  for (size_t i = 0; i < all_models().size(); ++i) {
    EXPECT_EQ(model_index(all_models()[i].id), i) << all_models()[i].id;
  }
  EXPECT_LE(kModelCount, sizeof(ModelSet::Bits) * 8);
  EXPECT_EQ(model_index("not-a-model"), kModelCount);
}

TEST(ModelSet, AddsKnownIdsOnceAndRefusesUnknownOnes) {
  ModelSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.add(model::kSnatSample));
  EXPECT_TRUE(s.add(model::kSnatSample));
  EXPECT_FALSE(s.add("not-a-model"));
  EXPECT_EQ(s.size(), 1U);
  EXPECT_TRUE(s.contains(model::kSnatSample));
  EXPECT_FALSE(s.contains(model::kFlowEnd));
  EXPECT_FALSE(s.contains("not-a-model"));
  s.remove(model::kSnatSample);
  EXPECT_TRUE(s.empty());
}

// Replay has always printed a flow's models sorted by id; trace now does too.
TEST(ModelSet, ListsIdsSortedWhateverTheOrderTheyWereAddedIn) {
  ModelSet s;
  s.add(model::kSnatSample);
  s.add(model::kFirewallNoHost);
  s.add(model::kApplianceMissing);
  EXPECT_EQ(s.id_strings(), (std::vector<std::string>{"appliance-missing-drops", "firewall-no-host",
                                                      "snat-sample"}));
  ModelSet t{model::kApplianceMissing, model::kFirewallNoHost};
  t |= ModelSet{model::kSnatSample};
  EXPECT_EQ(s, t);
}

TEST(ModelSet, EveryModelRoundTrips) {
  ModelSet all;
  for (const Model& m : all_models()) {
    ASSERT_TRUE(all.add(m.id)) << m.id;
  }
  EXPECT_EQ(all.size(), kModelCount);
  std::vector<std::string_view> ids = all.ids();
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(ids.size(), kModelCount);
}

TEST(ResultAddress, TextForms) {
  struct Case {
    ResultAddress address;
    const char* node;
    const char* text;
  };
  const Case cases[] = {
      {ResultAddress(), "", ""},
      {ip("20.1.2.3"), "", "20.1.2.3"},
      {ip("2001:db8::1"), "", "2001:db8::1"},
      {ResultAddress::endpoint(ip("10.42.3.10"), 80), "", "10.42.3.10:80"},
      {ResultAddress::endpoint(ip("fd00::5"), 8443), "", "[fd00::5]:8443"},
      {ResultAddress::default_outbound(), "", "unknown:default-outbound"},
      {ResultAddress::node_public_ip(0, 1), "system#1", "unknown:node-public-ip:system#1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(to_string(c.address, c.node), c.text);
  }
  EXPECT_TRUE(ResultAddress().empty());
  EXPECT_TRUE(ResultAddress::endpoint(ip("10.0.0.1"), 1).known());
  EXPECT_FALSE(ResultAddress::default_outbound().known());
  // Two nodes' unknown addresses are different addresses.
  EXPECT_NE(ResultAddress::node_public_ip(0, 0), ResultAddress::node_public_ip(0, 1));
  EXPECT_LT(ResultAddress(ip("20.0.0.9")), ResultAddress(ip("20.0.0.10")));
}

TEST(ResultAddress, ResultTextsUseTheResultsNode) {
  FlowResult r;
  r.resource = "games#0";
  r.snat_ip = ResultAddress::node_public_ip(1, 0);
  r.egress_ips = {r.snat_ip};
  Hop hop;
  hop.at = "games#0";
  hop.action = HopAction::kSnat;
  hop.ip = r.snat_ip;
  EXPECT_EQ(snat_ip_text(r), "unknown:node-public-ip:games#0");
  EXPECT_EQ(egress_ip_texts(r), std::vector<std::string>{"unknown:node-public-ip:games#0"});
  EXPECT_EQ(ip_text(hop), "unknown:node-public-ip:games#0");
}

TEST(HopAction, TextForms) {
  const std::pair<HopAction, const char*> cases[] = {
      {HopAction::kNone, ""},
      {HopAction::kDeliver, "deliver"},
      {HopAction::kDrop, "drop"},
      {HopAction::kDeny, "deny"},
      {HopAction::kForward, "forward"},
      {HopAction::kSnat, "snat"},
      {HopAction::kSnatToNode, "snat-to-node"},
      {HopAction::kKeepPodIp, "keep-pod-ip"},
      {HopAction::kToGateway, "to-gateway"},
      {HopAction::kToService, "to-service"},
      {HopAction::kToBackend, "to-backend"},
      {HopAction::kDnat, "dnat"},
      {HopAction::kReply, "reply"},
  };
  for (const auto& [action, text] : cases) {
    EXPECT_STREQ(to_string(action), text);
  }
}

}  // namespace
}  // namespace egress
