// The mix file and the compact CLI forms of its lists (schema in egress/synth/synth.h).
#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "config/yaml_reader_internal.h"
#include "egress/config/fqdn_tags.h"
#include "egress/synth/synth.h"

namespace egress {
namespace {

using internal::Diagnostics;
using internal::Field;
using internal::MapReader;
using internal::quote;

constexpr std::string_view kMixKeys[] = {
    "flows",    "seed", "start", "rate",    "duration",  "packets",      "payload",
    "rstShare", "zipf", "ports", "sources", "protocols", "destinations", "popularEndpoints"};
constexpr std::string_view kProtocolKeys[] = {"tcp", "udp", "icmp"};
constexpr std::string_view kPortKeys[] = {"tcp", "udp"};
constexpr std::string_view kSourceKinds[] = {"nodePool", "pods", "host"};
constexpr std::string_view kSourceKeys[] = {"nodePool", "pods", "host", "weight"};
constexpr std::string_view kDestinationKeys[] = {"prefix", "serviceTag", "ports",
                                                 "weight", "hosts",      "protocol"};

constexpr int64_t kMaxFlows = int64_t{1} << 40;
constexpr int64_t kYear2200 = 7'258'118'400;  // 2200-01-01T00:00:00Z in seconds
constexpr double kMaxWeight = 1e12;

// Text for messages: integers in full (1000000000), others shortest round-trip (0.5).
std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  std::array<char, 32> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  return ec == std::errc() ? std::string(buffer.data(), end) : std::to_string(v);
}

// A decimal number (`2`, `0.25`, `1e3`); nullopt for anything else, also inf and nan.
std::optional<double> parse_number(std::string_view s) {
  if (s.empty() || s.front() == '+') {
    return std::nullopt;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// The allowed range of a number, as messages say it.
struct NumberRange {
  double min = 0;
  bool min_open = false;  // min itself is not allowed
  double max = 0;

  bool contains(double v) const { return (min_open ? v > min : v >= min) && v <= max; }
  std::string text() const {
    if (min_open) {
      return "greater than " + number_text(min) + " and at most " + number_text(max);
    }
    return "from " + number_text(min) + " to " + number_text(max);
  }
};

constexpr NumberRange kShareRange{0, false, 1};
constexpr NumberRange kWeightRange{0, true, kMaxWeight};
constexpr NumberRange kRelativeShareRange{0, false, kMaxWeight};

std::optional<double> read_number(const Field& field, NumberRange range, Diagnostics& diags) {
  if (field.node.IsScalar() && field.node.Tag() == "?") {
    auto v = parse_number(field.node.Scalar());
    if (v) {
      if (!range.contains(*v)) {
        diags.error("bad-value",
                    field.label() + " must be a number " + range.text() + ", got " +
                        internal::shorten(field.node.Scalar()),
                    field.pos);
        return std::nullopt;
      }
      return v;
    }
  }
  diags.error("bad-type",
              field.label() + " must be a number, got " + internal::describe(field.node),
              field.pos);
  return std::nullopt;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` or plain seconds since 1970 (with an optional fraction),
// before 2200: nanoseconds since the epoch fit in int64 until 2262, and the years between
// leave room for the flows' own times. Nanoseconds since the epoch.
std::optional<int64_t> parse_start(std::string_view s) {
  auto digits = [&](size_t at, size_t n) -> std::optional<int64_t> {
    if (at + n > s.size()) {
      return std::nullopt;
    }
    int64_t v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        return std::nullopt;
      }
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto fraction = [&](size_t at, size_t end) -> std::optional<int64_t> {
    // `at` is just past the '.'; up to 9 digits count, as nanoseconds.
    if (at >= end || end - at > 9) {
      return std::nullopt;
    }
    auto f = digits(at, end - at);
    if (!f) {
      return std::nullopt;
    }
    int64_t ns = *f;
    for (size_t i = end - at; i < 9; ++i) {
      ns *= 10;
    }
    return ns;
  };
  if (s.size() >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') &&
      s[13] == ':' && s[16] == ':' && (s.back() == 'Z' || s.back() == 'z')) {
    auto y = digits(0, 4);
    auto mo = digits(5, 2);
    auto d = digits(8, 2);
    auto h = digits(11, 2);
    auto mi = digits(14, 2);
    auto sec = digits(17, 2);
    if (!y || !mo || !d || !h || !mi || !sec || *y < 1970 || *y > 2199 || *mo < 1 || *mo > 12 ||
        *d < 1 || *h > 23 || *mi > 59 || *sec > 59) {
      return std::nullopt;
    }
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    if (*d > kDays[*mo - 1] + (*mo == 2 && leap ? 1 : 0)) {
      return std::nullopt;
    }
    int64_t ns = 0;
    size_t end = s.size() - 1;
    if (end > 19) {
      if (s[19] != '.') {
        return std::nullopt;
      }
      auto f = fraction(20, end);
      if (!f) {
        return std::nullopt;
      }
      ns = *f;
    }
    int64_t seconds = days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *sec;
    return seconds * 1'000'000'000 + ns;
  }
  size_t dot = s.find('.');
  size_t whole_end = dot == std::string_view::npos ? s.size() : dot;
  if (whole_end == 0 || whole_end > 10) {
    return std::nullopt;
  }
  auto seconds = digits(0, whole_end);
  if (!seconds || *seconds >= kYear2200) {
    return std::nullopt;
  }
  int64_t ns = 0;
  if (dot != std::string_view::npos) {
    auto f = fraction(dot + 1, s.size());
    if (!f) {
      return std::nullopt;
    }
    ns = *f;
  }
  return *seconds * 1'000'000'000 + ns;
}

// An address (one endpoint) or a CIDR prefix.
Result<Prefix> parse_destination_prefix(std::string_view text) {
  if (text.find('/') == std::string_view::npos) {
    if (auto address = IpAddress::parse(text)) {
      return Prefix::host(*address);
    }
    return Error{
        "bad-prefix",
        "expected an address or CIDR like 140.82.112.0/20 or 2001:db8::/32, got " + quote(text),
        {}};
  }
  return Prefix::parse(text);
}

class MixReader {
 public:
  explicit MixReader(const std::string& file) : diags_(file) {}

  SynthMixLoad run(std::string_view text) {
    internal::run_guarded(diags_, [&] { load(text); });
    SynthMixLoad result;
    if (diags_.empty()) {
      result.spec = std::move(spec_);
    } else {
      result.errors = diags_.take();
    }
    return result;
  }

 private:
  void load(std::string_view text) {
    std::optional<YAML::Node> document = internal::load_document(text, diags_);
    if (!document) {
      return;
    }
    const YAML::Node& root = *document;
    if (root.IsNull()) {
      // An empty mix is the default mix.
      return;
    }
    if (!root.IsMap()) {
      Pos pos = internal::pos_of(root);
      diags_.error("bad-type",
                   "a mix file must be a map of mix fields (flows, rate, sources, ...), got " +
                       internal::describe(root),
                   pos.line > 0 ? pos : Pos{1, 1});
      return;
    }
    MapReader top(root, "the mix", kMixKeys, diags_);
    if (auto f = top.get("flows")) {
      if (auto v = internal::read_int(*f, 1, kMaxFlows, diags_)) {
        spec_.flows = static_cast<uint64_t>(*v);
      }
    }
    if (auto f = top.get("seed")) {
      if (auto v = internal::read_int(*f, 0, std::numeric_limits<int64_t>::max(), diags_)) {
        spec_.seed = static_cast<uint64_t>(*v);
      }
    }
    if (auto f = top.get("start")) {
      read_start(*f);
    }
    if (auto f = top.get("rate")) {
      if (auto v = read_number(*f, {0, true, 1e9}, diags_)) {
        spec_.flows_per_second = *v;
      }
    }
    if (auto f = top.get("duration")) {
      if (auto v = read_number(*f, {0, false, 1e6}, diags_)) {
        spec_.mean_duration_s = *v;
      }
    }
    if (auto f = top.get("packets")) {
      if (auto v = read_number(*f, {1, false, 1e6}, diags_)) {
        spec_.mean_packets = *v;
      }
    }
    if (auto f = top.get("payload")) {
      if (auto v = internal::read_int(*f, 1, 1400, diags_)) {
        spec_.mean_payload_bytes = static_cast<uint32_t>(*v);
      }
    }
    if (auto f = top.get("rstShare")) {
      if (auto v = read_number(*f, kShareRange, diags_)) {
        spec_.rst_share = *v;
      }
    }
    if (auto f = top.get("zipf")) {
      if (auto v = read_number(*f, {0, false, 100}, diags_)) {
        spec_.zipf = *v;
      }
    }
    if (auto f = top.get("popularEndpoints")) {
      if (auto v = internal::read_int(*f, 1, 1'000'000, diags_)) {
        spec_.popular_endpoints = static_cast<uint32_t>(*v);
      }
    }
    if (auto f = top.get("protocols")) {
      read_protocols(*f);
    }
    if (auto f = top.get("ports")) {
      read_default_ports(*f);
    }
    if (auto f = top.get("sources")) {
      internal::for_each_item_nonempty(*f, diags_, "leave it out to use every node",
                                       [&](const Field& item) { read_source(item); });
    }
    if (auto f = top.get("destinations")) {
      internal::for_each_item_nonempty(*f, diags_, "leave it out for uniform public IPv4 addresses",
                                       [&](const Field& item) { read_destination(item); });
    }
  }

  void read_start(const Field& f) {
    auto text = internal::read_string(f, diags_);
    if (!text) {
      return;
    }
    auto ns = parse_start(*text);
    if (!ns) {
      diags_.error("bad-value",
                   "'start' must be a UTC time like 2026-01-01T00:00:00Z (years 1970 to 2199) "
                   "or seconds since 1970, got " +
                       quote(*text),
                   f.pos);
      return;
    }
    spec_.start_ns = *ns;
  }

  void read_protocols(const Field& f) {
    auto map = MapReader::open(f, "'protocols'", kProtocolKeys, diags_);
    if (!map) {
      return;
    }
    ProtocolMix mix{0, 0, 0};
    double* shares[] = {&mix.tcp, &mix.udp, &mix.icmp};
    bool ok = true;
    for (size_t i = 0; i < std::size(kProtocolKeys); ++i) {
      if (auto share = map->get(kProtocolKeys[i])) {
        auto v = read_number(*share, kRelativeShareRange, diags_);
        ok = ok && v.has_value();
        *shares[i] = v.value_or(0);
      }
    }
    if (ok && mix.tcp + mix.udp + mix.icmp <= 0) {
      diags_.error("bad-value", "'protocols' must give some protocol a share above 0", f.pos);
      return;
    }
    spec_.protocols = mix;
  }

  void read_default_ports(const Field& f) {
    auto map = MapReader::open(f, "'ports'", kPortKeys, diags_);
    if (!map) {
      return;
    }
    if (auto port = map->get("tcp")) {
      if (auto v = internal::read_int(*port, 1, 65535, diags_)) {
        spec_.tcp_port = static_cast<uint16_t>(*v);
      }
    }
    if (auto port = map->get("udp")) {
      if (auto v = internal::read_int(*port, 1, 65535, diags_)) {
        spec_.udp_port = static_cast<uint16_t>(*v);
      }
    }
  }

  void read_source(const Field& item) {
    auto map = MapReader::open(item, "a source", kSourceKeys, diags_);
    if (!map) {
      return;
    }
    SynthSource source;
    std::optional<Field> kind_field;
    for (size_t k = 0; k < std::size(kSourceKinds); ++k) {
      auto f = map->get(kSourceKinds[k]);
      if (!f && map->has(kSourceKinds[k])) {
        diags_.error("bad-value",
                     "'" + std::string(kSourceKinds[k]) + "' needs a name, or \"*\" for every one",
                     map->pos());
        return;
      }
      if (!f) {
        continue;
      }
      if (kind_field) {
        diags_.error(
            "bad-value",
            "a source has both '" + kind_field->key + "' and '" + f->key + "'; write one per item",
            f->key_pos);
        return;
      }
      kind_field = f;
      source.kind = static_cast<SynthSource::Kind>(k);
    }
    if (!kind_field) {
      diags_.error("missing-field", "a source needs one of 'nodePool', 'pods' or 'host'",
                   map->pos());
      return;
    }
    auto name = internal::read_name(*kind_field, diags_);
    if (!name) {
      return;
    }
    source.name = *name == "*" ? std::string() : *name;
    if (auto w = map->get("weight")) {
      auto v = read_number(*w, kWeightRange, diags_);
      if (!v) {
        return;
      }
      source.weight = *v;
    }
    spec_.sources.push_back(std::move(source));
  }

  void read_destination(const Field& item) {
    auto map = MapReader::open(item, "a destination", kDestinationKeys, diags_);
    if (!map) {
      return;
    }
    auto prefix_field = map->get("prefix");
    auto tag_field = map->get("serviceTag");
    if (prefix_field && tag_field) {
      diags_.error("bad-value",
                   "a destination has both 'prefix' and 'serviceTag'; write one per item",
                   tag_field->key_pos);
      return;
    }
    SynthDestination destination;
    if (tag_field) {
      auto name = internal::read_name(*tag_field, diags_);
      if (!name) {
        return;
      }
      destination.service_tag = *name;
    } else if (prefix_field) {
      auto text = internal::read_string(*prefix_field, diags_);
      if (!text) {
        return;
      }
      auto prefix = parse_destination_prefix(*text);
      if (!prefix) {
        diags_.error(prefix.error().code, "'prefix': " + prefix.error().message, prefix_field->pos);
        return;
      }
      destination.prefix = *prefix;
    } else if (map->has("prefix") || map->has("serviceTag")) {
      // Written empty: the typed reader says so.
      if (auto f = map->require(map->has("prefix") ? "prefix" : "serviceTag")) {
        internal::read_string(*f, diags_);
      }
      return;
    } else {
      diags_.error("missing-field", "a destination needs 'prefix' or 'serviceTag'", map->pos());
      return;
    }
    bool ok = true;
    if (auto p = map->get("protocol")) {
      auto text = internal::read_string(*p, diags_);
      destination.protocol = text ? parse_protocol(*text) : std::nullopt;
      if (text && !destination.protocol) {
        diags_.error("bad-value",
                     "'protocol' must be tcp, udp or icmp, got " + internal::describe(p->node),
                     p->pos);
      }
      ok = destination.protocol.has_value();
    }
    if (auto ports = map->get("ports")) {
      internal::for_each_item_nonempty(
          *ports, diags_, "leave it out for the protocol's default port", [&](const Field& p) {
            auto range = p.node.IsScalar() ? parse_port_range(p.node.Scalar()) : std::nullopt;
            if (!range) {
              diags_.error("bad-value",
                           p.label() + " must be a port 1..65535 or a range like 8000-8080, got " +
                               internal::describe(p.node),
                           p.pos);
              ok = false;
              return;
            }
            destination.ports.push_back(*range);
          });
    }
    if (auto w = map->get("weight")) {
      auto v = read_number(*w, kWeightRange, diags_);
      ok = ok && v.has_value();
      destination.weight = v.value_or(1);
    }
    if (auto hosts = map->get("hosts")) {
      internal::for_each_item_nonempty(
          *hosts, diags_, "leave it out for flows without host names", [&](const Field& h) {
            if (!h.node.IsScalar() || !valid_host_name(h.node.Scalar())) {
              diags_.error("bad-value",
                           h.label() + " must be a host name like mcr.microsoft.com, got " +
                               internal::describe(h.node),
                           h.pos);
              ok = false;
              return;
            }
            destination.hosts.push_back(h.node.Scalar());
          });
    }
    if (ok && destination.protocol == Protocol::kIcmp && !destination.ports.empty()) {
      diags_.error("bad-value", "a destination with protocol icmp has no 'ports'",
                   map->get("ports")->key_pos);
      ok = false;
    }
    if (ok && destination.protocol && destination.protocol != Protocol::kTcp &&
        !destination.hosts.empty()) {
      diags_.error("bad-value",
                   "'hosts' name TCP flows (TLS server_name, HTTP Host); this destination's "
                   "protocol is " +
                       std::string(to_string(*destination.protocol)),
                   map->get("hosts")->key_pos);
      ok = false;
    }
    if (ok) {
      spec_.destinations.push_back(std::move(destination));
    }
  }

  Diagnostics diags_;
  SynthSpec spec_;
};

Error flag_error(std::string message) {
  return Error{"bad-value", std::move(message), {}};
}

// Splits `text` at commas; empty items are errors the callers report.
std::vector<std::string_view> split_items(std::string_view text) {
  std::vector<std::string_view> items;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) {
      return items;
    }
    start = comma + 1;
  }
}

// Takes a trailing `*WEIGHT` off `item`.
Result<double> take_weight(std::string_view& item, std::string_view what) {
  size_t star = item.rfind('*');
  // `pods:*` names every pool; it is not an empty weight.
  bool every = star != std::string_view::npos && star + 1 == item.size() && star > 0 &&
               item[star - 1] == ':';
  if (star == std::string_view::npos || every) {
    return 1.0;
  }
  std::string_view text = item.substr(star + 1);
  item = item.substr(0, star);
  auto v = parse_number(text);
  if (!v || !kWeightRange.contains(*v)) {
    return flag_error(std::string(what) + ": weight " + quote(text) + " must be a number " +
                      kWeightRange.text());
  }
  return *v;
}

}  // namespace

SynthMixLoad parse_synth_mix(std::string_view yaml_text, const std::string& file) {
  return MixReader(file).run(yaml_text);
}

SynthMixLoad load_synth_mix(const std::string& path) {
  // A mix is a few hundred bytes; the cap stops a mistaken path (a capture) from being read.
  constexpr size_t kMaxFileBytes = size_t{1} << 20;
  auto io_error = [&](std::string why) {
    SynthMixLoad result;
    result.errors.push_back(
        Diagnostic{"io", "cannot read '" + path + "': " + why, SourceLocation{path, 0, 0}});
    return result;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return io_error(std::strerror(errno));
  }
  std::string text;
  std::array<char, 1 << 14> buffer{};
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return io_error(std::strerror(saved));
    }
    if (n == 0) {
      break;
    }
    if (text.size() + static_cast<size_t>(n) > kMaxFileBytes) {
      ::close(fd);
      return io_error("larger than 1 MiB; a mix file is far smaller");
    }
    text.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return parse_synth_mix(text, path);
}

Result<std::vector<SynthSource>> parse_source_list(std::string_view text) {
  std::vector<SynthSource> sources;
  for (std::string_view item : split_items(text)) {
    std::string what = "source " + quote(item);
    if (item.empty()) {
      return flag_error("empty source in " + quote(text) +
                        "; expected KIND[:NAME][*WEIGHT], KIND one of nodePool, pods, host");
    }
    auto weight = take_weight(item, what);
    if (!weight) {
      return weight.error();
    }
    size_t colon = item.find(':');
    std::string_view kind = item.substr(0, colon);
    std::string_view name = colon == std::string_view::npos ? "" : item.substr(colon + 1);
    SynthSource source;
    source.weight = *weight;
    auto k = std::find(std::begin(kSourceKinds), std::end(kSourceKinds), kind);
    if (k == std::end(kSourceKinds)) {
      std::string message =
          what + ": unknown kind " + quote(kind) + "; expected nodePool, pods or host";
      if (auto near = internal::closest(kind, kSourceKinds); !near.empty()) {
        message += " (did you mean '" + std::string(near) + "'?)";
      }
      return flag_error(std::move(message));
    }
    source.kind = static_cast<SynthSource::Kind>(k - std::begin(kSourceKinds));
    if (colon != std::string_view::npos && name.empty()) {
      return flag_error(what + ": empty name after ':'; leave out ':' for every one");
    }
    if (source.kind == SynthSource::Kind::kHost && name.empty()) {
      return flag_error(what + ": 'host' needs a name, as in host:jumpbox (host:* for every host)");
    }
    source.name = name == "*" ? std::string() : std::string(name);
    sources.push_back(std::move(source));
  }
  return sources;
}

Result<std::vector<SynthDestination>> parse_destination_list(std::string_view text) {
  std::vector<SynthDestination> destinations;
  for (std::string_view item : split_items(text)) {
    std::string what = "destination " + quote(item);
    if (item.empty()) {
      return flag_error("empty destination in " + quote(text) +
                        "; expected ADDRESS-OR-CIDR[:PORTS][*WEIGHT]");
    }
    // Where the address or prefix ends: at ']' for a bracketed IPv6 address, after the
    // length digits of a prefix, at the first ':' or '*' of a bare IPv4 address, or at the
    // first '*' of a bare IPv6 address (which cannot take ports: its colons are ambiguous).
    std::string_view dest;
    std::string_view rest;
    if (item.front() == '[') {
      size_t close = item.find(']');
      if (close == std::string_view::npos) {
        return flag_error(what + ": missing ']' after the IPv6 address");
      }
      dest = item.substr(1, close - 1);
      rest = item.substr(close + 1);
      auto address = IpAddress::parse(dest);
      if (!address || address->is_v4()) {
        return flag_error(what + ": " + quote(dest) + " in brackets must be an IPv6 address");
      }
    } else if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      size_t end = slash + 1;
      while (end < item.size() && item[end] >= '0' && item[end] <= '9') {
        ++end;
      }
      dest = item.substr(0, end);
      rest = item.substr(end);
    } else {
      bool v4 = item.find('.') != std::string_view::npos;
      size_t end = item.find_first_of(v4 ? ":*" : "*");
      dest = item.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : item.substr(end);
    }
    auto prefix = parse_destination_prefix(dest);
    if (!prefix) {
      return flag_error(what + ": " + prefix.error().message);
    }
    SynthDestination destination;
    destination.prefix = *prefix;
    // Then `:PORTS` and `*WEIGHT`, each at most once, in either order.
    bool has_weight = false;
    bool has_ports = false;
    while (!rest.empty()) {
      const std::string_view remainder = rest;
      char mark = rest.front();
      size_t end = rest.find(mark == '*' ? ':' : '*', 1);
      std::string_view value = rest.substr(1, end == std::string_view::npos ? end : end - 1);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
      if (mark == '*' && !has_weight) {
        has_weight = true;
        auto v = parse_number(value);
        if (!v || !kWeightRange.contains(*v)) {
          return flag_error(what + ": weight " + quote(value) + " must be a number " +
                            kWeightRange.text());
        }
        destination.weight = *v;
      } else if (mark == ':' && !has_ports) {
        has_ports = true;
        size_t start = 0;
        for (;;) {
          size_t plus = value.find('+', start);
          std::string_view one =
              value.substr(start, plus == std::string_view::npos ? plus : plus - start);
          auto range = parse_port_range(one);
          if (!range) {
            return flag_error(what + ": port " + quote(one) +
                              " must be 1..65535 or a range like 8000-8080 (join several with "
                              "'+')");
          }
          destination.ports.push_back(*range);
          if (plus == std::string_view::npos) {
            break;
          }
          start = plus + 1;
        }
      } else {
        return flag_error(what + ": expected ':PORTS' or '*WEIGHT' (once each) after " +
                          quote(dest) + ", got " + quote(remainder));
      }
    }
    destinations.push_back(std::move(destination));
  }
  return destinations;
}

Result<ProtocolMix> parse_protocol_mix(std::string_view text) {
  ProtocolMix mix{0, 0, 0};
  bool seen[3] = {false, false, false};
  for (std::string_view item : split_items(text)) {
    size_t eq = item.find('=');
    if (item.empty() || eq == std::string_view::npos) {
      return flag_error("protocol share " + quote(item) +
                        ": expected PROTO=SHARE, as in tcp=0.8,udp=0.15,icmp=0.05");
    }
    std::string_view name = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    auto p = std::find(std::begin(kProtocolKeys), std::end(kProtocolKeys), name);
    if (p == std::end(kProtocolKeys)) {
      return flag_error("protocol share " + quote(item) + ": unknown protocol " + quote(name) +
                        "; expected tcp, udp or icmp");
    }
    auto index = static_cast<size_t>(p - std::begin(kProtocolKeys));
    if (seen[index]) {
      return flag_error("protocol share " + quote(item) + ": " + std::string(name) +
                        " is given twice");
    }
    seen[index] = true;
    auto v = parse_number(value);
    if (!v || !kRelativeShareRange.contains(*v)) {
      return flag_error("protocol share " + quote(item) + ": share " + quote(value) +
                        " must be a number " + kRelativeShareRange.text());
    }
    (index == 0 ? mix.tcp : index == 1 ? mix.udp : mix.icmp) = *v;
  }
  if (mix.tcp + mix.udp + mix.icmp <= 0) {
    return flag_error("protocol shares " + quote(text) + ": some protocol needs a share above 0");
  }
  return mix;
}

}  // namespace egress
