import crypto from "node:crypto";
import { webhookConfig } from "./config.ts";

// Webhook secrets and authorization headers at rest: AES-256-GCM, stored as
// version (1 byte) ‖ IV (12) ‖ tag (16) ‖ ciphertext. The webhook id is the associated data, so a
// ciphertext copied onto another webhook does not decrypt.

const VERSION = 1;

function key(): Buffer {
  const k = webhookConfig().secretKey;
  if (!k) throw new Error("Webhook secret key not configured: call configureWebhooks({ secretKey }) at startup");
  return k;
}

export function encryptSecret(plain: string, webhookId: string): Uint8Array<ArrayBuffer> {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(webhookId));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const out = Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  return new Uint8Array(out);
}

export function decryptSecret(stored: Uint8Array, webhookId: string): string {
  const buf = Buffer.from(stored);
  if (buf[0] !== VERSION || buf.length < 29) throw new Error("Unknown webhook secret format");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key(), buf.subarray(1, 13));
  decipher.setAAD(Buffer.from(webhookId));
  decipher.setAuthTag(buf.subarray(13, 29));
  return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]).toString("utf8");
}
