// redis_link.cpp — a hiredis async connection on an Asio reactor: see redis_link.hpp.
//
// The adapter: hiredis asks for read/write interest through ev.addRead/delRead/addWrite/
// delWrite and calls ev.cleanup when it frees the context (it owns and closes the socket).
// Watch waits for readiness with stream_descriptor::async_wait and calls
// redisAsyncHandleRead/Write; interest that was dropped is honoured lazily (a wait that
// completes unwanted does nothing). cleanup nulls Watch::ac and releases the descriptor
// without closing it, so a wait that completes after the context is gone is a no-op.
#include "cluster/redis_link.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/posix/stream_descriptor.hpp>

namespace cohort::cluster {

namespace asio = boost::asio;
using boost::system::error_code;

RedisValue RedisValue::from(const redisReply* r) {
  RedisValue v;
  if (!r) {
    v.kind = Kind::lost;
    return v;
  }
  switch (r->type) {
    case REDIS_REPLY_STATUS: v.kind = Kind::status; break;
    case REDIS_REPLY_ERROR: v.kind = Kind::error; break;
    case REDIS_REPLY_INTEGER: v.kind = Kind::integer; break;
    case REDIS_REPLY_STRING: v.kind = Kind::string; break;
    case REDIS_REPLY_ARRAY: v.kind = Kind::array; break;
    default: v.kind = Kind::nil; break;
  }
  v.integer = r->integer;
  if (r->str) v.str.assign(r->str, r->len);
  for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(from(r->element[i]));
  return v;
}

struct RedisLink::Watch : std::enable_shared_from_this<Watch> {
  Watch(asio::io_context& io, redisAsyncContext* context) : sd(io, context->c.fd), ac(context) {}
  ~Watch() {
    if (sd.is_open()) sd.release();  // the socket is hiredis's to close
  }

  void arm(bool write) {
    bool& busy = write ? writing : reading;
    if (busy || !ac) return;
    busy = true;
    sd.async_wait(write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
                  [self = shared_from_this(), write](error_code ec) { self->ready(write, ec); });
  }
  void ready(bool write, error_code ec) {
    (write ? writing : reading) = false;
    if (ec || !ac || !(write ? want_write : want_read)) return;
    if (write) redisAsyncHandleWrite(ac);
    else redisAsyncHandleRead(ac);
    if (ac && (write ? want_write : want_read)) arm(write);  // ac is null if that freed the context
  }

  static Watch& of(void* p) { return *static_cast<Watch*>(p); }
  static void add_read(void* p) { of(p).want_read = true, of(p).arm(false); }
  static void del_read(void* p) { of(p).want_read = false; }
  static void add_write(void* p) { of(p).want_write = true, of(p).arm(true); }
  static void del_write(void* p) { of(p).want_write = false; }
  static void cleanup(void* p) {
    Watch& w = of(p);
    w.ac = nullptr;
    w.want_read = w.want_write = false;
    if (w.sd.is_open()) w.sd.release();  // cancels the waits; hiredis closes the socket
  }

  asio::posix::stream_descriptor sd;
  redisAsyncContext* ac;
  bool want_read = false, want_write = false, reading = false, writing = false;
};

namespace {
struct PendingReply {
  RedisLink* link;
  RedisLink::ReplyHandler handler;
};
}  // namespace

RedisLink::RedisLink(net::Reactor& reactor, Options options)
    : reactor_(reactor), options_(std::move(options)), retry_timer_(reactor.context()),
      backoff_(options_.backoff_min) {}

RedisLink::~RedisLink() { stop(); }

void RedisLink::start() {
  stopped_ = false;
  do_connect();
}

void RedisLink::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  if (context_) {
    redisAsyncContext* ac = context_;
    context_ = nullptr;
    connected_ = false;
    ac->onDisconnect = nullptr;  // a deliberate stop is not an outage
    redisAsyncFree(ac);          // pending handlers get Kind::lost
  }
  watch_.reset();
}

void RedisLink::do_connect() {
  if (stopped_) return;
  redisAsyncContext* ac = redisAsyncConnect(options_.address.host.c_str(), options_.address.port);
  if (!ac) return schedule_reconnect();
  if (ac->err) {
    redisAsyncFree(ac);
    return schedule_reconnect();
  }
  context_ = ac;
  ac->data = this;
  watch_ = std::make_shared<Watch>(reactor_.context(), ac);
  ac->ev.data = watch_.get();
  ac->ev.addRead = &Watch::add_read;
  ac->ev.delRead = &Watch::del_read;
  ac->ev.addWrite = &Watch::add_write;
  ac->ev.delWrite = &Watch::del_write;
  ac->ev.cleanup = &Watch::cleanup;
  redisAsyncSetDisconnectCallback(ac, &RedisLink::disconnect_cb);
  redisAsyncSetConnectCallback(ac, &RedisLink::connect_cb);  // arms the first write wait
  arm_connect_timeout(ac);
}

// A connection not up within connect_timeout (TCP connect, then the AUTH answer) is abandoned.
void RedisLink::arm_connect_timeout(redisAsyncContext* ac) {
  retry_timer_.expires_after(options_.connect_timeout);
  retry_timer_.async_wait([this, ac](error_code ec) {
    if (ec || context_ != ac || connected_) return;
    context_ = nullptr;  // abandoned: freed outside any hiredis callback, so this is safe
    ac->onDisconnect = nullptr;  // never up: not an outage
    redisAsyncFree(ac);          // a pending AUTH handler gets no reply
    schedule_reconnect();
  });
}

