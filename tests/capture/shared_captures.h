// What reading each capture of the shared corpus gives, for capture_reader_test (exact
// results) and capture_tshark_test (the TCP and UDP counts against tshark's).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace egress::test {

inline const std::string kCapturesDir = std::string(EGRESS_SHARED_DIR) + "/captures/";

// What reading each file of the shared corpus (../shared/captures/INDEX.md) gives. Flow
// counts are distinct bidirectional 5-tuples (capture_summary.h). For TCP and UDP they were
// checked against tshark 4.0:
//   tshark -r FILE -q -z conv,tcp -z conv,udp
// (capture_tshark_test re-derives them when tshark is installed). Where tshark differs, the
// row says why in `note`: tshark dissects tunnels and does not count the flow an ICMP error
// quotes; we do the opposite.
struct SharedCase {
  const char* file;
  const char* error;  // the message of the error (open or read); "" when it reads
  uint64_t packets;
  int tcp_flows;
  int udp_flows;
  int icmp_flows;
  const char* kinds;
  const char* warnings = "";
  int tshark_tcp = -1;  // -1: the same as ours
  int tshark_udp = -1;
  const char* note = "";
};

// clang-format off
inline const SharedCase kSharedCaptures[] = {
    {"communityid-tcp.pcap", "", 12, 1, 0, 0, "ip=12"},
    {"communityid-icmp.pcap", "", 12, 0, 0, 1, "ip=12"},
    {"communityid-ipv6.pcap", "", 17, 1, 0, 0, "ip=17"},
    {"wikipedia.pcap", "", 136, 10, 24, 0, "ip=126 arp=6 other-ethertype=4"},
    {"methods.pcap", "", 655, 49, 0, 0, "ip=655"},
    {"qi_internet_SYNACK_curl_jsonip.pcap", "", 14, 1, 0, 0, "ip=14"},
    {"icmp-destunreach-udp.pcap", "", 1, 0, 1, 0, "ip=1", "", -1, 0,
     "the ICMP error counts as the UDP flow it quotes; tshark counts no UDP conversation"},
    {"icmp6-toobig.pcap", "", 1, 0, 1, 0, "ip=1", "", -1, 0,
     "the ICMPv6 error counts as the UDP flow it quotes; tshark counts no UDP conversation"},
    {"fragmented-1.pcap", "", 3, 0, 1, 0, "ip=3"},
    {"fragmented-4.pcap", "", 6, 2, 0, 0, "ip=6"},
    {"ipv6-fragmented-dns.pcap", "", 8, 0, 2, 0, "ip=7 fragment-orphan=1", "", -1, -1,
     "frame 4 is a last fragment (id 1) whose first fragment is not in the file"},
    {"http-vlan-0.pcap", "", 14, 1, 0, 0, "ip=14"},
    {"http-qinq-0.pcap", "", 14, 1, 0, 0, "ip=14"},
    {"vlan-pcp-dei.pcapng", "", 9, 1, 0, 0, "ip=9"},
    {"vxlan.pcap", "", 10, 0, 4, 0, "ip=10", "", -1, -1,
     "the inner ICMP and ARP frames are not decoded: the flows are the outer UDP ones"},
    {"geneve.pcap", "", 39, 0, 4, 0, "ip=39", "", 1, -1,
     "tshark also counts the TCP conversation inside the Geneve tunnel; replay keys on the outer UDP"},
    {"irc-starttls.pcap", "", 20, 1, 0, 0, "ip=20"},
    {"tcp-handshake-nano.pcap", "", 3, 1, 0, 0, "ip=3"},
    {"linux_dlt_sll2.pcap", "", 6, 0, 0, 2, "ip=4 arp=2"},
    {"openjdk-25.0.2-zeek.org.pcap", "", 6, 1, 0, 0, "ip=6"},
    {"LINKTYPE_RAW_ipv4.pcap", "", 1, 0, 1, 0, "ip=1"},
    {"LINKTYPE_RAW_ipv6.pcap", "", 1, 0, 1, 0, "ip=1"},
    {"LINKTYPE_IPV4.pcap", "", 1, 0, 1, 0, "ip=1"},
    {"quic_handshake.pcap", "", 18, 0, 1, 0, "ip=18"},
    {"udp-multiple-source-ports.pcap", "", 3, 0, 3, 0, "ip=3"},
    {"nflog-http.pcap", "", 13, 1, 0, 0, "ip=13"},
    // libpcap 1.10 refuses both (interfaces of different link types); PcapngReader reads them.
    {"pcapng-le-test006.pcapng", "", 5, 0, 3, 0, "ip=5"},
    {"pcapng-le-test202.pcapng", "", 8, 0, 3, 0, "ip=8"},
    {"pcapng-be-test001.pcapng", "", 4, 0, 2, 0, "ip=4"},
    {"get-to-ssh-server.pcap", "", 9, 1, 0, 0, "ip=9"},
    {"pptp.pcap", "", 23, 1, 0, 0, "ip=22 other-protocol=1"},
    {"timestamp_invalid_nano.pcap", "", 3, 1, 0, 0, "ip=3",
     "packet 2 (offset 116): invalid timestamp: fraction 1000000000 ns is not below one second; "
     "used as given (later ones not reported)"},
    {"LINKTYPE_IPV4_invalid.pcap", "", 1, 0, 0, 0, "malformed=1", "", -1, 1,
     "link type IPv4 holding an IPv6 packet is malformed; tshark dissects the IPv6 UDP inside"},
    {"ipv6_frag6_negative_len.pcap", "", 1, 0, 0, 0, "fragment-orphan=1"},
    {"tcp_header_heapoverflow.pcap", "", 1, 0, 0, 0, "truncated=1"},
    {"unsupported-link-type-160.pcap", "", 1, 0, 0, 0, "unknown-link-type=1"},
    {"empty.pcapng", "", 0, 0, 0, 0, ""},
    {"pcap-invalid-version-1.pcap", "archaic pcap savefile format", 0, 0, 0, 0, ""},
    {"linktype-reserved-field-not-zero.pcap",
     "corrupt header: link type 0x00300000 has reserved bits set", 0, 0, 0, 0, ""},
    {"shb-option-too-long.pcapng", "block total length in header and trailer don't match", 0, 0, 0,
     0, ""},
    {"trunc-hdr.pcap", "", 1, 0, 0, 0, "truncated=1"},
};
// clang-format on

// Names a row in test output instead of dumping its bytes.
inline void PrintTo(const SharedCase& c, std::ostream* os) {
  *os << c.file;
}

}  // namespace egress::test
