#include "dkim/verifier.hpp"

#include <coroutine>

#include "dkim/check.hpp"
#include "io/ring.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::dkim {
namespace {

// Waits for the key lookups started together in fetch_keys().
struct FetchJoin {
    size_t pending = 0;
    std::coroutine_handle<> waiter;
};

struct JoinAwaiter {
    FetchJoin& join;
    bool await_ready() const noexcept { return join.pending == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { join.waiter = h; }
    void await_resume() const noexcept {}
};

io::Task<void> fetch_one(dns::Lookup& fetcher, std::string name, dns::RecordSet& out, FetchJoin& join) {
    // A named task: no std::string temporary inside the co_await (g++ 12).
    auto looking = fetcher.lookup(std::move(name), dns::kTypeTxt);
    out = co_await std::move(looking);
    if (--join.pending > 0 || !join.waiter) co_return;
    // The last one wakes fetch_keys(), in the ring's next turn when there is a ring.
    if (io::Ring* ring = io::Ring::current()) ring->schedule(join.waiter);
    else join.waiter.resume();
}

Verification report_of(const Signature& sig) {
    Verification v;
    v.domain = sig.domain;
    v.selector = sig.selector;
    v.algorithm = sig.algorithm;
    v.identity = sig.identity;
    v.b_prefix = sig.b_base64.substr(0, 8);
    return v;
}

// Parses one DKIM-Signature field and decides what needs no key.
PendingSignature pending_of(const HeaderFieldRef& field, size_t index, int64_t now, int64_t skew) {
    PendingSignature p;
    p.field_index = index;
    const std::string error = parse_signature(field.raw, p.signature);
    p.verification = report_of(p.signature);
    const Signature& sig = p.signature;
    auto decide = [&p](DkimResult r, std::string reason) {
        p.decided = true;
        p.verification.result = r;
        p.verification.reason = std::move(reason);
    };
    if (!error.empty()) decide(DkimResult::kPermerror, error);
    else if (sig.expiration && *sig.expiration < now - skew) decide(DkimResult::kNeutral, "signature expired (x=)");
    else if (sig.timestamp && *sig.timestamp > now + skew) decide(DkimResult::kNeutral, "t= is in the future");
    else p.key_name = util::ascii_lower(sig.selector) + "._domainkey." + sig.domain;
    return p;
}

}  // namespace

std::string_view result_name(DkimResult r) {
    switch (r) {
    case DkimResult::kPass: return "pass";
    case DkimResult::kFail: return "fail";
    case DkimResult::kNeutral: return "neutral";
    case DkimResult::kPolicy: return "policy";
    case DkimResult::kTemperror: return "temperror";
    case DkimResult::kPermerror: return "permerror";
    }
    return "permerror";
}

VerificationJob Verifier::prepare(std::string_view message, int64_t now) const {
    VerificationJob job;
    const auto fields = read_header_fields(message.substr(0, mail::header_section_size(message)));
    for (size_t i = 0; i < fields.size() && job.signatures.size() < options_.max_signatures; ++i)
        if (fields[i].name == "dkim-signature")
            job.signatures.push_back(pending_of(fields[i], i, now, options_.clock_skew));
    return job;
}

io::Task<void> Verifier::fetch_keys(VerificationJob& job, dns::Lookup& fetcher) const {
    // Each distinct key name once; signatures of one selector share the answer.
    std::vector<std::string> names;
    std::vector<size_t> slot(job.signatures.size(), 0);
    for (size_t i = 0; i < job.signatures.size(); ++i) {
        const PendingSignature& p = job.signatures[i];
        if (p.decided) continue;
        size_t n = 0;
        while (n < names.size() && names[n] != p.key_name) ++n;
        if (n == names.size()) names.push_back(p.key_name);
        slot[i] = n;
    }
    std::vector<dns::RecordSet> answers(names.size());
    FetchJoin join{names.size(), {}};
    for (size_t n = 0; n < names.size(); ++n) io::spawn(fetch_one(fetcher, names[n], answers[n], join));
    co_await JoinAwaiter{join};
    for (size_t i = 0; i < job.signatures.size(); ++i)
        if (!job.signatures[i].decided) job.signatures[i].key = answers[slot[i]];
}

std::vector<Verification> Verifier::finish(std::string_view message, const VerificationJob& job) const {
    const size_t header_size = mail::header_section_size(message);
    const auto fields = read_header_fields(message.substr(0, header_size));
    BodyHashCache bodies(message.substr(header_size));
    std::vector<Verification> out;
    out.reserve(job.signatures.size());
    for (const auto& p : job.signatures)
        out.push_back(p.decided ? p.verification : check_signature(p, fields, bodies, options_.key_cache));
    return out;
}

io::Task<std::vector<Verification>> Verifier::verify(std::string_view message, dns::Lookup& fetcher, int64_t now) const {
    VerificationJob job = prepare(message, now);
    co_await fetch_keys(job, fetcher);
    co_return finish(message, job);
}

}  // namespace ringpost::dkim
