// cluster_seal_test.cpp — src/cluster/cluster_seal.*: the signature on messages between nodes.
// A sealed message opens on the channel it was sealed for, with the cluster key it was sealed
// with, once; anything else — no seal, another key, another channel, one changed byte, a copy
// sent again, an old first message — is refused with the verdict the metrics count.
#include "cluster/cluster_seal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cohort::cluster {
namespace {

constexpr std::uint64_t kNow = 1'800'000'000'000;  // a fixed wall clock (Unix ms)
const ClusterKey kKey = derive_cluster_key("cluster-seal-test-secret-of-32-bytes-or-more");

std::string sealed(Sealer& sealer, std::string_view channel, std::string_view body, std::uint64_t now = kNow) {
  std::string m = unsealed_message();
  m.append(body);
  sealer.seal(channel, m, now);
  return m;
}

TEST(ClusterSeal, KeyIsDerivedNotTheSecret) {
  const std::string secret = "cluster-seal-test-secret-of-32-bytes-or-more";
  ClusterKey again = derive_cluster_key(secret);
  EXPECT_EQ(again, kKey);  // every node with the same secret derives the same key
  EXPECT_NE(derive_cluster_key(secret + "x"), kKey);
  EXPECT_NE(std::string(reinterpret_cast<const char*>(kKey.data()), 32), secret.substr(0, 32));
}

TEST(ClusterSeal, SealedMessageOpensOnceWithItsBody) {
  Sealer a(kKey, 7);
  SealCheck b(kKey, 9);
  const std::string body = "C1 00000007 j 5\nshout{\"n\":1}";
  std::string m = sealed(a, "cohort:t:room:1", body);
  ASSERT_EQ(m.size(), kSealBytes + body.size());
  EXPECT_TRUE(m.starts_with("S1 "));
  Opened o = b.open("cohort:t:room:1", m, kNow);
  EXPECT_EQ(o.verdict, SealVerdict::accepted);
  EXPECT_EQ(o.node, 7u);
  EXPECT_EQ(o.body, body);
  // The same bytes again — a capture published anew — are a replay.
  EXPECT_EQ(b.open("cohort:t:room:1", m, kNow).verdict, SealVerdict::replayed);
}

TEST(ClusterSeal, StampsRiseEvenWhenTheClockGoesBack) {
  Sealer a(kKey, 7);
  SealCheck b(kKey, 9);
  std::string first = sealed(a, "c", "1", kNow);
  std::uint64_t s1 = a.last_stamp();
  std::string second = sealed(a, "c", "2", kNow - 5000);  // the clock stepped back 5 s
  EXPECT_GT(a.last_stamp(), s1);
  std::string third = sealed(a, "c", "3", kNow);  // same millisecond as the first
  EXPECT_EQ(b.open("c", first, kNow).verdict, SealVerdict::accepted);
  EXPECT_EQ(b.open("c", second, kNow).verdict, SealVerdict::accepted);
  EXPECT_EQ(b.open("c", third, kNow).verdict, SealVerdict::accepted);
}

TEST(ClusterSeal, OlderMessagesOfASenderAreReplays) {
  Sealer a(kKey, 7);
  SealCheck b(kKey, 9);
  std::string one = sealed(a, "c", "1"), two = sealed(a, "c", "2"), three = sealed(a, "d", "3");
  EXPECT_EQ(b.open("c", one, kNow).verdict, SealVerdict::accepted);
  // A receiver not subscribed to "c" never sees two; three (another channel) still moves the
  // sender's mark on, and two can no longer be played to it afterwards.
  EXPECT_EQ(b.open("d", three, kNow).verdict, SealVerdict::accepted);
  EXPECT_EQ(b.open("c", two, kNow).verdict, SealVerdict::replayed);
  EXPECT_EQ(b.open("c", one, kNow).verdict, SealVerdict::replayed);
}

TEST(ClusterSeal, EachSenderHasItsOwnMark) {
  Sealer a(kKey, 7), c(kKey, 8);
  SealCheck b(kKey, 9);
  std::string from_c = sealed(c, "x", "c");  // sealed first: a lower stamp than a's below
  std::string from_a = sealed(a, "x", "a", kNow + 10);
  EXPECT_EQ(b.open("x", from_a, kNow).verdict, SealVerdict::accepted);
  EXPECT_EQ(b.open("x", from_c, kNow).verdict, SealVerdict::accepted);
}

TEST(ClusterSeal, AnotherChannelAnotherKeyOrAChangedByteIsABadSignature) {
  Sealer a(kKey, 7);
  Sealer stranger(derive_cluster_key("another-cluster-secret-of-32-bytes-or-more"), 7);
  SealCheck b(kKey, 9);
  std::string m = sealed(a, "cohort:t:room:1", "C1 00000007 j 5\nshout{}");
  EXPECT_EQ(b.open("cohort:t:room:2", m, kNow).verdict, SealVerdict::bad_tag) << "moved to another topic";
  EXPECT_EQ(b.open("other:t:room:1", m, kNow).verdict, SealVerdict::bad_tag) << "another cluster prefix";
  EXPECT_EQ(b.open("cohort:t:room:1", sealed(stranger, "cohort:t:room:1", "C1 00000007 j 5\nshout{}"), kNow).verdict,
            SealVerdict::bad_tag)
      << "sealed with another secret";
  for (std::size_t i : {std::size_t{3}, std::size_t{50}, std::size_t{60}, kSealBytes, m.size() - 1}) {
    std::string bent = m;
    bent[i] = bent[i] == 'A' ? 'B' : 'A';
    EXPECT_NE(b.open("cohort:t:room:1", bent, kNow).verdict, SealVerdict::accepted) << "byte " << i;
  }
  std::string longer = m + " ";
  EXPECT_EQ(b.open("cohort:t:room:1", longer, kNow).verdict, SealVerdict::bad_tag);
  // The untouched message still opens: nothing above moved the sender's mark.
  EXPECT_EQ(b.open("cohort:t:room:1", m, kNow).verdict, SealVerdict::accepted);
}

TEST(ClusterSeal, TheChannelCannotBorrowBytesFromTheBody) {
  // The channel's length is signed: ("ab", "c...") and ("a", "bc...") are different inputs.
  Sealer a(kKey, 7);
  SealCheck b(kKey, 9);
  std::string m = sealed(a, "ab", "body");
  EXPECT_EQ(b.open("a", m, kNow).verdict, SealVerdict::bad_tag);
  EXPECT_EQ(b.open("abb", m, kNow).verdict, SealVerdict::bad_tag);
}

TEST(ClusterSeal, MessagesWithoutASealAreUnsigned) {
  SealCheck b(kKey, 9);
  for (std::string m : {std::string("C1 00000007 j 5\nshout{}"), std::string("{\"v\":1,\"k\":\"bye\",\"n\":7}"),
                        std::string(""), std::string("S1 short"), std::string(kSealBytes, 'S')})
    EXPECT_EQ(b.open("c", m, kNow).verdict, SealVerdict::unsigned_message) << m;
  // A head of the right shape with a made-up tag.
  std::string forged = "S1 " + std::string(43, 'A') + " 00000007 " + std::string(16, '0') + "\n{}";
  ASSERT_EQ(forged.size(), kSealBytes + 2);
  EXPECT_EQ(b.open("c", forged, kNow).verdict, SealVerdict::bad_tag);
  std::string bad_hex = "S1 " + std::string(43, 'A') + " 0000000z " + std::string(16, '0') + "\n{}";
  EXPECT_EQ(b.open("c", bad_hex, kNow).verdict, SealVerdict::bad_tag);
}

TEST(ClusterSeal, OwnMessagesAreRecognisedUnchecked) {
  Sealer a(kKey, 9);
  SealCheck b(kKey, 9);
  Opened o = b.open("c", sealed(a, "c", "x"), kNow);
  EXPECT_EQ(o.verdict, SealVerdict::own);
  EXPECT_TRUE(o.body.empty());
}

TEST(ClusterSeal, AFirstMessageOlderThanTheWindowIsStale) {
  Sealer a(kKey, 7);
  const auto window = static_cast<std::uint64_t>(SealCheck::kFreshness.count());
  std::string old = sealed(a, "c", "old", kNow - window - 1);
  std::string newer = sealed(a, "c", "newer", kNow - window + 1000);
  SealCheck b(kKey, 9);
  EXPECT_EQ(b.open("c", old, kNow).verdict, SealVerdict::stale);
  EXPECT_EQ(b.open("c", newer, kNow).verdict, SealVerdict::accepted);  // a stale one left no mark
  // Once a sender is known, its order alone decides (a receiver's clock does not matter then).
  SealCheck c(kKey, 10);
  std::string later = sealed(a, "c", "later", kNow);
  EXPECT_EQ(c.open("c", later, kNow).verdict, SealVerdict::accepted);
  EXPECT_EQ(c.open("c", sealed(a, "c", "next", kNow), kNow + 10 * window).verdict, SealVerdict::accepted);
}

TEST(ClusterSeal, VerdictsHaveNames) {
  EXPECT_EQ(verdict_name(SealVerdict::bad_tag), "bad signature");
  EXPECT_EQ(verdict_name(SealVerdict::unsigned_message), "unsigned");
  EXPECT_EQ(verdict_name(SealVerdict::replayed), "replayed");
}

}  // namespace
}  // namespace cohort::cluster
