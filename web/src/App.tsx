import { useEffect, useRef, useState } from "react";
import { messageOf } from "./api/client";
import { AuthProvider, useAuth } from "./auth";
import { Link, PATHS, RouterProvider, useRouter } from "./router";
import { StatusProvider, useAnnounce } from "./status";
import { About } from "./views/About";
import { NotFound } from "./views/NotFound";
import { Notes } from "./views/Notes";
import { SignIn } from "./views/SignIn";
import { SignUp } from "./views/SignUp";

const TITLES: Record<string, string> = {
  [PATHS.signIn]: "Sign in",
  [PATHS.signUp]: "Create an account",
  [PATHS.notes]: "My notes",
  [PATHS.about]: "About",
};

function Header() {
  const { session, signOut } = useAuth();
  const { navigate } = useRouter();
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);

  const onSignOut = async () => {
    setBusy(true);
    try {
      await signOut();
      announce("Signed out.");
    } catch (err) {
      announce(`Signed out here; the server could not be told: ${messageOf(err)}`);
    } finally {
      setBusy(false);
      navigate(PATHS.signIn);
    }
  };

  return (
    <header className="site-header">
      <div className="bar">
        <Link to={session ? PATHS.notes : PATHS.signIn} className="brand">
          Innovate
        </Link>
        <nav aria-label="Main">
          <ul>
            {session ? (
              <li>
                <Link to={PATHS.notes}>Notes</Link>
              </li>
            ) : (
              <>
                <li>
                  <Link to={PATHS.signIn}>Sign in</Link>
                </li>
                <li>
                  <Link to={PATHS.signUp}>Sign up</Link>
                </li>
              </>
            )}
            <li>
              <Link to={PATHS.about}>About</Link>
            </li>
          </ul>
        </nav>
        {session ? (
          <div className="account">
            <span className="who" title={session.user.email}>
              {session.user.email}
            </span>
            <button type="button" onClick={onSignOut} disabled={busy}>
              {busy ? "Signing out…" : "Sign out"}
            </button>
          </div>
        ) : null}
      </div>
    </header>
  );
}

function Routes() {
  const { path, navigate } = useRouter();
  const { session } = useAuth();
  const [createdEmail, setCreatedEmail] = useState<string | null>(null);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  const needsSession = path === PATHS.notes || path === "/";
  const signedOutOnly = path === PATHS.signIn || path === PATHS.signUp;
  let target: string | null = null;
  if (needsSession && !session) target = PATHS.signIn;
  else if (path === "/" || (signedOutOnly && session)) target = PATHS.notes;
  useEffect(() => {
    if (target) navigate(target, { replace: true });
  }, [target, navigate]);

  useEffect(() => {
    document.title = `${TITLES[path] ?? "Not found"} · Innovate`;
    // After a navigation, move focus to the new view's heading so it is announced.
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>("h1")?.focus();
  }, [path]);

  let view;
  if (target) view = null;
  else if (path === PATHS.signIn)
    view = (
      <SignIn
        notice={createdEmail ? "Account created. Sign in with your new password." : null}
        initialEmail={createdEmail ?? ""}
        onSignedIn={() => setCreatedEmail(null)}
      />
    );
  else if (path === PATHS.signUp) view = <SignUp onCreated={setCreatedEmail} />;
  else if (path === PATHS.notes) view = <Notes />;
  else if (path === PATHS.about) view = <About />;
  else view = <NotFound />;

  return (
    <main id="main" ref={main}>
      {view}
    </main>
  );
}

export function App() {
  return (
    <RouterProvider>
      <StatusProvider>
        <AuthProvider>
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          <Header />
          <Routes />
        </AuthProvider>
      </StatusProvider>
    </RouterProvider>
  );
}
