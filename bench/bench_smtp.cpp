// Microbenchmarks for the SMTP hot path: command and address parsing, the
// DATA dot decoder, and whole pipelined transactions through the session.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/dot_decoder.hpp"
#include "smtp/session.hpp"

using namespace ringpost;
using namespace ringpost::smtp;

namespace {

void BM_ParseCommand(benchmark::State& state) {
    const std::string_view lines[] = {
        "EHLO client.example.com", "MAIL FROM:<sender@example.com> SIZE=4096", "RCPT TO:<rcpt@example.net>",
        "DATA", "QUIT", "rset", "BDAT 4096 LAST",
    };
    for (auto _ : state) {
        for (std::string_view l : lines) benchmark::DoNotOptimize(parse_command(l));
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(std::size(lines)));
}
BENCHMARK(BM_ParseCommand);

const Extensions kExt{.esmtp = true, .chunking = true, .smtputf8 = true, .dsn = true};

void BM_ParseMailFrom(benchmark::State& state) {
    std::string_view arg = "FROM:<bounce-12345-user=example.org@lists.example.com> SIZE=48213 BODY=8BITMIME";
    MailFrom m;
    for (auto _ : state) {
        Reply r = parse_mail_from(arg, kExt, m);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ParseMailFrom);

void BM_ParseRcptTo(benchmark::State& state) {
    std::string_view arg = "TO:<first.last@sub.example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;first.last@sub.example.net";
    RcptTo r;
    for (auto _ : state) {
        Reply rep = parse_rcpt_to(arg, kExt, false, r);
        benchmark::DoNotOptimize(rep);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ParseRcptTo);

// A dot-stuffed message of about `size` bytes: 76-character CRLF lines, with
// a stuffed dot now and then, followed by the end marker.
std::string make_message(size_t size) {
    std::string m;
    m.reserve(size + 128);
    for (size_t i = 0; m.size() < size; ++i) {
        if (i % 50 == 7) m += "..";
        m.append(76, char('a' + i % 26));
        m += "\r\n";
    }
    m += ".\r\n";
    return m;
}

void BM_DotDecode(benchmark::State& state) {
    const std::string msg = make_message(size_t(state.range(0)));
    const size_t chunk = 4096;
    std::string out;
    out.reserve(msg.size());
    DotDecoder d;
    for (auto _ : state) {
        out.clear();
        d.reset();
        for (size_t pos = 0; pos < msg.size(); pos += chunk) {
            if (d.feed(std::string_view(msg).substr(pos, chunk), out).done) break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(msg.size()));
}
BENCHMARK(BM_DotDecode)->Arg(4096)->Arg(1 << 20);

class NullPolicy : public Policy {
public:
    RcptVerdict check_recipient(std::string_view, const ClientInfo&) override { return RcptVerdict::kAcceptRelay; }
    std::string new_queue_id() override { return "0123456789ABCDEF"; }
    int64_t now() override { return 1700000000; }
};

// One pipelined transaction (MAIL, RCPT, DATA with a 4 KiB body) per
// iteration through the whole session, fed in 4 KiB reads: messages/s.
void BM_SessionTransaction(benchmark::State& state) {
    NullPolicy policy;
    SessionConfig config;
    config.hostname = "mx.example.com";
    ClientInfo client{.ip = "192.0.2.1", .port = 40000, .tls = false, .authenticated = false};
    Session session(config, policy, client);
    std::string out;
    size_t consumed = 0;
    (void)session.feed("EHLO client.example.com\r\n", consumed, out);
    const std::string txn = "MAIL FROM:<sender@example.com> SIZE=4200\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n" +
                            make_message(4096);
    for (auto _ : state) {
        std::string_view in = txn;
        while (!in.empty()) {
            std::string_view chunk = in.substr(0, 4096);
            Event e = session.feed(chunk, consumed, out);
            in.remove_prefix(consumed);
            if (e == Event::kCommit) {
                AcceptedMessage m = session.take_message();
                benchmark::DoNotOptimize(m.data.data());
                session.committed(Result<void>(), out);
            }
        }
        out.clear();
    }
    state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_SessionTransaction);

}  // namespace

BENCHMARK_MAIN();
