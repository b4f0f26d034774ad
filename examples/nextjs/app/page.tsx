// The page, rendered on the server: who is signed in (from the session cookie) and which job and
// stream path the URL names. Everything live happens in the client components below it.
import { getServerSession } from "next-auth";

import { authOptions } from "@/lib/auth";

import { JobsApp, type StreamPath } from "./jobs-app";
import { SignInButton, SignOutButton } from "./sign-in";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function Home({ searchParams }: { searchParams: SearchParams }) {
  const query = await searchParams;
  const session = await getServerSession(await authOptions());
  const jobId = typeof query.job === "string" && query.job ? query.job : null;
  const path: StreamPath = query.via === "direct" ? "direct" : "proxy";
  return (
    <main>
      <header>
        <h1>Jobs</h1>
        {session?.user ? (
          <p className="who">
            Signed in as <strong data-testid="caller">{session.user.name}</strong>{" "}
            <SignOutButton />
          </p>
        ) : null}
      </header>
      {session?.user ? (
        <JobsApp jobId={jobId} path={path} />
      ) : (
        <section aria-labelledby="signin-heading">
          <h2 id="signin-heading">Sign in to start jobs</h2>
          <p>Jobs belong to whoever starts them: sign in with your identity provider first.</p>
          <SignInButton />
        </section>
      )}
    </main>
  );
}
