// The mix file (parse_synth_mix, load_synth_mix) and the compact CLI lists: what they accept,
// and the exact text of what they reject.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "egress/synth/synth.h"

namespace egress {
namespace {

std::string errors_of(const SynthMixLoad& r) {
  std::string out;
  for (const Diagnostic& d : r.errors) {
    out += format_diagnostic(d, "error") + "\n";
  }
  return out;
}

TEST(SynthMix, EmptyFileIsTheDefaultMix) {
  SynthMixLoad r = parse_synth_mix("", "m.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  SynthSpec defaults;
  EXPECT_EQ(r.spec->flows, defaults.flows);
  EXPECT_EQ(r.spec->start_ns, kSynthDefaultStartNs);
  EXPECT_TRUE(r.spec->sources.empty());
  EXPECT_TRUE(r.spec->destinations.empty());
}

TEST(SynthMix, ReadsEveryField) {
  SynthMixLoad r = parse_synth_mix(R"(
flows: 5000
seed: 99
start: 2026-03-01T12:30:00.25Z
rate: 250.5
duration: 0.5
packets: 8
payload: 900
rstShare: 0.25
zipf: 1.1
popularEndpoints: 64
protocols: {tcp: 3, icmp: 1}
ports: {tcp: 8443, udp: 5353}
sources:
  - nodePool: system
  - {pods: user, weight: 2.5}
  - host: "*"
destinations:
  - prefix: 140.82.112.0/20
    ports: [443, 8000-8080]
    weight: 3
  - prefix: 2001:db8::1
)",
                                   "m.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  const SynthSpec& s = *r.spec;
  EXPECT_EQ(s.flows, 5000U);
  EXPECT_EQ(s.seed, 99U);
  // 2026-03-01 is day 20513 since 1970.
  EXPECT_EQ(s.start_ns,
            (int64_t{20513} * 86400 + 12 * 3600 + 30 * 60) * 1'000'000'000 + 250'000'000);
  EXPECT_DOUBLE_EQ(s.flows_per_second, 250.5);
  EXPECT_DOUBLE_EQ(s.mean_duration_s, 0.5);
  EXPECT_DOUBLE_EQ(s.mean_packets, 8);
  EXPECT_EQ(s.mean_payload_bytes, 900U);
  EXPECT_DOUBLE_EQ(s.rst_share, 0.25);
  EXPECT_DOUBLE_EQ(s.zipf, 1.1);
  EXPECT_EQ(s.popular_endpoints, 64U);
  EXPECT_DOUBLE_EQ(s.protocols.tcp, 3);
  EXPECT_DOUBLE_EQ(s.protocols.udp, 0);
  EXPECT_DOUBLE_EQ(s.protocols.icmp, 1);
  EXPECT_EQ(s.tcp_port, 8443);
  EXPECT_EQ(s.udp_port, 5353);
  ASSERT_EQ(s.sources.size(), 3U);
  EXPECT_EQ(s.sources[0].kind, SynthSource::Kind::kNodePool);
  EXPECT_EQ(s.sources[0].name, "system");
  EXPECT_EQ(s.sources[1].kind, SynthSource::Kind::kPods);
  EXPECT_DOUBLE_EQ(s.sources[1].weight, 2.5);
  EXPECT_EQ(s.sources[2].kind, SynthSource::Kind::kHost);
  EXPECT_EQ(s.sources[2].name, "");
  ASSERT_EQ(s.destinations.size(), 2U);
  EXPECT_EQ(s.destinations[0].prefix.to_string(), "140.82.112.0/20");
  ASSERT_EQ(s.destinations[0].ports.size(), 2U);
  EXPECT_EQ(s.destinations[0].ports[1], (PortRange{8000, 8080}));
  EXPECT_DOUBLE_EQ(s.destinations[0].weight, 3);
  EXPECT_EQ(s.destinations[1].prefix.to_string(), "2001:db8::1/128");
}

TEST(SynthMix, DestinationsTakeAServiceTagAndAProtocol) {
  SynthMixLoad r = parse_synth_mix(R"(
destinations:
  - {serviceTag: AzureCloud.eastus, protocol: udp, ports: [1194]}
  - {prefix: 10.0.0.5, protocol: icmp}
  - {prefix: 20.0.0.0/8, protocol: tcp, hosts: [mcr.microsoft.com]}
  - prefix: 1.1.1.1
)",
                                   "m.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  const auto& d = r.spec->destinations;
  ASSERT_EQ(d.size(), 4U);
  EXPECT_EQ(d[0].service_tag, "AzureCloud.eastus");
  EXPECT_EQ(d[0].protocol, Protocol::kUdp);
  EXPECT_EQ(d[0].ports, (std::vector<PortRange>{{1194, 1194}}));
  EXPECT_EQ(d[1].protocol, Protocol::kIcmp);
  EXPECT_TRUE(d[1].service_tag.empty());
  EXPECT_EQ(d[2].protocol, Protocol::kTcp);
  EXPECT_FALSE(d[3].protocol.has_value());
}

TEST(SynthMix, ShippedFirewallMixLoads) {
  SynthMixLoad r =
      load_synth_mix(std::string(EGRESS_TOPOLOGIES_DIR) + "/mixes/aks-udr-firewall-nodes.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  EXPECT_EQ(r.spec->flows, 250U);
}

TEST(SynthMix, StartAcceptsEpochSeconds) {
  SynthMixLoad r = parse_synth_mix("start: 1700000000.5\n", "m.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  EXPECT_EQ(r.spec->start_ns, int64_t{1700000000} * 1'000'000'000 + 500'000'000);
}

TEST(SynthMix, ShippedDefaultMixLoads) {
  SynthMixLoad r = load_synth_mix(std::string(EGRESS_TOPOLOGIES_DIR) + "/mixes/default.yaml");
  ASSERT_TRUE(r.spec.has_value()) << errors_of(r);
  EXPECT_GT(r.spec->flows, 0U);
}

TEST(SynthMix, UnreadableFileIsAnIoError) {
  SynthMixLoad r = load_synth_mix("/nonexistent/mix.yaml");
  EXPECT_EQ(errors_of(r),
            "/nonexistent/mix.yaml: error: cannot read '/nonexistent/mix.yaml': No such file or "
            "directory\n");
}

struct BadMix {
  const char* name;
  const char* yaml;
  const char* errors;
};

class SynthMixErrors : public ::testing::TestWithParam<BadMix> {};

TEST_P(SynthMixErrors, NamePositionAndValue) {
  SynthMixLoad r = parse_synth_mix(GetParam().yaml, "m.yaml");
  EXPECT_FALSE(r.spec.has_value());
  EXPECT_EQ(errors_of(r), GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SynthMixErrors,
    ::testing::Values(
        BadMix{"NotAMap", "- 1\n",
               "m.yaml:1:1: error: a mix file must be a map of mix fields (flows, rate, sources, "
               "...), got a list\n"},
        BadMix{"UnknownKeyWithSuggestion", "flow: 10\n",
               "m.yaml:1:1: error: unknown key 'flow' in the mix; expected one of: flows, seed, "
               "start, rate, duration, packets, payload, rstShare, zipf, ports, sources, "
               "protocols, destinations, popularEndpoints; did you mean 'flows'?\n"},
        BadMix{"HostThatIsNoHostName",
               "destinations:\n  - {prefix: 20.0.0.0/8, hosts: [mcr.microsoft.com, 'a b']}\n",
               "m.yaml:2:53: error: each item of 'hosts' must be a host name like "
               "mcr.microsoft.com, got 'a b'\n"},
        BadMix{"EmptyHosts", "destinations:\n  - {prefix: 20.0.0.0/8, hosts: []}\n",
               "m.yaml:2:33: error: 'hosts' must not be an empty list; leave it out for flows "
               "without host names\n"},
        BadMix{"PrefixAndServiceTag",
               "destinations:\n  - {prefix: 20.0.0.0/8, serviceTag: AzureCloud}\n",
               "m.yaml:2:26: error: a destination has both 'prefix' and 'serviceTag'; write one "
               "per item\n"},
        BadMix{"NeitherPrefixNorServiceTag", "destinations:\n  - {ports: [443]}\n",
               "m.yaml:2:5: error: a destination needs 'prefix' or 'serviceTag'\n"},
        BadMix{"EmptyServiceTag", "destinations:\n  - {serviceTag: }\n",
               "m.yaml:2:6: error: 'serviceTag' must be a string, got an empty value\n"},
        BadMix{"UnknownDestinationProtocol",
               "destinations:\n  - {prefix: 1.1.1.1, protocol: sctp}\n",
               "m.yaml:2:33: error: 'protocol' must be tcp, udp or icmp, got 'sctp'\n"},
        BadMix{"IcmpWithPorts",
               "destinations:\n  - {prefix: 1.1.1.1, protocol: icmp, ports: [1]}\n",
               "m.yaml:2:39: error: a destination with protocol icmp has no 'ports'\n"},
        BadMix{"HostsOverUdp",
               "destinations:\n  - {prefix: 1.1.1.1, protocol: udp, hosts: [ntp.ubuntu.com]}\n",
               "m.yaml:2:38: error: 'hosts' name TCP flows (TLS server_name, HTTP Host); this "
               "destination's protocol is udp\n"},
        BadMix{"DuplicateKey", "rate: 1\nrate: 2\n",
               "m.yaml:2:1: error: duplicate key 'rate'; first given at line 1, column 1\n"},
        BadMix{"NegativeRate", "rate: -5\n",
               "m.yaml:1:7: error: 'rate' must be a number greater than 0 and at most 1000000000, "
               "got -5\n"},
        BadMix{"RateNotANumber", "rate: fast\n",
               "m.yaml:1:7: error: 'rate' must be a number, got 'fast'\n"},
        BadMix{"InfinityIsNotANumber", "duration: .inf\n",
               "m.yaml:1:11: error: 'duration' must be a number, got '.inf'\n"},
        BadMix{"ShareAboveOne", "rstShare: 1.5\n",
               "m.yaml:1:11: error: 'rstShare' must be a number from 0 to 1, got 1.5\n"},
        BadMix{"ZeroFlows", "flows: 0\n",
               "m.yaml:1:8: error: 'flows' must be an integer from 1 to 1099511627776, got 0\n"},
        BadMix{"PayloadTooBig", "payload: 9000\n",
               "m.yaml:1:10: error: 'payload' must be an integer from 1 to 1400, got 9000\n"},
        BadMix{"BadStart", "start: 2026-02-30T00:00:00Z\n",
               "m.yaml:1:8: error: 'start' must be a UTC time like 2026-01-01T00:00:00Z (years "
               "1970 to 2199) or seconds since 1970, got '2026-02-30T00:00:00Z'\n"},
        BadMix{"UnknownProtocol", "protocols: {tcp: 1, sctp: 1}\n",
               "m.yaml:1:21: error: unknown key 'sctp' in 'protocols'; expected one of: tcp, udp, "
               "icmp; did you mean 'tcp'?\n"},
        BadMix{"AllSharesZero", "protocols: {tcp: 0}\n",
               "m.yaml:1:12: error: 'protocols' must give some protocol a share above 0\n"},
        BadMix{"PortOutOfRange", "ports: {udp: 70000}\n",
               "m.yaml:1:14: error: 'udp' must be an integer from 1 to 65535, got 70000\n"},
        BadMix{"SourceWithoutKind", "sources:\n  - weight: 2\n",
               "m.yaml:2:5: error: a source needs one of 'nodePool', 'pods' or 'host'\n"},
        BadMix{"SourceWithTwoKinds", "sources:\n  - {nodePool: a, host: b}\n",
               "m.yaml:2:19: error: a source has both 'nodePool' and 'host'; write one per "
               "item\n"},
        BadMix{"SourceTypo", "sources:\n  - pod: user\n",
               "m.yaml:2:5: error: unknown key 'pod' in a source; expected one of: nodePool, "
               "pods, host, weight; did you mean 'pods'?\n"
               "m.yaml:2:5: error: a source needs one of 'nodePool', 'pods' or 'host'\n"},
        BadMix{"ZeroWeight", "sources:\n  - {pods: user, weight: 0}\n",
               "m.yaml:2:26: error: 'weight' must be a number greater than 0 and at most "
               "1000000000000, got 0\n"},
        BadMix{"EmptySources", "sources: []\n",
               "m.yaml:1:10: error: 'sources' must not be an empty list; leave it out to use "
               "every node\n"},
        BadMix{"HostBits", "destinations:\n  - prefix: 140.82.112.3/20\n",
               "m.yaml:2:13: error: 'prefix': '140.82.112.3/20' has host bits set; did you "
               "mean 140.82.112.0/20?\n"},
        BadMix{"MissingPrefix", "destinations:\n  - weight: 2\n",
               "m.yaml:2:5: error: a destination needs 'prefix' or 'serviceTag'\n"},
        BadMix{"BadPort", "destinations:\n  - {prefix: 1.2.3.4, ports: [443, 0, 90-80]}\n",
               "m.yaml:2:36: error: each item of 'ports' must be a port 1..65535 or a range like "
               "8000-8080, got '0'\n"
               "m.yaml:2:39: error: each item of 'ports' must be a port 1..65535 or a range like "
               "8000-8080, got '90-80'\n"},
        BadMix{"SeveralErrorsSorted", "zipf: -1\nrate: 0\nbogus: 1\n",
               "m.yaml:1:7: error: 'zipf' must be a number from 0 to 100, got -1\n"
               "m.yaml:2:7: error: 'rate' must be a number greater than 0 and at most "
               "1000000000, got 0\n"
               "m.yaml:3:1: error: unknown key 'bogus' in the mix; expected one of: flows, seed, "
               "start, rate, duration, packets, payload, rstShare, zipf, ports, sources, "
               "protocols, destinations, popularEndpoints\n"}),
    [](const ::testing::TestParamInfo<BadMix>& test_case) { return test_case.param.name; });

TEST(SynthFlags, SourceList) {
  auto r = parse_source_list("nodePool:system,pods:user*2,host:jumpbox,pods,nodePool:*");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 5U);
  EXPECT_EQ((*r)[0].kind, SynthSource::Kind::kNodePool);
  EXPECT_EQ((*r)[0].name, "system");
  EXPECT_EQ((*r)[1].kind, SynthSource::Kind::kPods);
  EXPECT_EQ((*r)[1].name, "user");
  EXPECT_DOUBLE_EQ((*r)[1].weight, 2);
  EXPECT_EQ((*r)[2].kind, SynthSource::Kind::kHost);
  EXPECT_EQ((*r)[2].name, "jumpbox");
  EXPECT_EQ((*r)[3].name, "");
  EXPECT_EQ((*r)[4].name, "");
}

TEST(SynthFlags, DestinationList) {
  auto r = parse_destination_list(
      "140.82.112.0/20*3:443,140.82.112.0/20:443+8000-8080*0.5,20.0.0.0/8,1.1.1.1:53,"
      "[2001:db8::1]:443,2001:db8::/32:80,2001:db8::2");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 7U);
  const auto& d = *r;
  // Weight and ports come in either order.
  EXPECT_DOUBLE_EQ(d[0].weight, 3);
  EXPECT_EQ(d[0].ports[0], (PortRange{443, 443}));
  EXPECT_EQ(d[1].prefix.to_string(), "140.82.112.0/20");
  ASSERT_EQ(d[1].ports.size(), 2U);
  EXPECT_EQ(d[1].ports[0], (PortRange{443, 443}));
  EXPECT_EQ(d[1].ports[1], (PortRange{8000, 8080}));
  EXPECT_DOUBLE_EQ(d[1].weight, 0.5);
  EXPECT_EQ(d[2].prefix.to_string(), "20.0.0.0/8");
  EXPECT_TRUE(d[2].ports.empty());
  EXPECT_EQ(d[3].prefix.to_string(), "1.1.1.1/32");
  EXPECT_EQ(d[3].ports[0], (PortRange{53, 53}));
  EXPECT_EQ(d[4].prefix.to_string(), "2001:db8::1/128");
  EXPECT_EQ(d[4].ports[0], (PortRange{443, 443}));
  EXPECT_EQ(d[5].prefix.to_string(), "2001:db8::/32");
  EXPECT_EQ(d[5].ports[0], (PortRange{80, 80}));
  EXPECT_EQ(d[6].prefix.to_string(), "2001:db8::2/128");
}

TEST(SynthFlags, ProtocolMix) {
  auto r = parse_protocol_mix("tcp=0.8,udp=0.15,icmp=0.05");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->tcp, 0.8);
  EXPECT_DOUBLE_EQ(r->udp, 0.15);
  EXPECT_DOUBLE_EQ(r->icmp, 0.05);
  auto only_udp = parse_protocol_mix("udp=1");
  ASSERT_TRUE(only_udp.ok());
  EXPECT_DOUBLE_EQ(only_udp->tcp, 0);
}

struct BadFlag {
  const char* name;
  Result<bool> (*parse)(std::string_view);
  const char* text;
  const char* message;
};

template <auto Fn>
Result<bool> as_bool(std::string_view text) {
  auto r = Fn(text);
  if (!r.ok()) {
    return r.error();
  }
  return true;
}

class SynthFlagErrors : public ::testing::TestWithParam<BadFlag> {};

TEST_P(SynthFlagErrors, QuoteTheItem) {
  auto r = GetParam().parse(GetParam().text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad-value");
  EXPECT_EQ(r.error().message, GetParam().message);
}

constexpr auto kSources = as_bool<parse_source_list>;
constexpr auto kDestinations = as_bool<parse_destination_list>;
constexpr auto kProtocols = as_bool<parse_protocol_mix>;

INSTANTIATE_TEST_SUITE_P(
    Table, SynthFlagErrors,
    ::testing::Values(
        BadFlag{"SourceKindTypo", kSources, "pod:user",
                "source 'pod:user': unknown kind 'pod'; expected nodePool, pods or host (did you "
                "mean 'pods'?)"},
        BadFlag{"SourceEmptyItem", kSources, "pods,,host:a",
                "empty source in 'pods,,host:a'; expected KIND[:NAME][*WEIGHT], KIND one of "
                "nodePool, pods, host"},
        BadFlag{"SourceBadWeight", kSources, "pods:user*x",
                "source 'pods:user*x': weight 'x' must be a number greater than 0 and at most "
                "1000000000000"},
        BadFlag{"SourceHostWithoutName", kSources, "host",
                "source 'host': 'host' needs a name, as in host:jumpbox (host:* for every host)"},
        BadFlag{"SourceEmptyName", kSources,
                "pods:", "source 'pods:': empty name after ':'; leave out ':' for every one"},
        BadFlag{"DestinationHostBits", kDestinations, "140.82.112.3/20",
                "destination '140.82.112.3/20': '140.82.112.3/20' has host bits set; did you "
                "mean 140.82.112.0/20?"},
        BadFlag{"DestinationNotAnAddress", kDestinations, "github.com:443",
                "destination 'github.com:443': expected an address or CIDR like 140.82.112.0/20 "
                "or 2001:db8::/32, got 'github.com'"},
        BadFlag{"DestinationBadPort", kDestinations, "1.2.3.4:99999",
                "destination '1.2.3.4:99999': port '99999' must be 1..65535 or a range like "
                "8000-8080 (join several with '+')"},
        BadFlag{"DestinationJunkAfterPrefix", kDestinations, "10.0.0.0/8x",
                "destination '10.0.0.0/8x': expected ':PORTS' or '*WEIGHT' (once each) after "
                "'10.0.0.0/8', got 'x'"},
        BadFlag{"DestinationUnclosedBracket", kDestinations, "[2001:db8::1:443",
                "destination '[2001:db8::1:443': missing ']' after the IPv6 address"},
        BadFlag{"ProtocolUnknown", kProtocols, "tcp=1,sctp=1",
                "protocol share 'sctp=1': unknown protocol 'sctp'; expected tcp, udp or icmp"},
        BadFlag{"ProtocolTwice", kProtocols, "tcp=1,tcp=2",
                "protocol share 'tcp=2': tcp is given twice"},
        BadFlag{"ProtocolNoEquals", kProtocols, "tcp",
                "protocol share 'tcp': expected PROTO=SHARE, as in tcp=0.8,udp=0.15,icmp=0.05"},
        BadFlag{"ProtocolNegative", kProtocols, "tcp=-1",
                "protocol share 'tcp=-1': share '-1' must be a number from 0 to 1000000000000"},
        BadFlag{"ProtocolAllZero", kProtocols, "tcp=0,udp=0",
                "protocol shares 'tcp=0,udp=0': some protocol needs a share above 0"}),
    [](const ::testing::TestParamInfo<BadFlag>& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace egress
