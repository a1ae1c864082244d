import { Link, PATHS } from "../router";

export function NotFound() {
  return (
    <section className="card narrow" aria-labelledby="not-found-title">
      <h1 id="not-found-title" tabIndex={-1}>
        Page not found
      </h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to={PATHS.notes}>Go to my notes</Link>
      </p>
    </section>
  );
}
