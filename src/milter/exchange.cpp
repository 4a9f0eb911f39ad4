// A message's milter conversation; see exchange.hpp.
#include "milter/exchange.hpp"

#include "mail/esmtp_parameters.hpp"
#include "mail/header_block.hpp"
#include "milter/protocol.hpp"

namespace ringpost::milter {
namespace {

// A field's value as milters get it without SMFIP_HEADER_LEADSPC (the
// blanks after the colon dropped), its line ends as LF (as Sendmail and
// Postfix send folded values), the final one removed.
std::string milter_value(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
    std::string out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') continue;
        out.push_back(value[i]);
    }
    return out;
}

bool modification(char code) {
    switch (code) {
    case rep::kAddHeader: case rep::kInsertHeader: case rep::kChangeHeader: case rep::kReplaceBody:
    case rep::kAddRcpt: case rep::kAddRcptWithArgs: case rep::kDeleteRcpt: case rep::kChangeFrom:
        return true;
    default:
        return false;
    }
}

}  // namespace

Exchange::Exchange(const Transaction& t, uint32_t protocol, bool connect)
    : t_(t), protocol_(protocol), stage_(connect ? Stage::kConnect : Stage::kMail) {
    const size_t section = mail::header_section_size(t.data);
    mail::HeaderReader reader(t.data.substr(0, section));
    mail::HeaderField f;
    while (reader.next(f)) headers_.emplace_back(std::string(f.name), milter_value(f.value));
    body_ = t.data.substr(section);
}

void Exchange::write(std::string& out) {
    while (!finished_ && !awaiting_ && stage_ != Stage::kDone) {
        if (!write_stage(out)) advance();
    }
}

bool Exchange::write_stage(std::string& out) {
    const mail::Envelope& e = *t_.envelope;
    auto send = [&](uint32_t skip_bit, uint32_t no_reply_bit) {
        if (protocol_ & skip_bit) return false;
        awaiting_ = answered(no_reply_bit);
        return true;
    };
    switch (stage_) {
    case Stage::kConnect:
        if (!send(kNoConnect, kNoReplyConnect)) return false;
        put_macros(out, cmd::kConnect, {{"j", t_.hostname}, {"{daemon_name}", "ringpost"}, {"v", "ringpost"},
                                        {"{client_addr}", e.client_ip}, {"{client_port}", std::to_string(t_.client_port)},
                                        {"{client_name}", "unknown"}});
        put_connect(out, "unknown", e.client_ip, t_.client_port);
        break;
    case Stage::kHelo:
        if (!send(kNoHelo, kNoReplyHelo)) return false;
        // Postfix's milter_helo_macros: the TLS of the session, known by HELO.
        if (!t_.tls_version.empty())
            put_macros(out, cmd::kHelo, {{"{tls_version}", t_.tls_version}, {"{cipher}", t_.tls_cipher},
                                         {"{cipher_bits}", std::to_string(t_.tls_cipher_bits)}});
        put_helo(out, e.helo);
        break;
    case Stage::kMail: {
        if (!send(kNoMail, kNoReplyMail)) return false;
        Macros m = {{"i", e.queue_id}, {"{mail_addr}", e.sender}};
        if (!t_.auth_user.empty()) m.emplace_back("{auth_authen}", t_.auth_user);
        put_macros(out, cmd::kMail, m);
        // The client's parameters as the envelope kept them (SIZE is not kept).
        std::vector<std::string> args = mail::body_parameters(e.body_type, e.smtputf8);
        for (std::string& p : mail::dsn_mail_parameters(e.ret, e.envid)) args.push_back(std::move(p));
        put_mail(out, e.sender, args);
        break;
    }
    case Stage::kRcpt: {
        if (item_ >= e.recipients.size() || !send(kNoRcpt, kNoReplyRcpt)) return false;
        const mail::Recipient& r = e.recipients[item_];
        const size_t at = r.address.rfind('@');
        put_macros(out, cmd::kRcpt, {{"{rcpt_addr}", r.address},
                                     {"{rcpt_host}", at == std::string::npos ? "" : r.address.substr(at + 1)},
                                     {"{rcpt_mailer}", r.local ? "local" : "smtp"}});
        put_rcpt(out, r.address, mail::dsn_rcpt_parameters(r.notify, r.orcpt));
        break;
    }
    case Stage::kData:
        if (!send(kNoData, kNoReplyData)) return false;
        put_macros(out, cmd::kData, {{"i", e.queue_id}});
        put_bare(out, cmd::kData);
        break;
    case Stage::kHeaders:
        if (item_ >= headers_.size() || !send(kNoHeaders, kNoReplyHeader)) return false;
        put_header(out, headers_[item_].first, headers_[item_].second);
        break;
    case Stage::kEndOfHeaders:
        if (!send(kNoEndOfHeaders, kNoReplyEndOfHeaders)) return false;
        put_bare(out, cmd::kEndOfHeaders);
        break;
    case Stage::kBody:
        if (item_ >= body_.size() || !send(kNoBody, kNoReplyBody)) return false;
        put_body(out, body_.substr(item_, kBodyChunk));
        break;
    case Stage::kEndOfBody:
        awaiting_ = true;
        put_macros(out, cmd::kEndOfBody, {{"i", e.queue_id}});
        put_bare(out, cmd::kEndOfBody);
        break;
    case Stage::kDone:
        return false;
    }
    // Without a reply to wait for, move on at once; with one, on_reply moves on.
    if (!awaiting_) advance();
    return true;
}

