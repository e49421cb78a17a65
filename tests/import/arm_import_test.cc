#include "egress/import/arm_import.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "egress/config/topology_loader.h"
#include "egress/engine/effective_routes.h"
#include "import/arm_import_internal.h"
#include "import/scratch_dir.h"

namespace egress {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kExamples = std::string(EGRESS_SHARED_DIR) + "/arm-examples";

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ImportResult import_text(std::vector<std::string> sources, ImportOptions options = {}) {
  return import_azure(sources, options);
}

std::vector<std::string> codes(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) {
    out.push_back(d.code);
  }
  return out;
}

bool has_finding(const ImportResult& r, const std::string& text) {
  for (const Diagnostic& d : r.findings) {
    if (format_diagnostic(d, "warning").find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The ARM body of a REST example (responses.200.body, else 201).
Json body_of(const std::string& file) {
  Json root = Json::parse(read(file));
  const Json& responses = root["responses"];
  return responses.contains("200") ? responses["200"]["body"] : responses["201"]["body"];
}

// az network's flattened shape: properties lifted into the object (and into each
// subresource), plus resourceGroup.
Json flatten(const Json& resource) {
  if (resource.is_array()) {
    Json out = Json::array();
    for (const Json& item : resource) {
      out.push_back(flatten(item));
    }
    return out;
  }
  if (!resource.is_object()) {
    return resource;
  }
  Json out = Json::object();
  for (auto it = resource.begin(); it != resource.end(); ++it) {
    if (it.key() == "properties" && it->is_object()) {
      for (auto p = it->begin(); p != it->end(); ++p) {
        out[p.key()] = flatten(*p);
      }
    } else {
      out[it.key()] = flatten(*it);
    }
  }
  if (out.contains("id") && out.contains("type")) {
    out["resourceGroup"] = "rg1";
  }
  return out;
}

TEST(ImportAzure, EveryExampleImportsAlone) {
  for (const std::string& file : example_files()) {
    ImportResult r = import_text({file});
    EXPECT_TRUE(r.errors.empty()) << file << ": " << format_diagnostic(r.errors[0], "error");
    EXPECT_EQ(r.yaml.rfind("# Imported by egress-sim import", 0), 0U) << file;
  }
}

TEST(ImportAzure, AllExamplesTogetherAndDeterministic) {
  std::vector<std::string> files = example_files();
  ImportResult a = import_text(files);
  ASSERT_TRUE(a.errors.empty());
  // 20 files: 2 of answers (effective routes, next hop), one list of 3 public IPs.
  EXPECT_EQ(a.resources, 20U);
  std::vector<std::string> reversed(files.rbegin(), files.rend());
  ImportResult b = import_text(reversed);
  EXPECT_EQ(a.yaml, b.yaml);
  ImportResult folder = import_text({kExamples});
  EXPECT_EQ(a.yaml, folder.yaml);
  // The same findings, whatever the order of the files (sorted by file).
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (size_t i = 0; i < a.findings.size(); ++i) {
    EXPECT_EQ(format_diagnostic(a.findings[i], "warning"),
              format_diagnostic(b.findings[i], "warning"));
  }
  // The upstream examples share placeholder ids: kept first by file name, said so.
  EXPECT_TRUE(has_finding(
      a,
      "LoadBalancerGet.json: warning: /subscriptions/00000000-0000-0000-0000-000000000000/"
      "resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb is also defined in " +
          kExamples +
          "/LoadBalancerCreateWithOutboundRules.json at /responses/200/body with other "
          "content; that one (first by file name) is used, this one skipped at "
          "/responses/200/body"));
}

TEST(ImportAzure, FormsGiveTheSameTopology) {
  // One VNet and a route table in every shape a user has them.
  Json vnet = body_of(kExamples + "/VirtualNetworkGet.json");
  Json table = body_of(kExamples + "/RouteTableGet.json");
  ScratchDir dir("egress_arm_import", "forms");
  std::vector<std::pair<std::string, std::vector<std::string>>> forms;
  forms.push_back(
      {"wrapper", {kExamples + "/VirtualNetworkGet.json", kExamples + "/RouteTableGet.json"}});
  forms.push_back({"nested objects",
                   {dir.write("n/vnet.json", vnet.dump(2)), dir.write("n/rt.json", table.dump())}});
  forms.push_back({"flattened az list",
                   {dir.write("f/vnets.json", Json::array({flatten(vnet)}).dump(2)),
                    dir.write("f/rts.json", Json::array({flatten(table)}).dump(2))}});
  forms.push_back(
      {"REST value list", {dir.write("v/all.json", Json{{"value", {vnet, table}}}.dump())}});
  Json graph_vnet = vnet;
  graph_vnet["type"] = "microsoft.network/virtualnetworks";  // Resource Graph lower-cases types
  forms.push_back(
      {"resource graph",
       {dir.write("g/q.json", Json{{"count", 2}, {"data", {graph_vnet, table}}}.dump())}});
  dir.write("folder/resources/rg1/vnets.json", Json::array({flatten(vnet)}).dump());
  dir.write("folder/resources/rg1/route-tables.json", Json::array({flatten(table)}).dump());
  dir.write("folder/manifest.json", R"({"tool":"azure-export.sh","format":1})");
  forms.push_back({"export folder", {dir.str() + "/folder"}});
  const std::string expected = import_text(forms[0].second).yaml;
  ASSERT_NE(expected.find("addressPrefix: 10.0.1.0/24"), std::string::npos) << expected;
  ASSERT_NE(expected.find("nextHopType: VirtualNetworkGateway"), std::string::npos) << expected;
  for (const auto& [form, sources] : forms) {
    ImportResult r = import_text(sources);
    EXPECT_TRUE(r.errors.empty()) << form;
    EXPECT_EQ(r.yaml, expected) << form;
    EXPECT_EQ(r.resources, 2U) << form;
  }
}

TEST(ImportAzure, PublicIpsAsTheListSaysAndUnallocatedOnesLeftOut) {
  ImportResult r = import_text({kExamples + "/PublicIpAddressListAll.json"});
  ASSERT_TRUE(r.errors.empty());
  // The addresses PublicIpAddressListAll lists, and no third one: testDNS-ip has none.
  EXPECT_NE(r.yaml.find("  - name: ip01\n    id: /subscriptions/subid/resourceGroups/rg2/"
                        "providers/Microsoft.Network/publicIPAddresses/ip01\n    address: "
                        "40.85.154.247\n"),
            std::string::npos)
      << r.yaml;
  EXPECT_NE(r.yaml.find("address: 40.85.154.248\n"), std::string::npos);
  EXPECT_EQ(r.yaml.find("testDNS-ip"), std::string::npos);
  EXPECT_EQ(codes(r.findings), std::vector<std::string>{"unallocated-public-ip"});
  EXPECT_EQ(format_diagnostic(r.findings[0], "warning"),
            kExamples +
                "/PublicIpAddressListAll.json: warning: public IP testDNS-ip has no allocated "
                "ipAddress (a dynamic IP not in use): left out, references to it too at "
                "/responses/200/body/value/0");
}

TEST(ImportAzure, PrefixWithHostBitsIsCanonicalised) {
  ImportResult r = import_text({kExamples + "/PublicIpPrefixGet.json"});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_NE(r.yaml.find("addressPrefix: 192.168.254.0/30\n"), std::string::npos) << r.yaml;
  ASSERT_EQ(codes(r.findings), std::vector<std::string>{"canonicalised-prefix"});
  EXPECT_EQ(format_diagnostic(r.findings[0], "warning"),
            kExamples +
                "/PublicIpPrefixGet.json: warning: ipPrefix 192.168.254.2/30 has host bits set; "
                "imported as 192.168.254.0/30 at /responses/200/body/properties/ipPrefix");
}

TEST(ImportAzure, OutboundRuleOfTheExampleWithItsPublicIp) {
  // The example's frontend names public IP `pip`, which the examples do not hold: with it
  // (an address of ours, 20.0.0.1), the outbound rule and the LB rule come through as the
  // example writes them.
  ScratchDir dir("egress_arm_import", "lb");
  std::string pip = dir.write(
      "pip.json",
      R"({"name":"pip","type":"Microsoft.Network/publicIPAddresses","id":"/subscriptions/)"
      R"(00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.Network/)"
      R"(publicIPAddresses/pip","properties":{"ipAddress":"20.0.0.1"}})");
  ImportResult r = import_text({kExamples + "/LoadBalancerCreateWithOutboundRules.json", pip});
  ASSERT_TRUE(r.errors.empty());
  const std::string lb_id =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/"
      "Microsoft.Network/loadBalancers/lb";
  EXPECT_NE(r.yaml.find("    outboundRules:\n"
                        "      - name: rule1\n"
                        "        id: " +
                        lb_id +
                        "/outboundRules/rule1\n"
                        "        frontends: [fe-lb]\n"
                        "        backendPool: be-lb\n"
                        "        allocatedOutboundPorts: 1024\n"
                        "        idleTimeoutInMinutes: 4\n"
                        "        protocol: All\n"),
            std::string::npos)
      << r.yaml;
  // The load-balancing rule (disableOutboundSnat: true) is not modelled: named, not dropped.
  EXPECT_TRUE(has_finding(r, "1 load-balancing rules: SNAT by load-balancing rules"));
  EXPECT_NE(r.yaml.find("        publicIp: pip\n"), std::string::npos);
}

TEST(ImportAzure, StandaloneChildrenJoinTheirParentOrMakeOne) {
  ImportResult alone = import_text({kExamples + "/RouteTableRouteGet.json"});
  ASSERT_TRUE(alone.errors.empty());
  EXPECT_NE(alone.yaml.find("  - name: testrt\n"), std::string::npos) << alone.yaml;
  EXPECT_NE(alone.yaml.find("nextHopType: Internet\n"), std::string::npos);
  EXPECT_EQ(codes(alone.findings), std::vector<std::string>{"synthesised"});
  // With its table, the table's own copy of route1 is used and no table is made up.
  ImportResult both =
      import_text({kExamples + "/RouteTableRouteGet.json", kExamples + "/RouteTableGet.json"});
  EXPECT_TRUE(both.findings.empty());
  EXPECT_NE(both.yaml.find("nextHopType: VirtualNetworkGateway\n"), std::string::npos);
  EXPECT_EQ(both.yaml.find("nextHopType: Internet"), std::string::npos);
}

TEST(ImportAzure, SameNameInTwoResourceGroups) {
  ScratchDir dir("egress_arm_import", "names");
  auto vnet = [](const std::string& rg, const std::string& prefix) {
    return Json{{"name", "hub"},
                {"type", "Microsoft.Network/virtualNetworks"},
                {"id", "/subscriptions/s/resourceGroups/" + rg +
                           "/providers/Microsoft.Network/virtualNetworks/hub"},
                {"properties", {{"addressSpace", {{"addressPrefixes", {prefix}}}}}}};
  };
  std::string file = dir.write(
      "v.json", Json::array({vnet("rg2", "10.2.0.0/16"), vnet("rg1", "10.1.0.0/16")}).dump());
  ImportResult r = import_text({file});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_NE(r.yaml.find("  - name: hub@rg1\n"), std::string::npos) << r.yaml;
  EXPECT_NE(r.yaml.find("  - name: hub@rg2\n"), std::string::npos);
  EXPECT_LT(r.yaml.find("hub@rg1"), r.yaml.find("hub@rg2"));
  ASSERT_EQ(codes(r.findings), (std::vector<std::string>{"duplicate-name", "duplicate-name"}));
  EXPECT_EQ(format_diagnostic(r.findings[0], "warning"),
            file +
                ": warning: 2 resources of type microsoft.network/virtualnetworks are named "
                "'hub'; this one (/subscriptions/s/resourceGroups/rg1/providers/"
                "Microsoft.Network/virtualNetworks/hub) is 'hub@rg1' in the topology at /1");
}

TEST(ImportAzure, UnknownTypesCountedOncePerType) {
  ScratchDir dir("egress_arm_import", "unknown");
  std::string file = dir.write(
      "x.json", R"([{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/)"
                R"(storageAccounts/a","type":"Microsoft.Storage/storageAccounts"},)"
                R"({"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/)"
                R"(storageAccounts/b","type":"Microsoft.Storage/storageAccounts"}])");
  ImportResult r = import_text({file});
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.findings.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.findings[0], "warning"),
            file +
                ": warning: 2 resource(s) of type Microsoft.Storage/storageAccounts skipped (not "
                "modelled), the first at /0");
}

