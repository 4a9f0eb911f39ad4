// The smtp::MessageFilter of the inbound checks (docs/INBOUND.md): for
// mail from others (not authenticated, not from relay_networks, unless
// [inbound] check_trusted), it removes the Authentication-Results fields
// that claim our authserv-id (RFC 8601 5: forged), runs the checks (SPF
// SPF: MAIL FROM, and HELO for the null sender or always; DKIM
// verification of every signature; DMARC from both), adds one
// Authentication-Results field with every check's result below our own
// Received: field, and refuses the
// message when a check's policy says so (SPF fail in reject mode: 550
// 5.7.23, RFC 7372; a temperror with spf_temperror = "tempfail": 451 4.4.3;
// a DMARC failure whose policy after pct= is reject, in reject mode: 550
// 5.7.1, as OpenDMARC answers), or marks it for the junk mailbox of its
// local recipients (dmarc_quarantine = "junk": the envelope's local_folder,
// which the spool keeps until local delivery).
//
// One per worker, because the checks ask DNS through the worker's own
// resolver on the worker's ring (a resolver is bound to one ring and is
// not thread-safe); the worker puts it before the shared chain (egress
// pools, DKIM signing), so that a signature never covers our own field.
//
// Each check is a step of filter(): it reads the message and what earlier
// steps found in the CheckContext and appends its results; DMARC, which
// needs SPF's and DKIM's, comes last. DKIM's hashing and signature checks
// (~3 ms per MB) run on a blocking pool when there is one, as signing does.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dkim/key_cache.hpp"
#include "dkim/verifier.hpp"
#include "dmarc/evaluate.hpp"
#include "dns/lookup.hpp"
#include "io/blocking_pool.hpp"
#include "mail/authentication_results.hpp"
#include "smtp/message_filter.hpp"
#include "spf/check_host.hpp"

namespace ringpost::config {
struct Config;
}

namespace ringpost::server {

struct InboundSettings {
    std::string authserv_id;     // never empty: [inbound] authserv_id or the hostname
    std::string hostname;        // %{r} of SPF explanations
    bool check_trusted = false;
    enum class Spf { kOff, kTag, kReject } spf = Spf::kTag;
    bool spf_tempfail = false;   // temperror -> 451 4.4.3
    bool spf_helo_always = false;
    bool dkim = true;
    enum class Dmarc { kOff, kTag, kReject } dmarc = Dmarc::kTag;
    bool dmarc_junk = false;     // dmarc_quarantine = "junk"
};

InboundSettings inbound_settings(const config::Config& config);

// What a DMARC verdict does to the message under the settings: nothing
// beyond the tag, refusal (a reject disposition in reject mode), or its
// local recipients' copies filed into Junk (junk mode: a quarantine
// disposition -- also a reject that pct= sampled down, RFC 7489 6.6.4 --
// or a reject disposition that tag mode does not refuse: the domain
// asked for at least that).
enum class DmarcAction { kNone, kReject, kJunk };
DmarcAction dmarc_action(const InboundSettings& settings, const dmarc::Verdict& verdict);

// What the checks of one message found, in the order they ran.
struct CheckContext {
    std::vector<mail::AuthMethodResult> results;   // the Authentication-Results entries
    spf::Verdict spf;                              // the MAIL FROM (or null sender's HELO) verdict
    bool spf_checked = false;
    std::vector<dkim::Verification> dkim;          // one per signature checked
    dmarc::Verdict dmarc;
    smtp::FilterVerdict refusal;                   // a check's refusal (code 0: none)
    bool junk = false;                             // DmarcAction::kJunk
};

class AuthenticationFilter final : public smtp::MessageFilter {
public:
    // `pool`: where DKIM's CPU work runs (null: on the ring).
    // `dns`: the worker's resolver.
    AuthenticationFilter(InboundSettings settings, dns::Lookup& dns, io::BlockingPool* pool = nullptr);
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override;

private:
    io::Task<void> check_spf(const smtp::AcceptedMessage& message, CheckContext& context);
    io::Task<void> check_dkim(const smtp::AcceptedMessage& message, CheckContext& context);
    io::Task<void> check_dmarc(const smtp::AcceptedMessage& message, CheckContext& context);

    InboundSettings settings_;
    dns::Lookup& dns_;
    // DKIM key records read once per text, for this worker's messages.
    dkim::KeyRecordCache key_cache_;
    io::BlockingPool* pool_;
};

}  // namespace ringpost::server
