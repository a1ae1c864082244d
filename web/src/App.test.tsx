import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Note } from "./api/client";
import { json, mockFetch, problem } from "./test/fetch";
import type { Call } from "./test/fetch";

const USER = { id: "u1", email: "ada@example.test", created_at: "2026-01-01T00:00:00+00:00" };

function note(n: number): Note {
  const when = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  return { id: `n${n}`, title: `Note ${n}`, body: `Body ${n}`, created_at: when, updated_at: when };
}

/** A small in-memory API behind fetch, enough for the views. */
function fakeApi(options: { notes?: Note[]; pageSize?: number } = {}) {
  let notes = [...(options.notes ?? [])];
  const tokens = new Set<string>();
  const handler = (call: Call): Response => {
    const path = call.url.split("?")[0] ?? "";
    const query = new URLSearchParams(call.url.split("?")[1] ?? "");
    const body = call.body as Record<string, string> | undefined;
    if (path === "/api/v1/auth/login") {
      if (body?.password !== "correct horse battery") return problem(401, "Invalid email or password.");
      tokens.add("tok-1");
      return json(200, { access_token: "tok-1", token_type: "Bearer", expires_in: 900 });
    }
    if (path === "/api/v1/auth/register") {
      if (body?.email === "taken@example.test") {
        return problem(409, "An account with this email already exists.");
      }
      return json(201, { ...USER, email: body?.email });
    }
    if (path === "/api/v1/version") return json(200, { version: "0.1.0", git_sha: "abc123", color: "green" });
    const auth = call.headers.Authorization?.replace("Bearer ", "");
    if (!auth || !tokens.has(auth)) return problem(401, "Missing, invalid or expired access token.");
    if (path === "/api/v1/auth/logout") {
      tokens.delete(auth);
      return new Response(null, { status: 204 });
    }
    if (path === "/api/v1/me") return json(200, USER);
    if (path === "/api/v1/notes" && call.method === "GET") {
      const limit = Number(query.get("limit"));
      const start = Number(query.get("cursor") ?? 0);
      const items = notes.slice(start, start + limit);
      const next = start + limit < notes.length ? String(start + limit) : null;
      return json(200, { items, next_cursor: next });
    }
    if (path === "/api/v1/notes" && call.method === "POST") {
      if (!body?.title) {
        return problem(422, "x", { errors: [{ field: "title", message: "String should have at least 1 character" }] });
      }
      const created = { ...note(notes.length + 100), title: body.title, body: body.body ?? "" };
      notes = [created, ...notes];
      return json(201, created);
    }
    const id = path.replace("/api/v1/notes/", "");
    const found = notes.find((n) => n.id === id);
    if (!found) return problem(404, "Note not found.");
    if (call.method === "PATCH") {
      const updated = { ...found, ...body };
      notes = notes.map((n) => (n.id === id ? updated : n));
      return json(200, updated);
    }
    if (call.method === "DELETE") {
      notes = notes.filter((n) => n.id !== id);
      return new Response(null, { status: 204 });
    }
    return problem(405);
  };
  const calls = mockFetch(handler);
  return { calls, revoke: () => tokens.clear() };
}

async function signIn(user = userEvent.setup()) {
  window.history.replaceState(null, "", "/sign-in");
  render(<App />);
  await user.type(screen.getByLabelText("Email"), "ada@example.test");
  await user.type(screen.getByLabelText("Password"), "correct horse battery");
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  await screen.findByRole("heading", { name: "My notes" });
  return user;
}

beforeEach(() => window.history.replaceState(null, "", "/"));
afterEach(() => vi.unstubAllGlobals());

describe("routing", () => {
  it("sends a signed-out visitor to sign in", async () => {
    fakeApi();
    window.history.replaceState(null, "", "/notes");
    render(<App />);
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(window.location.pathname).toBe("/sign-in");
  });

  it("shows not found for an unknown path", () => {
    fakeApi();
    window.history.replaceState(null, "", "/nowhere");
    render(<App />);
    expect(screen.getByRole("heading", { name: "Page not found" })).toBeInTheDocument();
    expect(document.title).toBe("Not found · Innovate");
  });

  it("moves focus to the new view's heading after a navigation", async () => {
    fakeApi();
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-in");
    render(<App />);
    await user.click(screen.getByRole("link", { name: "About" }));
    const heading = await screen.findByRole("heading", { name: "About this deployment" });
    expect(heading).toHaveFocus();
    expect(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "About" })).toHaveAttribute(
      "aria-current",
      "page",
    );
  });
});

