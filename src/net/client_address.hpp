// client_address.hpp — who a connection is from: the peer, or the client a trusted proxy names.
//
// Owns: the list of trusted proxies (Config::trusted_proxies: addresses and CIDR networks,
// parsed with Asio's make_address / make_network_v4 / make_network_v6), the reading of the
// X-Forwarded-For and Forwarded (RFC 7239) headers, and the key per-address limits count under.
// The rule: a peer that is not a trusted proxy is the client, whatever headers it sends (they are
// then ignored: anyone can write them). A trusted peer's headers are read from the right (the
// hop nearest to us) to the left, skipping hops that are trusted proxies too; the first address
// that is not trusted is the client. A hop that is not an address ("unknown", "_hidden",
// garbage) ends the walk: the last trusted hop to its right is taken instead, so a client can
// never make itself look like someone else by writing on the left of what the proxy appended.
// Forwarded wins over X-Forwarded-For when a request carries both.
// Built once at start, immutable afterwards: any thread.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::net {

using IpAddress = boost::asio::ip::address;

class TrustedProxies {
 public:
  // text: comma-separated "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" (spaces allowed); empty = none.
  // Returns an error message naming the bad entry.
  static std::optional<std::string> parse(std::string_view text, TrustedProxies& out);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  // Whether address (IPv4-mapped IPv6 counts as IPv4) is one of the trusted proxies.
  bool contains(const IpAddress& address) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, from a dual-stack listener) as IPv4.
IpAddress unmapped(const IpAddress& address);

// One hop of a forwarding header: "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]:80",
// "2001:db8::1", or a quoted form of those (Forwarded). Nothing for "unknown", obfuscated
// identifiers and garbage.
std::optional<IpAddress> parse_hop(std::string_view text);

// The hops of X-Forwarded-For ("a, b, c") or of the for= parameters of Forwarded
// ("for=a;proto=https, for=\"[v6]\""), leftmost first, as written (parse_hop reads each).
std::vector<std::string_view> forwarded_for_hops(std::string_view header);
std::vector<std::string_view> x_forwarded_for_hops(std::string_view header);

// The client of a request from peer whose forwarding headers are given (empty: absent). The
// peer itself unless it is trusted (see the file comment).
IpAddress client_address(const IpAddress& peer, const TrustedProxies& trusted, std::string_view forwarded,
                         std::string_view x_forwarded_for);

// What per-address limits count under: an IPv4 address, or the /64 network of an IPv6 address
// (the block one subscriber gets: a host that owns a /64 must not get 2^64 allowances).
struct AddressKey {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
  bool operator==(const AddressKey&) const = default;
};
AddressKey address_key(const IpAddress& address);
std::string to_string(const AddressKey& key);  // "192.0.2.1" or "2001:db8::/64", for logs

struct AddressKeyHash {
  std::size_t operator()(const AddressKey& k) const noexcept;
};

}  // namespace cohort::net
