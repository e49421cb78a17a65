#include "egress/check/azure_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "egress/report/azure_routes.h"

namespace egress {
namespace {

namespace fs = std::filesystem;

Topology udr() {
  LoadResult r = load_topology_file(std::string(EGRESS_TEST_DATA_DIR) + "/check/udr.yaml");
  EXPECT_TRUE(r.errors.empty());
  return std::move(*r.topology);
}

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("egress_check_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  CheckResult check(const std::vector<std::string>& files, CheckOptions options = {}) {
    AnswersLoad load = read_azure_answers(files);
    EXPECT_TRUE(load.errors.empty()) << (load.errors.empty() ? "" : load.errors[0].message);
    return check_against_azure(topology_, load.answers, options);
  }

  // The model's own routes of `subnet` as Azure prints them: the answer that agrees.
  std::string own_routes(const char* subnet) {
    Index s = topology_.find_subnet(subnet);
    return routes_to_azure_json(topology_, s, compute_effective_routes(topology_, s));
  }

  static std::vector<std::string> kinds(const CheckResult& r) {
    std::vector<std::string> out;
    for (const Difference& d : r.differences) {
      out.push_back(d.kind + " " + d.subject + " | " + d.azure + " | " + d.model);
    }
    return out;
  }

  Topology topology_ = udr();
  fs::path dir_;
};

TEST_F(CheckTest, TheModelsOwnRoutesAgree) {
  std::string f = write("rt.json", own_routes("vnet1/nodes"));
  CheckResult r = check({f}, CheckOptions{"", "vnet1/nodes"});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.differences.empty()) << kinds(r)[0];
  EXPECT_EQ(r.route_tables, 1U);
  EXPECT_EQ(r.routes, 7U);
  EXPECT_EQ(format_check(r),
            "check: no differences (7 routes of 1 route table, 0 next hops, 0 egress IPs "
            "compared)\n");
}

TEST_F(CheckTest, ADeliberatelyChangedRouteIsReported) {
  std::string text = own_routes("vnet1/nodes");
  text.replace(text.find("10.1.8.4"), 8, "10.1.8.5");  // the appliance route's next hop
  text.replace(text.find("\"None\",\n      \"source\": \"Default\",\n      \"state\": \"Active\""),
               6, "\"Internet\"");
  std::string f = write("effective-routes/vnet1~nodes~aks-system-nic.json", text);
  CheckResult r = check({f});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  EXPECT_EQ(kinds(r),
            (std::vector<std::string>{
                "route-next-hop subnet vnet1/nodes 10.0.0.0/8 Default | Internet | None",
                "route-next-hop subnet vnet1/nodes 192.168.10.0/24 User | VirtualAppliance "
                "10.1.8.5 | VirtualAppliance 10.1.8.4"}));
  EXPECT_EQ(r.differences[1].pointer, "/value/6");
  EXPECT_EQ(format_check(r).substr(0, f.size() + 2), f + ": ");
}

TEST_F(CheckTest, MissingExtraAndStateRows) {
  // Azure's REST example: a VNet of 172.20.2.0/24 and a 0.0.0.0/0 Internet route the model
  // has as Invalid here (the model has no user default route: both Active, so only
  // the address space differs), plus a state difference written in.
  std::string f = write("rt.json", R"({"value": [
    {"source": "Default", "state": "Active", "addressPrefix": ["10.1.0.0/16"],
     "nextHopType": "VnetLocal", "nextHopIpAddress": []},
    {"source": "Default", "state": "Invalid", "addressPrefix": ["0.0.0.0/0"],
     "nextHopType": "Internet", "nextHopIpAddress": []},
    {"source": "Default", "state": "Active", "addressPrefix": ["25.33.80.0/20"],
     "nextHopType": "None", "nextHopIpAddress": []}]})");
  CheckResult r = check({f}, CheckOptions{"vm1-nic", ""});
  ASSERT_TRUE(r.errors.empty());
  std::vector<std::string> k = kinds(r);
  ASSERT_EQ(k.size(), 6U);
  EXPECT_EQ(k[0], "route-state subnet vnet1/other 0.0.0.0/0 Default | Invalid | Active");
  EXPECT_EQ(k[1], "route-missing subnet vnet1/other 25.33.80.0/20 Default | None (Active) | ");
  EXPECT_EQ(k[2], "route-extra subnet vnet1/other 192.168.0.0/16 Default |  | None (Active)");
}

