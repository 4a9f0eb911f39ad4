// OpenSSL's per-thread error queue as one line of text, for Error messages
// and logs. Every ring thread runs many sessions, so code in this layer
// clears the queue (ERR_clear_error) before each OpenSSL call whose outcome
// it inspects, and drains it right after, before any co_await.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::tls {

// "lib: reason (detail); lib: reason" for every queued error, oldest first;
// `fallback` when the queue is empty. Empties the queue.
std::string drain_openssl_errors(std::string_view fallback = "unknown OpenSSL error");

}  // namespace ringpost::tls
