import { useState } from "react";
import type { FormEvent } from "react";
import { api } from "../api/client";
import { ErrorAlert, fieldError } from "../components/Alert";
import { TextField } from "../components/Field";
import { Link, PATHS, useRouter } from "../router";
import { useAnnounce } from "../status";

// The API's rule (services/api schemas.NewPassword), checked here first to save a round trip.
export const MIN_PASSWORD = 12;

export function SignUp({ onCreated }: { onCreated: (email: string) => void }) {
  const { navigate } = useRouter();
  const announce = useAnnounce();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tooShort, setTooShort] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (password.length < MIN_PASSWORD) {
      setTooShort(true);
      return;
    }
    setTooShort(false);
    setBusy(true);
    try {
      const user = await api.register(email.trim(), password);
      announce("Account created.");
      onCreated(user.email);
      navigate(PATHS.signIn);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const passwordError = tooShort
    ? `Use at least ${MIN_PASSWORD} characters.`
    : fieldError(error, "password");

  return (
    <section className="card narrow" aria-labelledby="sign-up-title">
      <h1 id="sign-up-title" tabIndex={-1}>
        Create an account
      </h1>
      <form onSubmit={submit} noValidate aria-busy={busy}>
        <ErrorAlert error={error} knownFields={["email", "password"]} />
        {tooShort ? (
          <p className="alert alert-error" role="alert">
            The password is too short.
          </p>
        ) : null}
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
          name="new-password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters. A phrase of a few words is easy to remember.`}
          required
          minLength={MIN_PASSWORD}
          maxLength={128}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <Link to={PATHS.signIn}>Sign in</Link>
      </p>
    </section>
  );
}
