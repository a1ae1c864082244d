// The API client: relative /api/v1 URLs (same origin as the SPA, in the cloud and under
// `make up`), JSON in and out, and every failure turned into an ApiError whose message
// is fit to show a person. The contract is services/api's OpenAPI document.

export interface User {
  id: string;
  email: string;
  created_at: string;
}

export interface Token {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface Note {
  id: string;
  title: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface NotePage {
  items: Note[];
  next_cursor: string | null;
}

export interface Version {
  version: string;
  git_sha: string;
  color: string;
}

/** The RFC 9457 problem document the API returns for every error. */
interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  request_id?: string;
  errors?: { location?: string; field: string; message: string }[];
}

/** What the request was doing, so 401 and 404 can be explained in the user's terms. */
export type Action = "sign-in" | "sign-up" | "session" | "note" | "notes" | "version";

export class ApiError extends Error {
  readonly status: number;
  /** Field name -> message, for 422 answers (the form shows each beside its control). */
  readonly fields: Record<string, string>;
  readonly requestId: string | undefined;
  /** True when the access token is no longer accepted: the app signs the user out. */
  readonly sessionEnded: boolean;

  constructor(
    status: number,
    message: string,
    options: { fields?: Record<string, string>; requestId?: string; sessionEnded?: boolean } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = options.fields ?? {};
    this.requestId = options.requestId;
    this.sessionEnded = options.sessionEnded ?? false;
  }
}

const PROBLEM_TYPES = ["application/problem+json", "application/json"];

function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get("Retry-After");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(1, Math.ceil((when - Date.now()) / 1000));
}

function inSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return "in a moment";
  if (seconds < 120) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  return `in ${Math.ceil(seconds / 60)} minutes`;
}

async function readProblem(response: Response): Promise<Problem> {
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
  if (!PROBLEM_TYPES.includes(type)) return {};
  try {
    const body: unknown = await response.json();
    return body && typeof body === "object" ? (body as Problem) : {};
  } catch {
    return {};
  }
}

/** Turns an error response into the message a person reads (exported for tests). */
export async function toApiError(response: Response, action: Action): Promise<ApiError> {
  const problem = await readProblem(response);
  const status = response.status;
  const detail = problem.detail;
  const requestId = problem.request_id;
  const reference = requestId ? ` (reference ${requestId})` : "";
  switch (status) {
    case 400:
      return new ApiError(status, detail ?? "The request could not be understood.", { requestId });
    case 401:
      if (action === "sign-in") {
        return new ApiError(status, detail ?? "Invalid email or password.", { requestId });
      }
      return new ApiError(status, "Your session has ended. Please sign in again.", {
        requestId,
        sessionEnded: true,
      });
    case 404:
      return new ApiError(
        status,
        action === "note" ? "This note no longer exists." : (detail ?? "Not found."),
        { requestId },
      );
    case 409:
      return new ApiError(status, detail ?? "That already exists.", { requestId });
    case 413:
      return new ApiError(status, "That is too large to save. Shorten it and try again.", {
        requestId,
      });
    case 422: {
      const fields: Record<string, string> = {};
      for (const error of problem.errors ?? []) {
        // The first message per field is the one shown beside the control.
        fields[error.field] ??= error.message;
      }
      return new ApiError(status, "Please correct the highlighted fields.", { fields, requestId });
    }
    case 429: {
      const wait = inSeconds(retryAfterSeconds(response));
      const what = action === "sign-in" || action === "sign-up" ? "attempts" : "requests";
      return new ApiError(status, `Too many ${what}. Try again ${wait}.`, { requestId });
    }
    case 503:
      return new ApiError(
        status,
        `The service is busy or briefly unavailable. Try again ${inSeconds(retryAfterSeconds(response))}.`,
        { requestId },
      );
    default:
      if (status >= 500) {
        return new ApiError(status, `Something went wrong on our side${reference}. Please try again.`, {
          requestId,
        });
      }
      return new ApiError(status, detail ?? `The request failed (HTTP ${status}).`, { requestId });
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  token?: string | null;
  body?: unknown;
  action: Action;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      cache: "no-store",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }
  if (!response.ok) throw await toApiError(response, options.action);
  if (response.status === 204) return undefined as T; // only for the 204 answers typed request<undefined>
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, "The server sent an unreadable answer. Please try again.");
  }
}

export const api = {
  register: (email: string, password: string) =>
    request<User>("/auth/register", {
      method: "POST",
      body: { email, password },
      action: "sign-up",
    }),
  login: (email: string, password: string) =>
    request<Token>("/auth/login", { method: "POST", body: { email, password }, action: "sign-in" }),
  logout: (token: string) =>
    request<undefined>("/auth/logout", { method: "POST", token, action: "session" }),
  me: (token: string) => request<User>("/me", { token, action: "session" }),
  listNotes: (token: string, limit: number, cursor: string | null, signal?: AbortSignal) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return request<NotePage>(`/notes?${query.toString()}`, { token, action: "notes", signal });
  },
  createNote: (token: string, title: string, body: string) =>
    request<Note>("/notes", { method: "POST", token, body: { title, body }, action: "notes" }),
  updateNote: (token: string, id: string, change: { title?: string; body?: string }) =>
    request<Note>(`/notes/${encodeURIComponent(id)}`, {
      method: "PATCH",
      token,
      body: change,
      action: "note",
    }),
  deleteNote: (token: string, id: string) =>
    request<undefined>(`/notes/${encodeURIComponent(id)}`, { method: "DELETE", token, action: "note" }),
  version: (signal?: AbortSignal) => request<Version>("/version", { action: "version", signal }),
};

/** A message for anything thrown while talking to the API. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something unexpected went wrong. Please try again.";
}