TEST_F(CheckTest, WhichSubnetComesFromTheFileElseTheFlagsElseAnError) {
  std::string wrapped = write("wrapped.json", R"({"parameters": {"networkInterfaceName": "nic1"},
    "responses": {"200": {"body": {"value": [{"source": "Default", "state": "Active",
    "addressPrefix": ["10.1.0.0/16"], "nextHopType": "VnetLocal", "nextHopIpAddress": []}]}}}})");
  AnswersLoad load = read_azure_answers(std::vector<std::string>{wrapped});
  ASSERT_EQ(load.answers.route_tables.size(), 1U);
  EXPECT_EQ(load.answers.route_tables[0].nic, "nic1");
  CheckResult r = check_against_azure(topology_, load.answers, {});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            wrapped +
                ": error: which subnet are these effective routes of? the file names NIC 'nic1', "
                "which " +
                std::string(EGRESS_TEST_DATA_DIR) +
                "/check/udr.yaml does not have; give --nic NAME or --subnet VNET/SUBNET");
  r = check_against_azure(topology_, load.answers, CheckOptions{"", "vnet1/other"});
  EXPECT_TRUE(r.errors.empty());
  r = check_against_azure(topology_, load.answers, CheckOptions{"nope", ""});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_NE(r.errors[0].message.find("--nic 'nope': no host, node pool or appliance"),
            std::string::npos);
}

TEST_F(CheckTest, AMissingEgressIpIsReported) {
  // az aks show (flattened): AKS reports pip1 and pip3; the model has pip1 and pip2.
  std::string f =
      write("aks.json", R"({"name": "aks1", "type": "Microsoft.ContainerService/managedClusters",
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
    "networkProfile": {"outboundType": "loadBalancer", "loadBalancerProfile": {"effectiveOutboundIPs": [
      {"id": "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPAddresses/PIP1",
       "resourceGroup": "MC_rg"},
      {"id": "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPAddresses/pip3",
       "resourceGroup": "MC_rg"}]}}})");
  std::string ips =
      write("pips.json", R"([{"name": "pip1", "type": "Microsoft.Network/publicIPAddresses",
    "id": "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPAddresses/pip1",
    "ipAddress": "20.0.0.9"}])");
  CheckResult r = check({f, ips});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(kinds(r),
            (std::vector<std::string>{
                "egress-ip-address cluster aks1 loadBalancerProfile.effectiveOutboundIPs "
                "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/"
                "publicIPAddresses/PIP1 | 20.0.0.9 | 20.0.0.1",
                "egress-ip-missing cluster aks1 loadBalancerProfile.effectiveOutboundIPs | "
                "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/"
                "publicIPAddresses/pip3 | ",
                "egress-ip-extra cluster aks1 loadBalancerProfile.effectiveOutboundIPs |  | pip2 "
                "20.0.0.2"}));
  EXPECT_EQ(r.differences[1].pointer, "/networkProfile/loadBalancerProfile/effectiveOutboundIPs");
  EXPECT_EQ(r.egress_ips, 2U);
}

TEST_F(CheckTest, NextHopAnswersWithTheirRequest) {
  std::string f = write("nh.json", R"({"parameters": {"parameters": {
      "sourceIPAddress": "10.1.0.5", "destinationIPAddress": "192.168.10.7"}},
    "responses": {"200": {"body": {"nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.1.8.4",
      "routeTableId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/RT1"}}}})");
  std::string g =
      write("nh2.json", R"({"sourceIPAddress": "10.1.0.5", "destinationIPAddress": "8.8.8.8",
      "nextHopType": "Internet", "nextHopIpAddress": "", "routeTableId": "/x/routeTables/rt1"})");
  CheckResult r = check({f, g});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.next_hops, 2U);
  EXPECT_EQ(kinds(r), (std::vector<std::string>{"next-hop-route-table flow 10.1.0.5 -> 8.8.8.8 | "
                                                "/x/routeTables/rt1 | System Route"}));
}

