"""Property-based fuzz of the API from its own OpenAPI document (schemathesis, in-process).

Every operation gets generated requests (valid and invalid), signed in as a real user;
responses must never be 5xx and must conform to the documented status codes, media
types, headers and schemas. The example count is bounded to keep the suite fast.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conftest import JWT_SECRET, make_settings
from innovate_api.app import create_app

MAX_EXAMPLES = 40


def _operations() -> list[tuple[str, str]]:
    # The document needs no database; build it once at collection to parametrize.
    spec_app = create_app(
        make_settings("postgresql://spec@127.0.0.1:1/spec", jwt_secret=JWT_SECRET)
    )
    spec = spec_app.test_client().get("/api/openapi.json").get_json()
    return [(m.upper(), p) for p, item in spec["paths"].items() for m in item]


@pytest.mark.parametrize(("method", "path"), _operations())
def test_openapi_conformance(app, user, method, path):
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = api[path][method]
    headers = {"Authorization": user["Authorization"]}

    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        excluded = []
        if case.query and "cursor" in case.query:
            # Cursors are opaque server-issued tokens: a random string that fits the
            # documented pattern is still (correctly) a 422, not "valid data".
            excluded.append(positive_data_acceptance)
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