void RedisLink::connect_cb(const redisAsyncContext* ac, int status) {
  static_cast<RedisLink*>(ac->data)->on_connect(status);
}

void RedisLink::on_connect(int status) {
  retry_timer_.cancel();
  if (status != REDIS_OK) {  // hiredis frees the context after this returns
    context_ = nullptr;
    return schedule_reconnect();
  }
  if (options_.auth.password.empty()) return become_up();
  send_auth();
}

void RedisLink::send_auth() {
  const auto& a = options_.auth;
  std::vector<std::string_view> args{"AUTH"};
  if (!a.user.empty()) args.push_back(a.user);
  args.push_back(a.password);
  send_argv(args, &RedisLink::auth_cb, this);  // if it cannot be sent, the timeout gives up on it
  arm_connect_timeout(context_);
}

void RedisLink::auth_cb(redisAsyncContext*, void* reply, void* priv) {
  static_cast<RedisLink*>(priv)->on_auth(static_cast<const redisReply*>(reply));
}

void RedisLink::on_auth(const redisReply* r) {
  if (!r || stopped_ || !context_) return;  // the connection is gone: on_disconnect retries
  retry_timer_.cancel();
  if (r->type != REDIS_REPLY_ERROR) return become_up();
  ++counters_.auth_refused;
  if (on_refused_) on_refused_(std::string_view(r->str, r->len));
  redisAsyncDisconnect(context_);  // after this callback; on_disconnect schedules the retry
}

void RedisLink::become_up() {
  connected_ = true;
  backoff_ = options_.backoff_min;
  ++counters_.connects;
  if (on_up_) on_up_();
}

void RedisLink::disconnect_cb(const redisAsyncContext* ac, int) {
  static_cast<RedisLink*>(ac->data)->on_disconnect();
}

void RedisLink::on_disconnect() {  // hiredis frees the context after this returns
  context_ = nullptr;
  bool was_up = connected_;
  connected_ = false;
  pending_ = 0;
  if (was_up) ++counters_.disconnects;
  if (was_up && on_down_) on_down_();
  schedule_reconnect();
}

void RedisLink::schedule_reconnect() {
  if (stopped_) return;
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  retry_timer_.async_wait([this](error_code ec) {
    if (!ec) do_connect();
  });
}

bool RedisLink::send_argv(std::span<const std::string_view> args, void (*fn)(redisAsyncContext*, void*, void*),
                          void* priv) {
  constexpr std::size_t kInline = 8;
  const char* argv_inline[kInline];
  std::size_t len_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> len_heap;
  const char** argv = argv_inline;
  std::size_t* lens = len_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    len_heap.resize(args.size());
    argv = argv_heap.data();
    lens = len_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  return redisAsyncCommandArgv(context_, fn, priv, static_cast<int>(args.size()), argv, lens) == REDIS_OK;
}

bool RedisLink::command(std::span<const std::string_view> args, ReplyHandler handler) {
  if (!connected_ || pending_ >= options_.max_pending) {
    ++counters_.refused;
    return false;
  }
  auto* p = new PendingReply{this, std::move(handler)};
  if (!send_argv(args, &RedisLink::reply_cb, p)) {
    delete p;
    ++counters_.refused;
    return false;
  }
  ++pending_;
  return true;
}

void RedisLink::reply_cb(redisAsyncContext*, void* reply, void* priv) {
  std::unique_ptr<PendingReply> p(static_cast<PendingReply*>(priv));
  RedisLink& link = *p->link;
  if (link.pending_ > 0) --link.pending_;
  auto* r = static_cast<redisReply*>(reply);
  if (p->handler) p->handler(RedisValue::from(r));
  else if (r && r->type == REDIS_REPLY_ERROR) ++link.counters_.reply_errors;
}

bool RedisLink::subscribe(std::span<const std::string> channels, bool on) {
  if (!connected_ || channels.empty()) return false;
  std::vector<std::string_view> args;
  args.reserve(channels.size() + 1);
  args.push_back(on ? "SUBSCRIBE" : "UNSUBSCRIBE");
  for (const auto& c : channels) args.push_back(c);
  return send_argv(args, &RedisLink::push_cb, this);
}

void RedisLink::push_cb(redisAsyncContext*, void* reply, void* priv) {
  static_cast<RedisLink*>(priv)->on_push(static_cast<redisReply*>(reply));
}

void RedisLink::on_push(redisReply* r) {
  // ["message", channel, payload] or ["subscribe", channel, count]; unsubscribe confirmations
  // are ignored.
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 || stopped_) return;
  const redisReply* kind = r->element[0];
  const redisReply* channel = r->element[1];
  if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING) return;
  std::string_view what(kind->str, kind->len);
  if (what == "message") {
    const redisReply* payload = r->element[2];
    if (on_message_ && payload->type == REDIS_REPLY_STRING)
      on_message_(std::string_view(channel->str, channel->len), std::string_view(payload->str, payload->len));
  } else if (what == "subscribe") {
    if (on_subscribed_) on_subscribed_(std::string_view(channel->str, channel->len));
  }
}

}  // namespace cohort::cluster
