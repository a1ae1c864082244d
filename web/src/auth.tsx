// The session: the access token lives in React state only, never in localStorage,
// sessionStorage or a cookie (docs/web.md): a script injected into the page cannot
// read it back later, a reload signs out, and it expires on its own after 15 minutes.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { api, ApiError } from "./api/client";
import type { User } from "./api/client";

interface Session {
  token: string;
  user: User;
  expiresAt: number;
}

interface AuthValue {
  session: Session | null;
  /** Why the last session ended without the user asking (shown on the sign-in view). */
  endedReason: string | null;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** For an ApiError whose token was refused: drop the session and say why. */
  handleError: (error: unknown) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [endedReason, setEndedReason] = useState<string | null>(null);

  const signIn = useCallback(async (email: string, password: string) => {
    const token = await api.login(email, password);
    const user = await api.me(token.access_token);
    setEndedReason(null);
    setSession({
      token: token.access_token,
      user,
      expiresAt: Date.now() + token.expires_in * 1000,
    });
  }, []);

  const signOut = useCallback(async () => {
    const current = session;
    setSession(null);
    setEndedReason(null);
    if (!current) return;
    try {
      // Revokes the token server-side: a copy taken before sign-out stops working.
      await api.logout(current.token);
    } catch (error) {
      // Already expired or revoked: signed out either way.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
  }, [session]);

  const handleError = useCallback((error: unknown) => {
    if (error instanceof ApiError && error.sessionEnded) {
      setSession(null);
      setEndedReason(error.message);
    }
  }, []);

  // The token's own expiry: sign out when it lapses rather than on the next failed call.
  useEffect(() => {
    if (!session) return undefined;
    const timer = window.setTimeout(
      () => {
        setSession(null);
        setEndedReason("Your session expired. Please sign in again.");
      },
      Math.max(0, session.expiresAt - Date.now()),
    );
    return () => window.clearTimeout(timer);
  }, [session]);

  const value = useMemo(
    () => ({ session, endedReason, signIn, signOut, handleError }),
    [session, endedReason, signIn, signOut, handleError],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
