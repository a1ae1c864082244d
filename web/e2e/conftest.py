"""Browser tests against the real local stack, started exactly as `make up` starts it.

services/api/scripts/local_stack.py brings up, in a throwaway state directory and on
free ports: PostgreSQL with TLS, the migrations, the API under gunicorn with the
production configuration, and the front server that serves web/dist with the headers of
web/security-headers.json and forwards /api/* to the API (the cloud's CloudFront).
Headless Debian chromium, driven by Playwright, talks to that one origin.

Every page records Content-Security-Policy violations (the browser's
securitypolicyviolation events and its console reports) and uncaught errors; a test
that caused any fails. Screenshots and axe reports go to WEB_E2E_ARTIFACTS.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
LOCAL_STACK = REPO / "services" / "api" / "scripts" / "local_stack.py"
DIST = REPO / "web" / "dist"
HEADERS = REPO / "web" / "security-headers.json"
CHROMIUM = Path(os.environ.get("WEB_E2E_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("WEB_E2E_ARTIFACTS", REPO / "reports" / "web-e2e"))
# The flags this machine's closed network needs (docs/web.md); Playwright adds --headless.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery staple"
BLOCKING_IMPACTS = {"serious", "critical"}
AXE_SCRIPT = Axe().axe_script
# A shared 2-core CI machine can be slow; a real failure still fails, only later.
expect.set_options(timeout=15_000)

# Reported to the test through an exposed binding, so it survives page loads.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__e2eCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _api_python() -> str:
    api_py = os.environ.get("WEB_E2E_API_PY")
    if not api_py or not Path(api_py).is_file():
        raise pytest.UsageError(
            "WEB_E2E_API_PY must name the API virtualenv's python (run `make web-e2e`)"
        )
    return api_py


@dataclass
class Stack:
    url: str
    api_py: str

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """A request to the front server (as a script would send it), for setup and checks."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310
                raw, status, headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            raw, status, headers = err.read(), err.code, dict(err.headers)
        is_json = "json" in headers.get("Content-Type", "")
        return status, headers, json.loads(raw) if raw and is_json else raw

    def register(self, email: str, password: str = PASSWORD) -> None:
        status, _, body = self.request(
            "POST", "/api/v1/auth/register", {"email": email, "password": password}
        )
        assert status == 201, body

    def token(self, email: str, password: str = PASSWORD) -> str:
        status, _, body = self.request(
            "POST", "/api/v1/auth/login", {"email": email, "password": password}
        )
        assert status == 200, body
        return str(body["access_token"])


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not (DIST / "index.html").is_file():
        raise pytest.UsageError(f"{DIST / 'index.html'} is missing: run `make web-bundle`")
    api_py = _api_python()
    base = Path(tempfile.mkdtemp(prefix="innovate-web-e2e-"))
    base.chmod(0o755)  # traversable by the postgres user when run as root
    state = base / "state"
    web_port = _free_port()
    env = dict(os.environ)
    # Every browser test comes from one client address (127.0.0.1): the per-client
    # sign-in/registration budget (20/min) is sized for people, not for a test run.
    env.setdefault("AUTH_CLIENT_PER_MINUTE", "600")
    env.setdefault("DEPLOYMENT_COLOR", "blue")
    env.setdefault("GUNICORN_WORKERS", "2")
    # These tests are about the SPA, not password hashing: argon2 at its cheapest, as in
    # the API's own tests (the production cost is the API's default).
    env.setdefault("PASSWORD_HASH_TIME_COST", "1")
    env.setdefault("PASSWORD_HASH_MEMORY_KIB", "8192")
    env.setdefault("PASSWORD_HASH_PARALLELISM", "1")

    def local_stack(command: str, *args: str) -> list[str]:
        return [api_py, str(LOCAL_STACK), command, "--state", str(state), *args]

    up = local_stack(
        "up",
        *("--port", str(_free_port()), "--pg-port", str(_free_port())),
        *("--web-dist", str(DIST), "--web-headers", str(HEADERS), "--web-port", str(web_port)),
    )
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            up, env=env, cwd=REPO, capture_output=True, text=True, timeout=180, check=False
        )
        if result.returncode != 0:
            logs = "".join(
                f"\n--- {p}\n{p.read_text()[-3000:]}" for p in state.rglob("*.log") if p.is_file()
            )
            pytest.fail(f"local stack did not start:\n{result.stdout}{result.stderr}{logs}")
        url = (state / "web" / "url").read_text().strip()
        assert url == f"http://127.0.0.1:{web_port}"
        yield Stack(url=url, api_py=api_py)
    finally:
        subprocess.run(  # noqa: S603 - fixed argv
            local_stack("down"), cwd=REPO, capture_output=True, timeout=120, check=False
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright, stack: Stack) -> Iterator[Browser]:
    # Depends on the stack so that it closes first: no open connection delays `down`.
    if not CHROMIUM.is_file():
        raise pytest.UsageError(f"{CHROMIUM} is missing: run `make web-chromium`")
    # A new, empty profile per launch (Playwright's default): nothing carries over.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class PageWatch:
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def new_page(browser: Browser, stack: Stack, watch: PageWatch) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts (no shared cookies or storage), each watched for
    CSP violations and uncaught errors; the test fails if any page saw one."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(base_url=stack.url, viewport=viewport or DESKTOP)
        contexts.append(context)
        context.expose_binding("__e2eCspViolation", lambda _source, text: watch.csp.append(text))
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                watch.csp.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(
    new_page: Callable[..., Page], watch: PageWatch, request: pytest.FixtureRequest
) -> Iterator[Page]:
    yield new_page()
    _assert_clean(watch, request.node.name)


def _assert_clean(watch: PageWatch, name: str) -> None:
    assert not watch.csp, f"{name}: Content-Security-Policy violations: {watch.csp}"
    assert not watch.errors, f"{name}: uncaught page errors: {watch.errors}"


def unique_email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(4)}@example.test"


def check_accessibility(page: Page, view: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    # axe-core as axe-playwright-python ships it, injected once per document (through
    # the DevTools protocol, which the page's CSP does not govern) and reused.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{view}.json").write_text(json.dumps(violations, indent=2))
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{view}: axe found serious/critical violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"])
        for v in blocking
    )


def screenshot(page: Page, view: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"spa-{re.sub(r'[^a-z0-9-]', '-', view)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_view(page: Page, view: str) -> None:
    """Every view: accessible (axe) and recorded (screenshot)."""
    check_accessibility(page, view)
    screenshot(page, view)
