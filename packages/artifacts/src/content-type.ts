// A guessed Content-Type for downloads, from the file extension (as MLflow guesses with Python's
// mimetypes). Types a browser would render or run under our origin (HTML, SVG, JS) go out as
// text/plain: artifacts are user uploads, and this is the portal's origin.

const byExtension: Record<string, string> = {
  txt: "text/plain",
  log: "text/plain",
  md: "text/plain",
  yaml: "text/plain",
  yml: "text/plain",
  mlmodel: "text/plain",
  py: "text/plain",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  json: "application/json",
  xml: "application/xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
  pdf: "application/pdf",
  gz: "application/gzip",
  zip: "application/zip",
  tar: "application/x-tar",
  parquet: "application/octet-stream",
  html: "text/plain",
  htm: "text/plain",
  svg: "text/plain",
  js: "text/plain",
};

export function guessContentType(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  if (name === "mlmodel" || name === "requirements.txt") return "text/plain";
  const dot = name.lastIndexOf(".");
  return (dot > 0 && byExtension[name.slice(dot + 1)]) || "application/octet-stream";
}
