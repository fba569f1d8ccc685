// upload_channel.hpp — topic "lvu:<entry ref>" on the /live socket: one file's bytes, in chunks.
//
// Owns: the join (params.token: a TokenKind::upload token naming the view, upload and entry,
// for this very entry ref; the view found on this socket's reactor; the entry preflighted, valid
// and not started yet; its file opened within the node's budget) — refused with "invalid_token"
// or the reason ViewUploads gives; each binary "chunk" push (written, or refused with the
// reason, after which the channel is stopped — phx_close, as Phoenix does — and the partial file
// is gone); a silent channel stopped after the upload's chunk_timeout; an upload that ends
// before its last byte deleted.
// Must never: write a byte ViewUploads did not accept, or outlive the entry it writes.
// Threads: as every Channel, on its socket's reactor (the view's, since it is the same socket).
#pragma once

#include "cohort/channel.hpp"
#include "cohort/token.hpp"
#include "live/upload_files.hpp"

namespace cohort::live {

ChannelFactory upload_channel_factory(const TokenSigner& signer, UploadPlace& place);

}  // namespace cohort::live