TEST(ImportAzure, UnusedFieldsAreFindingsAndStrictMakesThemErrors) {
  ImportResult r = import_text({kExamples + "/VirtualNetworkGet.json"});
  ASSERT_EQ(codes(r.findings), std::vector<std::string>{"unused-field"});
  EXPECT_EQ(format_diagnostic(r.findings[0], "warning"),
            kExamples +
                "/VirtualNetworkGet.json: warning: 'defaultPublicNatGateway' is not used by the "
                "model at /responses/200/body/properties/defaultPublicNatGateway");
  ImportOptions strict;
  strict.strict = true;
  ImportResult s = import_text({kExamples + "/VirtualNetworkGet.json"}, strict);
  EXPECT_TRUE(s.yaml.empty());
  EXPECT_TRUE(s.findings.empty());
  EXPECT_EQ(codes(s.errors), std::vector<std::string>{"unused-field"});
}

TEST(ImportAzure, BadInputIsAnErrorWithFileAndPointerAndNoYaml) {
  ScratchDir dir("egress_arm_import", "bad");
  struct Case {
    std::string text;
    std::string expected;  // after "FILE"
  };
  const std::vector<Case> cases = {
      {"[{\"id\": \"/x\",\n \"type\": }]",
       ":2:10: error: syntax error while parsing value - unexpected '}'; expected '[', '{', or "
       "a literal"},
      {R"([{"type":"Microsoft.Network/routeTables","name":"t"}])",
       ": error: a resource of type Microsoft.Network/routeTables without an 'id' at /0"},
      {R"({"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/)"
       R"(publicIPAddresses/p","type":"Microsoft.Network/publicIPAddresses",)"
       R"("properties":{"ipAddress":"300.1.1.1"}})",
       ": error: '300.1.1.1' is not an IP address at /properties/ipAddress"},
      {R"({"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/)"
       R"(natGateways/n","type":"Microsoft.Network/natGateways",)"
       R"("properties":{"idleTimeoutInMinutes":"four"}})",
       ": error: expected an integer, got \"four\" at /properties/idleTimeoutInMinutes"},
      // A child's name of another type is an error at its pointer (it was an exception
      // reported as an internal error without a place).
      {R"({"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/)"
       R"(loadBalancers/lb","type":"Microsoft.Network/loadBalancers","properties":)"
       R"({"backendAddressPools":[{"name":7}]}})",
       ": error: expected a string, got number at /properties/backendAddressPools/0/name"},
      {R"({"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/)"
       R"(routeTables/t","type":"Microsoft.Network/routeTables","properties":)"
       R"({"routes":[{"name":[1],"properties":{"addressPrefix":"0.0.0.0/0",)"
       R"("nextHopType":"Internet"}}]}})",
       ": error: expected a string, got array at /properties/routes/0/name"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string file = dir.write("bad" + std::to_string(i) + ".json", cases[i].text);
    ImportResult r = import_azure(std::vector<std::string>{file}, {});
    ASSERT_EQ(r.errors.size(), 1U) << cases[i].text;
    EXPECT_EQ(format_diagnostic(r.errors[0], "error"), file + cases[i].expected);
    EXPECT_TRUE(r.yaml.empty());
  }
  // A malformed file among good ones: nothing is imported.
  ImportResult mixed = import_azure(
      std::vector<std::string>{kExamples + "/RouteTableGet.json", dir.str() + "/bad0.json"}, {});
  EXPECT_EQ(codes(mixed.errors), std::vector<std::string>{"json-syntax"});
  EXPECT_TRUE(mixed.yaml.empty());
}

