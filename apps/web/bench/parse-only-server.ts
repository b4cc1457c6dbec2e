// The ceiling: a bare node:http server that reads each request body, JSON-parses it and answers {}
// without touching a database. Run as its own process so it gets a core of its own, like the real
// server. PORT comes from the environment.
//
// `PUT /__bench/canned?path=<path>` stores a body to answer on <path> instead of {} (the runs/search
// ceiling answers the very bytes Modelgate answered, so the client reads and decodes as much); an
// empty body forgets it.
import http from "node:http";

const canned = new Map<string, Buffer>();

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    const body = Buffer.concat(chunks);
    if (req.method === "PUT" && url.pathname === "/__bench/canned") {
      const at = url.searchParams.get("path") ?? "";
      if (body.length) canned.set(at, body);
      else canned.delete(at); // an empty body: back to {}
      res.writeHead(204).end();
      return;
    }
    try {
      if (chunks.length) JSON.parse(body.toString("utf8"));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(canned.get(url.pathname) ?? "{}");
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end('{"error_code":"INVALID_PARAMETER_VALUE","message":"Malformed JSON"}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
// the bench holds an IPC channel to us: when it goes away (even killed), so do we
process.once("disconnect", () => process.exit(0));
