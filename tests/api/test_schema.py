"""The published OpenAPI tells the truth: generated calls of every operation, as an
administrator and as a member, get no server error and only answers the schema declares.

Schemathesis generates the calls (valid and invalid ones) and sends them to the application
in this process; a bounded number per operation keeps the run short.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parley import db
from parley.accounts import service as accounts
from parley.app import create_app
from parley.settings import Settings
from tests import services
from tests.factories import PASSWORD

# Calls generated per operation and role: enough to reach the refusals, few enough to
# keep this file at about a minute on two cores.
EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations that end the credentials the run itself uses (a personal token revoked, an
# account disabled), or reach beyond this machine; their own tests cover them.
SKIPPED = {
    "DELETE /api/v1/tokens/{token_id}",
    "POST /api/v1/auth/logout",
    "PATCH /api/v1/users/{user_id}",
    # Calls the provider's own service, over the network.
    "POST /api/v1/admin/providers/{config_id}/test",
}


def _settings(path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{path / 'parley.db'}",
        var_dir=path / "var",
        secret_key="test-secret-key-not-for-production",
        public_url="http://testserver",
    )


def _operations() -> list[str]:
    """Every operation of the published schema, as "METHOD /path"."""
    schema = create_app(_settings(Path("/nonexistent"))).openapi()
    return [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
        if f"{method.upper()} {path}" not in SKIPPED
    ]


# The largest id the database holds (PostgreSQL's integer).
MAX_ID = 2**31 - 1


def _within_database_ids(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep generated path ids within the database's integer range.

    Ids beyond it are refused by their own item and tests; here they would only hide the
    answers to everything else. An id that declares its range keeps it.
    """
    for methods in schema["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                found = parameter.get("schema", {})
                if parameter["in"] == "path" and found.get("type") == "integer":
                    found.setdefault("maximum", MAX_ID)
    return schema


def _within_range(value: object) -> bool:
    return not isinstance(value, int) or -MAX_ID <= value <= MAX_ID


@dataclass
class Api:
    schema: Any
    app: Any
    tokens: dict[str, str]


async def _people(url: str) -> dict[str, str]:
    """An administrator and a member, each with a personal API token."""
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            tokens = {}
            for role in ("admin", "member"):
                user = await accounts.create(
                    db=session,
                    email=f"{role}@example.org",
                    display_name=role.title(),
                    password=PASSWORD,
                    is_admin=role == "admin",
                )
                _, tokens[role] = await accounts.create_api_token(
                    db=session, user=user, name="schema"
                )
            return tokens
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Api]:
    path = tmp_path_factory.mktemp("schema")
    shutil.copy(sqlite_template, path / "parley.db")
    config = _settings(path)
    tokens = services.run_async(lambda: _people(config.effective_database_url))
    app = create_app(config)
    schema = schemathesis.openapi.from_dict(_within_database_ids(app.openapi()))
    yield Api(schema=schema, app=app, tokens=tokens)
    asgi.shutdown_lifespans()


@pytest.mark.parametrize("role", ["admin", "member"])
@pytest.mark.parametrize("operation", _operations())
def test_operation_answers_as_declared(api: Api, operation: str, role: str) -> None:
    method, path = operation.split(" ", 1)
    endpoint = api.schema[path][method]
    cases = st.one_of(
        endpoint.as_strategy(GenerationMode.POSITIVE),
        endpoint.as_strategy(GenerationMode.NEGATIVE),
    )
    headers = {"authorization": f"Bearer {api.tokens[role]}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: Any) -> None:
        # Invalid calls may break the range too: those are not this test's subject either.
        assume(all(_within_range(value) for value in (case.path_parameters or {}).values()))
        response = case.call(app=api.app, headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
