// A self-signed certificate for a first start without any configured: TLS
// (STARTTLS, the implicit-TLS ports) then works out of the box, encrypted
// but unauthenticated, which is what opportunistic SMTP peers expect. The
// operator replaces it with a real one and reloads.
#pragma once

#include <string>

#include "util/result.hpp"

namespace ringpost::tls {

// If both files exist, does nothing and returns false. Otherwise generates
// an EC P-256 key and a self-signed X.509 v3 certificate (CN and
// subjectAltName = `hostname` as DNS name or IP address, valid 10 years,
// serverAuth), writes both atomically (temporary file, fsync, rename; the
// key with mode 0600, the certificate 0644) and returns true, so that the
// caller can log "generated self-signed certificate <cert_path>".
// The directories must exist. Blocking file I/O: startup only.
Result<bool> ensure_self_signed(const std::string& cert_path, const std::string& key_path,
                                const std::string& hostname);

}  // namespace ringpost::tls
