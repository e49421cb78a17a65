// Which packets of a source go on to replay: a BPF filter (libpcap's compiler, as tcpdump
// applies it), a time range, and a count, each a PacketSource wrapping another.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/capture/raw_packet.h"
#include "egress/util/result.h"

namespace egress {

/// One end of a time range: nanoseconds since the Unix epoch, or since the first packet.
struct TimePoint {
  int64_t ns = 0;
  bool relative = false;  // `+S`: from the first packet's timestamp

  friend bool operator==(const TimePoint&, const TimePoint&) = default;
};

/// [from, to): packets with from <= timestamp < to. A missing end is open.
struct TimeRange {
  std::optional<TimePoint> from;
  std::optional<TimePoint> to;

  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

/// Parses `FROM..TO`, each end optional: `+S` seconds after the first packet (`+90`,
/// `+1.5`), epoch seconds (`1700000000.5`), or an RFC 3339 time (`2023-11-14T22:13:20Z`,
/// `2023-11-14T23:13:20.25+01:00`). Fractions to the nanosecond. Errors (code
/// "time-range") say what is wrong with which part, e.g. `'2023-13-01T00:00:00Z' is not a
/// time: month 13`; the caller names the option.
Result<TimeRange> parse_time_range(std::string_view text);

/// One end alone, as parse_time_range reads it.
Result<TimePoint> parse_time_point(std::string_view text);

/// Passes only the packets a BPF filter expression accepts, compiled by libpcap
/// (pcap_compile on pcap_open_dead, optimized, netmask unknown) once per link type met, the
/// first time a packet of that link type comes, and applied with pcap_offline_filter. The
/// expression is compiled for Ethernet at once, so a filter libpcap refuses is an error
/// before any packet is read: code "capture-filter", message libpcap's own. NFLOG, which
/// libpcap 1.10 cannot filter, is filtered on the IP packet of its payload TLV (compiled for
/// raw IP); a link type where libpcap proves that nothing can match (`ip6` on LINKTYPE_IPV4)
/// passes nothing. A link type the filter cannot be applied to (`ether host` on raw IP) is an
/// error at its first packet: `where.file` the packet's input as `input_names` names it
/// (RawPacket::input), message `packet N (offset B): the filter cannot be applied to link
/// type NAME: libpcap's message`.
Result<std::unique_ptr<PacketSource>> filter_packets(std::unique_ptr<PacketSource> source,
                                                     const std::string& expression,
                                                     std::vector<std::string> input_names = {});

/// Passes the packets in `range`; relative ends count from the first packet `source` gives.
/// Reads to the end: captures are not always in time order.
std::unique_ptr<PacketSource> packets_in_time_range(std::unique_ptr<PacketSource> source,
                                                    const TimeRange& range);

/// Passes the first `count` packets, then ends without reading further.
std::unique_ptr<PacketSource> first_packets(std::unique_ptr<PacketSource> source, uint64_t count);

/// What replay takes of its captures. Applied in this order: the time range (relative ends
/// from the first packet of the captures), the filter, the count (of packets that passed
/// both, as `tcpdump -c` counts after its filter).
struct PacketSelection {
  std::string filter;  // empty: every packet
  std::optional<TimeRange> time_range;
  uint64_t count = 0;                    // 0: no limit
  std::vector<std::string> input_names;  // for the filter's errors (the capture paths)
};

/// `source` wrapped in what `selection` asks for (unchanged when it asks for nothing). Errors:
/// filter_packets's.
Result<std::unique_ptr<PacketSource>> select_packets(std::unique_ptr<PacketSource> source,
                                                     const PacketSelection& selection);

}  // namespace egress
