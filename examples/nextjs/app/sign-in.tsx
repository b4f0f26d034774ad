"use client";
// Auth.js's signIn/signOut post a CSRF-checked form from the browser, so these buttons work only
// once the page has hydrated: until then they are disabled rather than silently doing nothing.
import { signIn, signOut } from "next-auth/react";
import { useEffect, useState } from "react";

function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

export function SignInButton() {
  const hydrated = useHydrated();
  return (
    <button type="button" disabled={!hydrated} onClick={() => void signIn("jobstream")}>
      Sign in
    </button>
  );
}

export function SignOutButton() {
  const hydrated = useHydrated();
  return (
    <button type="button" disabled={!hydrated} onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
