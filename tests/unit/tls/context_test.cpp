// The self-signed certificate (generated once, kept after; key mode 0600;
// the name in CN and subjectAltName) and the contexts' errors: each names
// the file or setting at fault and carries OpenSSL's reason.
#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

#include "tls/self_signed.hpp"
#include "tls_test_util.hpp"

using namespace ringpost;
using namespace ringpost::tls;
using ringpost::tls::testing::Certs;
using ringpost::tls::testing::client_config;
using ringpost::tls::testing::server_config;
using ringpost::tls::testing::TempDir;

namespace {

X509* read_cert(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return nullptr;
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return x;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(SelfSigned, GeneratesOnceWithPrivateKeyAndHostName) {
    TempDir dir;
    const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
    auto first = ensure_self_signed(cert, key, "mx.example.test");
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_TRUE(*first);

    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(cert.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);

    X509* x = read_cert(cert);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(X509_check_host(x, "mx.example.test", 0, 0, nullptr), 1);
    EXPECT_NE(X509_check_host(x, "other.example.test", 0, 0, nullptr), 1);
    // About ten years.
    std::time_t nine_years = std::time(nullptr) + 9L * 365 * 24 * 3600;
    EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(x), &nine_years), 1);
    X509_free(x);

    // Both present: left alone.
    auto second = ensure_self_signed(cert, key, "mx.example.test");
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(*second);

    // The generated pair loads as a server context.
    auto ctx = ServerContext::create(server_config(cert, key));
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    EXPECT_NE(ctx.value()->summary().find("CN=mx.example.test"), std::string::npos) << ctx.value()->summary();
}

TEST(SelfSigned, RegeneratesWhenOneFileIsMissing) {
    Certs certs;
    std::remove(certs.key.c_str());
    auto r = ensure_self_signed(certs.cert, certs.key, "mx.example.test");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(*r);
    EXPECT_TRUE(ServerContext::create(server_config(certs.cert, certs.key)).ok());
}

TEST(SelfSigned, IpLiteralBecomesIpSubjectAltName) {
    Certs certs("127.0.0.1");
    X509* x = read_cert(certs.cert);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    X509_free(x);
}

TEST(SelfSigned, MissingDirectoryIsAClearError) {
    auto r = ensure_self_signed("/nonexistent-dir/cert.pem", "/nonexistent-dir/key.pem", "mx");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent-dir/key.pem"), std::string::npos) << r.error().message;
}

TEST(ServerContextErrors, MissingFilesAreNamed) {
    Certs certs;
    auto r = ServerContext::create(server_config("/nonexistent/cert.pem", certs.key));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/cert.pem"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("No such file or directory"), std::string::npos) << r.error().message;

    r = ServerContext::create(server_config(certs.cert, "/nonexistent/key.pem"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/key.pem"), std::string::npos) << r.error().message;
}

TEST(ServerContextErrors, GarbageFilesCarryOpenSslReason) {
    Certs certs;
    TempDir dir;
    const std::string junk = dir.file("junk.pem");
    write_file(junk, "this is not PEM\n");

    auto r = ServerContext::create(server_config(junk, certs.key));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("certificate chain " + junk), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("no start line"), std::string::npos) << r.error().message;

    r = ServerContext::create(server_config(certs.cert, junk));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("private key " + junk), std::string::npos) << r.error().message;
}

TEST(ServerContextErrors, KeyOfAnotherCertificateIsRejected) {
    Certs a, b;
    auto r = ServerContext::create(server_config(a.cert, b.key));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("does not match"), std::string::npos) << r.error().message;
}

TEST(ServerContextErrors, BadVersionsAndCiphers) {
    Certs certs;
    ServerConfig c = server_config(certs.cert, certs.key);
    c.min_version = "TLSv1.0";
    auto r = ServerContext::create(c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLSv1.0"), std::string::npos) << r.error().message;

    c.min_version = "TLSv1.3";
    c.max_version = "TLSv1.2";
    EXPECT_FALSE(ServerContext::create(c).ok());

    c = server_config(certs.cert, certs.key);
    c.ciphers = "NO-SUCH-CIPHER";
    r = ServerContext::create(c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("ciphers 'NO-SUCH-CIPHER'"), std::string::npos) << r.error().message;

    c = server_config(certs.cert, certs.key);
    c.ciphersuites = "TLS_NO_SUCH_SUITE";
    EXPECT_FALSE(ServerContext::create(c).ok());

    c = server_config(certs.cert, certs.key);
    c.min_version = "TLSv1.3";
    c.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
    EXPECT_TRUE(ServerContext::create(c).ok());
}

TEST(ClientContextErrors, MissingOrBadCaFile) {
    auto r = ClientContext::create(client_config("/nonexistent/ca.pem"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/ca.pem"), std::string::npos) << r.error().message;

    TempDir dir;
    write_file(dir.file("ca.pem"), "garbage\n");
    r = ClientContext::create(client_config(dir.file("ca.pem")));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("CA file " + dir.file("ca.pem")), std::string::npos) << r.error().message;

    EXPECT_TRUE(ClientContext::create(client_config()).ok());   // the system trust store
}
