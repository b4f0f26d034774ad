/** @type {import("next").NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Left on (Next's default) on purpose: the stream proxy's `Cache-Control: no-transform` is what
  // keeps gzip off its event stream, and the buffering variant's test shows what happens without it.
  compress: true,
};

export default nextConfig;
