#include "server/authentication_filter.hpp"

#include <ctime>

#include "config/config.hpp"
#include "mail/header_block.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

// A reply line carries printable ASCII only, and not too much of it.
std::string reply_text(const std::string& text) {
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
    if (reader.next(first) && mail::equals_nocase(first.name, "Received")) return first.raw.size();
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

// What SPF's MAIL FROM result does to the message under the settings.
smtp::FilterVerdict spf_policy(const InboundSettings& s, const spf::Verdict& v) {
    if (s.spf == InboundSettings::Spf::kReject && v.result == spf::Result::kFail)
        return {550, "5.7.23", v.explanation.empty() ? "SPF check failed" : reply_text(v.explanation)};
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
    return s;
}

AuthenticationFilter::AuthenticationFilter(InboundSettings settings, dns::Resolver& resolver)
    : settings_(std::move(settings)), dns_(resolver) {}

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
    if (!context.refusal.accepted()) co_return context.refusal;
    if (!context.results.empty())
        message.data.insert(after_own_received(message.data),
                            mail::render_authentication_results(settings_.authserv_id, context.results));
    message.envelope.body_size = message.data.size();
    co_return smtp::FilterVerdict{};
}

}  // namespace ringpost::server
