#include "server/authentication_filter.hpp"

#include <ctime>

#include "config/config.hpp"
#include "dmarc/public_suffix.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

// A reply line carries printable ASCII only, and not too much of it.
std::string printable_reply_text(const std::string& text) {
    std::string out;
    for (char ch : text.substr(0, 300)) out += ch >= 32 && ch < 127 ? ch : '?';
    return out;
}

mail::AuthMethodResult spf_entry(const spf::Verdict& v, const std::string& property, const std::string& value) {
    mail::AuthMethodResult r{"spf", std::string(spf::result_name(v.result)), {}, {{property, value}}};
    if (v.result == spf::Result::kPermError || v.result == spf::Result::kTempError) r.reason = v.problem;
    return r;
}

// Where our field goes: right below the Received: field we wrote, so that
// it stands above every trace field the message came with (RFC 8601 4.1)
// and a stored message still starts with our Received: (the line local
// delivery puts Return-Path and Delivered-To above).
size_t after_own_received(std::string_view data) {
    mail::HeaderReader reader(data.substr(0, mail::header_section_size(data)));
    mail::HeaderField first;
    if (reader.next(first) && util::iequals(first.name, "Received")) return first.raw.size();
    return 0;
}

void log_spf(const smtp::AcceptedMessage& m, const spf::Verdict& v, const char* identity) {
    log::debug("spf", {{"qid", m.envelope.queue_id},
                       {"identity", identity},
                       {"sender", v.sender},
                       {"client", m.envelope.client_ip},
                       {"result", spf::result_name(v.result)},
                       {"problem", v.problem},
                       {"queries", v.queries}});
}

mail::AuthMethodResult dkim_entry(const dkim::Verification& v) {
    mail::AuthMethodResult r{"dkim", std::string(dkim::result_name(v.result)), v.reason, {}};
    if (v.testing && r.reason.empty()) r.reason = "key in testing mode (t=y)";
    if (!v.domain.empty()) r.properties.push_back({"header.d", v.domain});
    if (!v.selector.empty()) r.properties.push_back({"header.s", v.selector});
    if (!v.algorithm.empty()) r.properties.push_back({"header.a", v.algorithm});
    if (!v.b_prefix.empty()) r.properties.push_back({"header.b", v.b_prefix});
    return r;
}

mail::AuthMethodResult dmarc_entry(const dmarc::Verdict& v) {
    mail::AuthMethodResult r{"dmarc", std::string(dmarc::status_name(v.status)), v.reason, {}};
    if (!v.header_from.empty()) r.properties.push_back({"header.from", v.header_from});
    if (v.status == dmarc::Status::kPass || v.status == dmarc::Status::kFail)
        r.properties.push_back({"policy.dmarc", std::string(dmarc::policy_name(v.disposition))});
    return r;
}

// DMARC's view of the checks before it: a DKIM pass with a testing key
// counts as unsigned (RFC 6376 3.6.1).
dmarc::Inputs dmarc_inputs(const smtp::AcceptedMessage& message, const CheckContext& context) {
    dmarc::Inputs in;
    in.author = dmarc::author_of_message(message.data);
    in.spf.pass = context.spf_checked && context.spf.result == spf::Result::kPass;
    in.spf.domain = context.spf.domain;
    for (const dkim::Verification& v : context.dkim)
        in.dkim.push_back({v.result == dkim::DkimResult::kPass && !v.testing, v.domain, v.body_length_limited});
    return in;
}

// What SPF's MAIL FROM result does to the message under the settings.
smtp::FilterVerdict spf_policy(const InboundSettings& s, const spf::Verdict& v) {
    if (s.spf == InboundSettings::Spf::kReject && v.result == spf::Result::kFail)
        return {550, "5.7.23", v.explanation.empty() ? "SPF check failed" : printable_reply_text(v.explanation)};
    if (s.spf_tempfail && v.result == spf::Result::kTempError)
        return {451, "4.4.3", "SPF check failed temporarily, try again later"};
    return {};
}

}  // namespace

InboundSettings inbound_settings(const config::Config& config) {
    const config::InboundConfig& in = config.inbound;
    InboundSettings s;
    s.authserv_id = in.authserv_id.empty() ? config.hostname : in.authserv_id;
    s.hostname = config.hostname;
    s.check_trusted = in.check_trusted;
    s.spf = in.spf == "off" ? InboundSettings::Spf::kOff
          : in.spf == "reject" ? InboundSettings::Spf::kReject
                               : InboundSettings::Spf::kTag;
    s.spf_tempfail = in.spf_temperror == "tempfail";
    s.spf_helo_always = in.spf_helo == "always";
    s.dkim = in.dkim != "off";
    s.dmarc = in.dmarc == "off" ? InboundSettings::Dmarc::kOff
            : in.dmarc == "reject" ? InboundSettings::Dmarc::kReject
                                   : InboundSettings::Dmarc::kTag;
    s.dmarc_junk = in.dmarc_quarantine == "junk";
    return s;
}

DmarcAction dmarc_action(const InboundSettings& s, const dmarc::Verdict& v) {
    if (s.dmarc == InboundSettings::Dmarc::kOff || v.status != dmarc::Status::kFail) return DmarcAction::kNone;
    if (v.disposition == dmarc::Policy::kReject && s.dmarc == InboundSettings::Dmarc::kReject)
        return DmarcAction::kReject;
    const bool quarantine = v.disposition == dmarc::Policy::kQuarantine || v.disposition == dmarc::Policy::kReject;
    return quarantine && s.dmarc_junk ? DmarcAction::kJunk : DmarcAction::kNone;
}

