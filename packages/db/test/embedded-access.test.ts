import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closedFolders, EmbeddedPostgresAccessError } from "../src/embedded.ts";

// As root the embedded PostgreSQL runs as the `postgres` user: a checkout in a folder closed to other
// users (root's home, mode 700) must be named before initdb fails with a bare EACCES.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mg-embedded-access-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const other = { uid: 54321, gid: 54321 };

describe("closedFolders", () => {
  it("names the first folder another user cannot enter on the way to the programs", () => {
    const home = path.join(tmp, "home");
    const bin = path.join(home, "modelgate", "node_modules", "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.chmodSync(tmp, 0o755);
    fs.chmodSync(home, 0o700);
    fs.chmodSync(path.join(home, "modelgate"), 0o750);
    expect(closedFolders(bin, other)).toEqual([
      { dir: path.join(home, "modelgate"), mode: 0o750, uid: fs.statSync(home).uid },
      { dir: home, mode: 0o700, uid: fs.statSync(home).uid },
    ]);
    expect(closedFolders(bin, null).map((c) => c.dir)).toEqual([path.join(home, "modelgate"), home]);
  });

  it("passes folders open to others, and the user's own or group's folders", () => {
    const open = path.join(tmp, "open", "bin");
    fs.mkdirSync(open, { recursive: true });
    fs.chmodSync(path.join(tmp, "open"), 0o711);
    expect(closedFolders(open, other)).toEqual([]);
    const mine = path.join(tmp, "mine");
    fs.mkdirSync(mine);
    fs.chmodSync(mine, 0o700);
    const st = fs.statSync(mine);
    expect(closedFolders(mine, { uid: st.uid, gid: -1 })).toEqual([]);
    fs.chmodSync(mine, 0o710);
    expect(closedFolders(mine, { uid: -1, gid: st.gid })).toEqual([]);
  });

  it("says what to do", () => {
    const e = new EmbeddedPostgresAccessError("Its programs are in /root/modelgate/node_modules/…, but /root (mode 700) is closed to other users.");
    expect(e.message).toContain("/root (mode 700)");
    expect(e.message).toContain("move the checkout");
    expect(e.message).toContain("DATABASE_URL");
    expect(e.message).toContain("normal user");
  });
});