// What the loader says about the imported data names the JSON file and the pointer of the
// resource that made the element, never a line of the YAML the user did not see: two public
// IPs with one address (the loader's duplicate-address) and a route whose next hop address is
// not an address.
TEST(ImportAzure, LoaderErrorsNameTheJsonFileAndPointer) {
  ScratchDir dir("egress_arm_import", "loader");
  const std::string ids = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/";
  auto pip = [&](const std::string& name) {
    return R"({"id":")" + ids + "publicIPAddresses/" + name + R"(","name":")" + name +
           R"(","type":"Microsoft.Network/publicIPAddresses","properties":{"ipAddress":"20.1.2.3"}})";
  };
  std::string pips = dir.write("pips.json", "[" + pip("pip-a") + ",\n" + pip("pip-b") + "]");
  ImportResult r = import_azure(std::vector<std::string>{pips}, {});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            pips +
                ": error: the imported topology does not load: address 20.1.2.3 of public IP "
                "'pip-b' is already the address of public IP 'pip-a' (/0 in " +
                pips + ") at /1");
  EXPECT_EQ(r.errors[0].code, "import-does-not-load");
  EXPECT_TRUE(r.yaml.empty());

  std::string table = dir.write(
      "routes.json", R"({"id":")" + ids +
                         R"(routeTables/rt","name":"rt","type":"Microsoft.Network/routeTables",)"
                         R"("properties":{"routes":[{"id":")" +
                         ids +
                         R"(routeTables/rt/routes/r1","name":"r1","properties":)"
                         R"({"addressPrefix":"0.0.0.0/0","nextHopType":"VirtualAppliance",)"
                         R"("nextHopIpAddress":"10.0.0.300"}}]}})");
  ImportResult bad_hop = import_azure(std::vector<std::string>{table}, {});
  ASSERT_EQ(bad_hop.errors.size(), 1U) << format_diagnostic(bad_hop.errors[0], "error");
  EXPECT_EQ(format_diagnostic(bad_hop.errors[0], "error"),
            table +
                ": error: the imported topology does not load: 'nextHopIpAddress': expected an "
                "IPv4 or IPv6 address like 10.0.0.4 or fd00::4, got '10.0.0.300' at "
                "/properties/routes/0");
}

