"""Dependencies point one way: the domain's models never reach the API layer or an app above.

The chain, lowest first: core <- accounts <- customers <- invoices <- payments <- credits
(credit notes and write-offs, spec 14) <- emails <- webhooks, with rates beside customers
(it knows organizations, nothing else). api, audit, reports, fintrack, demo and
backoffice sit above
every domain app. A models module may import its own app and the apps below it, never DRF,
drf-spectacular or django-filter, directly or through anything it imports (imports inside
functions count: they run too).

The walk reads the source files with `ast`, so nothing is imported to check it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each domain app and its level: an app may import apps of a lower or equal level only.
LEVELS = {
    "core": 0,
    "accounts": 1,
    "rates": 2,
    "customers": 2,
    "vendors": 2,
    "invoices": 3,
    "bills": 3,
    "expenses": 3,
    "payments": 4,
    "credits": 5,
    # The outbox's consumers: the e-mail log (it names invoices), then webhooks (which
    # e-mail the admins of an endpoint it disables).
    "emails": 6,
    "webhooks": 7,
    # Recurring invoices create invoices through the invoice's commands, e-mail included.
    "recurring": 7,
}
# Layers above every domain app: no models module of the chain may import them.
ABOVE = {"api", "audit", "reports", "fintrack", "demo", "backoffice"}
# Libraries of the HTTP layer that no models module may reach.
HTTP_LIBRARIES = ("rest_framework", "drf_spectacular", "drf_standardized_errors", "django_filters")


def module_file(module: str, root: Path) -> Path | None:
    """The project's source file of `module`, or None for a module outside the project."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path, module: str, root: Path) -> set[str]:
    """Every module `path` imports, anywhere in it, as absolute dotted names.

    `from package import name` yields `package.name` too when that is a module of the
    project (a submodule is imported that way as well as a package's attribute).
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module
            found.add(source)
            for alias in node.names:
                if module_file(f"{source}.{alias.name}", root):
                    found.add(f"{source}.{alias.name}")
    return found


def reachable(start: str, root: Path) -> dict[str, list[str]]:
    """Every module reachable from `start` by imports, each with the chain that reaches it.

    Project modules are followed; modules outside the project are recorded, not followed.
    """
    chains = {start: [start]}
    pending = [start]
    while pending:
        module = pending.pop()
        path = module_file(module, root)
        if path is None:
            continue
        for imported in sorted(imported_modules(path, module, root)):
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py as well.
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):
                name = ".".join(parts[:depth])
                if name not in chains:
                    chains[name] = [*chains[module], name]
                    pending.append(name)
    return chains


def layer_violations(app: str, root: Path = ROOT) -> list[str]:
    """What `app`'s models module reaches that it must not, each with its import chain."""
    level = LEVELS[app]
    problems = []
    for module, chain in reachable(f"{app}.models", root).items():
        top = module.split(".")[0]
        if top.startswith(HTTP_LIBRARIES):
            problems.append(f"reaches {top}: {' -> '.join(chain)}")
        elif top in ABOVE or LEVELS.get(top, -1) > level:
            problems.append(f"imports upward ({top}): {' -> '.join(chain)}")
    return sorted(problems)


DOMAIN_MODELS = sorted(app for app in LEVELS if module_file(f"{app}.models", ROOT))


@pytest.mark.parametrize("app", DOMAIN_MODELS)
def test_models_import_neither_the_api_libraries_nor_an_app_above(app):
    assert layer_violations(app) == []


def test_every_domain_models_module_is_walked():
    # A new domain app must be placed in the chain, or its models would go unchecked.
    apps_with_models = {path.parent.name for path in ROOT.glob("*/models.py")}
    assert apps_with_models - set(LEVELS) <= ABOVE
    assert {"accounts", "customers", "invoices", "payments", "credits", "rates"} <= set(
        DOMAIN_MODELS
    )


def test_core_imports_no_http_library_and_no_app():
    problems = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        if "tests" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for reached, chain in reachable(module, ROOT).items():
            top = reached.split(".")[0]
            if top.startswith(HTTP_LIBRARIES) or top in ABOVE or LEVELS.get(top, 0) > 0:
                problems.append(" -> ".join(chain))
    assert problems == []


# The walker itself, on a small project written for the purpose: each kind of violation is
# found, through a chain of imports, and a clean project passes.


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CLEAN = {
    "core/__init__.py": "",
    "core/money.py": "from decimal import Decimal\n",
    "accounts/__init__.py": "",
    "accounts/models.py": "from core.money import Decimal\n",
    "invoices/__init__.py": "",
    "invoices/exceptions.py": "from core import money\n",
    "invoices/models.py": "from accounts.models import Decimal\nfrom .exceptions import money\n",
    "payments/__init__.py": "",
    "payments/models.py": "def later():\n    from invoices import models\n",
    "api/__init__.py": "",
    "api/fields.py": "from rest_framework import serializers\n",
}


def test_the_walk_passes_a_project_whose_imports_point_down(tmp_path):
    root = write(tmp_path, CLEAN)
    for app in ("accounts", "invoices", "payments"):
        assert layer_violations(app, root) == []


def test_the_walk_finds_drf_reached_through_a_chain_of_imports(tmp_path):
    root = write(tmp_path, {**CLEAN, "core/money.py": "from api.fields import serializers\n"})
    problems = layer_violations("invoices", root)
    assert any("reaches rest_framework" in problem for problem in problems)
    assert any("invoices.exceptions -> core.money -> api.fields" in p for p in problems)


def test_the_walk_finds_an_import_up_the_chain_even_inside_a_function(tmp_path):
    lazy = "def later():\n    from payments.models import Payment\n"
    root = write(tmp_path, {**CLEAN, "accounts/models.py": lazy})
    problems = layer_violations("accounts", root)
    assert "imports upward (payments): accounts.models -> payments.models" in problems


def test_the_walk_follows_relative_imports(tmp_path):
    relative = "from .exceptions import money\nfrom . import helpers\n"
    root = write(
        tmp_path,
        {**CLEAN, "invoices/models.py": relative, "invoices/helpers.py": "import api.fields\n"},
    )
    assert any(
        p.endswith("invoices.models -> invoices.helpers -> api")
        for p in layer_violations("invoices", root)
    )
