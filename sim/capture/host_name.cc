// Every read is checked twice: against the length the enclosing structure declares (past it
// is malformed: no host) and against the bytes captured so far (past them: need more).
#include "egress/capture/host_name.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace egress {
namespace {

constexpr uint8_t kRecordHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr uint16_t kExtensionServerName = 0;
constexpr uint8_t kNameTypeHostName = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecord = 16384;  // RFC 8446 5.1: plaintext fragments are at most 2^14
constexpr size_t kHandshakeHeader = 4;

HostName none() {
  return HostName{};
}
HostName need_more() {
  return HostName{HostNameStatus::kNeedMore, HostNameSource::kNone, {}};
}

bool is_tchar(uint8_t c) {
  // RFC 9110 5.6.2
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// A DNS name or an address as the firewall compares it with target FQDNs: letters, digits,
// '-', '_' (seen in real service names), dots between non-empty labels; one trailing dot
// dropped; lower case. Anything else (percent-encoding, spaces, UTF-8) is no host.
HostName checked_name(std::string_view raw, HostNameSource source, bool allow_colon) {
  if (!raw.empty() && raw.back() == '.') {
    raw.remove_suffix(1);
  }
  if (raw.empty() || raw.size() > kMaxHostName) {
    return none();
  }
  std::string name;
  name.reserve(raw.size());
  char previous = '.';
  for (char c : raw) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || (c == '.' && previous != '.') ||
                    (allow_colon && c == ':');
    if (!ok) {
      return none();
    }
    name.push_back(lower(c));
    previous = c;
  }
  return HostName{HostNameStatus::kFound, source, std::move(name)};
}

// Reads a ClientHello whose first `available` bytes are at `p`, `declared` long in all.
class Reader {
 public:
  Reader(const uint8_t* p, size_t available, size_t declared)
      : p_(p), available_(std::min(available, declared)), declared_(declared) {}

  // kFound: the n bytes at the position exist; else why not.
  HostNameStatus need(size_t n, size_t end) const {
    if (pos_ + n > end) {
      return HostNameStatus::kNone;
    }
    return pos_ + n > available_ ? HostNameStatus::kNeedMore : HostNameStatus::kFound;
  }
  size_t u8() { return p_[pos_++]; }
  size_t u16() {
    size_t v = (size_t{p_[pos_]} << 8) | p_[pos_ + 1];
    pos_ += 2;
    return v;
  }
  const uint8_t* at() const { return p_ + pos_; }
  void skip(size_t n) { pos_ += n; }
  size_t pos() const { return pos_; }
  size_t declared() const { return declared_; }

