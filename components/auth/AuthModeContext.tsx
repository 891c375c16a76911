"use client";

import { createContext, useContext, type ReactNode } from "react";

export type ClientAuthMode = "clerk" | "local";

const AuthModeContext = createContext<ClientAuthMode>("local");

export function AuthModeProvider({ mode, children }: { mode: ClientAuthMode; children: ReactNode }) {
  return <AuthModeContext.Provider value={mode}>{children}</AuthModeContext.Provider>;
}

export function useAuthMode(): ClientAuthMode {
  return useContext(AuthModeContext);
}
