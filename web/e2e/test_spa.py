"""The SPA in headless chromium against the real local stack (conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from conftest import (
    HEADERS,
    PASSWORD,
    Stack,
    check_accessibility,
    check_view,
    unique_email,
)


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    if not page.url.endswith("/sign-in"):
        page.goto("/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def add_note(page: Page, title: str, body: str = "") -> None:
    new = page.locator("form.note-form").first
    new.get_by_label("Title").fill(title)
    new.get_by_label("Note").fill(body)
    new.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def test_sign_up_sign_in_create_edit_delete_sign_out(page: Page) -> None:
    email = unique_email("journey")
    page.goto("/sign-up")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_view(page, "sign-up")

    sign_up(page, email)
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_text("Account created. Sign in with your new password.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    check_view(page, "sign-in")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/notes$"))
    expect(page.get_by_role("heading", name="My notes")).to_be_visible()
    expect(page.get_by_text("No notes yet.")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    check_view(page, "notes-empty")

    add_note(page, "Quarterly plan", "Hire two engineers.\nShip the SPA.")
    add_note(page, "Groceries", "Coffee, oat milk")
    expect(page.get_by_role("status")).to_have_text("Note “Groceries” added.")
    check_view(page, "notes")

    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Groceries"))
    item.get_by_role("button", name="Edit “Groceries”").click()
    edit = item.locator("form")
    expect(edit.get_by_label("Title")).to_have_value("Groceries")
    edit.get_by_label("Title").fill("Groceries for Friday")
    edit.get_by_label("Note").fill("Coffee, oat milk, bread")
    check_view(page, "notes-edit")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Groceries for Friday")).to_be_visible()
    expect(page.get_by_text("Coffee, oat milk, bread")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Note “Groceries for Friday” saved.")

    # The edit reached the server: a fresh load shows it.
    page.get_by_role("link", name="About").click()
    expect(page.get_by_role("heading", name="About this deployment")).to_be_visible()
    page.get_by_role("link", name="Notes").click()
    expect(page.get_by_role("heading", name="Groceries for Friday")).to_be_visible()

    page.get_by_role("button", name="Delete “Quarterly plan”").click()
    expect(page.get_by_role("status")).to_have_text("Note “Quarterly plan” deleted.")
    expect(page.get_by_role("heading", name="Quarterly plan")).to_have_count(0)
    expect(page.get_by_role("heading", name="Groceries for Friday")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    # Signed out means signed out: the notes view needs signing in again.
    page.goto("/notes")
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def test_token_is_kept_in_memory_only(page: Page, stack: Stack) -> None:
    email = unique_email("memory")
    stack.register(email)
    sign_in(page, email)
    expect(page.get_by_role("heading", name="My notes")).to_be_visible()
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
        " document.cookie])"
    )
    assert json.loads(stored) == [[], [], ""]
    # A reload forgets the session (the price of keeping the token out of storage).
    page.reload()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def test_bad_sign_in_shows_an_error(page: Page, stack: Stack) -> None:
    email = unique_email("bad")
    stack.register(email)
    sign_in(page, email, "not the password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Invalid email or password.")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_view(page, "sign-in-error")


def test_api_field_errors_are_shown_beside_the_field(page: Page, stack: Stack) -> None:
    taken = unique_email("taken")
    stack.register(taken)
    sign_up(page, "not-an-email")
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields.")
    expect(page.locator(".field-error")).to_contain_text("not a valid email address")
    check_accessibility(page, "sign-up-invalid")

    sign_up(page, taken)
    expect(page.get_by_role("alert")).to_have_text("An account with this email already exists.")


def test_users_never_see_each_others_notes(
    new_page: Callable[..., Page], stack: Stack, page: Page
) -> None:
    alice, bob = unique_email("alice"), unique_email("bob")
    stack.register(alice)
    stack.register(bob)
    sign_in(page, alice)
    add_note(page, "Alice's secret", "only for Alice")

    other = new_page()
    sign_in(other, bob)
    expect(other.get_by_role("heading", name="My notes")).to_be_visible()
    expect(other.get_by_text("No notes yet.")).to_be_visible()
    add_note(other, "Bob's list")
    expect(other.get_by_text("Alice's secret")).to_have_count(0)

    page.reload()  # signs Alice out (token in memory); sign in again and look
    sign_in(page, alice)
    expect(page.get_by_role("heading", name="Alice's secret")).to_be_visible()
    expect(page.get_by_text("Bob's list")).to_have_count(0)

    # Nor through the API with Bob's token: another's note is indistinguishable from none.
    token = stack.token(bob)
    _, _, listing = stack.request("GET", "/api/v1/notes?limit=100", token=token)
    assert [n["title"] for n in listing["items"]] == ["Bob's list"]


def test_notes_are_paginated(page: Page, stack: Stack) -> None:
    email = unique_email("pages")
    stack.register(email)
    token = stack.token(email)
    for i in range(1, 13):
        status, _, body = stack.request(
            "POST", "/api/v1/notes", {"title": f"Note {i:02d}", "body": ""}, token=token
        )
        assert status == 201, body
    sign_in(page, email)
    notes = page.get_by_role("list", name="Notes, page 1").get_by_role("listitem")
    expect(notes).to_have_count(10)
    expect(notes.first.get_by_role("heading")).to_have_text("Note 12")  # newest first
    expect(page.get_by_role("button", name="Newer notes")).to_be_disabled()

    page.get_by_role("button", name="Older notes").click()
    second = page.get_by_role("list", name="Notes, page 2").get_by_role("listitem")
    expect(second).to_have_count(2)
    expect(second.get_by_role("heading")).to_have_text(["Note 02", "Note 01"])
    expect(page.get_by_role("button", name="Older notes")).to_be_disabled()
    check_view(page, "notes-page-2")

    page.get_by_role("button", name="Newer notes").click()
    expect(page.get_by_role("list", name="Notes, page 1").get_by_role("listitem")).to_have_count(10)


def test_about_shows_version_commit_and_colour(page: Page, stack: Stack) -> None:
    _, _, version = stack.request("GET", "/api/v1/version")
    page.goto("/about")  # a deep link: the front server answers it with index.html
    expect(page.get_by_role("heading", name="About this deployment")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(version["version"])
    expect(facts).to_contain_text(version["git_sha"])
    expect(facts).to_contain_text("blue")
    check_view(page, "about")


def test_unknown_page_shows_not_found(page: Page) -> None:
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_view(page, "not-found")


def test_works_at_320_pixels(new_page: Callable[..., Page], stack: Stack, watch) -> None:
    email = unique_email("narrow")
    stack.register(email)
    page = new_page({"width": 320, "height": 640})
    sign_in(page, email)
    add_note(page, "A note on a phone", "Narrow screens wrap text instead of scrolling sideways.")
    for view, path, heading in (
        ("mobile-notes", None, "My notes"),
        ("mobile-about", "/about", "About this deployment"),
    ):
        if path:
            page.get_by_role("link", name="About").click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{view}: the page scrolls sideways by {overflow}px at 320px"
        check_view(page, view)
    assert not watch.csp, watch.csp
    assert not watch.errors, watch.errors


def test_front_server_matches_the_cloud_contract(stack: Stack) -> None:
    headers_spec = json.loads(HEADERS.read_text())
    status, headers, body = stack.request("GET", "/notes")
    assert status == 200
    assert b'<div id="root">' in body
    assert headers["Content-Security-Policy"] == headers_spec["content_security_policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-cache"
    script = re.search(rb'src="(/assets/[^"]+\.js)"', body)
    assert script, body
    status, headers, _ = stack.request("GET", script.group(1).decode())
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # API errors stay API errors: never index.html.
    status, headers, problem = stack.request("GET", "/api/v1/no-such-route")
    assert status == 404, problem
    assert headers["Content-Type"] == "application/problem+json", problem
    assert headers["Content-Security-Policy"] == headers_spec["content_security_policy"]
    status, _, _ = stack.request("GET", "/assets/missing-0000.js")
    assert status == 404


def test_the_csp_is_enforced(page: Page, watch) -> None:
    """The control for every other test's 'no CSP violation' check: inline code is
    refused by the browser and the watch sees it."""
    page.goto("/about")
    expect(page.get_by_role("heading", name="About this deployment")).to_be_visible()
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__inlineRan = true";
          document.body.append(s);
          document.body.setAttribute("style", "background: red");
        }"""
    )
    for _ in range(40):  # the reports arrive asynchronously
        if len(watch.csp) >= 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("() => window.__inlineRan === undefined")
    assert any("script-src" in v for v in watch.csp), watch.csp
    assert any("style-src" in v for v in watch.csp), watch.csp
    watch.csp.clear()  # expected here; the page fixture checks what is left
