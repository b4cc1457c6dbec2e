import { describe, expect, it } from "vitest";
import { createPartUrlSigner, guessContentType, InvalidArtifactPathError, normalizeArtifactPath } from "../src/index.ts";

describe("normalizeArtifactPath", () => {
  it("keeps safe relative paths, dropping empty and `.` segments", () => {
    expect(normalizeArtifactPath("1/abc/artifacts/model/MLmodel")).toBe("1/abc/artifacts/model/MLmodel");
    expect(normalizeArtifactPath("a//./b/")).toBe("a/b");
    expect(normalizeArtifactPath("")).toBe("");
    expect(normalizeArtifactPath("file with %20 and ..dots..")).toBe("file with %20 and ..dots..");
  });

  it.each(["..", "a/../b", "a/%2e%2e/b", "a/%2E%2e", "a/%252e%252e/b", "a/%25252e%25252e/b", "/abs", "%2fabs", "C:/x", "a\\b", "a%5cb", "a\0b", "a%00b", "a;b", "a#b", "a%23b"])(
    "rejects %j",
    (p) => expect(() => normalizeArtifactPath(p)).toThrow(InvalidArtifactPathError),
  );
});

describe("part URL signer", () => {
  it("signs path, upload id and part number; other keys, parts or paths fail", () => {
    const signer = createPartUrlSigner();
    const url = new URL(signer.url("1/r/artifacts/a b.bin", "up1", 3), "http://x");
    expect(url.pathname).toBe("/api/2.0/mlflow-artifacts/mpu/upload/1/r/artifacts/a%20b.bin");
    const q = Object.fromEntries(url.searchParams);
    expect(signer.verify("1/r/artifacts/a b.bin", q)).toBe(true);
    expect(signer.verify("1/r/artifacts/other.bin", q)).toBe(false);
    expect(signer.verify("1/r/artifacts/a b.bin", { ...q, upload_id: "up2" })).toBe(false);
    expect(signer.verify("1/r/artifacts/a b.bin", { ...q, expires: String(Number(q.expires) + 1) })).toBe(false);
    expect(createPartUrlSigner().verify("1/r/artifacts/a b.bin", q)).toBe(false);
  });

  it("expires", () => {
    const signer = createPartUrlSigner(undefined, -1);
    const q = Object.fromEntries(new URL(signer.url("p", "u", 1), "http://x").searchParams);
    expect(signer.verify("p", q)).toBe(false);
  });
});

describe("guessContentType", () => {
  it("guesses from the extension and never serves active content as such", () => {
    expect(guessContentType("a/b.json")).toBe("application/json");
    expect(guessContentType("model/MLmodel")).toBe("text/plain");
    expect(guessContentType("x.png")).toBe("image/png");
    expect(guessContentType("page.html")).toBe("text/plain");
    expect(guessContentType("noext")).toBe("application/octet-stream");
  });
});
