#!/bin/sh
# Stand-in for Prisma's native schema-engine binary, which the CLI downloads from Prisma's own server (unreachable here)
# (not from npm) and so is unavailable offline. `prisma generate` only needs the file to exist.
# Migrations run through the WebAssembly engine instead: node scripts/wasm-migrate.mjs <dev|deploy|push>
echo "native Prisma schema engine not installed (offline). Use: npm run db:migrate|db:deploy -w @modelgate/db" >&2
exit 1
