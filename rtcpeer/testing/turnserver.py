"""Start and stop a real coturn ``turnserver`` for tests (STUN + TURN over UDP, TCP and TLS).

Usage::

    with CoturnServer.start() as server:          # raises CoturnUnavailable if not installed
        IceServer([server.url("turn", "udp")], server.username, server.password)
        ctx = server.ssl_context()                 # trusts the generated self-signed cert

The server runs in the foreground from a config written to a temporary directory: it listens on
127.0.0.1 only (UDP/TCP ``port``, TLS ``tls_port``; both picked free), relays on 127.0.0.1 in a
``min_port``..``max_port`` range, uses long-term credentials (one user) in ``realm``, adds
FINGERPRINT, has no CLI, and allows loopback peers. A self-signed ECDSA certificate for
``localhost``/127.0.0.1 is generated with :mod:`cryptography`. ``start()`` returns once the
server answers a STUN Binding request and accepts TCP and TLS connections; ``stop()``
terminates exactly that process (by its PID) and removes the directory.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TURNSERVER_CANDIDATES = ("turnserver", "/usr/bin/turnserver", "/usr/local/bin/turnserver")


class CoturnUnavailable(RuntimeError):
    """coturn's turnserver binary is not installed (or did not start)."""


def find_turnserver() -> str | None:
    for name in TURNSERVER_CANDIDATES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise OSError("no free port found")


def _self_signed(workdir: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = workdir / "cert.pem"
    key_path = workdir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _stun_binding_ok(port: int, timeout: float) -> bool:
    """Send one STUN Binding request to 127.0.0.1:port; True on any STUN response."""
    txid = os.urandom(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + txid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, ("127.0.0.1", port))
            data = sock.recv(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[8:20] == txid


def _tcp_ok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class CoturnServer:
    workdir: Path
    port: int
    tls_port: int
    min_port: int
    max_port: int
    cert_path: Path
    key_path: Path
    username: str = "rtcpeer"
    password: str = "rtcpeer-secret"
    realm: str = "rtcpeer.test"
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    # -- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        username: str = "rtcpeer",
        password: str = "rtcpeer-secret",
        realm: str = "rtcpeer.test",
        startup_timeout: float = 10.0,
        extra_config: list[str] | None = None,
    ) -> CoturnServer:
        binary = find_turnserver()
        if binary is None:
            raise CoturnUnavailable(
                "coturn is not installed: 'turnserver' was not found on PATH or in /usr/bin "
                "(apt-get install coturn)"
            )
        workdir = Path(tempfile.mkdtemp(prefix="rtcpeer-coturn-"))
        cert_path, key_path = _self_signed(workdir)
        port = _free_port()
        tls_port = _free_port()
        min_port = random.randrange(20000, 60000, 200)
        server = cls(
            workdir=workdir,
            port=port,
            tls_port=tls_port,
            min_port=min_port,
            max_port=min_port + 199,
            cert_path=cert_path,
            key_path=key_path,
            username=username,
            password=password,
            realm=realm,
        )
        conf = workdir / "turnserver.conf"
        conf.write_text("\n".join(server._config_lines() + (extra_config or [])) + "\n")
        log = open(workdir / "stdout.log", "wb")  # noqa: SIM115 - owned by the process
        server.process = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT, cwd=workdir
        )
        log.close()
        try:
            server._wait_ready(startup_timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _config_lines(self) -> list[str]:
        return [
            f"listening-ip={self.host}",
            f"relay-ip={self.host}",
            f"listening-port={self.port}",
            f"tls-listening-port={self.tls_port}",
            f"cert={self.cert_path}",
            f"pkey={self.key_path}",
            "lt-cred-mech",
            f"user={self.username}:{self.password}",
            f"realm={self.realm}",
            "fingerprint",
            "no-cli",
            "no-dtls",
            "no-rfc5780",
            "allow-loopback-peers",
            f"min-port={self.min_port}",
            f"max-port={self.max_port}",
            f"log-file={self.workdir / 'turnserver.log'}",
            "simple-log",
            f"pidfile={self.workdir / 'turnserver.pid'}",
            f"userdb={self.workdir / 'turndb'}",
        ]

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CoturnUnavailable(
                    f"turnserver exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if _stun_binding_ok(self.port, 0.2) and _tcp_ok(self.port) and _tcp_ok(self.tls_port):
                return
            time.sleep(0.05)
        raise CoturnUnavailable(f"turnserver did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> CoturnServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers ------------------------------------------------------------------------------

    def url(self, scheme: str = "turn", transport: str | None = None) -> str:
        """``stun:``, ``turn:`` (udp/tcp) or ``turns:`` URL of this server."""
        port = self.tls_port if scheme == "turns" else self.port
        base = f"{scheme}:{self.host}:{port}"
        return f"{base}?transport={transport}" if transport else base

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        ctx = ssl.create_default_context(cafile=str(self.cert_path))
        return ctx

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for name in ("turnserver.log", "stdout.log"):
            with contextlib.suppress(OSError):
                text += (self.workdir / name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])
