"""Configuration file handling: `ringpost check-config` and `--help`."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness

# The sample file from the specification (issue 2), verbatim.
SAMPLE = """\
hostname = "mx.example.test"
data_dir = "./ringpost-data"
threads = 0                      # 0 = one per core

[smtp]
listen = ["127.0.0.1:2525"]
max_message_size = 26214400
max_recipients = 1000
max_connections = 20000
max_connections_per_ip = 1000

[relay]
local_domains = ["example.test", "localhost"]
relay_networks = ["127.0.0.0/8", "::1/128"]
"""

# Every key the specification names, with non-default values.
FULL = """\
hostname = "mx.example.test"
data_dir = "./ringpost-data"
threads = 2
admin_socket = "./admin.sock"

[smtp]
listen = ["127.0.0.1:2525", "[::1]:2525"]
max_message_size = 1048576
max_recipients = 50
max_connections = 100
max_connections_per_ip = 10
max_bad_commands = 5
command_timeout = "5m"
data_timeout = 120
shutdown_grace = 3

[relay]
local_domains = ["example.test", "localhost"]
relay_networks = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "2001:db8::/32"]

[log]
level = "debug"
"""


class CheckConfigTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ringpost-it-cfg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_cli(self, *args, text=None, name="ringpost.toml"):
        path = os.path.join(self.tmp, name)
        if text is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        argv = [harness.ringpost_bin()] + list(args) + ["--config", path]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.tmp, timeout=30)
        return harness.CliResult(argv[1:], p.returncode, p.stdout, p.stderr)

    def test_sample_config_loads(self):
        r = self.run_cli("check-config", text=SAMPLE)
        self.assertEqual(r.returncode, 0, "the sample config from the spec must load:\n" + r.describe())

    def test_all_documented_keys_load(self):
        r = self.run_cli("check-config", text=FULL)
        self.assertEqual(r.returncode, 0, "a config using every documented key must load:\n" + r.describe())

    def check_bad(self, text, needle, what):
        r = self.run_cli("check-config", text=text)
        self.assertEqual(r.returncode, 2, "%s: expected exit 2\n%s" % (what, r.describe()))
        msg_lines = [l for l in (r.err + r.out).splitlines() if l.strip()]
        self.assertEqual(len(msg_lines), 1, "%s: expected exactly one line of message\n%s" % (what, r.describe()))
        self.assertIn(needle, msg_lines[0], "%s: the message must name %r\n%s" % (what, needle, r.describe()))

    def test_unknown_key_in_section(self):
        self.check_bad(SAMPLE.replace("max_recipients = 1000", "max_recipients = 1000\nmax_recipents = 7"),
                       "max_recipents", "unknown key in [smtp]")

    def test_unknown_top_level_key(self):
        self.check_bad("hostnam = \"x.test\"\n" + SAMPLE, "hostnam", "unknown top-level key")

    def test_unknown_key_in_relay(self):
        self.check_bad(SAMPLE + "relay_nets = [\"10.0.0.0/8\"]\n", "relay_nets", "unknown key in [relay]")

    def test_bad_value_names_key(self):
        self.check_bad(SAMPLE.replace("max_recipients = 1000", "max_recipients = \"many\""),
                       "max_recipients", "string for an integer key")

    def test_bad_network_names_key(self):
        self.check_bad(SAMPLE.replace('"::1/128"]', '"::1/129"]'), "relay_networks", "invalid CIDR")

    def test_toml_syntax_error(self):
        r = self.run_cli("check-config", text=SAMPLE + "[smtp\n")
        self.assertEqual(r.returncode, 2, "TOML syntax error: expected exit 2\n" + r.describe())

    def test_missing_file(self):
        r = self.run_cli("check-config", name="does-not-exist.toml")
        self.assertEqual(r.returncode, 2, "missing config file: expected exit 2\n" + r.describe())

    def test_defaults_print_a_file_that_loads(self):
        # A broken ringpost.toml in the working directory does not matter:
        # the defaults are printed without reading any file.
        with open(os.path.join(self.tmp, "ringpost.toml"), "w", encoding="utf-8") as f:
            f.write("[smtp\n")
        p = subprocess.run([harness.ringpost_bin(), "check-config", "--defaults"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=self.tmp, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        out = p.stdout.decode()
        for line in ("[smtp]", "max_recipients = 1000", "[delivery.tls]", 'default = "may"', "[imaps]"):
            self.assertIn("\n" + line + "\n", out, "--defaults output lacks %r:\n%s" % (line, out))
        r = self.run_cli("check-config", text=out, name="defaults.toml")
        self.assertEqual(r.returncode, 0, "the printed defaults must load:\n" + r.describe())
        self.assertIn("listen: 127.0.0.1:2525", r.out)

    def test_help_everywhere(self):
        for sub in (["--help"], ["serve", "--help"], ["check-config", "--help"], ["user", "--help"],
                    ["user", "add", "--help"], ["queue", "--help"], ["queue", "show", "--help"],
                    ["mailbox", "--help"], ["mailbox", "list", "--help"]):
            p = subprocess.run([harness.ringpost_bin()] + sub, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=self.tmp, timeout=30)
            self.assertEqual(p.returncode, 0, "ringpost %s: exit %d\n%s%s" % (" ".join(sub), p.returncode,
                                                                              p.stdout.decode(), p.stderr.decode()))
            self.assertTrue(p.stdout.strip(), "ringpost %s printed no help on stdout" % " ".join(sub))

    def test_unknown_subcommand_is_usage_error(self):
        p = subprocess.run([harness.ringpost_bin(), "frobnicate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=self.tmp, timeout=30)
        self.assertEqual(p.returncode, 2, "unknown subcommand: exit %d, expected 2\n%s" % (p.returncode, p.stderr.decode()))


if __name__ == "__main__":
    unittest.main()
