import type { Metadata } from "next";
import type { ReactNode } from "react";

import "./styles.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: "jobstream on Next.js",
  description: "Start a long job, watch it live, cancel it: jobstream's Next.js App Router example.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