// An element that is no list item (cluster) is placed too.
TEST(ImportAzure, LoaderErrorInTheClusterNamesItsPointer) {
  ScratchDir dir("egress_arm_import", "cluster");
  std::string text = read(kExamples + "/ManagedClustersGet.json");
  for (size_t at = text.find("\"10.0.0.0/16\""); at != std::string::npos;
       at = text.find("\"10.0.0.0/16\"")) {
    text.replace(at, 13, "\"09.0.0.0/16\"");
  }
  std::string file = dir.write("cluster.json", text);
  ImportResult r = import_azure(std::vector<std::string>{file}, {});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            file +
                ": error: the imported topology does not load: 'serviceCidrs': expected an IPv4 "
                "or IPv6 prefix like 10.0.0.0/16 or fd00::/64, got '09.0.0.0/16' at "
                "/responses/200/body");
}

// The loader reads the tree the written text parses to (built in memory, not parsed): on every
// example and snapshot the text gives that tree (verify_text_ reports any difference) and the
// same YAML as before.
TEST(ImportAzure, WrittenYamlIsTheTreeLoaded) {
  std::vector<std::vector<std::string>> inputs;
  for (const std::string& file : example_files()) {
    inputs.push_back({file});
  }
  inputs.push_back(example_files());
  for (const auto& entry : fs::directory_iterator(std::string(EGRESS_TEST_DATA_DIR) + "/arm")) {
    if (entry.is_directory()) {
      inputs.push_back({entry.path().string()});
    }
  }
  ASSERT_GT(inputs.size(), 20U);
  for (const std::vector<std::string>& sources : inputs) {
    const ImportOptions options;  // the importer keeps a reference
    arm::Importer importer(options);
    importer.verify_text_ = true;
    ImportResult verified = importer.run(sources);
    for (const Diagnostic& d : verified.errors) {
      EXPECT_NE(d.code, "internal") << sources.front() << ": " << d.message;
    }
    ImportResult plain = import_azure(sources, ImportOptions{});
    EXPECT_EQ(verified.yaml, plain.yaml) << sources.front();
    EXPECT_EQ(codes(verified.errors), codes(plain.errors)) << sources.front();
  }
}

TEST(ImportAzure, HugeFileIsRefusedBeforeReading) {
  ImportOptions options;
  options.max_file_bytes = 1024;
  ImportResult r =
      import_azure(std::vector<std::string>{kExamples + "/LoadBalancerGet.json"}, options);
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(format_diagnostic(r.errors[0], "error"),
            kExamples +
                "/LoadBalancerGet.json: error: the file is 6524 bytes, over the limit of 1 KiB "
                "for a JSON file; set EGRESS_MAX_IMPORT_BYTES to raise it");
}

TEST(ImportAzure, AnswersAloneGiveAnEmptyTopologyThatLoads) {
  // The effective routes example belongs to a NIC whose subnet (172.20.2.0/24) no example
  // holds, and the next-hop example to a VM none holds: they are `check`'s inputs, and alone
  // import an empty topology with one finding each.
  for (const char* name :
       {"NetworkInterfaceEffectiveRouteTableList.json", "NetworkWatcherNextHopGet.json"}) {
    ImportResult r = import_azure(std::vector<std::string>{kExamples + "/" + name}, {});
    EXPECT_TRUE(r.errors.empty()) << name;
    EXPECT_EQ(r.yaml,
              "# Imported by egress-sim import from Azure Resource Manager JSON; ids are ARM "
              "ids.\nversion: 1\nname: imported\n");
    EXPECT_EQ(codes(r.findings), (std::vector<std::string>{"check-input", "empty-import"}));
  }
}

