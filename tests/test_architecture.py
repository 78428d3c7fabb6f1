"""The architecture rules hold, and the checks that enforce them can actually fail."""

from __future__ import annotations

import configparser
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def domain_modules(config_path: Path = ROOT / "importlinter.cfg") -> list[str]:
    config = configparser.ConfigParser()
    config.read(config_path)
    return config["importlinter:contract:domain-boundaries"]["modules"].split()


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "importlinter.cfg", "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code base to plant violations in."""
    shutil.copytree(
        ROOT / "shop", tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__", "templates", "static")
    )
    shutil.copy(ROOT / "importlinter.cfg", tmp_path / "importlinter.cfg")
    return tmp_path


def add_fake_domain(tree: Path) -> None:
    """A second domain, so the boundaries contract has a pair to check even with one real domain."""
    package = tree / "shop" / "fakedomain"
    package.mkdir()
    for name in ("__init__", "models", "services", "events"):
        (package / f"{name}.py").write_text("")
    config = (tree / "importlinter.cfg").read_text()
    (tree / "importlinter.cfg").write_text(config.replace("modules =\n", "modules =\n    shop.fakedomain\n", 1))


def test_the_code_base_keeps_every_import_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_another_domains_models_breaks_the_contract(tree: Path):
    add_fake_domain(tree)
    (tree / "shop" / "catalog" / "probe.py").write_text("from shop.fakedomain import models\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "Domains import each other only through services and events BROKEN" in result.stdout


def test_importing_another_domains_services_and_events_is_allowed(tree: Path):
    add_fake_domain(tree)
    (tree / "shop" / "catalog" / "probe.py").write_text("from shop.fakedomain import events, services\n")

    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("importer", "imported"), list(itertools.permutations(domain_modules(), 2)))
def test_every_pair_of_real_domains_is_guarded(tree: Path, importer: str, imported: str):
    path = tree / Path(*importer.split(".")) / "probe.py"
    path.write_text(f"import {imported}.models\n")

    result = lint_imports(tree)

    assert result.returncode != 0, f"{importer} could import {imported}.models unnoticed"


def test_the_shared_kernel_importing_a_domain_breaks_the_contract(tree: Path):
    (tree / "shop" / "core" / "probe.py").write_text("import shop.catalog.services\n")

    result = lint_imports(tree)

    assert "The shared kernel depends on no domain BROKEN" in result.stdout


def test_no_foreign_key_crosses_a_domain_boundary():
    crossings = [
        f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}"
        for model in apps.get_models()
        if model.__module__.startswith("shop.")
        for field in model._meta.get_fields()
        if field.is_relation
        and field.concrete
        and field.related_model is not None
        and field.related_model.__module__.startswith("shop.")  # Django's own apps (auth groups) are not domains
        and field.related_model._meta.app_label != model._meta.app_label
    ]

    assert crossings == []
