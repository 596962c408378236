"""The production stack for tests: gunicorn processes (deploy/gunicorn.conf.py) behind a real nginx running
the project's own deploy/nginx.conf, with TLS from a certificate made for the test.

`Nginx` renders deploy/nginx.conf with the test's ports and certificate (nothing else is changed) inside a
minimal main file of its own (pid, logs, temp paths, and an access log that names the upstream of each
request), and runs Debian's nginx binary as a child. `Gunicorn` is one chat process as shipped. `SourceRelay`
is a client "from another address": a loopback relay that connects to nginx from 127.0.0.N, since nginx sends
each client address to one process (sticky sessions).
"""
import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ROOT, free_port, live_env

REQUIRE_NGINX = os.environ.get("REQUIRE_NGINX") == "1"
CONFIG = ROOT / "deploy" / "nginx.conf"


def require_nginx():
    """nginx and gunicorn binaries, or a skip (a failure when REQUIRE_NGINX=1, as in CI)."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    missing = [name for name, found in (("nginx", nginx), ("gunicorn", gunicorn.exists())) if not found]
    if missing:
        why = f"{' and '.join(missing)} not installed (apt-get install nginx; pip install -e '.[prod]')"
        if REQUIRE_NGINX:
            pytest.fail(f"{why}, and REQUIRE_NGINX=1 (CI) forbids skipping")
        pytest.skip(why)
    return nginx, str(gunicorn)


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate path, key path); it is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                               x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = Path(directory) / "chat.crt", Path(directory) / "chat.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def wait_for(check, timeout, what):
    """Poll check() until it returns a true value (or raise after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


def accepts(port, host="127.0.0.1"):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Nginx:
    """deploy/nginx.conf, run by the real nginx on free ports in front of `upstream_ports`."""

    def __init__(self, binary, directory, upstream_ports, cert, key):
        self.binary, self.dir = binary, Path(directory)
        self.port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.access_log = self.dir / "access.log"
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=0;\n" for port in upstream_ports)
        text = re.sub(r"(    server 127\.0\.0\.1:500\d [^\n]*\n)+", lambda _m: servers, CONFIG.read_text())
        text = (text.replace("listen 443 ssl;", f"listen 127.0.0.1:{self.port} ssl;")
                .replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
                .replace("/etc/ssl/chat.example.com.crt", str(cert)).replace("/etc/ssl/chat.example.com.key", str(key)))
        assert text.count(str(cert)) == 1 and servers in text, "deploy/nginx.conf no longer has the expected shape"
        (self.dir / "chat.conf").write_text(text)
        temp = "".join(f"    {kind}_temp_path {self.dir / kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                                   "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {self.dir / 'nginx.pid'};\n"
            f"error_log {self.dir / 'error.log'};\n"
            "events { worker_connections 1024; }\n"
            "http {\n    log_format upstream '$remote_addr $upstream_addr $status \"$request\"';\n"
            f"    access_log {self.access_log} upstream;\n{temp}    include {self.dir / 'chat.conf'};\n}}\n")
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                         "-e", str(self.dir / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: accepts(self.port) or self.process.poll() is not None, 10, "nginx listening")
        assert self.process.poll() is None, (self.dir / "error.log").read_text()
        return self

    def upstream_of(self, remote_addr):
        """The upstream port nginx sent remote_addr's latest request to (from the access log)."""
        for line in reversed(self.access_log.read_text().splitlines()):
            source, upstream = line.split(" ", 2)[:2]
            if source == remote_addr and upstream != "-":
                return int(upstream.split(",")[-1].strip().rsplit(":", 1)[1])
        return None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Gunicorn:
    """One chat process as shipped: `gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:PORT wsgi:app`."""

    def __init__(self, binary, smtp, directory, **settings):
        self.binary, self.dir = binary, Path(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = live_env(smtp, self.port, **settings)
        self.log_path = self.dir / f"gunicorn-{self.port}.log"
        self.process = None

    def start(self, timeout=30):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{self.port}",
                 "wsgi:app"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.healthy() or self.process.poll() is not None, timeout, f"gunicorn on {self.port} up")
        assert self.process.poll() is None, self.log()
        return self

    def healthy(self):
        try:
            return requests.get(f"{self.url}/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def terminate(self):
        """SIGTERM to the master (what systemd's `stop` sends): the worker drains and exits."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout=30):
        return self.process.wait(timeout)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


class SourceRelay:
    """A loopback port whose connections reach `target_port` from `source` (e.g. 127.0.0.7): a client at
    another address, as nginx sees it. TLS passes through untouched."""

    def __init__(self, source, target_port):
        self.source, self.target_port = source, target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5,
                                                    source_address=(self.source, 0))
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):  # wakes the other direction's pump; closing twice is harmless
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self.listener.close()
