"""The launcher behind ``make run`` / ``make test``: its decisions, not its servers.

Starting embedded PostgreSQL takes seconds, so these tests cover what is decided from the
environment and how processes are supervised, with throwaway Python processes as children.
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys

import pytest

from scripts import devstack
from scripts.devstack import (
    Child,
    Console,
    DevstackError,
    EmbeddedPostgres,
    EmbeddedRedis,
    SharedServers,
    Stack,
    StopSignals,
    Supervisor,
)

SYSTEM_DB = "postgres://postgres@127.0.0.1:5432/shop"
SYSTEM_REDIS = "redis://127.0.0.1:6379/0"


def test_bare_machine_embeds_both_servers_on_their_own_ports():
    stack = Stack.from_env({})

    assert stack.embed_postgres
    assert stack.embed_redis
    assert stack.database_url == "postgres://postgres@127.0.0.1:54329/shop"
    assert stack.redis_url == "redis://127.0.0.1:63799/0"
    assert stack.var_dir == devstack.BASE_DIR / "var"
    assert stack.store_url("/admin/") == "http://127.0.0.1:8000/admin/"
    servers = devstack.embedded_servers(stack)
    assert [type(server) for server in servers] == [EmbeddedPostgres, EmbeddedRedis]
    assert servers[0].data_dir == stack.var_dir / "postgres"
    assert servers[1].data_dir == (stack.var_dir / "redis").resolve()


def test_configured_servers_are_used_and_nothing_is_started():
    stack = Stack.from_env({"DATABASE_URL": SYSTEM_DB, "REDIS_URL": SYSTEM_REDIS})

    assert (stack.embed_postgres, stack.embed_redis) == (False, False)
    assert (stack.database_url, stack.redis_url) == (SYSTEM_DB, SYSTEM_REDIS)
    assert devstack.embedded_servers(stack) == []


@pytest.mark.parametrize(
    ("env", "embedded"),
    [
        ({"DATABASE_URL": SYSTEM_DB}, [EmbeddedRedis]),
        ({"REDIS_URL": SYSTEM_REDIS}, [EmbeddedPostgres]),
        ({"DATABASE_URL": "", "REDIS_URL": ""}, [EmbeddedPostgres, EmbeddedRedis]),
    ],
)
def test_each_server_is_embedded_exactly_when_its_variable_is_unset_or_empty(env, embedded):
    stack = Stack.from_env(env)

    assert [type(server) for server in devstack.embedded_servers(stack)] == embedded


def test_ports_and_data_directory_come_from_the_environment(tmp_path):
    stack = Stack.from_env(
        {"DEVSTACK_POSTGRES_PORT": "6001", "DEVSTACK_REDIS_PORT": "6002", "PORT": "9000", "SHOP_VAR_DIR": str(tmp_path)}
    )

    assert stack.database_url == "postgres://postgres@127.0.0.1:6001/shop"
    assert stack.redis_url == "redis://127.0.0.1:6002/0"
    assert stack.store_url() == "http://127.0.0.1:9000/"
    assert stack.var_dir == tmp_path


def test_a_relative_data_directory_is_relative_to_the_project():
    assert Stack.from_env({"SHOP_VAR_DIR": "var-other"}).var_dir == devstack.BASE_DIR / "var-other"


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "65536", "80.5"])
def test_a_nonsense_port_is_refused_before_anything_starts(raw):
    with pytest.raises(DevstackError, match="DEVSTACK_REDIS_PORT"):
        Stack.from_env({"DEVSTACK_REDIS_PORT": raw})


def test_children_get_the_urls_of_the_servers_in_use():
    env = {"HOME": "/home/dev", "DATABASE_URL": SYSTEM_DB}

    child_env = Stack.from_env(env).child_env(env)

    assert child_env == {
        "HOME": "/home/dev",
        "DATABASE_URL": SYSTEM_DB,
        "REDIS_URL": "redis://127.0.0.1:63799/0",
        **devstack.EMULATOR_STRIPE_ENV,
        "STRIPE_API_BASE": "http://127.0.0.1:12111",
        "SITE_URL": "http://127.0.0.1:8000",
        "FULFILLMENT_SIM_WEBHOOK_URL": "http://127.0.0.1:8000/api/v1/fulfillment/carriers/simex/webhook",
    }


def test_without_stripe_keys_the_payments_emulator_runs_with_the_store(tmp_path):
    stack = Stack.from_env({"SHOP_VAR_DIR": str(tmp_path), "PAYMENTS_EMULATOR_PORT": "12345"})

    [emulator] = [child for child in devstack.store_processes(stack, python="py") if child.name == "payments"]

    assert emulator.argv[:5] == ("py", "-m", "payments_emulator", "--port", "12345")
    assert emulator.argv[5:] == (
        "--data",
        str(tmp_path / "payments-emulator.sqlite3"),
        "--webhook-url",
        "http://127.0.0.1:8000/api/v1/payments/webhook",
        "--webhook-secret",
        stack.child_env({})["STRIPE_WEBHOOK_SECRET"],
    )
    assert stack.child_env({})["STRIPE_API_BASE"] == "http://127.0.0.1:12345"


def test_with_stripe_keys_the_store_talks_to_stripe_and_no_emulator_runs():
    env = {"STRIPE_SECRET_KEY": "sk_live_from_the_environment"}
    stack = Stack.from_env(env)

    assert "payments" not in [child.name for child in devstack.store_processes(stack)]
    assert stack.child_env(env)["STRIPE_SECRET_KEY"] == "sk_live_from_the_environment"
    assert "STRIPE_API_BASE" not in stack.child_env(env)


def test_store_processes_are_named_commands_on_the_configured_port(tmp_path):
    stack = Stack.from_env({"PORT": "9000", "SHOP_VAR_DIR": str(tmp_path)})

    children = {child.name: child.argv for child in devstack.store_processes(stack, python="py")}

    assert list(children) == ["web", "worker", "beat", "payments"]
    assert children["web"] == ("py", "-m", "gunicorn", "shop.wsgi", "-b", "127.0.0.1:9000", "--workers", "3")
    assert children["worker"][:5] == ("py", "-m", "celery", "-A", "shop")
    assert children["beat"][-2:] == ("-s", str(tmp_path / "celerybeat-schedule"))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://shop:s3cret@db:5432/shop", "postgres://shop:***@db:5432/shop"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        (SYSTEM_DB, SYSTEM_DB),
    ],
)
def test_passwords_never_reach_the_terminal(url, shown):
    assert devstack.redact(url) == shown


def test_a_missing_database_is_created_from_the_same_servers_postgres_database():
    url = "postgres://shop:pw@db.internal:6543/shop%2Dstaging?sslmode=require"

    assert devstack.database_name(url) == "shop-staging"
    assert devstack.maintenance_url(url) == "postgres://shop:pw@db.internal:6543/postgres?sslmode=require"


def test_embedded_redis_persists_under_var_with_paths_quoted(tmp_path):
    server = EmbeddedRedis(tmp_path / 'my "data"', 63799)

    config = server.config().splitlines()

    assert "port 63799" in config
    assert "bind 127.0.0.1" in config
    assert "appendonly yes" in config
    assert f'dir "{tmp_path}/my \\"data\\""' in config


def test_only_the_last_launcher_out_stops_the_servers(tmp_path):
    run, test = SharedServers(tmp_path), SharedServers(tmp_path)
    run.join()
    test.join()

    assert test.leave() is False  # `make run` still uses them
    assert run.leave() is True


def test_a_launcher_that_died_does_not_keep_the_servers_running(tmp_path):
    holder = (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_SH); "
        "print('joined', flush=True); time.sleep(60)"
    )
    launcher = SharedServers(tmp_path)
    argv = [sys.executable, "-c", holder, str(tmp_path / "devstack.users")]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as crashed:
        assert crashed.stdout.readline() == "joined\n"
        launcher.join()
        assert launcher.leave() is False
        crashed.kill()

    launcher.join()

    assert launcher.leave() is True


def python_child(name: str, code: str) -> Child:
    return Child(name, (sys.executable, "-c", code))


def test_when_one_process_ends_everything_stops_with_a_message():
    output = io.StringIO()
    children = [
        python_child("quick", "print('hello', flush=True)"),
        python_child("sleeper", "import time; time.sleep(60)"),
    ]
    supervisor = Supervisor(children, {}, Console(["quick", "sleeper"], output), StopSignals())

    status = supervisor.run(is_ready=lambda: False, on_ready=lambda: None)

    assert status == 1
    assert all(process.poll() is not None for _, process in supervisor.running)
    lines = output.getvalue().splitlines()
    assert "quick    | hello" in lines
    assert "devstack | quick exited with status 0; stopping everything" in lines


def test_a_stop_signal_stops_every_process_and_is_not_a_failure():
    output = io.StringIO()
    signals = StopSignals()
    ready = []
    supervisor = Supervisor(
        [python_child("sleeper", "import time; time.sleep(60)")], {}, Console(["sleeper"], output), signals
    )

    def answer_then_interrupt() -> bool:
        signals.received = signal.SIGINT
        return True

    status = supervisor.run(is_ready=answer_then_interrupt, on_ready=lambda: ready.append(True))

    assert status == 0
    assert ready == [True]
    assert supervisor.running[0][1].returncode == -signal.SIGTERM
    assert "devstack | SIGINT received, stopping" in output.getvalue().splitlines()


def test_start_up_time_counts_from_make_when_it_says_so():
    assert devstack.started_at({"DEVSTACK_STARTED_AT": "1700000000.5"}) == 1700000000.5
    assert devstack.started_at({"DEVSTACK_STARTED_AT": "soon"}) > 1700000000
