export { ensureAuthSecret } from "./secret.ts";
