// Named destination groups: the file, its destination items, and which group a flow is in.
#include "egress/groups/destination_groups.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace egress {
namespace {

std::string errors_of(const DestinationGroupsLoad& r) {
  std::string out;
  for (const Diagnostic& d : r.errors) {
    out += format_diagnostic(d, "error") + "\n";
  }
  return out;
}

FlowKey flow(Protocol proto, const char* dst, uint16_t dport) {
  return FlowKey{proto, *IpAddress::parse("10.0.0.4"), 40000, *IpAddress::parse(dst), dport};
}

constexpr const char* kFile = R"(groups:
  - name: payments-api
    destinations:
      - 140.82.112.0/20:443/tcp
      - host: api.example.com
        addresses: [203.0.113.10, "[2001:db8::10]:8443"]
  - name: dns
    destinations: [1.1.1.1/udp, 1.1.1.1:53]
  - name: github
    destinations: [140.82.112.0/20, 2001:db8::/32]
)";

TEST(DestinationGroups, ReadsEveryForm) {
  DestinationGroupsLoad r = parse_destination_groups(kFile, "g.yaml");
  ASSERT_TRUE(r.groups) << errors_of(r);
  const auto& g = r.groups->groups();
  ASSERT_EQ(g.size(), 3U);
  EXPECT_EQ(g[0].name, "payments-api");
  ASSERT_EQ(g[0].destinations.size(), 3U);
  EXPECT_EQ(g[0].destinations[0].to_string(), "140.82.112.0/20:443/tcp");
  EXPECT_EQ(g[0].destinations[1].to_string(), "203.0.113.10");
  EXPECT_EQ(g[0].destinations[1].host, "api.example.com");
  EXPECT_EQ(g[0].destinations[2].to_string(), "[2001:db8::10]:8443");
  EXPECT_EQ(g[1].destinations[0].to_string(), "1.1.1.1/udp");
  EXPECT_EQ(g[1].destinations[1].to_string(), "1.1.1.1:53");
  EXPECT_EQ(g[2].destinations[1].to_string(), "2001:db8::/32");
}

// The first group in file order wins, not the most specific destination.
TEST(DestinationGroups, AFlowIsInTheFirstGroupThatMatches) {
  DestinationGroupsLoad r = parse_destination_groups(kFile, "g.yaml");
  ASSERT_TRUE(r.groups);
  struct Case {
    Protocol proto;
    const char* dst;
    uint16_t dport;
    size_t group;
  };
  const Case cases[] = {
      {Protocol::kTcp, "140.82.112.3", 443, 0},  // payments-api, before github
      {Protocol::kUdp, "140.82.112.3", 443, 2},  // not tcp: github
      {Protocol::kTcp, "140.82.112.3", 22, 2},   // not 443: github
      {Protocol::kTcp, "203.0.113.10", 80, 0},   // the host's address, any port
      {Protocol::kTcp, "203.0.113.11", 80, kNoGroup},
      {Protocol::kTcp, "2001:db8::10", 8443, 0},  // the host's IPv6 address and port
      {Protocol::kTcp, "2001:db8::10", 443, 2},   // another port: github's /32
      {Protocol::kUdp, "1.1.1.1", 5353, 1},       // 1.1.1.1/udp: any port
      {Protocol::kTcp, "1.1.1.1", 53, 1},         // 1.1.1.1:53: any protocol
      {Protocol::kTcp, "1.1.1.1", 443, kNoGroup},
      {Protocol::kIcmp, "1.1.1.1", 0, kNoGroup},  // icmp has no port 53
      {Protocol::kIcmp, "140.82.120.1", 0, 2},
      {Protocol::kTcp, "140.82.128.0", 443, kNoGroup},  // just past the /20
  };
  for (const Case& c : cases) {
    EXPECT_EQ(r.groups->match(flow(c.proto, c.dst, c.dport)), c.group)
        << to_string(c.proto) << " " << c.dst << ":" << c.dport;
  }
}