TEST(ImportAzure, NicOfTheExampleNeedsItsSubnet) {
  // NetworkInterfaceGet's subnet rg1-vnet/default is in no example, so its host cannot be
  // placed: the finding says so (and the second ip configuration is a NIC prefix).
  ImportResult r = import_text({kExamples + "/NetworkInterfaceGet.json"});
  EXPECT_EQ(codes(r.findings),
            (std::vector<std::string>{"dangling-reference", "dangling-reference", "not-modelled"}));
  EXPECT_TRUE(has_finding(r,
                          "subnet /subscriptions/subid/resourceGroups/rg1/providers/"
                          "Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default is not "
                          "in the snapshot; what is in it is left out at "
                          "/responses/200/body/properties/ipConfigurations/0/properties/subnet"));
  // With a VNet holding that subnet, the NIC is a host with its address.
  ScratchDir dir("egress_arm_import", "nic");
  std::string vnet = dir.write(
      "vnet.json",
      R"({"name":"rg1-vnet","type":"Microsoft.Network/virtualNetworks","id":"/subscriptions/)"
      R"(subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet",)"
      R"("properties":{"addressSpace":{"addressPrefixes":["172.20.0.0/16"]},"subnets":[)"
      R"({"name":"default","id":"/subscriptions/subid/resourceGroups/rg1/providers/)"
      R"(Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default","properties":)"
      R"({"addressPrefix":"172.20.2.0/24"}}]}})");
  ImportResult with = import_text({kExamples + "/NetworkInterfaceGet.json", vnet});
  EXPECT_NE(with.yaml.find("hosts:\n  - name: test-nic\n"), std::string::npos) << with.yaml;
  EXPECT_NE(with.yaml.find("    subnet: rg1-vnet/default\n    address: 172.20.2.4\n"),
            std::string::npos);
}

// azure-behaviour D6, D7: ManagedClustersGet.json with a pool's node public IPs from a prefix,
// the load balancer's outbound IPs from a prefix (effectiveOutboundIPs naming the prefix, as AKS
// does), and a load balancer of its own whose frontend is a prefix.
TEST(ImportAzure, NodePublicIpsAndOutboundIpPrefixes) {
  const std::string rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1";
  const std::string node_prefix = rg + "/providers/Microsoft.Network/publicIPPrefixes/nodes-pre";
  const std::string out_prefix = rg + "/providers/Microsoft.Network/publicIPPrefixes/out-pre";
  Json cluster = body_of(kExamples + "/ManagedClustersGet.json");
  Json& props = cluster["properties"];
  props["agentPoolProfiles"][0]["enableNodePublicIP"] = true;
  props["agentPoolProfiles"][0]["nodePublicIPPrefixID"] = node_prefix;
  Json& lbp = props["networkProfile"]["loadBalancerProfile"];
  lbp.erase("outboundIPs");
  lbp["outboundIPPrefixes"] = {{"publicIPPrefixes", {{{"id", out_prefix}}}}};
  lbp["effectiveOutboundIPs"] = {{{"id", out_prefix}}};
  auto prefix = [&](const std::string& id, const std::string& name, const std::string& cidr) {
    return Json{{"name", name},
                {"id", id},
                {"type", "Microsoft.Network/publicIPPrefixes"},
                {"sku", {{"name", "Standard"}}},
                {"properties", {{"ipPrefix", cidr}, {"prefixLength", 30}}}};
  };
  Json lb = Json::parse(R"({"name": "egress-lb", "type": "Microsoft.Network/loadBalancers",
      "sku": {"name": "Standard"}, "properties": {"frontendIPConfigurations": [
        {"name": "fe-prefix", "properties": {"publicIPPrefix": {"id": "OUT"}}}]}})");
  lb["id"] = rg + "/providers/Microsoft.Network/loadBalancers/egress-lb";
  lb["properties"]["frontendIPConfigurations"][0]["id"] =
      rg +
      "/providers/Microsoft.Network/loadBalancers/egress-lb/frontendIPConfigurations/fe-prefix";
  lb["properties"]["frontendIPConfigurations"][0]["properties"]["publicIPPrefix"]["id"] =
      out_prefix;
  ScratchDir dir("egress_arm_import", "prefixes");
  std::string files =
      dir.write("all.json", Json::array({cluster, prefix(node_prefix, "nodes-pre", "20.7.0.0/30"),
                                         prefix(out_prefix, "out-pre", "20.8.0.0/30"), lb})
                                .dump());
  ImportResult r = import_text({files});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  EXPECT_NE(r.yaml.find("      nodes: 3\n      enableNodePublicIP: true\n"
                        "      nodePublicIPPrefix: nodes-pre\n"),
            std::string::npos)
      << r.yaml;
  // The synthesised `kubernetes` load balancer's rule uses the prefix; egress-lb's frontend is
  // the prefix too.
  EXPECT_NE(r.yaml.find("      - name: out-pre\n        publicIpPrefix: out-pre\n"),
            std::string::npos);
  EXPECT_NE(
      r.yaml.find("        frontends: [out-pre]\n        backendPool: aksOutboundBackendPool\n"),
      std::string::npos);
  EXPECT_NE(r.yaml.find("        publicIpPrefix: out-pre\n"), std::string::npos);
  EXPECT_NE(r.yaml.find("      - name: fe-prefix\n"), std::string::npos);
  for (const Diagnostic& d : r.findings) {
    EXPECT_EQ(d.message.find("prefix"), std::string::npos) << d.message;
  }
  LoadResult t = parse_topology(r.yaml, "imported.yaml");
  ASSERT_TRUE(t.topology);
  const NodePool& pool = t.topology->cluster->node_pools[0];
  EXPECT_EQ(pool.public_addresses,
            (std::vector<IpAddress>{*IpAddress::parse("20.7.0.0"), *IpAddress::parse("20.7.0.1"),
                                    *IpAddress::parse("20.7.0.2")}));
}

