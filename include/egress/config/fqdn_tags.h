// Azure Firewall FQDN tags and host name patterns (azure-behaviour B5): what an application
// rule's `fqdnTags` stand for (sim/config/fqdn_tags.inc, with its source) and how a target
// FQDN matches a host name.
#pragma once

#include <string_view>
#include <vector>

namespace egress {

/// Whether `tag` is an FQDN tag egress-sim knows (names compared ignoring case).
bool fqdn_tag_known(std::string_view tag);
/// The known FQDN tags, sorted.
std::vector<std::string_view> fqdn_tag_names();
/// The host name patterns of a tag; empty for an unknown one.
std::vector<std::string_view> fqdn_tag_fqdns(std::string_view tag);

/// Whether `host` matches the target FQDN `pattern`, ignoring case and one trailing dot of
/// `host`: `*` matches any name; `*.example.com` any name with one or more labels before
/// `example.com` but not `example.com` itself (azure-behaviour B5); `<location>` one label.
bool fqdn_matches(std::string_view pattern, std::string_view host);

/// Whether `host` is a host name as TLS SNI and HTTP Host carry it: 1 to 253 characters of
/// dot-separated labels of letters, digits, '-' and '_', one trailing dot allowed.
bool valid_host_name(std::string_view host);

}  // namespace egress