// A known host name picks the first group listing a matching name, before any address match;
// without a name (or one no group lists) the addresses decide, in file order.
TEST(DestinationGroups, AHostNameGoesBeforeAddresses) {
  DestinationGroupsLoad r = parse_destination_groups(R"(groups:
  - name: azure
    destinations: [20.0.0.0/8]
  - name: registry
    destinations:
      - host: MCR.microsoft.com.
      - host: "*.data.mcr.microsoft.com"
  - name: payments
    destinations:
      - host: api.payments.example
        addresses: [203.0.113.10]
  - name: everything-example
    destinations:
      - host: "*.example"
)",
                                                     "g.yaml");
  ASSERT_TRUE(r.groups) << errors_of(r);
  EXPECT_EQ(r.groups->groups()[1].hosts,
            (std::vector<std::string>{"mcr.microsoft.com", "*.data.mcr.microsoft.com"}));
  struct Case {
    const char* dst;
    const char* host;
    size_t group;
  };
  const Case cases[] = {
      {"20.1.2.3", "", 0},                               // no name: the address
      {"20.1.2.3", "mcr.microsoft.com", 1},              // the name, before azure's 20/8
      {"20.1.2.3", "Mcr.Microsoft.Com.", 1},             // case and a trailing dot ignored
      {"20.1.2.3", "eastus.data.mcr.microsoft.com", 1},  // the wildcard: one label
      {"20.1.2.3", "a.b.data.mcr.microsoft.com", 1},     // or more
      {"20.1.2.3", "data.mcr.microsoft.com", 0},         // not the apex: the address decides
      {"20.1.2.3", "login.microsoftonline.com", 0},      // a name no group lists: the address
      {"198.51.100.1", "api.payments.example", 2},       // a host with addresses: its name
      {"203.0.113.10", "", 2},                           // and its addresses
      {"203.0.113.10", "other.example", 3},              // a name wins over the address
      {"198.51.100.1", "example", kNoGroup},             // *.example is not the apex
      {"198.51.100.1", "", kNoGroup},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(r.groups->match(flow(Protocol::kTcp, c.dst, 443), c.host), c.group)
        << c.dst << " " << c.host;
  }
}

struct ItemCase {
  const char* text;
  const char* error;  // "" when it parses; else code: message
};

class GroupDestinationItems : public ::testing::TestWithParam<ItemCase> {};

