// client_address.cpp — trusted proxies and forwarding headers: see client_address.hpp.
#include "net/client_address.hpp"

#include <cctype>

namespace cohort::net {

namespace ip = boost::asio::ip;
using boost::system::error_code;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits text at sep, except inside double quotes (a Forwarded value may be a quoted string).
std::vector<std::string_view> split_unquoted(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    else if (text[i] == '\\' && quoted) ++i;
    else if (text[i] == sep && !quoted) {
      parts.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(text.substr(start)));
  return parts;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<IpAddress> address_of(std::string_view text) {
  error_code ec;
  auto a = ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return unmapped(a);
}

// One trusted_proxies entry: an address (a network of one) or a CIDR network.
std::optional<std::string> add_entry(std::string_view entry, std::vector<ip::network_v4>& v4,
                                     std::vector<ip::network_v6>& v6) {
  error_code ec;
  if (entry.find('/') == std::string_view::npos) {
    auto a = ip::make_address(entry, ec);
    if (ec) return "'" + std::string(entry) + "' is not an IP address or CIDR network";
    a = unmapped(a);
    if (a.is_v4()) v4.push_back(ip::network_v4(a.to_v4(), 32));
    else v6.push_back(ip::network_v6(a.to_v6(), 128));
    return std::nullopt;
  }
  if (entry.find(':') == std::string_view::npos) {
    auto n = ip::make_network_v4(entry, ec);
    if (ec) return "'" + std::string(entry) + "' is not a CIDR network (a.b.c.d/n, n at most 32)";
    v4.push_back(n.canonical());
  } else {
    auto n = ip::make_network_v6(entry, ec);
    if (ec) return "'" + std::string(entry) + "' is not a CIDR network (v6/n, n at most 128)";
    v6.push_back(n.canonical());
  }
  return std::nullopt;
}

bool in_v6(const ip::address_v6& a, const ip::network_v6& n) {
  auto bytes = a.to_bytes();
  auto net = n.network().to_bytes();
  unsigned prefix = n.prefix_length();
  for (unsigned i = 0; i < 16 && prefix > 0; ++i) {
    unsigned bits = prefix >= 8 ? 8 : prefix;
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((bytes[i] & mask) != (net[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

std::optional<std::string> TrustedProxies::parse(std::string_view text, TrustedProxies& out) {
  out = TrustedProxies{};
  if (trim(text).empty()) return std::nullopt;
  for (auto entry : split_unquoted(text, ',')) {
    if (entry.empty()) return "trusted_proxies has an empty entry (two commas in a row?)";
    if (auto err = add_entry(entry, out.v4_, out.v6_)) return "trusted_proxies: " + *err;
  }
  return std::nullopt;
}

bool TrustedProxies::contains(const IpAddress& address) const {
  IpAddress a = unmapped(address);
  if (a.is_v4()) {
    auto v = a.to_v4().to_uint();
    for (const auto& n : v4_)
      if ((v & n.netmask().to_uint()) == n.network().to_uint()) return true;
    return false;
  }
  for (const auto& n : v6_)
    if (in_v6(a.to_v6(), n)) return true;
  return false;
}

IpAddress unmapped(const IpAddress& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

std::optional<IpAddress> parse_hop(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  if (text.starts_with('[')) {  // "[v6]" or "[v6]:port"
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    return address_of(text.substr(1, close - 1));
  }
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos)
    text = text.substr(0, colon);  // "a.b.c.d:port"; more than one ':' is a bare IPv6 address
  return address_of(text);
}

std::vector<std::string_view> x_forwarded_for_hops(std::string_view header) {
  std::vector<std::string_view> hops;
  if (trim(header).empty()) return hops;
  for (auto hop : split_unquoted(header, ',')) hops.push_back(hop);
  return hops;
}

std::vector<std::string_view> forwarded_for_hops(std::string_view header) {
  std::vector<std::string_view> hops;
  if (trim(header).empty()) return hops;
  for (auto element : split_unquoted(header, ',')) {
    std::string_view hop;  // an element without for= is a hop we cannot read: empty
    for (auto pair : split_unquoted(element, ';')) {
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && equals_nocase(trim(pair.substr(0, eq)), "for")) hop = trim(pair.substr(eq + 1));
    }
    hops.push_back(hop);
  }
  return hops;
}

IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted, std::string_view forwarded,
                         std::string_view x_forwarded_for) {
  IpAddress client = unmapped(peer);
  if (!trusted.contains(client)) return client;
  auto hops = trim(forwarded).empty() ? x_forwarded_for_hops(x_forwarded_for) : forwarded_for_hops(forwarded);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = parse_hop(*it);
    if (!hop) return client;  // unreadable: the last trusted hop speaks for it
    client = *hop;
    if (!trusted.contains(client)) return client;
  }
  return client;  // every hop is a trusted proxy: the leftmost one
}

AddressKey address_key(const IpAddress& address) {
  AddressKey key;
  IpAddress a = unmapped(address);
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), key.bytes.begin());
    return key;
  }
  key.v6 = true;
  auto b = a.to_v6().to_bytes();
  std::copy(b.begin(), b.begin() + 8, key.bytes.begin());  // the /64; the rest stays zero
  return key;
}

std::string to_string(const AddressKey& key) {
  if (!key.v6) return ip::address_v4({key.bytes[0], key.bytes[1], key.bytes[2], key.bytes[3]}).to_string();
  ip::address_v6::bytes_type b{};
  std::copy(key.bytes.begin(), key.bytes.end(), b.begin());
  return ip::address_v6(b).to_string() + "/64";
}

std::size_t AddressKeyHash::operator()(const AddressKey& k) const noexcept {
  std::uint64_t h = k.v6 ? 0x9E3779B97F4A7C15ull : 0;
  for (auto byte : k.bytes) h = (h ^ byte) * 0x100000001B3ull;  // FNV-1a
  return static_cast<std::size_t>(h);
}

}  // namespace cohort::net
