import { useState } from "react";
import type { FormEvent } from "react";
import { useAuth } from "../auth";
import { ErrorAlert, fieldError } from "../components/Alert";
import { TextField } from "../components/Field";
import { Link, PATHS, useRouter } from "../router";
import { useAnnounce } from "../status";

export function SignIn({
  notice,
  initialEmail = "",
  onSignedIn,
}: {
  notice?: string | null;
  initialEmail?: string;
  onSignedIn?: () => void;
}) {
  const { signIn, endedReason } = useAuth();
  const { navigate } = useRouter();
  const announce = useAnnounce();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
      announce("Signed in.");
      onSignedIn?.();
      navigate(PATHS.notes, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1}>
        Sign in
      </h1>
      {notice ? <p className="alert alert-info">{notice}</p> : null}
      {endedReason && !error ? (
        <p className="alert alert-info" role="alert">
          {endedReason}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate aria-busy={busy}>
        <ErrorAlert error={error} knownFields={["email", "password"]} />
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(error, "email")}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(error, "password")}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        No account yet? <Link to={PATHS.signUp}>Create one</Link>
      </p>
    </section>
  );
}
