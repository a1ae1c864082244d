import { afterEach, describe, expect, it, vi } from "vitest";
import { mockFetch, json, problem } from "../test/fetch";
import { api, ApiError, messageOf } from "./client";

afterEach(() => vi.unstubAllGlobals());

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected the call to fail");
}

describe("requests", () => {
  it("uses same-origin relative URLs, JSON and the bearer token", async () => {
    const calls = mockFetch(() =>
      json(201, { id: "n1", title: "t", body: "b", created_at: "", updated_at: "" }),
    );
    await api.createNote("tok", "t", "b");
    expect(calls).toEqual([
      {
        url: "/api/v1/notes",
        method: "POST",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          Authorization: "Bearer tok",
        },
        body: { title: "t", body: "b" },
      },
    ]);
  });

  it("sends the page size and cursor as query parameters", async () => {
    const calls = mockFetch(() => json(200, { items: [], next_cursor: null }));
    await api.listNotes("tok", 10, "abc_-");
    await api.listNotes("tok", 10, null);
    expect(calls.map((c) => c.url)).toEqual([
      "/api/v1/notes?limit=10&cursor=abc_-",
      "/api/v1/notes?limit=10",
    ]);
  });

  it("sends only the changed fields of a note and escapes its id", async () => {
    const calls = mockFetch(() =>
      json(200, { id: "a/b", title: "new", body: "", created_at: "", updated_at: "" }),
    );
    await api.updateNote("tok", "a/b", { title: "new" });
    expect(calls[0]).toMatchObject({ url: "/api/v1/notes/a%2Fb", method: "PATCH", body: { title: "new" } });
  });

  it("accepts 204 with no body", async () => {
    mockFetch(() => new Response(null, { status: 204 }));
    await expect(api.deleteNote("tok", "n1")).resolves.toBeUndefined();
    await expect(api.logout("tok")).resolves.toBeUndefined();
  });

  it("never sends a token where none is needed", async () => {
    const calls = mockFetch(() => json(200, { version: "1", git_sha: "abc", color: "blue" }));
    await api.version();
    expect(calls[0]?.headers.Authorization).toBeUndefined();
  });
});

describe("error messages", () => {
  it("shows the API's reason for a bad sign-in", async () => {
    mockFetch(() => problem(401, "Invalid email or password."));
    const error = await failure(api.login("a@example.test", "x"));
    expect(error.message).toBe("Invalid email or password.");
    expect(error.sessionEnded).toBe(false);
  });

  it("ends the session when a token is refused", async () => {
    mockFetch(() => problem(401, "Missing, invalid or expired access token."));
    const error = await failure(api.listNotes("expired", 10, null));
    expect(error.message).toBe("Your session has ended. Please sign in again.");
    expect(error.sessionEnded).toBe(true);
  });

  it("names each invalid field", async () => {
    mockFetch(() =>
      problem(422, "The request has invalid fields.", {
        errors: [
          { location: "json", field: "email", message: "value is not a valid email address" },
          { location: "json", field: "password", message: "String should have at least 12 characters" },
          { location: "json", field: "password", message: "second message is not shown" },
        ],
      }),
    );
    const error = await failure(api.register("nope", "short"));
    expect(error.status).toBe(422);
    expect(error.message).toBe("Please correct the highlighted fields.");
    expect(error.fields).toEqual({
      email: "value is not a valid email address",
      password: "String should have at least 12 characters",
    });
  });

  it("says an account exists", async () => {
    mockFetch(() => problem(409, "An account with this email already exists."));
    expect((await failure(api.register("a@example.test", "x".repeat(12)))).message).toBe(
      "An account with this email already exists.",
    );
  });

  it("tells how long to wait when throttled", async () => {
    mockFetch(() => problem(429, "Too many failed sign-in attempts.", {}, { "Retry-After": "30" }));
    expect((await failure(api.login("a@example.test", "x"))).message).toBe(
      "Too many attempts. Try again in 30 seconds.",
    );
    mockFetch(() => problem(429, undefined, {}, { "Retry-After": "600" }));
    expect((await failure(api.listNotes("t", 10, null))).message).toBe(
      "Too many requests. Try again in 10 minutes.",
    );
  });

  it("explains a busy service with its retry time", async () => {
    mockFetch(() => problem(503, "The database is not reachable.", {}, { "Retry-After": "1" }));
    expect((await failure(api.version())).message).toBe(
      "The service is busy or briefly unavailable. Try again in 1 second.",
    );
  });

  it("gives a reference for server errors, never their internals", async () => {
    mockFetch(() => problem(500, "Traceback: secret", { request_id: "req-123" }));
    const error = await failure(api.version());
    expect(error.message).toBe("Something went wrong on our side (reference req-123). Please try again.");
    expect(error.message).not.toContain("Traceback");
  });

  it("copes with an HTML error page (a proxy's 502)", async () => {
    mockFetch(() => new Response("<h1>Bad Gateway</h1>", { status: 502, headers: { "Content-Type": "text/html" } }));
    expect((await failure(api.version())).message).toBe("Something went wrong on our side. Please try again.");
  });

  it("says when a note is gone", async () => {
    mockFetch(() => problem(404, "Note not found."));
    expect((await failure(api.deleteNote("t", "n1"))).message).toBe("This note no longer exists.");
  });

  it("says when a note is too large", async () => {
    mockFetch(() => problem(413, "The request body is too large."));
    expect((await failure(api.createNote("t", "x", "y"))).message).toBe(
      "That is too large to save. Shorten it and try again.",
    );
  });

  it("reports an unreachable server", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    expect((await failure(api.version())).status).toBe(0);
    expect(messageOf(await failure(api.version()))).toBe(
      "Cannot reach the server. Check your connection and try again.",
    );
  });

  it("reports an unreadable success body", async () => {
    mockFetch(() => new Response("not json", { status: 200, headers: { "Content-Type": "application/json" } }));
    expect((await failure(api.version())).message).toBe("The server sent an unreadable answer. Please try again.");
  });

  it("has a message for anything else thrown", () => {
    expect(messageOf(new Error("boom"))).toBe("Something unexpected went wrong. Please try again.");
  });
});
