import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { classifyAddress, ipv6Groups } from "../src/webhooks/addresses.ts";
import { configureWebhooks, DEFAULT_RETRY, webhookSecretKey } from "../src/webhooks/config.ts";
import { retryDelayMs } from "../src/webhooks/deliver.ts";
import { buildPayload } from "../src/webhooks/payload.ts";
import { decryptSecret, encryptSecret } from "../src/webhooks/secrets.ts";
import { parseRetryAfter, parseWebhookUrl } from "../src/webhooks/send.ts";
import { databricksSignature, deliveryHeaders, mlflowSignature, verifyMlflowSignature } from "../src/webhooks/signature.ts";

describe("classifyAddress", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["198.51.100.7", "reserved"],
    ["2606:4700:4700::1111", "public"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fd00::1", "unique-local"],
    ["fc12:3456::1", "unique-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "reserved"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:c0a8:0101::1", "private"],
    ["2001:db8::1", "reserved"],
    ["not-an-ip", "reserved"],
  ])("%s is %s", (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it("expands IPv6 forms", () => {
    expect(ipv6Groups("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Groups("1::2")).toEqual([1, 0, 0, 0, 0, 0, 0, 2]);
    expect(ipv6Groups("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("signatures", () => {
  // vectors computed independently with Python's hmac module
  it("MLflow 3: v1,base64(HMAC-SHA256(secret, id.timestamp.payload))", () => {
    expect(mlflowSignature("s3cret", "d-1", "1700000000", '{"a":1}')).toBe("v1,G2ShuVzSSSfy1jCfd6eHfcRxF+GSmEbR2H97FZuxIU8=");
    expect(verifyMlflowSignature({ secret: "s3cret", deliveryId: "d-1", timestamp: "1700000000", body: '{"a":1}', signature: "v1,G2ShuVzSSSfy1jCfd6eHfcRxF+GSmEbR2H97FZuxIU8=" })).toBe(true);
    expect(verifyMlflowSignature({ secret: "s3cret", deliveryId: "d-2", timestamp: "1700000000", body: '{"a":1}', signature: "v1,G2ShuVzSSSfy1jCfd6eHfcRxF+GSmEbR2H97FZuxIU8=" })).toBe(false);
  });

  it("Databricks: hex HMAC-SHA256 of the body", () => {
    expect(databricksSignature("s3cret", '{"a":1}')).toBe("5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d");
  });

  it("signs only with a secret and sends authorization as given", () => {
    const plain = deliveryHeaders({ deliveryId: "d", body: "{}", secret: null, authorization: null, now: 1_700_000_000_123 });
    expect(plain["x-mlflow-timestamp"]).toBe("1700000000");
    expect(plain["x-mlflow-signature"]).toBeUndefined();
    expect(plain.authorization).toBeUndefined();
    const signed = deliveryHeaders({ deliveryId: "d", body: "{}", secret: "k", authorization: "Bearer t", now: 1_700_000_000_123 });
    expect(signed["x-mlflow-signature"]).toBe(mlflowSignature("k", "d", "1700000000", "{}"));
    expect(signed["x-databricks-signature"]).toBe(databricksSignature("k", "{}"));
    expect(signed.authorization).toBe("Bearer t");
  });
});

describe("secrets at rest", () => {
  it("round-trips with AES-256-GCM, bound to the webhook id, and refuses tampering", () => {
    configureWebhooks({ secretKey: crypto.randomBytes(32) });
    const enc = encryptSecret("hunter2", "a".repeat(32));
    expect(Buffer.from(enc).toString("latin1")).not.toContain("hunter2");
    expect(decryptSecret(enc, "a".repeat(32))).toBe("hunter2");
    expect(() => decryptSecret(enc, "b".repeat(32))).toThrow();
    const tampered = Buffer.from(enc);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptSecret(tampered, "a".repeat(32))).toThrow();
    expect(Buffer.compare(Buffer.from(encryptSecret("hunter2", "a".repeat(32))), Buffer.from(enc))).not.toBe(0);
  });

  it("takes the key from WEBHOOK_SECRET_KEY or derives it from AUTH_SECRET", () => {
    const hex = "11".repeat(32);
    expect(webhookSecretKey({ webhookSecretKey: hex, authSecret: "x".repeat(32) })).toEqual(Buffer.from(hex, "hex"));
    expect(webhookSecretKey({ webhookSecretKey: Buffer.alloc(32, 7).toString("base64"), authSecret: "x" })).toEqual(Buffer.alloc(32, 7));
    expect(() => webhookSecretKey({ webhookSecretKey: "short", authSecret: "x" })).toThrow(/32 bytes/);
    const derived = webhookSecretKey({ authSecret: "x".repeat(32) });
    expect(derived).toHaveLength(32);
    expect(webhookSecretKey({ authSecret: "x".repeat(32) })).toEqual(derived);
    expect(webhookSecretKey({ authSecret: "y".repeat(32) })).not.toEqual(derived);
  });
});

describe("retries", () => {
  it("backs off 1, 2, 4 … s with up to 25 % jitter, capped at 60 s", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, null, DEFAULT_RETRY, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(1, null, DEFAULT_RETRY, 1)).toBe(1250);
    expect(retryDelayMs(10, null, DEFAULT_RETRY, 1)).toBe(60_000);
  });

  it("honours Retry-After up to its cap", () => {
    expect(retryDelayMs(1, 30, DEFAULT_RETRY, 0)).toBe(30_000);
    expect(retryDelayMs(1, 100_000, DEFAULT_RETRY, 0)).toBe(300_000);
    expect(retryDelayMs(4, 1, DEFAULT_RETRY, 0)).toBe(8000);
    expect(parseRetryAfter("120")).toBe(120);
    expect(parseRetryAfter(new Date(1_000_000 + 5000).toUTCString(), 1_000_000)).toBe(5);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});

describe("URLs and payloads", () => {
  it("accepts https URLs only, without credentials", () => {
    expect(parseWebhookUrl("https://hooks.example.com/x?y=1")).not.toBeNull();
    for (const bad of ["http://hooks.example.com/", "https://u:p@hooks.example.com/", "ftp://x/", "https://", `https://x.com/${"a".repeat(2100)}`]) {
      expect(parseWebhookUrl(bad), bad).toBeNull();
    }
  });

  it("serves MLflow 3 and Databricks receivers with one body", () => {
    const p = buildPayload({ event: "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION", modelId: 1, modelName: "m", data: { version: "3", from_stage: "Staging", to_stage: "Production" } }, "w".repeat(32), 1_700_000_000_000);
    expect(p).toEqual({
      entity: "model_version",
      action: "transitioned_to_production",
      timestamp: "2023-11-14T22:13:20.000Z",
      data: { name: "m", version: "3", from_stage: "Staging", to_stage: "Production" },
      event: "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
      webhook_id: "w".repeat(32),
      event_timestamp: 1_700_000_000_000,
      model_name: "m",
      version: "3",
      from_stage: "Staging",
      to_stage: "Production",
      text: "Registered model 'm' version 3 transitioned from Staging to Production.",
    });
  });
});
