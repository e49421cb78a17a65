// Import of a large Azure snapshot (issue 15, Speed: 5,000 resources under 2 s and 500 MB).
// The snapshot is generated in az's flattened shape into a temporary export folder (one file
// per kind, as tools/azure-export.sh writes it): VNets with four subnets each, route tables,
// NSGs with rules, public IPs, NAT gateways and load balancers, every reference a real ARM id.
// Reports the time per import and the process's peak RSS (counter peak_rss_mb).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "egress/import/arm_import.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kSub = "00000000-0000-0000-0000-00000000b3c4";
constexpr const char* kRg = "rg-bench";

std::string id(const std::string& kind, const std::string& name) {
  return std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
         "/providers/Microsoft.Network/" + kind + "/" + name;
}

Json id_ref(const std::string& id_text) {
  return Json{{"id", id_text}, {"resourceGroup", kRg}};
}

Json base(const std::string& kind, const std::string& name, const char* type) {
  return Json{{"id", id(kind, name)},
              {"name", name},
              {"type", type},
              {"resourceGroup", kRg},
              {"location", "eastus"},
              {"provisioningState", "Succeeded"},
              {"etag", "W/\"00000000-0000-0000-0000-000000000000\""}};
}

std::string v4(uint32_t bits) {
  return std::to_string(bits >> 24) + "." + std::to_string((bits >> 16) & 255) + "." +
         std::to_string((bits >> 8) & 255) + "." + std::to_string(bits & 255);
}

// `resources` resources in five kinds into `root`; returns it.
fs::path generate(int resources, fs::path root) {
  const int unit = resources / 5;  // vnets, route tables, NSGs, public IPs; then NAT gw + LB
  fs::path dir = root / "resources" / kRg;
  fs::create_directories(dir);
  Json vnets = Json::array(), tables = Json::array(), nsgs = Json::array(), pips = Json::array(),
       nats = Json::array(), lbs = Json::array();
  for (int i = 0; i < unit; ++i) {
    const std::string n = std::to_string(i);
    const uint32_t net = 0x0A000000U + (static_cast<uint32_t>(i) << 8) * 4;  // 10.x.y.0/22
    Json vnet = base("virtualNetworks", "vnet-" + n, "Microsoft.Network/virtualNetworks");
    vnet["addressSpace"] = {{"addressPrefixes", {v4(net) + "/22"}}};
    Json subnets = Json::array();
    for (int s = 0; s < 4; ++s) {
      Json sub = base("virtualNetworks", "vnet-" + n + "/subnets/snet-" + std::to_string(s),
                      "Microsoft.Network/virtualNetworks/subnets");
      sub["name"] = "snet-" + std::to_string(s);
      sub["addressPrefix"] = v4(net + static_cast<uint32_t>(s) * 256) + "/24";
      sub["routeTable"] = id_ref(id("routeTables", "rt-" + n));
      sub["networkSecurityGroup"] = id_ref(id("networkSecurityGroups", "nsg-" + n));
      subnets.push_back(std::move(sub));
    }
    vnet["subnets"] = std::move(subnets);
    vnet["virtualNetworkPeerings"] = Json::array();
    vnets.push_back(std::move(vnet));

    Json rt = base("routeTables", "rt-" + n, "Microsoft.Network/routeTables");
    rt["disableBgpRoutePropagation"] = false;
    Json routes = Json::array();
    for (int r = 0; r < 8; ++r) {
      routes.push_back(
          Json{{"name", "r" + std::to_string(r)},
               {"addressPrefix", v4(0xC6120000U + static_cast<uint32_t>(r) * 256) + "/24"},
               {"nextHopType", "Internet"},
               {"type", "Microsoft.Network/routeTables/routes"}});
    }
    rt["routes"] = std::move(routes);
    tables.push_back(std::move(rt));

    Json nsg = base("networkSecurityGroups", "nsg-" + n, "Microsoft.Network/networkSecurityGroups");
    Json rules = Json::array();
    for (int r = 0; r < 10; ++r) {
      rules.push_back(Json{
          {"name", "rule-" + std::to_string(r)},
          {"priority", 100 + r},
          {"direction", "Outbound"},
          {"access", r % 2 ? "Deny" : "Allow"},
          {"protocol", "Tcp"},
          {"sourceAddressPrefix", "VirtualNetwork"},
          {"sourcePortRange", "*"},
          {"destinationAddressPrefix", v4(0x14000000U + static_cast<uint32_t>(r) * 65536) + "/16"},
          {"destinationPortRanges", {"443", "8000-8080"}},
          {"type", "Microsoft.Network/networkSecurityGroups/securityRules"}});
    }
    nsg["securityRules"] = std::move(rules);
    nsg["defaultSecurityRules"] = Json::array();
    nsgs.push_back(std::move(nsg));

    Json pip = base("publicIPAddresses", "pip-" + n, "Microsoft.Network/publicIPAddresses");
    pip["ipAddress"] = v4(0x14400000U + static_cast<uint32_t>(i));
    pip["publicIPAllocationMethod"] = "Static";
    pip["publicIPAddressVersion"] = "IPv4";
    pip["sku"] = {{"name", "Standard"}, {"tier", "Regional"}};
    pips.push_back(std::move(pip));

    if (i % 2 == 0) {
      Json nat = base("natGateways", "nat-" + n, "Microsoft.Network/natGateways");
      nat["publicIpAddresses"] = {id_ref(id("publicIPAddresses", "pip-" + n))};
      nat["idleTimeoutInMinutes"] = 4;
      nat["sku"] = {{"name", "Standard"}};
      nats.push_back(std::move(nat));
    } else {
      Json lb = base("loadBalancers", "lb-" + n, "Microsoft.Network/loadBalancers");
      lb["sku"] = {{"name", "Standard"}, {"tier", "Regional"}};
      lb["frontendIPConfigurations"] = {
          Json{{"name", "fe"},
               {"id", id("loadBalancers", "lb-" + n + "/frontendIPConfigurations/fe")},
               {"publicIPAddress", id_ref(id("publicIPAddresses", "pip-" + n))}}};
      lb["backendAddressPools"] = Json::array();
      lb["outboundRules"] = Json::array();
      lbs.push_back(std::move(lb));
    }
  }
  for (const auto& [kind, list] : {std::pair<const char*, Json*>{"vnets", &vnets},
                                   {"route-tables", &tables},
                                   {"nsgs", &nsgs},
                                   {"public-ips", &pips},
                                   {"nat-gateways", &nats},
                                   {"lbs", &lbs}}) {
    std::ofstream(dir / (std::string(kind) + ".json")) << list->dump(2) << "\n";
  }
  return root;
}