 private:
  const uint8_t* p_;
  size_t available_;
  size_t declared_;
  size_t pos_ = 0;
};

HostName status_only(HostNameStatus s) {
  return s == HostNameStatus::kNeedMore ? need_more() : none();
}

// RFC 8446 4.1.2 (and RFC 5246 7.4.1.2, the same layout up to the extensions): the body of a
// ClientHello, after its 4-byte handshake header.
HostName parse_client_hello(Reader r) {
  const size_t end = r.declared();
  // legacy_version, random
  if (auto s = r.need(2 + 32 + 1, end); s != HostNameStatus::kFound) {
    return status_only(s);
  }
  r.skip(2 + 32);
  // legacy_session_id <0..32>, cipher_suites <2..2^16-2>, compression_methods <1..2^8-1>
  size_t session = r.u8();
  if (session > 32) {
    return none();
  }
  if (auto s = r.need(session + 2, end); s != HostNameStatus::kFound) {
    return status_only(s);
  }
  r.skip(session);
  size_t suites = r.u16();
  if (suites < 2 || suites % 2 != 0) {
    return none();
  }
  if (auto s = r.need(suites + 1, end); s != HostNameStatus::kFound) {
    return status_only(s);
  }
  r.skip(suites);
  size_t compressions = r.u8();
  if (compressions < 1) {
    return none();
  }
  if (auto s = r.need(compressions, end); s != HostNameStatus::kFound) {
    return status_only(s);
  }
  r.skip(compressions);
  if (r.pos() == end) {
    return none();  // no extensions at all (SSL 3.0 style)
  }
  if (auto s = r.need(2, end); s != HostNameStatus::kFound) {
    return status_only(s);
  }
  const size_t extensions_end = r.pos() + 2 + (size_t{r.at()[0]} << 8 | r.at()[1]);
  r.skip(2);
  if (extensions_end > end) {
    return none();
  }
  while (r.pos() < extensions_end) {
    if (auto s = r.need(4, extensions_end); s != HostNameStatus::kFound) {
      return status_only(s);
    }
    const size_t type = r.u16();
    const size_t length = r.u16();
    const size_t extension_end = r.pos() + length;
    if (extension_end > extensions_end) {
      return none();
    }
    if (type != kExtensionServerName) {
      // Skipping needs no bytes: an extension the capture has not reached yet is skipped by
      // its length, and what follows is asked for when it is read.
      r.skip(length);
      continue;
    }
    // RFC 6066 3: ServerNameList <1..2^16-1> of {NameType name_type; HostName opaque<1..2^16-1>}.
    if (auto s = r.need(2, extension_end); s != HostNameStatus::kFound) {
      return status_only(s);
    }
    const size_t list_end = r.pos() + 2 + (size_t{r.at()[0]} << 8 | r.at()[1]);
    r.skip(2);
    if (list_end > extension_end) {
      return none();
    }
    while (r.pos() < list_end) {
      if (auto s = r.need(3, list_end); s != HostNameStatus::kFound) {
        return status_only(s);
      }
      const size_t name_type = r.u8();
      const size_t name_length = r.u16();
      if (auto s = r.need(name_length, list_end); s != HostNameStatus::kFound) {
        return status_only(s);
      }
      if (name_type == kNameTypeHostName) {
        std::string_view raw(reinterpret_cast<const char*>(r.at()), name_length);
        return checked_name(raw, HostNameSource::kTlsSni, false);
      }
      r.skip(name_length);
    }
    return none();  // a server_name extension without a host_name
  }
  return none();
}

HostName tls_server_name(std::span<const uint8_t> s) {
  const uint8_t* d = s.data();
  // The first record says whether this is TLS at all.
  if (s.size() >= 2 && d[1] != 3) {
    return none();
  }
  if (s.size() < kRecordHeader + kHandshakeHeader) {
    // A prefix that may still become a ClientHello.
    const size_t length = s.size() >= kRecordHeader ? (size_t{d[3]} << 8 | d[4]) : 1;
    if (length == 0 || length > kMaxRecord) {
      return none();
    }
    if (s.size() >= 6 && d[5] != kHandshakeClientHello) {
      return none();
    }
    return need_more();
  }
  const size_t first_record = size_t{d[3]} << 8 | d[4];
  if (first_record == 0 || first_record > kMaxRecord || d[5] != kHandshakeClientHello) {
    return none();
  }
  if (first_record >= kHandshakeHeader) {
    const size_t message = size_t{d[6]} << 16 | size_t{d[7]} << 8 | d[8];
    if (message + kHandshakeHeader > kHostNameWindow) {
      return none();
    }
    if (message + kHandshakeHeader <= first_record) {
      // The usual case: the whole ClientHello in the first record, read where it lies.
      const size_t available = s.size() - kRecordHeader - kHandshakeHeader;
      return parse_client_hello(Reader(d + kRecordHeader + kHandshakeHeader, available, message));
    }
  }
  // RFC 8446 5.1: a handshake message may be split across records of its type, back to back,
  // its 4-byte header included.
  std::string joined;
  size_t wanted = SIZE_MAX;  // header and body, once the header is known
  // A record that cannot continue the message ends it where it is. What was joined before it
  // still answers when the name lies there: replay asks as segments arrive and keeps the first
  // answer, so the whole stream must answer as its prefix did.
  bool ended = false;
  for (size_t off = 0; off + kRecordHeader <= s.size() && joined.size() < wanted;) {
    const size_t length = size_t{d[off + 3]} << 8 | d[off + 4];
    if (d[off] != kRecordHandshake || d[off + 1] != 3 || length == 0 || length > kMaxRecord) {
      ended = true;
      break;
    }
    const size_t take = std::min({length, s.size() - off - kRecordHeader, wanted - joined.size()});
    joined.append(reinterpret_cast<const char*>(d + off + kRecordHeader), take);
    if (wanted == SIZE_MAX && joined.size() >= kHandshakeHeader) {
      const auto* h = reinterpret_cast<const uint8_t*>(joined.data());
      wanted = kHandshakeHeader + (size_t{h[1]} << 16 | size_t{h[2]} << 8 | h[3]);
      if (wanted > kHostNameWindow) {
        return none();
      }
      joined.resize(std::min(joined.size(), wanted));
    }
    if (take < length) {
      break;  // the rest of this record is not captured yet (or belongs to a later message)
    }
    off += kRecordHeader + length;
  }
  if (wanted == SIZE_MAX) {
    return ended ? none() : need_more();
  }
  const auto* body = reinterpret_cast<const uint8_t*>(joined.data()) + kHandshakeHeader;
  HostName found =
      parse_client_hello(Reader(body, joined.size() - kHandshakeHeader, wanted - kHandshakeHeader));
  if (ended && found.status == HostNameStatus::kNeedMore) {
    return none();
  }
  return found;
}

// Port removed from an authority's host ("example.com:8080", "[2001:db8::1]:443").
HostName authority_host(std::string_view a) {
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) {
      return none();
    }
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' ||
                          rest.find_first_not_of("0123456789", 1) != std::string_view::npos)) {
      return none();
    }
    return checked_name(a.substr(1, close - 1), HostNameSource::kHttpHost, true);
  }
  const size_t colon = a.rfind(':');
  if (colon != std::string_view::npos) {
    if (a.find_first_not_of("0123456789", colon + 1) != std::string_view::npos) {
      return none();
    }
    a = a.substr(0, colon);
  }
  return checked_name(a, HostNameSource::kHttpHost, false);
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == y; });
}

