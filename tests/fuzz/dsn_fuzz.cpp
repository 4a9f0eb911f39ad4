// Fuzz target: building a delivery status notification (src/delivery/dsn.hpp)
// from what is not ours: the stored original message (its header block is
// parsed to cut what is returned), the remote server's reply text, the
// remote MTA's name, and the client-given ENVID, ORCPT and addresses.
// Checks: the notification is a well-formed message (CRLF line ends, no
// line over 998 bytes), it parses as multipart/report with the original as
// its last part, and its body type matches its bytes.
//
// Input: the fields, separated by 0x1F, in the order of kFields; the last
// (and any missing) field is the original message.
#include <string>
#include <vector>

#include "delivery/dsn.hpp"
#include "fuzz_input.hpp"
#include "mail/mime.hpp"

using namespace ringpost;
using namespace ringpost::delivery;

namespace {

std::vector<std::string_view> split_fields(std::string_view bytes, size_t count) {
    std::vector<std::string_view> fields;
    while (fields.size() + 1 < count) {
        size_t sep = bytes.find('\x1f');
        if (sep == std::string_view::npos) break;
        fields.push_back(bytes.substr(0, sep));
        bytes.remove_prefix(sep + 1);
    }
    while (fields.size() + 1 < count) fields.push_back({});
    fields.push_back(bytes);
    return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FuzzInput in(data, size);
    // address, orcpt, remote_reply, remote_mta, status, envid, sender, original
    std::vector<std::string_view> f = split_fields(in.bytes(), 8);

    DsnInput input;
    input.reporting_mta = "mx.example";
    input.envelope.queue_id = "0123456789ABCDEF";
    input.envelope.sender = std::string(f[6]);
    input.envelope.envid = std::string(f[5]);
    input.envelope.ret = static_cast<mail::DsnRet>(in.options() % 3);
    input.envelope.body_type = static_cast<mail::BodyType>((in.options() >> 2) % 3);
    input.envelope.smtputf8 = in.option(4);
    input.envelope.helo = "client.example";
    input.envelope.client_ip = "192.0.2.1";
    input.envelope.received_at = 1700000000;
    DsnRecipient r;
    r.address = std::string(f[0]);
    r.orcpt = std::string(f[1]);
    r.remote_reply = std::string(f[2]);
    r.remote_mta = std::string(f[3]);
    r.status = std::string(f[4]);
    r.action = static_cast<DsnAction>((in.options() >> 5) % 5);
    r.last_attempt = 1700000100;
    r.will_retry_until = 1700400000;
    input.recipients.push_back(r);
    if (in.option(7)) {   // a second recipient with a reason instead of a reply
        r.remote_reply.clear();
        r.reason = std::string(f[2]);
        r.action = DsnAction::kDelayed;
        input.recipients.push_back(r);
    }
    input.original = f[7];
    input.now = 1700500000;
    input.max_returned_size = 2048;

    std::string dsn = build_dsn(input);
    size_t line_start = 0;
    for (size_t i = 0; i < dsn.size(); ++i) {
        if (dsn[i] == '\n') {
            FUZZ_CHECK(i > 0 && dsn[i - 1] == '\r');
            FUZZ_CHECK(i - 1 - line_start <= 998);
            line_start = i + 1;
        } else if (dsn[i] == '\r') {
            FUZZ_CHECK(i + 1 < dsn.size() && dsn[i + 1] == '\n');
        }
    }
    FUZZ_CHECK(dsn.size() - line_start <= 998);

    mail::MessageSummary s = mail::summarize_message(dsn);
    FUZZ_CHECK(s.root.type == "multipart" && s.root.subtype == "report");
    FUZZ_CHECK(s.root.parts.size() == 3);
    const mail::MimePart& report = s.root.parts[1];
    FUZZ_CHECK(report.type == "message");
    const bool eight_bit = dsn_body_type(dsn) != mail::BodyType::k7Bit;
    bool has_8bit = false;
    for (char c : dsn) has_8bit = has_8bit || static_cast<unsigned char>(c) >= 0x80;
    FUZZ_CHECK(eight_bit == has_8bit);
    return 0;
}
