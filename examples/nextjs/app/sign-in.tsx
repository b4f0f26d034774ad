"use client";
import { signIn, signOut } from "next-auth/react";

export function SignInButton() {
  return (
    <button type="button" onClick={() => void signIn("jobstream")}>
      Sign in
    </button>
  );
}

export function SignOutButton() {
  return (
    <button type="button" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