TEST(ImportAzure, ClusterExamples) {
  ImportResult lb = import_text({kExamples + "/ManagedClustersGet.json"});
  ASSERT_TRUE(lb.errors.empty());
  EXPECT_NE(lb.yaml.find("  outboundType: loadBalancer\n  vnetMode: managed\n"), std::string::npos)
      << lb.yaml;
  EXPECT_NE(lb.yaml.find("  podCidr: 10.244.0.0/16\n"), std::string::npos);
  EXPECT_NE(lb.yaml.find("      subnet: aks-vnet/aks-subnet\n      nodes: 3\n"), std::string::npos);
  EXPECT_NE(lb.yaml.find("  loadBalancer: kubernetes\n"), std::string::npos);
  // The effective outbound IPs are in the MC_ group, not in the snapshot: their addresses
  // are unknown, so the synthesised load balancer has no outbound rule, and findings say why.
  EXPECT_TRUE(has_finding(lb, "mgdoutboundip1 is not in the snapshot"));
  EXPECT_TRUE(has_finding(lb, "so no outbound rule"));

  ImportResult dual = import_text({kExamples + "/ManagedClustersCreate_DualStackNetworking.json"});
  EXPECT_NE(dual.yaml.find("  podCidrs: [10.244.0.0/16, fd11:1234::/64]\n"
                           "  serviceCidrs: [10.0.0.0/16, fd00:1234::/108]\n"
                           "  ipFamilies: [IPv4, IPv6]\n"),
            std::string::npos)
      << dual.yaml;
  // azure-behaviour D6: the example's pools have node public IPs, of Azure's addresses.
  EXPECT_NE(dual.yaml.find("      nodes: 3\n      enableNodePublicIP: true\n"), std::string::npos)
      << dual.yaml;
  EXPECT_EQ(dual.yaml.find("nodePublicIPPrefix"), std::string::npos);
  EXPECT_FALSE(has_finding(dual, "enableNodePublicIP"));

  ImportResult nat = import_text({kExamples + "/ManagedClustersCreate_ManagedNATGateway.json"});
  EXPECT_NE(nat.yaml.find("  natGateway: aks-nat-gateway\n"), std::string::npos) << nat.yaml;
  EXPECT_NE(nat.yaml.find("        addressPrefix: 10.224.0.0/16\n        natGateway: "
                          "aks-nat-gateway\n"),
            std::string::npos);
  EXPECT_NE(nat.yaml.find("    idleTimeoutInMinutes: 4\n"), std::string::npos);

  ImportResult user =
      import_text({kExamples + "/ManagedClustersCreate_UserAssignedNATGateway.json"});
  EXPECT_NE(user.yaml.find("  outboundType: userAssignedNATGateway\n"), std::string::npos);
}

TEST(ImportAzure, FirewallOfTheExampleWithItsSubnetAndPublicIp) {
  // AzureFirewallGet's subnet and public IP are in no example: firewall-vnet.json holds them
  // (flattened, as az prints them). Source ranges become their CIDRs; DNAT to an FQDN is left
  // out with a finding.
  ImportResult r =
      import_text({kExamples + "/AzureFirewallGet.json",
                   std::string(EGRESS_TEST_DATA_DIR) + "/arm/import/firewall-vnet.json"});
  ASSERT_TRUE(r.errors.empty());
  EXPECT_NE(r.yaml.find("    type: AzureFirewall\n"
                        "    subnet: vnet2/AzureFirewallSubnet\n"
                        "    privateIp: 10.0.0.0\n"
                        "    publicIps: [pipName]\n"
                        "    instances: 10\n"
                        "    rules:\n"
                        "      - name: L4-traffic\n"
                        "        action: deny\n"
                        "        protocols: [tcp]\n"
                        "        sources: [192.168.1.1/32, 192.168.1.2/31, 192.168.1.4/30, "
                        "192.168.1.8/30, 192.168.1.12/32, 10.1.4.12/30, 10.1.4.16/28, "
                        "10.1.4.32/27, 10.1.4.64/26, 10.1.4.128/25]\n"
                        "        ports: [\"443-444\", 8443]\n"
                        "        collection: netrulecoll\n"
                        "        priority: 112\n"),
            std::string::npos)
      << r.yaml;
  EXPECT_NE(r.yaml.find("        protocols: [Https:443]\n        targetFqdns: [www.test.com]\n"),
            std::string::npos);
  EXPECT_NE(r.yaml.find("      - name: DNAT-HTTPS-traffic\n        protocols: [tcp]\n"
                        "        destinations: [1.2.3.4]\n        ports: [443]\n"
                        "        translatedAddress: 1.2.3.5\n        translatedPort: 8443\n"),
            std::string::npos);
  EXPECT_EQ(r.yaml.find("DNAT-HTTP-traffic-With-FQDN"), std::string::npos);
  EXPECT_TRUE(has_finding(r,
                          "firewall rule DNAT-HTTP-traffic-With-FQDN: DNAT to an FQDN is not "
                          "modelled; the rule is left out at /responses/200/body/properties/"
                          "natRuleCollections/0/properties/rules/1/translatedFqdn"));
}

