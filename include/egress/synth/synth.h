// The synthetic traffic generator (`egress-sim synth`): flows drawn from a described mix,
// turned into the packets a capture on the nodes would show (full Ethernet frames, both
// directions), in capture time. Replay consumes it through PacketSource like a capture file,
// and it can be written out as one, so the two paths test each other.
//
// The same spec and seed give the same bytes on any machine: the generator uses its own PRNG
// (xoshiro256**) and its own log/exp, never std:: distributions or libm.
//
// Mix file (YAML; every key optional, unknown and duplicate keys are errors; example:
// topologies/mixes/default.yaml):
//
//   flows: 10000             # number of flows, 1..2^40 (the CLI's --flows overrides it)
//   seed: 1                  # PRNG seed, 0..2^63-1 (--seed overrides it)
//   start: 2026-01-01T00:00:00Z  # first arrival: UTC RFC 3339 ('Z', optional fraction) or
//                            # seconds since 1970; before 2200. Default 2026-01-01T00:00:00Z
//   rate: 100                # new flows per second (Poisson arrivals), > 0
//   duration: 2              # mean flow duration in seconds (exponential), >= 0
//   packets: 20              # mean packets per flow, both directions, >= 1 (TCP always has
//                            # its handshake and close; UDP and ICMP at least one exchange)
//   payload: 512             # mean payload bytes of a data packet, 1..1400 (uniform around it;
//                            # ICMP echoes carry 56 bytes, as ping does)
//   rstShare: 0.05           # share of TCP flows that end with RST instead of FIN, 0..1
//   protocols: {tcp: 0.8, udp: 0.15, icmp: 0.05}  # relative shares; unnamed ones are 0
//   ports: {tcp: 443, udp: 53}   # destination port when a destination lists none
//   sources:                 # default: every node of the cluster, equally likely
//     - nodePool: system     # the nodes of a pool; `pods: POOL` its pods; `host: NAME` a
//       weight: 1            # host; "*" as the name: every pool or host. Weight > 0, default 1
//   destinations:            # default: uniform public IPv4 addresses
//     - prefix: 140.82.112.0/20   # an address or CIDR; /32 or /128 is one endpoint; addresses
//       ports: [443, 8000-8080]   # are drawn uniformly inside. Ports optional
//       weight: 3                 # > 0, default 1
//       hosts: [mcr.microsoft.com]  # TCP flows name one (TLS SNI, or HTTP Host on port 80)
//       protocol: tcp             # tcp, udp or icmp: every flow to it; default: drawn from
//                                 # `protocols`. icmp takes no ports; hosts need tcp
//     - serviceTag: AzureCloud.eastus  # instead of prefix: the topology's `serviceTags` entry;
//       ports: [9000]             # addresses drawn uniformly over its prefixes of the
//       protocol: tcp             # sources' family (IPv4 when sources have both)
//   zipf: 1.0                # 0: weights as given; s > 0: destination i (1-based, in list
//                            # order) drawn with weight w_i / i^s
//   popularEndpoints: 1000   # zipf > 0 without destinations: K public endpoints drawn once,
//                            # then chosen by Zipf over their rank
//
// Compact CLI flags (parse_* below), items separated by commas, no spaces:
//   sources       KIND[:NAME][*WEIGHT]    nodePool:system,pods:user*2,host:jumpbox
//                 KIND: nodePool, pods or host. No NAME or `*`: every pool (host:* every host)
//   destinations  DEST[:PORTS][*WEIGHT]   140.82.112.0/20*3:443,20.0.0.0/8,1.1.1.1:53+853
//                 DEST: an address or CIDR; an IPv6 address takes ports only in brackets
//                 ([2001:db8::1]:443) or as a /128. PORTS: 443, 8000-8080, joined by '+'.
//                 :PORTS and *WEIGHT may come in either order.
//   protocols     PROTO=SHARE,...         tcp=0.8,udp=0.15,icmp=0.05 (unnamed protocols: 0)
// Their errors (code bad-value) quote the item, e.g. "source 'pod:user': unknown kind 'pod';
// expected nodePool, pods or host (did you mean 'pods'?)"; the CLI prefixes the flag name.
//
// Sources become addresses as the engine (engine/sources.h) attributes them: node IPs; Azure
// CNI pods: the maxPods addresses after their node's IP; kubenet and Azure CNI Overlay pods:
// from .2 of their node's /24 of podCidr. A flow's source has its destination's family;
// source weights apply among the sources of that family.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/config/topology.h"
#include "egress/net/ip_address.h"
#include "egress/util/result.h"