TEST_P(GroupDestinationItems, ParseOrSayWhy) {
  Result<GroupDestination> r = parse_group_destination(GetParam().text);
  if (std::string(GetParam().error).empty()) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->to_string(), GetParam().text);
    return;
  }
  ASSERT_FALSE(r.ok()) << GetParam().text;
  EXPECT_EQ(r.error().code + ": " + r.error().message, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, GroupDestinationItems,
    ::testing::Values(
        ItemCase{"140.82.112.0/20", ""}, ItemCase{"140.82.112.0/20:443/tcp", ""},
        ItemCase{"1.1.1.1/udp", ""}, ItemCase{"1.1.1.1:53", ""},
        ItemCase{"1.1.1.1:8000-8080/tcp", ""}, ItemCase{"0.0.0.0/0", ""},
        ItemCase{"2001:db8::/32", ""}, ItemCase{"2001:db8::1/icmp", ""},
        ItemCase{"[2001:db8::/32]:443/tcp", ""}, ItemCase{"8.8.8.8/icmp", ""},
        ItemCase{"140.82.112.3/20:443",
                 "host-bits: '140.82.112.3/20' has host bits set; did you mean 140.82.112.0/20?"},
        ItemCase{"1.1.1.1/sctp",
                 "bad-value: '1.1.1.1/sctp': unknown protocol 'sctp'; expected "
                 "tcp, udp or icmp"},
        ItemCase{"1.1.1.1:0",
                 "bad-value: '1.1.1.1:0': bad port '0'; expected 1..65535 or a "
                 "range like 8000-8080"},
        ItemCase{"1.1.1.1:90-80/udp",
                 "bad-value: '1.1.1.1:90-80/udp': bad port '90-80'; "
                 "expected 1..65535 or a range like 8000-8080"},
        ItemCase{"1.1.1.1:/tcp",
                 "bad-value: '1.1.1.1:/tcp': bad port ''; expected 1..65535 or "
                 "a range like 8000-8080"},
        ItemCase{"1.1.1.1:7/icmp", "bad-value: '1.1.1.1:7/icmp': icmp has no ports"},
        ItemCase{"[2001:db8::1:443", "bad-prefix: '[2001:db8::1:443': '[' without ']'"},
        ItemCase{"api.example.com:443",
                 "host-name: 'api.example.com:443' is a host name; write {host: "
                 "api.example.com} for the flows that name it (TLS SNI, HTTP Host), with "
                 "addresses: [...] for flows to the addresses it resolves to (names are never "
                 "looked up)"},
        ItemCase{"1.1.1.1.1",
                 "bad-prefix: expected an address or prefix like 140.82.112.0/20 or "
                 "2001:db8::/32, with optional :PORTS and /PROTO, got '1.1.1.1.1'"},
        ItemCase{"",
                 "bad-prefix: expected an address or prefix like 140.82.112.0/20 or "
                 "2001:db8::/32, with optional :PORTS and /PROTO, got ''"}));

struct BadFile {
  const char* name;
  const char* yaml;
  const char* errors;
};

class DestinationGroupsErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(DestinationGroupsErrors, NamePositionAndValue) {
  DestinationGroupsLoad r = parse_destination_groups(GetParam().yaml, "g.yaml");
  EXPECT_FALSE(r.groups.has_value());
  EXPECT_EQ(errors_of(r), GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DestinationGroupsErrors,
    ::testing::Values(
        BadFile{"Empty", "",
                "g.yaml:1:1: error: a groups file must be a map with the key "
                "'groups', got an empty value\n"},
        BadFile{"NotAMap", "- 1\n",
                "g.yaml:1:1: error: a groups file must be a map with the key "
                "'groups', got a list\n"},
        BadFile{"UnknownTopKey", "group: []\n",
                "g.yaml:1:1: error: unknown key 'group' in the groups file; expected one of: "
                "groups; did you mean 'groups'?\n"
                "g.yaml:1:1: error: the groups file is missing required field 'groups'\n"},
        BadFile{"EmptyList", "groups: []\n",
                "g.yaml:1:9: error: 'groups' must not be an empty list\n"},
        BadFile{"UnknownGroupKey", "groups:\n  - name: a\n    destination: [1.1.1.1]\n",
                "g.yaml:2:5: error: a group is missing required field 'destinations'\n"
                "g.yaml:3:5: error: unknown key 'destination' in a group; expected one of: name, "
                "destinations; did you mean 'destinations'?\n"},
        BadFile{"DuplicateName",
                "groups:\n  - {name: a, destinations: [1.1.1.1]}\n"
                "  - {name: a, destinations: [8.8.8.8]}\n",
                "g.yaml:3:12: error: group name 'a' is already used at line 2, column 12\n"},
        BadFile{"DuplicateKey", "groups:\n  - name: a\n    name: b\n    destinations: [1.1.1.1]\n",
                "g.yaml:3:5: error: duplicate key 'name'; first given at line 2, column 5\n"},
        BadFile{"MissingName", "groups:\n  - destinations: [1.1.1.1]\n",
                "g.yaml:2:5: error: a group is missing required field 'name'\n"},
        BadFile{"HostBits", "groups:\n  - name: a\n    destinations: [140.82.112.3/20]\n",
                "g.yaml:3:20: error: '140.82.112.3/20' has host bits set; did you mean "
                "140.82.112.0/20?\n"},
        BadFile{"BareHostName",
                "groups:\n  - name: a\n    destinations:\n      - api.example.com\n",
                "g.yaml:4:9: error: 'api.example.com' is a host name; write {host: "
                "api.example.com} for the flows that name it (TLS SNI, HTTP Host), with "
                "addresses: [...] for flows to the addresses it resolves to (names are never "
                "looked up)\n"},
        BadFile{"HostWithNoAddresses",
                "groups:\n  - name: a\n    destinations:\n"
                "      - {host: api.example.com, addresses: []}\n",
                "g.yaml:4:44: error: 'addresses' must not be an empty list; leave it out to "
                "match the name alone\n"},
        BadFile{"HostWithEmptyAddresses",
                "groups:\n  - name: a\n    destinations:\n"
                "      - {host: api.example.com, addresses: }\n",
                "g.yaml:4:33: error: 'addresses' must be a list, got an empty value\n"},
        BadFile{"WildcardInTheMiddle",
                "groups:\n  - name: a\n    destinations:\n      - host: api.*.example.com\n",
                "g.yaml:4:15: error: host 'api.*.example.com': expected a host name like "
                "api.example.com or a wildcard like *.example.com\n"},
        BadFile{"WildcardWithoutDot",
                "groups:\n  - name: a\n    destinations:\n      - host: '*example.com'\n",
                "g.yaml:4:15: error: host '*example.com': expected a host name like "
                "api.example.com or a wildcard like *.example.com\n"},
        BadFile{"HostNotAString",
                "groups:\n  - name: a\n    destinations:\n      - host: [a.example.com]\n",
                "g.yaml:4:15: error: 'host' must be a string, got a list\n"},
        BadFile{"HostWithUnknownKey",
                "groups:\n  - name: a\n    destinations:\n"
                "      - {host: a.example.com, ports: [443]}\n",
                "g.yaml:4:31: error: unknown key 'ports' in a host destination; expected one of: "
                "host, addresses\n"},
        BadFile{"HostWithAPrefix",
                "groups:\n  - name: a\n    destinations:\n"
                "      - {host: api.example.com, addresses: [203.0.113.0/24]}\n",
                "g.yaml:4:45: error: host 'api.example.com': '203.0.113.0/24' is a prefix; "
                "'addresses' lists the addresses the name resolves to\n"},
        BadFile{"EveryErrorSorted",
                "groups:\n  - name: a\n    destinations: [1.1.1.1:0, 8.8.8.8/tcpp]\n"
                "  - {name: '', destinations: [9.9.9.9]}\n",
                "g.yaml:3:20: error: '1.1.1.1:0': bad port '0'; expected 1..65535 or a range "
                "like 8000-8080\n"
                "g.yaml:3:31: error: '8.8.8.8/tcpp': unknown protocol 'tcpp'; expected tcp, udp "
                "or icmp\n"
                "g.yaml:4:12: error: 'name' must not be empty\n"}),
    [](const ::testing::TestParamInfo<BadFile>& test_case) { return test_case.param.name; });

TEST(DestinationGroups, UnreadableFileIsAnIoError) {
  DestinationGroupsLoad r = load_destination_groups("/nonexistent/groups.yaml");
  EXPECT_FALSE(r.groups);
  EXPECT_EQ(errors_of(r),
            "/nonexistent/groups.yaml: error: cannot read '/nonexistent/groups.yaml': No such "
            "file or directory\n");
}

TEST(DestinationGroups, LoadsTheCliTestsFile) {
  DestinationGroupsLoad r =
      load_destination_groups(std::string(EGRESS_TEST_DATA_DIR) + "/../cli/data/partners.yaml");
  ASSERT_TRUE(r.groups) << errors_of(r);
  EXPECT_FALSE(r.groups->empty());
}

}  // namespace
}  // namespace egress
