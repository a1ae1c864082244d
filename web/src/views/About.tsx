import { useCallback, useState } from "react";
import { api } from "../api/client";
import { ErrorAlert } from "../components/Alert";
import { useLoad } from "../load";

// Blue and green get their own swatch; any other colour (e.g. "local") a neutral one.
const SWATCHES = new Set(["blue", "green"]);

export function About() {
  const [checks, setChecks] = useState(0);
  const { data: version, loading, error } = useLoad(`version-${checks}`, (signal) =>
    api.version(signal),
  );

  const refresh = useCallback(() => setChecks((n) => n + 1), []);

  return (
    <section className="card" aria-labelledby="about-title">
      <h1 id="about-title" tabIndex={-1}>
        About this deployment
      </h1>
      <p>
        The API that answers this page. During a blue/green release, refresh to see which colour
        serves you.
      </p>
      <ErrorAlert error={error} />
      <div aria-busy={loading} aria-live="polite">
        {loading ? <p className="loading">Checking the API…</p> : null}
        {version && !loading ? (
          <dl className="facts">
            <dt>API version</dt>
            <dd>{version.version}</dd>
            <dt>Git commit</dt>
            <dd>
              <code>{version.git_sha}</code>
            </dd>
            <dt>Deployment colour</dt>
            <dd>
              <span
                className={`swatch swatch-${SWATCHES.has(version.color) ? version.color : "other"}`}
                aria-hidden="true"
              />
              {version.color}
            </dd>
          </dl>
        ) : null}
      </div>
      <button type="button" onClick={refresh} disabled={loading}>
        Check again
      </button>
    </section>
  );
}
