"""Settings come from the environment; production refuses what is only safe locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import shop.settings as s; print(s.DEBUG, s.DATABASES['default']['NAME'], s.REDIS_URL)",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_with_the_development_secret_key():
    result = load_settings(DEBUG="0", ALLOWED_HOSTS="shop.example.com")

    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_a_real_key_and_hosts():
    result = load_settings(DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="shop.example.com")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False")


def test_database_and_redis_come_from_the_environment():
    result = load_settings(
        DATABASE_URL="postgres://u@db.internal:5433/store", REDIS_URL="redis://cache.internal:6380/2"
    )

    assert result.stdout.split() == ["True", "store", "redis://cache.internal:6380/2"]
