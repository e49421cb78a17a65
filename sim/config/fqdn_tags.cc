#include "egress/config/fqdn_tags.h"

#include <algorithm>
#include <cctype>

namespace egress {
namespace {

struct TagFqdn {
  std::string_view tag;
  std::string_view fqdn;
};

#define EGRESS_FQDN_TAG(tag, fqdn) TagFqdn{tag, fqdn},
constexpr TagFqdn kTagFqdns[] = {
#include "config/fqdn_tags.inc"
};
#undef EGRESS_FQDN_TAG

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether `host` (labels) matches `pattern` (labels) exactly, `<location>` matching one label.
bool labels_match(std::string_view pattern, std::string_view host) {
  constexpr std::string_view kLocation = "<location>";
  while (true) {
    size_t pd = pattern.find('.');
    size_t hd = host.find('.');
    std::string_view pl = pattern.substr(0, pd);
    std::string_view hl = host.substr(0, hd);
    if (hl.empty() || (pl != kLocation && !iequal(pl, hl))) {
      return false;
    }
    if (pd == std::string_view::npos || hd == std::string_view::npos) {
      return pd == std::string_view::npos && hd == std::string_view::npos;
    }
    pattern.remove_prefix(pd + 1);
    host.remove_prefix(hd + 1);
  }
}

}  // namespace

bool fqdn_tag_known(std::string_view tag) {
  return std::any_of(std::begin(kTagFqdns), std::end(kTagFqdns),
                     [&](const TagFqdn& t) { return iequal(t.tag, tag); });
}

std::vector<std::string_view> fqdn_tag_names() {
  std::vector<std::string_view> names;
  for (const TagFqdn& t : kTagFqdns) {
    names.push_back(t.tag);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::string_view> fqdn_tag_fqdns(std::string_view tag) {
  std::vector<std::string_view> out;
  for (const TagFqdn& t : kTagFqdns) {
    if (iequal(t.tag, tag)) {
      out.push_back(t.fqdn);
    }
  }
  return out;
}

bool fqdn_matches(std::string_view pattern, std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (host.empty()) {
    return false;
  }
  if (pattern == "*") {
    return true;
  }
  if (pattern.starts_with("*.")) {
    // One or more labels before the rest: try every label boundary of the host.
    std::string_view rest = pattern.substr(2);
    for (size_t dot = host.find('.'); dot != std::string_view::npos;
         dot = host.find('.', dot + 1)) {
      if (labels_match(rest, host.substr(dot + 1))) {
        return true;
      }
    }
    return false;
  }
  return labels_match(pattern, host);
}

bool valid_host_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (host.empty() || host.size() > 253) {
    return false;
  }
  size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return label > 0;
}

}  // namespace egress
