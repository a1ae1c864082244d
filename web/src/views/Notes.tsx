import { useCallback, useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import type { Note } from "../api/client";
import { useAuth } from "../auth";
import { ErrorAlert, fieldError } from "../components/Alert";
import { TextAreaField, TextField } from "../components/Field";
import { useLoad } from "../load";
import { useAnnounce } from "../status";

export const PAGE_SIZE = 10;
const TITLE_MAX = 200;
const BODY_MAX = 10000;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function NoteForm({
  initial,
  submitLabel,
  busyLabel,
  onSubmit,
  onCancel,
}: {
  initial: { title: string; body: string };
  submitLabel: string;
  busyLabel: string;
  onSubmit: (title: string, body: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(initial.title);
  const [body, setBody] = useState(initial.body);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missingTitle, setMissingTitle] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (!title.trim()) {
      setMissingTitle(true);
      return;
    }
    setMissingTitle(false);
    setBusy(true);
    try {
      await onSubmit(title, body);
      if (!onCancel) {
        setTitle("");
        setBody("");
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-busy={busy} className="note-form">
      <ErrorAlert error={error} knownFields={["title", "body"]} />
      {missingTitle ? (
        <p className="alert alert-error" role="alert">
          Give the note a title.
        </p>
      ) : null}
      <TextField
        label="Title"
        name="title"
        required
        maxLength={TITLE_MAX}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        error={missingTitle ? "A title is required." : fieldError(error, "title")}
      />
      <TextAreaField
        label="Note"
        name="body"
        rows={4}
        maxLength={BODY_MAX}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        error={fieldError(error, "body")}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function NoteItem({
  note,
  onSave,
  onDelete,
}: {
  note: Note;
  onSave: (note: Note, title: string, body: string) => Promise<void>;
  onDelete: (note: Note) => Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const headingId = `note-${note.id}`;

  if (editing) {
    return (
      <li className="note">
        <article aria-labelledby={headingId}>
          <h3 id={headingId} className="visually-hidden">
            Editing “{note.title}”
          </h3>
          <NoteForm
            initial={note}
            submitLabel="Save"
            busyLabel="Saving…"
            onSubmit={async (title, body) => {
              await onSave(note, title, body);
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        </article>
      </li>
    );
  }

  const remove = async () => {
    setDeleting(true);
    setError(null);
    try {
      await onDelete(note);
    } catch (err) {
      setError(err);
      setDeleting(false);
    }
  };

  return (
    <li className="note">
      <article aria-labelledby={headingId}>
        <h3 id={headingId}>{note.title}</h3>
        {note.body ? <p className="note-body">{note.body}</p> : null}
        <p className="meta">
          Updated <time dateTime={note.updated_at}>{dateFormat.format(new Date(note.updated_at))}</time>
        </p>
        <ErrorAlert error={error} />
        <div className="actions">
          {/* The names say which note (the visible word starts each name, WCAG 2.5.3). */}
          <button
            type="button"
            aria-label={`Edit “${note.title}”`}
            onClick={() => setEditing(true)}
            disabled={deleting}
          >
            Edit
          </button>
          <button
            type="button"
            className="danger"
            aria-label={`${deleting ? "Deleting" : "Delete"} “${note.title}”`}
            onClick={remove}
            disabled={deleting}
          >
            {deleting ? "Deleting…" : "Delete"}
          </button>
        </div>
      </article>
    </li>
  );
}

export function Notes() {
  const { session, handleError } = useAuth();
  const announce = useAnnounce();
  const token = session?.token ?? "";
  // cursors[i] fetches page i + 1; page 1 has no cursor.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [reloads, setReloads] = useState(0);
  const pageNumber = cursors.length;
  const cursor = cursors[cursors.length - 1] ?? null;
  const {
    data: page,
    loading,
    error,
    update,
  } = useLoad(`${token}|${cursor ?? ""}|${reloads}`, async (signal) => {
    try {
      const result = await api.listNotes(token, PAGE_SIZE, cursor, signal);
      // Deleting the last note of a later page leaves it empty: step back a page.
      if (!result.items.length && cursors.length > 1) setCursors((c) => c.slice(0, -1));
      return result;
    } catch (err) {
      handleError(err);
      throw err;
    }
  });

  const reload = useCallback(() => setReloads((n) => n + 1), []);

  const create = async (title: string, body: string) => {
    try {
      await api.createNote(token, title, body);
    } catch (err) {
      handleError(err);
      throw err;
    }
    announce(`Note “${title}” added.`);
    setCursors([null]);
    reload();
  };

  const save = async (note: Note, title: string, body: string) => {
    const change: { title?: string; body?: string } = {};
    if (title !== note.title) change.title = title;
    if (body !== note.body) change.body = body;
    if (!Object.keys(change).length) {
      announce("Nothing changed.");
      return;
    }
    try {
      const updated = await api.updateNote(token, note.id, change);
      update((p) => ({ ...p, items: p.items.map((n) => (n.id === updated.id ? updated : n)) }));
      announce(`Note “${updated.title}” saved.`);
    } catch (err) {
      handleError(err);
      throw err;
    }
  };

  const remove = async (note: Note) => {
    try {
      await api.deleteNote(token, note.id);
    } catch (err) {
      handleError(err);
      throw err;
    }
    announce(`Note “${note.title}” deleted.`);
    reload();
  };

  return (
    <section aria-labelledby="notes-title">
      <h1 id="notes-title" tabIndex={-1}>
        My notes
      </h1>
      <div className="card">
        <h2>New note</h2>
        <NoteForm initial={{ title: "", body: "" }} submitLabel="Add note" busyLabel="Adding…" onSubmit={create} />
      </div>
      <div className="card" aria-busy={loading}>
        <h2>
          {pageNumber > 1 ? `Older notes, page ${pageNumber}` : "Latest notes"}
        </h2>
        <ErrorAlert error={error} />
        {error ? (
          <button type="button" onClick={reload}>
            Try again
          </button>
        ) : null}
        {loading ? (
          <p className="loading">Loading notes…</p>
        ) : page && page.items.length === 0 ? (
          <p>No notes yet. Add your first one above.</p>
        ) : page ? (
          <ul className="notes" aria-label={`Notes, page ${pageNumber}`}>
            {page.items.map((note) => (
              <NoteItem key={note.id} note={note} onSave={save} onDelete={remove} />
            ))}
          </ul>
        ) : null}
        <nav className="pager" aria-label="Pages of notes">
          <button
            type="button"
            disabled={loading || pageNumber === 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Newer notes
          </button>
          <span>Page {pageNumber}</span>
          <button
            type="button"
            disabled={loading || !page?.next_cursor}
            onClick={() => page?.next_cursor && setCursors((c) => [...c, page.next_cursor])}
          >
            Older notes
          </button>
        </nav>
      </div>
    </section>
  );
}