// The NIC of NetworkInterfaceGet.json is the NIC of NetworkInterfaceEffectiveRouteTableList
// (test-nic, rg1). Its VNet is in no example; its VnetLocal row says the address space is
// 172.20.2.0/24, so this VNet is made from that row. With it, the imported topology's
// effective routes are the example's rows.
const char* kNicVnet =
    R"({"name":"rg1-vnet","type":"Microsoft.Network/virtualNetworks","id":"/subscriptions/)"
    R"(subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet",)"
    R"("properties":{"addressSpace":{"addressPrefixes":["172.20.2.0/24"]},"subnets":[)"
    R"({"name":"default","id":"/subscriptions/subid/resourceGroups/rg1/providers/)"
    R"(Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default","properties":)"
    R"({"addressPrefix":"172.20.2.0/24"}}]}})";

Index subnet_named(const Topology& t, const std::string& full_name) {
  for (Index i = 0; i < t.subnets.size(); ++i) {
    if (t.subnets[i].full_name == full_name) {
      return i;
    }
  }
  return kNoIndex;
}

// azure-behaviour D4, D5: subnets' service endpoints and policies, private endpoints with
// their address from customDnsConfigs or their NIC, in az's flattened shape
// (tests/data/arm/endpoints).
TEST(ImportAzure, ServiceEndpointsAndPrivateEndpoints) {
  const std::string folder = std::string(EGRESS_TEST_DATA_DIR) + "/arm/endpoints";
  ImportResult r = import_text({folder});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  EXPECT_NE(r.yaml.find("        addressPrefix: 10.0.4.0/22\n"
                        "        serviceEndpoints:\n"
                        "          - service: Microsoft.Storage\n"
                        "            locations: [eastus, westus]\n"
                        "          - service: Microsoft.KeyVault\n"
                        "            locations: [\"*\"]\n"),
            std::string::npos)
      << r.yaml;
  EXPECT_NE(r.yaml.find("        addressPrefix: 10.1.2.0/24\n"
                        "        privateEndpointNetworkPolicies: RouteTableEnabled\n"),
            std::string::npos);
  const std::string ids = "/subscriptions/3f2a6c1e-8b4d-4e0a-9c7f-2d5b1a6e4c90/resourceGroups/";
  EXPECT_NE(r.yaml.find("privateEndpoints:\n"
                        "  - name: blob-pe\n"
                        "    id: " +
                        ids +
                        "rg-net/providers/Microsoft.Network/privateEndpoints/blob-pe\n"
                        "    subnet: shared/endpoints\n"
                        "    address: 10.1.2.6\n"  // from its NIC
                        "    service: \"" +
                        ids +
                        "rg-data/providers/Microsoft.Storage/storageAccounts/st1 (blob)\"\n"
                        "  - name: kv-pe\n"),
            std::string::npos)
      << r.yaml;
  EXPECT_NE(r.yaml.find("    address: 10.1.2.5\n"  // from customDnsConfigs
                        "    service: \"" +
                        ids + "rg-data/providers/Microsoft.KeyVault/vaults/kv1 (vault)\"\n"),
            std::string::npos);
  // The tags of the endpoints' regions come along; Sql.EastUS, named by nothing, does not.
  EXPECT_NE(r.yaml.find("serviceTags:\n  - name: Storage.EastUS\n"), std::string::npos);
  EXPECT_NE(r.yaml.find("  - name: Storage.WestUS\n"), std::string::npos);
  EXPECT_EQ(r.yaml.find("Sql.EastUS"), std::string::npos);
  EXPECT_EQ(r.yaml.find("orphan-pe"), std::string::npos);
  EXPECT_EQ(r.yaml.find("Frobnicator"), std::string::npos);
  EXPECT_EQ(codes(r.findings),
            (std::vector<std::string>{"not-modelled", "not-modelled", "unused-field"}));
  EXPECT_TRUE(has_finding(r,
                          "private-endpoints.json: warning: private endpoint orphan-pe has no "
                          "private IP in the snapshot (customDnsConfigs, ipConfigurations or its "
                          "NIC); left out at /2"));
  EXPECT_TRUE(
      has_finding(r,
                  "vnets.json: warning: service endpoint Microsoft.Frobnicator: a service "
                  "egress-sim does not know the service tag of; left out, so traffic to "
                  "it follows the subnet's other routes at /0/subnets/0/serviceEndpoints/2"));

  // The result routes as Azure would: the /32 in the peered VNet, the Storage prefixes of both
  // regions in the subnet that enables them.
  LoadResult loaded = parse_topology(r.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.topology);
  const Topology& t = *loaded.topology;
  std::vector<std::string> endpoint_routes;
  for (const EffectiveRoute& route : compute_effective_routes(t, t.find_subnet("hub/workload"))) {
    if (route.next_hop_type == NextHopType::kVirtualNetworkServiceEndpoint ||
        route.next_hop_type == NextHopType::kInterfaceEndpoint) {
      endpoint_routes.push_back(route.prefix.to_string() + " " + to_string(route.next_hop_type));
    }
  }
  EXPECT_EQ(endpoint_routes, (std::vector<std::string>{
                                 "10.1.2.5/32 InterfaceEndpoint",
                                 "10.1.2.6/32 InterfaceEndpoint",
                                 "13.93.168.0/24 VirtualNetworkServiceEndpoint",
                                 "52.239.228.0/23 VirtualNetworkServiceEndpoint",
                                 "52.239.152.0/22 VirtualNetworkServiceEndpoint",
                                 "20.38.96.0/19 VirtualNetworkServiceEndpoint",
                             }));
}

