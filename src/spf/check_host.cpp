#include "spf/check_host.hpp"

#include "spf/evaluation.hpp"
#include "util/ascii.hpp"

namespace ringpost::spf {
namespace {

// 4.3: an identity whose domain is not a fully qualified domain name (an
// address literal, one label, an empty or over-long label) has no policy.
bool valid_identity_domain(std::string_view domain) {
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    return !domain.empty() && domain.front() != '[' && domain.find('.') != std::string_view::npos &&
           queryable(domain);
}

io::Task<Verdict> run(dns::Lookup& dns, std::string ip_text, std::string local, std::string domain, std::string helo,
                      Options options) {
    Verdict verdict;
    if (local.empty()) local = "postmaster";   // 4.3
    verdict.domain = domain;
    verdict.sender = local + "@" + domain;
    auto ip = client_ip(ip_text);
    if (!ip) {
        verdict.problem = "not an IP address: " + ip_text;
        co_return verdict;
    }
    if (!valid_identity_domain(domain)) {
        verdict.problem = "not a domain name: " + domain;
        co_return verdict;
    }
    if (domain.back() == '.') domain.pop_back();
    MacroValues values;
    values.sender = verdict.sender;
    values.local = local;
    values.sender_domain = domain;
    values.ip = *ip;
    values.helo = std::move(helo);
    values.receiver = options.receiver;
    values.now = options.now;
    Evaluation evaluation(dns, std::move(values), options);
    auto checking = evaluation.check(util::ascii_lower(domain));
    Outcome outcome = co_await std::move(checking);
    verdict.result = outcome.result;
    verdict.problem = std::move(outcome.problem);
    if (outcome.result == Result::kFail && !outcome.exp.empty()) {
        auto explaining = evaluation.explain(std::move(outcome));
        verdict.explanation = co_await std::move(explaining);
    }
    verdict.queries = evaluation.queries();
    co_return verdict;
}

}  // namespace

io::Task<Verdict> check_mail_from(dns::Lookup& dns, Request request, Options options) {
    if (request.sender.empty()) {
        auto checking = check_helo(dns, std::move(request), std::move(options));
        co_return co_await std::move(checking);
    }
    const size_t at = request.sender.rfind('@');
    std::string local = at == std::string::npos ? request.sender : request.sender.substr(0, at);
    std::string domain = at == std::string::npos ? std::string() : request.sender.substr(at + 1);
    auto running = run(dns, std::move(request.ip), std::move(local), std::move(domain), std::move(request.helo),
                       std::move(options));
    co_return co_await std::move(running);
}

io::Task<Verdict> check_helo(dns::Lookup& dns, Request request, Options options) {
    std::string domain = request.helo;
    auto running = run(dns, std::move(request.ip), "postmaster", std::move(domain), std::move(request.helo),
                       std::move(options));
    co_return co_await std::move(running);
}

}  // namespace ringpost::spf
