// Sign-in: Auth.js (next-auth 4) with one OpenID Connect provider, the authorization code flow with
// PKCE. The caller's access token lives only in Auth.js's encrypted, httpOnly session cookie and is
// read on the server (route handlers) to call the jobs API; the browser never sees it.
import type { AuthOptions } from "next-auth";
import { getToken } from "next-auth/jwt";
import type { NextRequest } from "next/server";

import { apiUrl } from "./config";

/** Where the jobs API's callers come from, as the example's server is configured. */
interface Issuer {
  url: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The OIDC issuer: OIDC_ISSUER, or (for the local stack only) the DEV issuer `make run` started
 * under JOBSTREAM_API_AUTH=jwt, which the stack names at GET /dev/callers. A deployment always
 * sets OIDC_ISSUER (its Cognito user pool, Auth0, ...), OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.
 */
async function issuer(): Promise<Issuer> {
  const configured = process.env.OIDC_ISSUER;
  if (configured) {
    const clientId = process.env.OIDC_CLIENT_ID;
    const clientSecret = process.env.OIDC_CLIENT_SECRET;
    if (!clientId || !clientSecret) {
      throw new Error("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too");
    }
    return { url: configured.replace(/\/+$/, ""), clientId, clientSecret };
  }
  // Asked each time (one loopback request): a restarted stack has a new dev issuer (another port,
  // another key), and the next sign-in must go to that one.
  const response = await fetch(`${apiUrl()}/dev/callers`, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(
      `no OIDC_ISSUER and ${apiUrl()} has no dev issuer (HTTP ${response.status}): start the ` +
        "local stack with JOBSTREAM_API_AUTH=jwt make run, or set OIDC_ISSUER",
    );
  }
  const { issuer: url } = (await response.json()) as { issuer: string };
  // The dev issuer accepts any client; these names only say who asked.
  return {
    url,
    clientId: process.env.OIDC_CLIENT_ID ?? "jobstream-nextjs-example",
    clientSecret: process.env.OIDC_CLIENT_SECRET ?? "dev-only",
  };
}

/** Auth.js's options (async: the issuer may have to be asked for first). */
export async function authOptions(): Promise<AuthOptions> {
  const { url, clientId, clientSecret } = await issuer();
  return {
    providers: [
      {
        id: "jobstream",
        name: "jobstream",
        type: "oauth",
        wellKnown: `${url}/.well-known/openid-configuration`,
        clientId,
        clientSecret,
        authorization: { params: { scope: "openid" } },
        idToken: true,
        checks: ["pkce", "state"],
        // The dev issuer (like many) signs with ES256; openid-client expects RS256 unless told.
        client: { id_token_signed_response_alg: process.env.OIDC_ID_TOKEN_ALG ?? "ES256" },
        profile(profile: { sub: string; name?: string; email?: string }) {
          return { id: profile.sub, name: profile.name ?? profile.sub, email: profile.email };
        },
      },
    ],
    session: { strategy: "jwt" },
    callbacks: {
      // Kept in the encrypted session cookie; `session` below leaves it out of what
      // /api/auth/session (and so any client code) can read.
      jwt({ token, account }) {
        if (account?.access_token) {
          token.accessToken = account.access_token;
          token.accessTokenExpires = account.expires_at ?? null;
        }
        return token;
      },
      session({ session, token }) {
        if (session.user) session.user.name = token.name ?? token.sub ?? null;
        return session;
      },
    },
  };
}

/** The signed-in caller's access token, read from the session cookie of `request`; null if none
 * or expired (the page then asks to sign in again). */
export async function callerAccessToken(request: NextRequest): Promise<string | null> {
  const token = await getToken({ req: request });
  const access = typeof token?.accessToken === "string" ? token.accessToken : null;
  const expires = typeof token?.accessTokenExpires === "number" ? token.accessTokenExpires : null;
  if (!access || (expires !== null && expires * 1000 <= Date.now())) return null;
  return access;
}