describe("sign in and out", () => {
  it("announces a bad sign-in and stays signed out", async () => {
    fakeApi();
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-in");
    render(<App />);
    await user.type(screen.getByLabelText("Email"), "ada@example.test");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid email or password.");
    expect(screen.queryByRole("button", { name: "Sign out" })).not.toBeInTheDocument();
  });

  it("shows a loading state while signing in", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    mockFetch(async () => {
      await gate;
      return problem(401, "Invalid email or password.");
    });
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-in");
    render(<App />);
    await user.type(screen.getByLabelText("Email"), "ada@example.test");
    await user.type(screen.getByLabelText("Password"), "x");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByRole("button", { name: "Signing in…" })).toBeDisabled();
    release();
    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid email or password.");
  });

  it("keeps the token out of browser storage", async () => {
    const setItem = vi.spyOn(Storage.prototype, "setItem");
    fakeApi();
    await signIn();
    expect(setItem).not.toHaveBeenCalled();
    expect(window.localStorage.length).toBe(0);
    expect(window.sessionStorage.length).toBe(0);
    expect(document.cookie).toBe("");
  });

  it("revokes the token on sign-out", async () => {
    const { calls } = fakeApi();
    const user = await signIn();
    expect(screen.getByText("ada@example.test")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    const logout = calls.find((c) => c.url === "/api/v1/auth/logout");
    expect(logout?.headers.Authorization).toBe("Bearer tok-1");
    expect(screen.getByRole("status")).toHaveTextContent("Signed out.");
  });

  it("signs out and says why when the server refuses the token", async () => {
    const api = fakeApi({ notes: [note(1)] });
    const user = await signIn();
    await screen.findByRole("heading", { name: "Note 1" });
    api.revoke();
    await user.click(screen.getByRole("button", { name: "Delete “Note 1”" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("Your session has ended. Please sign in again.");
  });

  it("creates an account, then offers sign-in with the email filled in", async () => {
    fakeApi();
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-up");
    render(<App />);
    await user.type(screen.getByLabelText("Email"), "new@example.test");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByRole("alert")).toHaveTextContent("The password is too short.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(
      expect.stringContaining("Use at least 12 characters."),
    );
    await user.type(screen.getByLabelText("Password"), " but now long enough");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByText("Account created. Sign in with your new password.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("new@example.test");
  });

  it("says when the email is taken", async () => {
    fakeApi();
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-up");
    render(<App />);
    await user.type(screen.getByLabelText("Email"), "taken@example.test");
    await user.type(screen.getByLabelText("Password"), "long enough password");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("An account with this email already exists.");
  });
});

describe("notes", () => {
  it("lists, pages forward and back", async () => {
    const notes = Array.from({ length: 12 }, (_, i) => note(12 - i));
    fakeApi({ notes });
    const user = await signIn();
    const first = await screen.findByRole("list", { name: "Notes, page 1" });
    expect(within(first).getAllByRole("listitem")).toHaveLength(10);
    expect(screen.getByRole("button", { name: "Newer notes" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Older notes" }));
    const second = await screen.findByRole("list", { name: "Notes, page 2" });
    expect(within(second).getAllByRole("heading").map((h) => h.textContent)).toEqual(["Note 2", "Note 1"]);
    expect(screen.getByRole("button", { name: "Older notes" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Newer notes" }));
    expect(await screen.findByRole("list", { name: "Notes, page 1" })).toBeInTheDocument();
  });

  it("creates, edits and deletes, announcing each", async () => {
    fakeApi();
    const user = await signIn();
    expect(await screen.findByText("No notes yet. Add your first one above.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Title"), "Plan");
    await user.type(screen.getByLabelText("Note"), "Ship it");
    await user.click(screen.getByRole("button", { name: "Add note" }));
    expect(await screen.findByRole("heading", { name: "Plan" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Note “Plan” added.");
    expect(screen.getByLabelText("Title")).toHaveValue("");

    await user.click(screen.getByRole("button", { name: "Edit “Plan”" }));
    const item = screen.getByRole("article", { name: "Editing “Plan”" });
    const title = within(item).getByLabelText("Title");
    await user.clear(title);
    await user.type(title, "Plan B");
    await user.click(within(item).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("heading", { name: "Plan B" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Note “Plan B” saved.");

    await user.click(screen.getByRole("button", { name: "Delete “Plan B”" }));
    await waitFor(() => expect(screen.queryByRole("heading", { name: "Plan B" })).not.toBeInTheDocument());
    expect(screen.getByRole("status")).toHaveTextContent("Note “Plan B” deleted.");
  });

  it("asks for a title before calling the API", async () => {
    const { calls } = fakeApi();
    const user = await signIn();
    const before = calls.length;
    await user.click(screen.getByRole("button", { name: "Add note" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Give the note a title.");
    expect(screen.getByLabelText("Title")).toHaveAttribute("aria-invalid", "true");
    expect(calls.length).toBe(before);
  });

  it("explains a note that disappeared meanwhile", async () => {
    fakeApi({ notes: [note(1)] });
    const user = await signIn();
    await screen.findByRole("heading", { name: "Note 1" });
    mockFetch(() => problem(404, "Note not found."));
    await user.click(screen.getByRole("button", { name: "Delete “Note 1”" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This note no longer exists.");
  });

  it("offers a retry when the list cannot load", async () => {
    fakeApi();
    let fail = true;
    const user = userEvent.setup();
    window.history.replaceState(null, "", "/sign-in");
    render(<App />);
    const real = globalThis.fetch;
    vi.stubGlobal(
      "fetch",
      vi.fn((input: RequestInfo | URL, init?: RequestInit) =>
        String(input).startsWith("/api/v1/notes") && fail
          ? Promise.resolve(problem(503, "down", {}, { "Retry-After": "2" }))
          : real(input, init),
      ),
    );
    await user.type(screen.getByLabelText("Email"), "ada@example.test");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "The service is busy or briefly unavailable. Try again in 2 seconds.",
    );
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("No notes yet. Add your first one above.")).toBeInTheDocument();
  });
});

describe("about", () => {
  it("shows version, commit and colour", async () => {
    fakeApi();
    window.history.replaceState(null, "", "/about");
    render(<App />);
    expect(screen.getByText("Checking the API…")).toBeInTheDocument();
    expect(await screen.findByText("abc123")).toBeInTheDocument();
    expect(screen.getByText("0.1.0")).toBeInTheDocument();
    expect(screen.getByText("green")).toBeInTheDocument();
    expect(document.querySelector(".swatch-green")).not.toBeNull();
  });
});