void Exchange::advance() {
    switch (stage_) {
    case Stage::kRcpt:
        if (++item_ < t_.envelope->recipients.size() && !(protocol_ & kNoRcpt)) return;
        break;
    case Stage::kHeaders:
        if (++item_ < headers_.size() && !(protocol_ & kNoHeaders)) return;
        break;
    case Stage::kBody:
        item_ += kBodyChunk;
        if (item_ < body_.size() && !(protocol_ & kNoBody)) return;
        break;
    default:
        break;
    }
    item_ = 0;
    stage_ = static_cast<Stage>(static_cast<int>(stage_) + 1);
}

void Exchange::finish(Verdict v) {
    outcome_.verdict = v;
    finished_ = true;
    awaiting_ = false;
}

Result<void> Exchange::on_reply(const Reply& r) {
    if (!awaiting_) return make_error(std::string("unexpected reply '") + r.code + "'");
    if (r.code == rep::kProgress) return {};   // still working: keep waiting
    if (stage_ == Stage::kEndOfBody) return on_end_of_body_reply(r);
    switch (r.code) {
    case rep::kContinue:
        awaiting_ = false;
        advance();
        return {};
    case rep::kSkip:
        // No more body chunks wanted (meaningful after one; a continue elsewhere).
        awaiting_ = false;
        if (stage_ == Stage::kBody) {
            item_ = 0;
            stage_ = Stage::kEndOfBody;
        } else {
            advance();
        }
        return {};
    case rep::kAccept: finish(Verdict::kAccept); return {};
    case rep::kReject: finish(Verdict::kReject); return {};
    case rep::kTempfail: case rep::kShutdown: case rep::kConnectionFailure: finish(Verdict::kTempfail); return {};
    case rep::kDiscard: finish(Verdict::kDiscard); return {};
    case rep::kReplyCode: {
        outcome_.reply = parse_smtp_reply(r.text).value();   // checked by the codec
        finish(outcome_.reply.code >= 500 ? Verdict::kReject : Verdict::kTempfail);
        return {};
    }
    default:
        return make_error(std::string("reply '") + r.code + "' before the end of the message");
    }
}

Result<void> Exchange::on_end_of_body_reply(const Reply& r) {
    if (modification(r.code)) {
        outcome_.edits.push_back(r);
        return {};
    }
    switch (r.code) {
    case rep::kQuarantine:
        outcome_.quarantined = true;
        outcome_.quarantine_reason = r.text;
        return {};
    case rep::kSetSymbolList:
        return {};
    default:
        break;
    }
    stage_ = Stage::kDone;
    switch (r.code) {
    case rep::kAccept: case rep::kContinue: case rep::kSkip: finish(Verdict::kAccept); return {};
    case rep::kReject: finish(Verdict::kReject); break;
    case rep::kTempfail: case rep::kShutdown: case rep::kConnectionFailure: finish(Verdict::kTempfail); break;
    case rep::kDiscard: finish(Verdict::kDiscard); break;
    case rep::kReplyCode:
        outcome_.reply = parse_smtp_reply(r.text).value();
        finish(outcome_.reply.code >= 500 ? Verdict::kReject : Verdict::kTempfail);
        break;
    default:
        return make_error(std::string("unexpected reply '") + r.code + "' at the end of the message");
    }
    // A refused message keeps none of the edits asked for before the refusal.
    outcome_.edits.clear();
    return {};
}

}  // namespace ringpost::milter