AuthenticationFilter::AuthenticationFilter(InboundSettings settings, dns::Lookup& dns, io::BlockingPool* pool)
    : settings_(std::move(settings)), dns_(dns), pool_(pool) {}

io::Task<void> AuthenticationFilter::check_dkim(const smtp::AcceptedMessage& message, CheckContext& context) {
    dkim::Verifier::Options options;
    options.key_cache = &key_cache_;
    const dkim::Verifier verifier(options);
    dkim::VerificationJob job = verifier.prepare(message.data, static_cast<int64_t>(std::time(nullptr)));
    if (job.signatures.empty()) {
        context.results.push_back({"dkim", "none", {}, {}});
        co_return;
    }
    auto fetching = verifier.fetch_keys(job, dns_);
    co_await std::move(fetching);
    if (pool_) {
        auto finishing = [&verifier, &message, &job] { return verifier.finish(message.data, job); };
        auto finished = co_await pool_->run(finishing);
        if (finished) context.dkim = std::move(finished.value());
    }
    // No pool, or a pool too busy to take it: on the ring, rather than a wrong answer.
    if (context.dkim.empty()) context.dkim = verifier.finish(message.data, job);
    for (const dkim::Verification& v : context.dkim) {
        context.results.push_back(dkim_entry(v));
        log::debug("dkim_verified", {{"qid", message.envelope.queue_id}, {"domain", v.domain},
                                     {"selector", v.selector}, {"result", dkim::result_name(v.result)},
                                     {"reason", v.reason}});
    }
}

io::Task<void> AuthenticationFilter::check_dmarc(const smtp::AcceptedMessage& message, CheckContext& context) {
    auto evaluating = dmarc::evaluate(dns_, dmarc::PublicSuffixList::system(), dmarc_inputs(message, context),
                                      dmarc::random_percentile());
    context.dmarc = co_await std::move(evaluating);
    const dmarc::Verdict& v = context.dmarc;
    context.results.push_back(dmarc_entry(v));
    const DmarcAction action = dmarc_action(settings_, v);
    if (action == DmarcAction::kReject && context.refusal.accepted())
        context.refusal = {550, "5.7.1", "Email rejected per DMARC policy for " + v.header_from};
    context.junk = action == DmarcAction::kJunk;
}

io::Task<void> AuthenticationFilter::check_spf(const smtp::AcceptedMessage& message, CheckContext& context) {
    const mail::Envelope& env = message.envelope;
    spf::Options options;
    options.receiver = settings_.hostname;
    options.now = static_cast<int64_t>(std::time(nullptr));
    const spf::Request request{env.client_ip, env.sender, env.helo};
    auto checking = spf::check_mail_from(dns_, request, options);
    context.spf = co_await std::move(checking);
    context.spf_checked = true;
    log_spf(message, context.spf, env.sender.empty() ? "helo" : "mailfrom");
    // The null sender's identity is the HELO name (RFC 7208 2.4), reported as such (RFC 8601 2.7.2).
    if (env.sender.empty()) context.results.push_back(spf_entry(context.spf, "smtp.helo", env.helo));
    else context.results.push_back(spf_entry(context.spf, "smtp.mailfrom", context.spf.sender));
    if (settings_.spf_helo_always && !env.sender.empty()) {
        auto helo_checking = spf::check_helo(dns_, request, options);
        spf::Verdict helo = co_await std::move(helo_checking);
        log_spf(message, helo, "helo");
        context.results.push_back(spf_entry(helo, "smtp.helo", env.helo));
    }
    context.refusal = spf_policy(settings_, context.spf);
}

io::Task<smtp::FilterVerdict> AuthenticationFilter::filter(smtp::AcceptedMessage& message) {
    const bool trusted = message.origin.authenticated || message.origin.relay_allowed;
    // A trusted source may hand over fields it wrote with our id (RFC 8601 5).
    if (trusted && !settings_.check_trusted) co_return smtp::FilterVerdict{};
    const size_t forged = mail::remove_authentication_results(message.data, settings_.authserv_id);
    if (forged > 0)
        log::info("forged_auth_results", {{"qid", message.envelope.queue_id}, {"removed", forged},
                                          {"client", message.envelope.client_ip}});
    CheckContext context;
    if (settings_.spf != InboundSettings::Spf::kOff) {
        auto checking = check_spf(message, context);
        co_await std::move(checking);
        message.log_fields.emplace_back("spf", std::string(spf::result_name(context.spf.result)));
    }
    if (settings_.dkim) {
        auto checking = check_dkim(message, context);
        co_await std::move(checking);
        message.log_fields.emplace_back("dkim", context.dkim.empty() ? std::string("none")
                                                                     : std::string(dkim::result_name(context.dkim[0].result)));
    }
    if (settings_.dmarc != InboundSettings::Dmarc::kOff) {
        auto checking = check_dmarc(message, context);
        co_await std::move(checking);
        message.log_fields.emplace_back("dmarc", std::string(dmarc::status_name(context.dmarc.status)));
        if (context.dmarc.status == dmarc::Status::kFail)
            message.log_fields.emplace_back("dmarc_policy", std::string(dmarc::policy_name(context.dmarc.disposition)));
    }
    if (!context.refusal.accepted()) co_return context.refusal;
    if (context.junk) {
        // Kept in the spooled envelope: local delivery files the copies of
        // local recipients into Junk, even after a restart.
        message.envelope.local_folder = mail::LocalFolder::kJunk;
        message.log_fields.emplace_back("local_folder", "Junk");
    }
    if (!context.results.empty())
        message.data.insert(after_own_received(message.data),
                            mail::render_authentication_results(settings_.authserv_id, context.results));
    message.envelope.body_size = message.data.size();
    co_return smtp::FilterVerdict{};
}

}  // namespace ringpost::server
