#include "cli/dkim_keygen.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "admin/admin.hpp"
#include "dkim/key.hpp"
#include "cli/internal.hpp"

namespace ringpost::cli {
namespace {

// A domain or selector as the DNS name it becomes part of: labels of
// letters, digits and hyphens (RFC 6376 3.1), dot-separated.
bool valid_dns_name(const std::string& s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos)
        return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    return true;
}

// Creates the file, mode 0600, refusing an existing one: a key that
// signs live mail is never replaced by accident.
bool write_new_file(const std::string& path, const std::string& data, std::string& error) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            error = dir.string() + ": " + ec.message();
            return false;
        }
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno) + (errno == EEXIST ? " (a key is never overwritten; remove it first)" : "");
        return false;
    }
    const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
    if (!ok) error = path + ": " + std::strerror(errno);
    ::close(fd);
    return ok;
}

}  // namespace

CLI::App* add_dkim_keygen(CLI::App& app, DkimKeygenArgs& args) {
    CLI::App* dkim = app.add_subcommand("dkim", "DKIM signing keys");
    dkim->require_subcommand(1);
    CLI::App* keygen = dkim->add_subcommand("keygen", "generate a signing key and print its DNS TXT record");
    keygen->add_option("domain", args.domain, "the signing domain (d=)")->required();
    keygen->add_option("selector", args.selector, "the selector (s=), e.g. s2026")->required();
    keygen->add_option("--type", args.type, "rsa (default) or ed25519")->check(CLI::IsMember({"rsa", "ed25519"}));
    keygen->add_option("--bits", args.bits, "RSA key size (default 2048)")->check(CLI::Range(1024, 8192));
    keygen->add_option("--out", args.out, "key file (default: <dkim.key_dir>/DOMAIN/SELECTOR.pem; key_dir defaults to <data_dir>/dkim)")->type_name("FILE");
    return keygen;
}

int run_dkim_keygen(const config::Config& config, const DkimKeygenArgs& args) {
    if (!valid_dns_name(args.domain)) return fail(admin::kExitUsage, "\"" + args.domain + "\" is not a domain name");
    if (!valid_dns_name(args.selector))
        return fail(admin::kExitUsage, "\"" + args.selector + "\" is not a valid selector (letters, digits, '-', '.')");
    const auto algorithm = args.type == "ed25519" ? dkim::Algorithm::kEd25519Sha256 : dkim::Algorithm::kRsaSha256;
    auto key = dkim::SigningKey::generate(algorithm, args.bits);
    if (!key) return fail(admin::kExitFailure, key.error().message);
    auto pem = key->private_pem();
    auto record = key->dns_record();
    if (!pem || !record) return fail(admin::kExitFailure, (!pem ? pem.error() : record.error()).message);
    const std::string path =
        args.out.empty() ? config.dkim.key_dir + "/" + args.domain + "/" + args.selector + ".pem" : args.out;
    std::string error;
    if (!write_new_file(path, *pem, error)) return fail(admin::kExitFailure, error);
    std::printf("wrote %s (%s%s)\npublish this TXT record:\n%s\n", path.c_str(), args.type.c_str(),
                algorithm == dkim::Algorithm::kRsaSha256 ? (", " + std::to_string(key->bits()) + " bits").c_str() : "",
                dkim::zone_file_line(args.domain, args.selector, *record).c_str());
    return admin::kExitOk;
}

}  // namespace ringpost::cli
