// One polite live region for success messages ("Note saved."), present from the first
// render so screen readers announce what is later written into it.
import { createContext, useCallback, useContext, useMemo, useState } from "react";
import type { ReactNode } from "react";

const StatusContext = createContext<((message: string) => void) | null>(null);

export function StatusProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState("");
  const announce = useCallback((text: string) => setMessage(text), []);
  const value = useMemo(() => announce, [announce]);
  return (
    <StatusContext.Provider value={value}>
      {children}
      <div className="status" role="status" aria-live="polite">
        {message}
      </div>
    </StatusContext.Provider>
  );
}

export function useAnnounce(): (message: string) => void {
  const value = useContext(StatusContext);
  if (!value) throw new Error("useAnnounce outside StatusProvider");
  return value;
}