namespace egress {

/// Where synthetic flows start.
struct SynthSource {
  enum class Kind : uint8_t { kNodePool, kPods, kHost } kind = Kind::kNodePool;
  std::string name;  // node pool or host name; empty: every pool (every host for kHost)
  double weight = 1;
};

/// Where synthetic flows go: addresses drawn uniformly from `prefix`.
struct SynthDestination {
  Prefix prefix;
  std::vector<PortRange> ports;  // empty: SynthSpec::tcp_port / udp_port
  double weight = 1;
  /// Host names a TCP flow to it names, one drawn per flow: its first data packet is an
  /// HTTP/1.1 request with that Host (port 80) or a TLS ClientHello with that server_name
  /// (any other port), as Azure Firewall's application rules read them. Empty: no names.
  std::vector<std::string> hosts;
  /// Instead of `prefix`: the name of a `serviceTags` entry of the topology, whose prefixes
  /// (of one family: IPv4 when some source has it, else IPv6) the addresses are drawn from,
  /// uniformly over their addresses. Resolved by make_synth_source.
  std::string service_tag;
  /// The protocol of every flow to it; none: drawn from SynthSpec::protocols.
  std::optional<Protocol> protocol;
};

/// Relative protocol shares (normalised by their sum, which must be positive).
struct ProtocolMix {
  double tcp = 0.8;
  double udp = 0.15;
  double icmp = 0.05;
};

/// 2026-01-01T00:00:00Z, so that runs without a start time repeat exactly.
inline constexpr int64_t kSynthDefaultStartNs = int64_t{1767225600} * 1'000'000'000;

struct SynthSpec {
  uint64_t flows = 1000;
  uint64_t seed = 1;
  std::vector<SynthSource> sources;            // empty: every node of the cluster
  std::vector<SynthDestination> destinations;  // empty: uniform public IPv4 addresses
  double zipf = 0;                             // 0: weights as given; s > 0: w_i / i^s
  uint32_t popular_endpoints = 1000;           // K, for zipf > 0 without destinations
  ProtocolMix protocols;
  uint16_t tcp_port = 443;
  uint16_t udp_port = 53;
  double flows_per_second = 100;  // Poisson arrival rate
  double mean_duration_s = 2;     // exponential
  double mean_packets = 20;       // per flow, both directions, handshake and close included
  uint32_t mean_payload_bytes = 512;
  double rst_share = 0.05;  // of TCP flows
  int64_t start_ns = kSynthDefaultStartNs;
};

/// A mix file read: the spec, or every error found (sorted by position), never both.
struct SynthMixLoad {
  std::optional<SynthSpec> spec;
  std::vector<Diagnostic> errors;
};

/// Parses a mix file's text (schema above). `file` names it in diagnostics, which read
/// `FILE:LINE:COL: error: ...` through format_diagnostic. Fields left out keep SynthSpec's
/// defaults.
SynthMixLoad parse_synth_mix(std::string_view yaml_text, const std::string& file);
/// Reads and parses a mix file; a file that cannot be read is one error with code `io`.
SynthMixLoad load_synth_mix(const std::string& path);

/// `--sources`: `KIND[:NAME][*WEIGHT],...`. Errors (code bad-value) quote the bad item.
/// No topology is needed: names are checked by make_synth_source.
Result<std::vector<SynthSource>> parse_source_list(std::string_view text);
/// `--destinations`: `DEST[:PORTS][*WEIGHT],...`.
Result<std::vector<SynthDestination>> parse_destination_list(std::string_view text);
/// `--protocols`: `PROTO=SHARE,...`; protocols not named get share 0.
Result<ProtocolMix> parse_protocol_mix(std::string_view text);

/// The generator: packets as `tcpdump -i eth0` on each sending node would show them, link type
/// Ethernet, in non-decreasing capture time (ties in flow order). TCP flows have SYN,
/// SYN-ACK, ACK, data both ways, then FIN/ACK, FIN/ACK, ACK or one RST; UDP flows alternate
/// request and response; ICMP flows are echo request/reply with the flow number as the
/// identifier. Client ports are in 32768..60999, never a 5-tuple already live. Payloads are
/// zeros, except UDP to port 53, which carries DNS A queries and answers, so that Wireshark's
/// dissectors accept every frame. The topology is not referenced after the call.
///
/// Errors (code synth-spec): a source name the topology lacks, a destination's service tag the
/// topology's `serviceTags` lacks (or without prefixes of a source's family), a pool without nodes,
/// pods the engine would not recognise (engine/sources.h), a destination family no source has,
/// values out of range (shares, rate, ...). next() fails only if a source has no free port left or
/// arrivals would run past 2115 (a tiny rate with many flows).
Result<std::unique_ptr<PacketSource>> make_synth_source(const Topology& topology,
                                                        const SynthSpec& spec);

}  // namespace egress