// RFC 9112 3 and 5: request-line, then field lines up to the empty line. The host is the
// absolute-form or authority-form target's, else the one Host field's (3.2, 3.2.2).
HostName http_host(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_tchar(static_cast<uint8_t>(s[i]))) {
    ++i;
  }
  if (i == s.size()) {
    return need_more();
  }
  if (i == 0 || s[i] != ' ') {
    return none();
  }
  // Only printable ASCII belongs in the request line, judged alike whether its end has come
  // or not, so that no longer stream changes an answer a shorter one gave.
  const auto printable = [](std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= ' ' && c < 0x7F) || c == '\r'; });
  };
  const size_t line_end = s.find('\n');
  if (line_end == std::string_view::npos) {
    return printable(s) ? need_more() : none();
  }
  std::string_view line = s.substr(0, line_end);
  if (!printable(line)) {
    return none();
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const size_t target_begin = i + 1;
  const size_t target_end = line.find(' ', target_begin);
  if (target_end == std::string_view::npos) {
    return none();
  }
  const std::string_view method = line.substr(0, i);
  const std::string_view target = line.substr(target_begin, target_end - target_begin);
  const std::string_view version = line.substr(target_end + 1);
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9' || target.empty()) {
    return none();  // HTTP/0.9, HTTP/2's preface ("PRI * HTTP/2.0"), or not HTTP
  }
  std::string_view authority;
  bool from_target = false;
  if (method == "CONNECT") {
    authority = target;
    from_target = true;
  } else if (const size_t scheme = target.find("://");
             scheme != std::string_view::npos && target.front() != '/') {
    authority = target.substr(scheme + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
      authority.remove_prefix(at + 1);
    }
    from_target = true;
  }

  std::string_view host;
  int hosts = 0;
  bool last_was_host = false;
  size_t pos = line_end + 1;
  for (;;) {
    const size_t end = s.find('\n', pos);
    if (end == std::string_view::npos) {
      return need_more();  // the header section has not ended yet
    }
    std::string_view field = s.substr(pos, end - pos);
    pos = end + 1;
    if (!field.empty() && field.back() == '\r') {
      field.remove_suffix(1);
    }
    if (field.empty()) {
      break;
    }
    if (field.front() == ' ' || field.front() == '\t') {
      if (last_was_host) {
        return none();  // a folded Host value (obs-fold, RFC 9112 5.2)
      }
      continue;
    }
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !std::all_of(field.begin(), field.begin() + colon,
                     [](char c) { return is_tchar(static_cast<uint8_t>(c)); })) {
      return none();
    }
    last_was_host = iequals(field.substr(0, colon), "host");
    if (last_was_host) {
      ++hosts;
      host = trim_ows(field.substr(colon + 1));
    }
  }
  if (from_target) {
    return authority_host(authority);
  }
  // RFC 9112 3.2: more than one Host field line is a request the server must refuse.
  if (hosts != 1) {
    return none();
  }
  return authority_host(host);
}

}  // namespace

HostName extract_host_name(std::span<const uint8_t> stream) {
  if (stream.size() > kHostNameWindow) {
    stream = stream.first(kHostNameWindow);
  }
  if (stream.empty()) {
    return need_more();
  }
  HostName found = stream[0] == kRecordHandshake
                       ? tls_server_name(stream)
                       : http_host(std::string_view(reinterpret_cast<const char*>(stream.data()),
                                                    stream.size()));
  if (found.status == HostNameStatus::kNeedMore && stream.size() == kHostNameWindow) {
    return none();
  }
  return found;
}

const char* to_string(HostNameSource source) {
  switch (source) {
    case HostNameSource::kTlsSni:
      return "tls-sni";
    case HostNameSource::kHttpHost:
      return "http-host";
    case HostNameSource::kNone:
      break;
  }
  return "";
}

}  // namespace egress
