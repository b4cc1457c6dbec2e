// bench:tracing's ceiling: a bare node:http server that reads each OTLP/HTTP body, decodes it with
// the server's own decoder (decodeProtobuf from packages/api's otlp-proto.ts: the protobufjs schema
// and the conversion to core's spans) and answers an empty ExportTraceServiceResponse, without
// authentication, routing or a database. Its own process, like the server under test. PORT comes
// from the environment.
import http from "node:http";
import { EMPTY_RESPONSE_PROTOBUF, decodeProtobuf } from "../../../packages/api/src/rest/tracing/otlp-proto.ts";

let spans = 0;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (req.url === "/__bench/spans") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ spans }));
      return;
    }
    try {
      spans += decodeProtobuf(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).length;
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end(EMPTY_RESPONSE_PROTOBUF);
    } catch (e) {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end((e as Error).message);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
// the bench holds an IPC channel to us: when it goes away (even killed), so do we
process.once("disconnect", () => process.exit(0));
