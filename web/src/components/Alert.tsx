import { ApiError, messageOf } from "../api/client";

/** An error, announced when it appears (role="alert"). Field errors the form has no
 * control for (e.g. a rule across fields) are listed here instead of being lost. */
export function ErrorAlert({ error, knownFields = [] }: { error: unknown; knownFields?: string[] }) {
  if (!error) return null;
  const extra =
    error instanceof ApiError
      ? Object.entries(error.fields).filter(([field]) => !knownFields.includes(field))
      : [];
  return (
    <div className="alert alert-error" role="alert">
      <p>{messageOf(error)}</p>
      {extra.length ? (
        <ul>
          {extra.map(([field, message]) => (
            <li key={field}>
              {field === "_schema" ? message : `${field}: ${message}`}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fields[field] : undefined;
}
