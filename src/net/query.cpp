// query.cpp — URL-encoded lists decoded on a NUL-terminated copy: see query.hpp.
#include "net/query.hpp"

#include <boost/url/parse_query.hpp>

namespace cohort::net {

ParsedQuery parse_query(std::string_view text) {
  ParsedQuery out;
  if (text.empty()) return out;
  const std::string copy(text);  // NUL-terminated: see the file comment
  auto parsed = boost::urls::parse_query(copy);
  if (!parsed) {
    out.error = parsed.error().message();
    return out;
  }
  const boost::urls::encoding_opts plus_is_space(true);
  for (auto param : *parsed)
    out.params.push_back({param.key.decode(plus_is_space), param.has_value ? param.value.decode(plus_is_space) : "",
                          param.has_value});
  return out;
}

}  // namespace cohort::net
