// bench:serving's ceiling: a bare node:http server, in its own process like the real server, that
// reads a scoring request the way the real route does (body as bytes, then the serving package's
// parseScoringRequest: JSON.parse and the dataframe_split checks) and answers a fixed
// {"predictions":[0]} without scoring, authenticating or routing. GET /health answers OK.
// PORT comes from the environment.
import http from "node:http";
import { parseScoringRequest } from "@modelgate/serving";

const ANSWER = '{"predictions":[0]}';

const server = http.createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("OK");
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    try {
      parseScoringRequest({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), contentType: req.headers["content-type"] });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(ANSWER);
    } catch (e) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error_code: "BAD_REQUEST", message: e instanceof Error ? e.message : String(e) }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
// the bench holds an IPC channel to us: when it goes away (even killed), so do we
process.once("disconnect", () => process.exit(0));