TEST(ImportAgreesWithAzure, EffectiveRoutesOfTheExampleNic) {
  ScratchDir dir("egress_arm_import", "routes");
  std::string vnet = dir.write("vnet.json", kNicVnet);
  ImportResult r =
      import_azure(std::vector<std::string>{kExamples + "/NetworkInterfaceGet.json", vnet}, {});
  ASSERT_TRUE(r.errors.empty()) << format_diagnostic(r.errors[0], "error");
  LoadResult loaded = parse_topology(r.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.topology);
  Index subnet = subnet_named(*loaded.topology, "rg1-vnet/default");
  ASSERT_NE(subnet, kNoIndex);
  std::set<std::string> ours;
  for (const EffectiveRoute& route : compute_effective_routes(*loaded.topology, subnet)) {
    if (route.active && route.prefix.address.is_v4()) {
      ours.insert(std::string(to_string(route.source)) + " " + route.prefix.to_string() + " " +
                  to_string(route.next_hop_type));
    }
  }
  std::set<std::string> azure;
  const Json answer = body_of(kExamples + "/NetworkInterfaceEffectiveRouteTableList.json");
  for (const Json& row : answer["value"]) {
    ASSERT_EQ(row["state"], "Active");
    azure.insert(row["source"].get<std::string>() + " " +
                 row["addressPrefix"][0].get<std::string>() + " " +
                 row["nextHopType"].get<std::string>());
  }
  EXPECT_EQ(ours, azure);
}

TEST(ImportAgreesWithAzure, NextHopOfTheExampleIsVnetLocal) {
  // NetworkWatcherNextHopGet: from 10.0.0.5 to 10.0.0.10, next hop VnetLocal. SubnetGet's
  // subnet 10.0.0.0/16 holds both addresses (the example's VM is in no example).
  ImportResult r = import_azure(std::vector<std::string>{kExamples + "/SubnetGet.json"}, {});
  ASSERT_TRUE(r.errors.empty()) << format_diagnostic(r.errors[0], "error");
  LoadResult loaded = parse_topology(r.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.topology);
  Index subnet = subnet_named(*loaded.topology, "vnetname/subnet1");
  ASSERT_NE(subnet, kNoIndex);
  Json answer = body_of(kExamples + "/NetworkWatcherNextHopGet.json");
  IpAddress destination = *IpAddress::parse("10.0.0.10");
  const std::vector<EffectiveRoute> routes = compute_effective_routes(*loaded.topology, subnet);
  const EffectiveRoute* best = nullptr;
  for (const EffectiveRoute& route : routes) {
    if (route.active && route.prefix.contains(destination) &&
        (best == nullptr || route.prefix.length > best->prefix.length)) {
      best = &route;
    }
  }
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(std::string(to_string(best->next_hop_type)), answer["nextHopType"]);
}

TEST(ImportAgreesWithAzure, PublicIpAddressesAsListed) {
  ImportResult r =
      import_azure(std::vector<std::string>{kExamples + "/PublicIpAddressListAll.json"}, {});
  ASSERT_TRUE(r.errors.empty()) << format_diagnostic(r.errors[0], "error");
  LoadResult loaded = parse_topology(r.yaml, "imported.yaml");
  ASSERT_TRUE(loaded.topology);
  std::set<std::string> ours;
  for (const PublicIp& ip : loaded.topology->public_ips) {
    ours.insert(ip.address.to_string());
  }
  std::set<std::string> azure;
  const Json listed = body_of(kExamples + "/PublicIpAddressListAll.json");
  for (const Json& ip : listed["value"]) {
    if (ip["properties"].contains("ipAddress")) {
      azure.insert(ip["properties"]["ipAddress"].get<std::string>());
    }
  }
  EXPECT_EQ(ours, azure);
}

TEST(YamlScalar, QuotesWhatWouldReadBackDifferently) {
  EXPECT_EQ(arm::yaml_scalar("10.0.0.0/16"), "10.0.0.0/16");
  EXPECT_EQ(arm::yaml_scalar("fd00::/8"), "fd00::/8");
  EXPECT_EQ(arm::yaml_scalar("::/0"), "\"::/0\"");
  EXPECT_EQ(arm::yaml_scalar("*"), "\"*\"");
  EXPECT_EQ(arm::yaml_scalar("80"), "\"80\"");
  EXPECT_EQ(arm::yaml_scalar("1.5"), "\"1.5\"");
  EXPECT_EQ(arm::yaml_scalar("true"), "\"true\"");
  EXPECT_EQ(arm::yaml_scalar("No"), "\"No\"");
  EXPECT_EQ(arm::yaml_scalar("hub@rg1"), "hub@rg1");
  EXPECT_EQ(arm::yaml_scalar("a b"), "\"a b\"");
  EXPECT_EQ(arm::yaml_scalar("x: y"), "\"x: y\"");
  EXPECT_EQ(arm::yaml_scalar("q\"\\\n"), "\"q\\\"\\\\\\n\"");
  EXPECT_EQ(arm::yaml_scalar(""), "\"\"");
}

}  // namespace
}  // namespace egress
