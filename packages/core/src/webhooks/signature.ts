import crypto from "node:crypto";

// Both signature schemes, so receivers written for either keep working:
// - MLflow 3: X-MLflow-Signature = "v1," + base64(HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")),
//   with X-MLflow-Delivery-Id and X-MLflow-Timestamp (Unix seconds; receivers reject old ones).
// - Databricks: X-Databricks-Signature = hex(HMAC-SHA256(secret, body)).

export function mlflowSignature(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return `v1,${crypto.createHmac("sha256", secret).update(`${deliveryId}.${timestamp}.${body}`).digest("base64")}`;
}

export function databricksSignature(secret: string, body: string): string {
  return crypto.createHmac("sha256", secret).update(body).digest("hex");
}

export function deliveryHeaders(opts: { deliveryId: string; body: string; secret: string | null; authorization: string | null; now?: number }): Record<string, string> {
  const timestamp = String(Math.floor((opts.now ?? Date.now()) / 1000));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Modelgate-Webhooks/1",
    "x-mlflow-delivery-id": opts.deliveryId,
    "x-mlflow-timestamp": timestamp,
  };
  if (opts.secret) {
    headers["x-mlflow-signature"] = mlflowSignature(opts.secret, opts.deliveryId, timestamp, opts.body);
    headers["x-databricks-signature"] = databricksSignature(opts.secret, opts.body);
  }
  if (opts.authorization) headers.authorization = opts.authorization;
  return headers;
}

/** For receivers and tests: constant-time check of an X-MLflow-Signature header. */
export function verifyMlflowSignature(opts: { secret: string; deliveryId: string; timestamp: string; body: string; signature: string }): boolean {
  const expected = Buffer.from(mlflowSignature(opts.secret, opts.deliveryId, opts.timestamp, opts.body));
  const got = Buffer.from(opts.signature);
  return expected.length === got.length && crypto.timingSafeEqual(expected, got);
}
