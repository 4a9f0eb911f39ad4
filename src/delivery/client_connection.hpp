// The coroutine driver of the delivery client: runs a ClientSession over a
// io::Stream on the current ring. It moves bytes, applies the RFC 5321 4.5.3.2
// timeout the session names for each read and write (as linked timeouts),
// and turns a dropped or stalled connection into the session's 4.4.2
// "lost connection" / "timed out" outcome for every undecided recipient.
//
// STARTTLS (RFC 3207): when the session asks for it (its TlsPolicy, after
// the 220 to STARTTLS), the socket moves from the io::PlainStream into a
// tls::TlsStream, the handshake runs (bounded by the command timeout;
// certificate chain and host name enforced under "verify"), and the session
// goes on over it with a fresh EHLO. Bytes the server
// sent after its 220 are dropped by the session. A failed handshake ends
// the connection: connect() then fails with code kTlsHandshakeError so that
// the caller can retry the host in plain text (policy "may").
//
// One connection serves any number of transactions (connection reuse):
//   auto c = co_await ClientConnection::connect(ip, port, options);
//   TransactionResult r = co_await (*c)->run_transaction(tx);   // again while usable()
//   co_await (*c)->quit();
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "delivery/client_error.hpp"
#include "delivery/smtp_client.hpp"
#include "io/ops.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "tls/context.hpp"
#include "util/result.hpp"

namespace ringpost::delivery {

struct ClientTimeouts {
    io::Duration connect{30000};       // Postfix smtp_connect_timeout
    io::Duration initial{300000};      // 220 greeting, 4.5.3.2.1
    io::Duration command{300000};      // EHLO/HELO/STARTTLS/RSET/QUIT
    io::Duration mail{300000};         // 4.5.3.2.2
    io::Duration rcpt{300000};         // 4.5.3.2.3
    io::Duration data_init{120000};    // 4.5.3.2.4
    io::Duration data_block{180000};   // 4.5.3.2.5
    io::Duration data_term{600000};    // 4.5.3.2.6
    io::Duration for_kind(TimeoutKind kind) const;
};

struct ClientOptions {
    ClientConfig session;   // session.tls and session.tls_host: the STARTTLS policy and the MX name
    // The local address to connect from (an egress source, egress.hpp);
    // "" = the kernel's choice. A server of the other address family is
    // unreachable from it: connect() fails for that address.
    std::string source_address;
    ClientTimeouts timeouts;
    // The outbound TLS context (trust store). Null: no TLS here ("may"
    // then stays in plain text; "encrypt"/"verify" fail the handshake step).
    std::shared_ptr<tls::ClientContext> tls_context;
};

// How a failed connect() should count for the recipients: a 5xx greeting
// (or EHLO/HELO refusal) is permanent, everything else (network errors,
// 4xx, 421, timeouts) is temporary.
Outcome connect_outcome(const Error& error);

// Whether connections can be bound to the source address `source` (it is
// one of this machine's); the engine checks each egress source at start,
// so that a mistyped address shows in the log at once rather than as
// deferred mail.
Result<void> probe_source(const std::string& source);

class ClientConnection {
public:
    // TCP connect, greeting, EHLO (or HELO). On failure, Error::code is the
    // server's reply code when it refused us (4xx/5xx, reply_error_code),
    // kTlsHandshakeError, else empty (network, timeout, protocol error), and
    // Error::message the diagnostic.
    static io::Task<Result<std::unique_ptr<ClientConnection>>> connect(std::string ip, uint16_t port,
                                                                       ClientOptions options);
    // The same over an already connected stream (a TLS stream later, tests now).
    static io::Task<Result<std::unique_ptr<ClientConnection>>> open(std::unique_ptr<io::Stream> stream,
                                                                    ClientOptions options);

    ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // One transaction. Never fails as a whole: every recipient gets an
    // outcome (a lost connection defers the undecided ones). `tx.body` must
    // stay alive until the task completes.
    io::Task<TransactionResult> run_transaction(Transaction tx);

    // QUIT (when the session is still usable), then close.
    io::Task<void> quit();

    // Ready for another transaction.
    bool usable() const { return session_.want() == ClientSession::Want::kReady; }
    const Capabilities& capabilities() const { return session_.capabilities(); }
    const ClientSession& session() const { return session_; }
    // Whether (and how) the connection is encrypted.
    const TlsState& tls() const { return tls_; }

private:
    ClientConnection(std::unique_ptr<io::Stream> stream, ClientOptions options);
    // Runs the session until it is idle (kReady) or over (kClosed).
    io::Task<void> pump();
    io::Task<void> close_stream();
    // The STARTTLS handshake: swaps stream_ for a TLS stream, then tells the session.
    io::Task<void> start_tls();

    std::unique_ptr<io::Stream> stream_;
    ClientTimeouts timeouts_;
    io::Duration close_timeout_;   // a TLS close_notify
    std::shared_ptr<tls::ClientContext> tls_context_;
    TlsPolicy tls_policy_;
    std::string tls_host_;
    TlsState tls_;
    ClientSession session_;
    bool closed_ = false;
    // Replies are small; the parser keeps partial lines, so 4 KiB suffices.
    std::array<char, 4096> in_{};
};

}  // namespace ringpost::delivery