double peak_rss_mb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void BM_ImportSnapshot(benchmark::State& state) {
  const int resources = static_cast<int>(state.range(0));
  fs::path root = fs::temp_directory_path() / ("egress_import_bench_" + std::to_string(::getpid()));
  fs::remove_all(root);
  generate(resources, root);
  const std::vector<std::string> sources = {root.string()};
  size_t yaml_bytes = 0;
  for (auto _ : state) {
    egress::ImportResult r = egress::import_azure(sources, egress::ImportOptions{});
    if (!r.errors.empty()) {
      state.SkipWithError(r.errors[0].message.c_str());
      break;
    }
    yaml_bytes = r.yaml.size();
    benchmark::DoNotOptimize(r.yaml.data());
  }
  fs::remove_all(root);
  state.counters["resources"] = resources;
  state.counters["yaml_kb"] = static_cast<double>(yaml_bytes) / 1024.0;
  state.counters["peak_rss_mb"] = peak_rss_mb();
}
BENCHMARK(BM_ImportSnapshot)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

// `--snapshot_out=DIR --resources=N` writes the snapshot to DIR and exits, so that the CLI
// (`/usr/bin/time -v egress-sim import DIR`) can be measured on the same input.
int main(int argc, char** argv) {
  std::string out;
  int resources = 5000;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--snapshot_out=", 0) == 0) {
      out = arg.substr(15);
    } else if (arg.rfind("--resources=", 0) == 0) {
      resources = std::stoi(std::string(arg.substr(12)));
    }
  }
  if (!out.empty()) {
    if (fs::exists(out) && !fs::is_empty(out)) {
      std::fprintf(stderr, "%s exists and is not empty\n", out.c_str());
      return 2;
    }
    generate(resources, out);
    std::printf("%d resources in %s\n", resources, out.c_str());
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