TEST(ReadAzureAnswers, MalformedJsonSaysWhereAndOversizedFilesAreRefused) {
  fs::path p = fs::path(::testing::TempDir()) / "egress_check_bad.json";
  std::ofstream(p) << "{\n  \"value\": [\n    {\"a\": 1,}\n  ]\n}\n";
  AnswersLoad load = read_azure_answers(std::vector<std::string>{p.string()});
  ASSERT_EQ(load.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(load.errors[0], "error"),
            p.string() +
                ":3:13: error: syntax error while parsing object key - "
                "unexpected '}'; expected string literal");
  load = read_azure_answers(std::vector<std::string>{p.string()}, 10);
  ASSERT_EQ(load.errors.size(), 1U);
  EXPECT_EQ(load.errors[0].code, "file-too-large");
  fs::remove(p);
}

// azure-behaviour D7: AKS lists an outbound IP prefix by its id; a public IP made from the
// prefix is one of the prefix frontend's addresses.
TEST_F(CheckTest, AnOutboundIpPrefixIsMatchedByIdOrByItsAddresses) {
  const std::string mc = "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/";
  LoadResult loaded = parse_topology(
      "version: 1\n"
      "vnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: n, addressPrefix: "
      "10.0.4.0/24}]}]\n"
      "publicIpPrefixes: [{name: pre, id: " +
          mc + "publicIPPrefixes/pre, addressPrefix: 20.8.0.0/30}]\n" +
          "cluster:\n  nodePools: [{name: s, subnet: v/n, nodes: 1}]\n"
          "  loadBalancer: kubernetes\n"
          "loadBalancers:\n  - name: kubernetes\n"
          "    frontends: [{name: f, publicIpPrefix: pre}]\n"
          "    backendPools: [{name: p, members: [s]}]\n"
          "    outboundRules: [{name: o, frontends: [f], backendPool: p}]\n",
      "t.yaml");
  ASSERT_TRUE(loaded.topology);
  topology_ = std::move(*loaded.topology);
  auto aks = [&](const std::string& name, const std::string& ids) {
    return write(name, R"({"name": "aks1", "type": "Microsoft.ContainerService/managedClusters",
      "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1",
      "networkProfile": {"loadBalancerProfile": {"effectiveOutboundIPs": [)" +
                           ids + "]}}}");
  };
  std::string by_id = aks("by-id.json", "{\"id\": \"" + mc + "publicIPPrefixes/PRE\"}");
  EXPECT_TRUE(check({by_id}).differences.empty());

  std::string pips = write(
      "pips.json",
      "[{\"name\": \"in\", \"type\": \"Microsoft.Network/publicIPAddresses\", \"id\": \"" + mc +
          "publicIPAddresses/in\", \"ipAddress\": \"20.8.0.2\"},"
          " {\"name\": \"out\", \"type\": \"Microsoft.Network/publicIPAddresses\", \"id\": \"" +
          mc + "publicIPAddresses/out\", \"ipAddress\": \"20.9.0.1\"}]");
  std::string inside = aks("inside.json", "{\"id\": \"" + mc + "publicIPAddresses/in\"}");
  EXPECT_TRUE(check({inside, pips}).differences.empty());
  std::string outside = aks("outside.json", "{\"id\": \"" + mc + "publicIPAddresses/out\"}");
  EXPECT_EQ(kinds(check({outside, pips})),
            (std::vector<std::string>{
                "egress-ip-missing cluster aks1 loadBalancerProfile.effectiveOutboundIPs | " + mc +
                    "publicIPAddresses/out | ",
                "egress-ip-extra cluster aks1 loadBalancerProfile.effectiveOutboundIPs |  | " + mc +
                    "publicIPPrefixes/pre 20.8.0.0/30"}));
}

TEST(CheckAgainstAzure, NothingToCompareIsAnError) {
  CheckResult r = check_against_azure(Topology{}, AzureAnswers{}, {});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].code, "check-nothing");
}

}  // namespace
}  // namespace egress
