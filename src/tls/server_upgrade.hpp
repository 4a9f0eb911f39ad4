// Starting TLS on an accepted connection, shared by the SMTP, POP3 and IMAP
// drivers: for STARTTLS / STLS after the plain-text "go ahead" reply, and
// for implicit TLS (smtps, pop3s, imaps) before the greeting.
//
// The socket moves from the plain stream to a TlsStream, which takes no
// bytes from the caller: whatever the driver read past the STARTTLS line
// arrived in clear and must have been discarded already (CVE-2011-0411).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/stream.hpp"
#include "tls/context_holder.hpp"
#include "tls/tls_stream.hpp"

namespace ringpost::tls {

// The handshake within `timeout` on `plain`'s socket, with the holder's
// current context. Null on failure (logged as `tls_handshake_failed` with
// `proto`); the socket is then closed, except when there is no context, in
// which case `plain` still owns it. Logs `tls` with version and cipher.
// Cancelling `slot` (the session's live-set slot, at shutdown) ends the
// handshake as a failure.
io::Task<std::unique_ptr<TlsStream>> start_server_tls(io::PlainStream& plain, ContextHolder& holder,
                                                      io::Duration timeout, std::string_view proto,
                                                      const std::string& client_ip, io::CancelSlot* slot = nullptr);

// The same for a driver that holds its stream as io::Stream: on success
// `stream` is the TLS stream. False if it failed or `stream` was not plain
// (never TLS inside TLS): the connection can then only be closed.
io::Task<bool> upgrade_to_tls(std::unique_ptr<io::Stream>& stream, ContextHolder& holder, io::Duration timeout,
                              std::string_view proto, const std::string& client_ip, io::CancelSlot* slot = nullptr);

}  // namespace ringpost::tls
