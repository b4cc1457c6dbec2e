import crypto from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { invalid } from "../errors.ts";

// argon2id, OWASP's recommended floor (19 MiB, 2 passes).
const options = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** At least 12 characters and not the username. Throws INVALID_PARAMETER_VALUE with the reason. */
export function assertPasswordPolicy(password: string, username: string) {
  if (typeof password !== "string" || [...password].length < MIN_PASSWORD_LENGTH) {
    throw invalid(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw invalid(`Password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) throw invalid("Password must not be the username");
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** The password hash of accounts that sign in only through the identity provider (SCIM, OIDC): matches no password. */
export const NO_PASSWORD = "!";

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (passwordHash === NO_PASSWORD) {
    // as long as a real check, so timing does not tell such accounts apart
    await burnPasswordVerification(password);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of nothing, verified when the account does not exist so timing does not tell. */
let dummyHash: Promise<string> | undefined;
export async function burnPasswordVerification(password: string) {
  dummyHash ??= hashPassword(crypto.randomBytes(16).toString("hex"));
  await verifyPassword(await dummyHash, password);
}

/** 20 characters from an unambiguous alphabet: ~115 bits. */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
