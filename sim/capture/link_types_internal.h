// LINKTYPE_ values (what files store, RawPacket::link_type) against the DLT_ values libpcap's
// own functions take (pcap_open_dead for writing and for compiling filters).
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <string>

#include "egress/capture/raw_packet.h"

namespace egress {

/// The DLT_ value libpcap wants for a LINKTYPE_ value. They differ only where a DLT_ number
/// was taken by different systems for different things before LINKTYPE_ numbers existed:
/// raw IP is LINKTYPE_RAW 101 in files but DLT_RAW (12, 14 on OpenBSD) to libpcap, which
/// refuses 101 (`link-layer type 101 isn't supported in savefiles`); OpenBSD's loopback is
/// DLT_LOOP (12 there, 108 elsewhere). Every other value is the same in both.
inline int dlt_of_link_type(uint16_t link_type) {
  switch (link_type) {
    case kLinkRaw:
      return DLT_RAW;
    case kLinkLoop:
      return DLT_LOOP;
    default:
      return link_type;
  }
}

/// libpcap's short name for a link type (`EN10MB`, `RAW`, `NFLOG`), or its number.
inline std::string link_type_name(uint16_t link_type) {
  const char* name = pcap_datalink_val_to_name(dlt_of_link_type(link_type));
  return name != nullptr ? std::string(name) : std::to_string(link_type);
}

}  // namespace egress
