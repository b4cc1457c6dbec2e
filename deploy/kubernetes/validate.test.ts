// Offline checks of the deployment recipes (no cluster, no docker): every Kubernetes object in this
// folder against the Kubernetes OpenAPI schemas (kubernetes-models), then the properties the rolling
// restart and drain depend on; docker-compose.yml, deploy/compose/haproxy.cfg and the Dockerfile too.
// The schemas do not reject unknown fields (Kubernetes' own do not either), so what matters is also
// asserted by name below.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Secret, Service } from "kubernetes-models/v1";

const k8sDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(k8sDir, "../..");

type Labels = Record<string, string>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path?: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walked per kind below
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface Loaded {
  file: string;
  object: K8sObject;
}

// apiVersion/kind -> model class whose validate() checks the object against the Kubernetes schema
const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
};

const yamlFiles = fs
  .readdirSync(k8sDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function loadDocuments(file: string): unknown[] {
  const docs = parseAllDocuments(fs.readFileSync(path.join(k8sDir, file), "utf8"));
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
  return docs.map((d) => d.toJS() as unknown).filter((o) => o != null);
}

const kustomizationFile = "kustomization.yaml";
const objects: Loaded[] = yamlFiles
  .filter((f) => f !== kustomizationFile)
  .flatMap((file) => loadDocuments(file).map((object) => ({ file, object: object as K8sObject })));

function only(kind: string, file?: string): K8sObject {
  const found = objects.filter((o) => o.object.kind === kind && (!file || o.file === file));
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found: ${found.map((o) => `${o.file} ${o.object.metadata.name}`).join(", ") || "none"}`);
  return found[0]!.object;
}

const selects = (selector: Labels, labels: Labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const seconds = (d: string) => {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(d.trim());
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
};
const mebibytes = (q: string) => {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[(m[2] ?? "") as "Mi"] ?? 1 / 2 ** 20;
  return Number(m[1]) * unit;
};

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  it("parse, and every object validates against the Kubernetes schema", () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const { file, object } of objects) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${file}: ${object.apiVersion} ${object.kind} has no validator here`).toBeDefined();
      expect(() => new Model!(object as never).validate(), `${file}: ${object.kind} ${object.metadata?.name}`).not.toThrow();
      // namespace-agnostic: the namespace comes from kubectl -n or an overlay
      expect(object.metadata.namespace, `${file}: no namespace`).toBeUndefined();
    }
  });

  it("a schema violation is caught (the validator is live)", () => {
    const deployment = structuredClone(only("Deployment"));
    deployment.spec.template.spec.containers[0].readinessProbe.httpGet.port = undefined;
    deployment.spec.replicas = "two";
    expect(() => new Deployment(deployment as never).validate()).toThrow();
  });

  it("kustomization: applies the manifests but not the Secret example nor the Ingress example", () => {
    const k = parseYaml(fs.readFileSync(path.join(k8sDir, kustomizationFile), "utf8")) as {
      kind: string;
      resources: string[];
      images: { name: string; newName?: string; newTag?: string }[];
      namespace?: string;
    };
    expect(k.kind).toBe("Kustomization");
    expect(k.namespace).toBeUndefined();
    for (const r of k.resources) expect(fs.existsSync(path.join(k8sDir, r)), r).toBe(true);
    expect(k.resources).not.toContain("secret.example.yaml");
    expect(k.resources).not.toContain("ingress.yaml");
    expect([...k.resources, "secret.example.yaml", "ingress.yaml"].sort()).toEqual(yamlFiles.filter((f) => f !== kustomizationFile));
    // the images: entry rewrites the containers' image
    const pod = only("Deployment").spec.template.spec as { containers: Container[]; initContainers: Container[] };
    for (const c of [...pod.initContainers, ...pod.containers]) expect(k.images.map((i) => i.name)).toContain(c.image!.split(":")[0]);
  });

  describe("the Deployment", () => {
    const deployment = only("Deployment");
    const config = only("ConfigMap").data!;
    const secret = only("Secret", "secret.example.yaml");
    const pod = deployment.spec.template.spec as {
      terminationGracePeriodSeconds: number;
      securityContext: { runAsNonRoot?: boolean };
      initContainers: Container[];
      containers: Container[];
      volumes: { name: string; emptyDir?: object }[];
      topologySpreadConstraints?: { labelSelector: { matchLabels: Labels } }[];
      affinity?: { podAntiAffinity?: object };
    };
    const podLabels = deployment.spec.template.metadata.labels as Labels;
    const [server, ...others] = pod.containers;

    it("runs 2 replicas, rolls one new pod at a time without ever going below", () => {
      expect(others).toHaveLength(0);
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    });

    it("probes: readiness /ready, liveness and start-up /health, on the server's port", () => {
      const http = server!.ports!.find((p) => p.name === "http")!;
      expect(http.containerPort).toBe(Number(config.PORT ?? 3000));
      expect(server!.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "http" }, periodSeconds: 5, failureThreshold: 2 });
      expect(server!.livenessProbe).toMatchObject({ httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 6 });
      expect(server!.startupProbe).toMatchObject({ httpGet: { path: "/health", port: "http" } });
      // generous: migrations and start-up may take minutes
      const s = server!.startupProbe!;
      expect((s.periodSeconds ?? 10) * (s.failureThreshold ?? 3)).toBeGreaterThanOrEqual(120);
    });

    it("terminationGracePeriodSeconds exceeds the drain (SHUTDOWN_DELAY_SECONDS + DRAIN_TIMEOUT_SECONDS)", () => {
      const delay = Number(config.SHUTDOWN_DELAY_SECONDS ?? 5);
      const drain = Number(config.DRAIN_TIMEOUT_SECONDS ?? 20);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(delay + drain);
    });

    it("migrations: an init container runs the migrate entry; the server then does not migrate", () => {
      expect(pod.initContainers).toHaveLength(1);
      const init = pod.initContainers[0]!;
      expect(init.command).toEqual(["node", "apps/web/dist/migrate.mjs"]);
      expect(init.image).toBe(server!.image);
      expect(init.env?.map((e) => e.name)).toContain("DATABASE_URL");
      expect(server!.command).toEqual(["node", "apps/web/dist/server.mjs"]);
      expect(server!.env?.find((e) => e.name === "MIGRATE_ON_START")?.value).toBe("false");
    });

    it("every secretKeyRef names a key of the Secret example; the ConfigMap is the one applied", () => {
      const secretKeys = new Set(Object.keys({ ...secret.data, ...secret.stringData }));
      const refs = [...pod.initContainers, ...pod.containers].flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])));
      expect(refs.length).toBeGreaterThanOrEqual(4);
      for (const ref of refs) {
        expect(ref.name).toBe(secret.metadata.name);
        expect(secretKeys, `secret key ${ref.key}`).toContain(ref.key);
      }
      for (const c of [...pod.initContainers, ...pod.containers]) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expect(from.configMapRef.name).toBe(only("ConfigMap").metadata.name);
          if (from.secretRef) expect(from.secretRef.name).toBe(secret.metadata.name);
        }
      }
      // the shared configuration every replica needs, from the Secret or the ConfigMap
      const provided = new Set([...(server!.env ?? []).map((e) => e.name), ...Object.keys(config)]);
      for (const name of ["DATABASE_URL", "AUTH_SECRET", "ARTIFACTS_DESTINATION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "DATA_DIR", "TRUST_PROXY", "HOST"]) {
        expect(provided, name).toContain(name);
      }
      expect(config.ARTIFACTS_DESTINATION).toMatch(/^s3:\/\//);
      // the example is recognisably an example
      expect(Object.values(secret.stringData ?? {}).every((v) => v.includes("CHANGE-ME"))).toBe(true);
    });

    it("non-root, memory requests and limits, DATA_DIR on an emptyDir, spread over nodes", () => {
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const { requests, limits } = server!.resources!;
      expect(mebibytes(requests!.memory!)).toBeGreaterThan(0);
      expect(mebibytes(limits!.memory!)).toBeGreaterThanOrEqual(mebibytes(requests!.memory!));
      expect(requests!.cpu, "the HPA's utilisation is a share of the CPU request").toBeDefined();
      const mount = server!.volumeMounts!.find((m) => m.mountPath === config.DATA_DIR);
      expect(pod.volumes.find((v) => v.name === mount?.name)?.emptyDir).toBeDefined();
      const spread = pod.topologySpreadConstraints ?? [];
      expect(spread.length > 0 || pod.affinity?.podAntiAffinity !== undefined).toBe(true);
      for (const c of spread) expect(selects(c.labelSelector.matchLabels, podLabels)).toBe(true);
    });

    it("the Service, the PodDisruptionBudget and the autoscaler select these pods", () => {
      const service = only("Service");
      expect(service.spec.type ?? "ClusterIP").toBe("ClusterIP");
      expect(selects(service.spec.selector, podLabels)).toBe(true);
      const [port] = service.spec.ports as { port: number; targetPort: string | number }[];
      expect(port!.port).toBe(80);
      const target = server!.ports!.find((p) => p.name === port!.targetPort || p.containerPort === port!.targetPort);
      expect(target?.containerPort).toBe(3000);

      const pdb = only("PodDisruptionBudget");
      expect(pdb.spec.minAvailable).toBe(1);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);

      const hpa = only("HorizontalPodAutoscaler");
      expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);

      const ingress = only("Ingress");
      expect(ingress.metadata.annotations?.["nginx.ingress.kubernetes.io/proxy-body-size"]).toBe("0");
      const backend = ingress.spec.rules[0].http.paths[0].backend.service as { name: string; port: { name?: string; number?: number } };
      expect(backend.name).toBe(service.metadata.name);
      if (backend.port.name) expect((service.spec.ports as { name: string }[]).map((p) => p.name)).toContain(backend.port.name);
      else expect(backend.port.number).toBe(80);
    });
  });
});

describe("Docker Compose (docker-compose.yml, deploy/compose/haproxy.cfg)", () => {
  interface ComposeService {
    image?: string;
    build?: unknown;
    deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
    environment?: Record<string, string>;
    ports?: string[];
    volumes?: string[];
    healthcheck?: { test: string[] | string };
    stop_grace_period?: string;
    depends_on?: Record<string, { condition: string }>;
  }
  const compose = parseYaml(fs.readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8")) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const apps = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const [lbName, lb] = Object.entries(services).find(([, s]) => s.image?.startsWith("haproxy:"))!;

  // haproxy.cfg as sections: "backend replicas" -> its lines (comments dropped)
  const sections = new Map<string, string[]>();
  let current = "";
  for (const raw of fs.readFileSync(path.join(repoRoot, "deploy/compose/haproxy.cfg"), "utf8").split("\n")) {
    const line = raw.replace(/#.*$/, "").trimEnd();
    if (!line.trim()) continue;
    if (/^\S/.test(line)) sections.set((current = line.trim()), []);
    else sections.get(current)!.push(line.trim().replace(/\s+/g, " "));
  }
  const section = (prefix: string) => {
    const name = [...sections.keys()].find((k) => k.startsWith(prefix));
    expect(name, `haproxy.cfg section ${prefix}`).toBeDefined();
    return sections.get(name!)!;
  };

  it("keeps db (postgres:17), minio and minio-init", () => {
    expect(services.db?.image).toBe("postgres:17");
    expect(services.minio?.image).toMatch(/minio/);
    expect(services["minio-init"]?.image).toMatch(/minio\/mc/);
  });

  it("runs 2 app replicas that share one AUTH_SECRET (required) and keep artifacts in MinIO", () => {
    const replicas = apps.reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    expect(replicas).toBeGreaterThanOrEqual(2);
    for (const [name, s] of apps) {
      expect(s.environment?.AUTH_SECRET, name).toMatch(/^\$\{AUTH_SECRET:\?[^}]+\}$/);
      expect(s.environment?.ARTIFACTS_DESTINATION, name).toMatch(/^s3:\/\//);
      expect(s.environment?.MLFLOW_S3_ENDPOINT_URL, name).toBe("http://minio:9000");
      expect(s.environment?.TRUST_PROXY, name).toBe("true");
      expect(s.ports, `${name}: only the balancer is published`).toBeUndefined();
      expect(JSON.stringify(s.healthcheck?.test), name).toContain("/ready");
      expect(seconds(s.stop_grace_period!), name).toBe(40);
      expect(seconds(s.stop_grace_period!)).toBeGreaterThan(5 + 20);
      expect(s.deploy?.resources?.limits?.memory, `${name}: memory limit`).toBeDefined();
      expect(s.depends_on?.db?.condition).toBe("service_healthy");
      expect(s.depends_on?.["minio-init"]?.condition).toBe("service_completed_successfully");
    }
  });

  it("puts HAProxy in front, published alone, with its config mounted read-only", () => {
    expect(lb.image).toBe("haproxy:2.8");
    expect(lb.volumes).toContain("./deploy/compose/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro");
    expect(lb.ports).toEqual(["${MODELGATE_PORT:-3000}:3000"]);
    expect(Object.keys(lb.depends_on ?? {})).toEqual(apps.map(([n]) => n));
    const published = Object.entries(services).filter(([, s]) => s.ports?.length).map(([n]) => n);
    expect(published).toEqual([lbName]);
    expect(section("frontend")).toContain("bind :3000");
  });

  it("HAProxy: round robin over the ready replicas found by DNS, retries for restarts, long timeouts", () => {
    const backend = section("backend");
    expect(backend).toContain("balance roundrobin");
    expect(backend.some((l) => /^option httpchk GET \/ready\b/.test(l))).toBe(true);
    expect(backend).toContain("http-check expect status 200");
    const retryOn = backend.find((l) => l.startsWith("retry-on "))!.split(" ").slice(1);
    expect(retryOn).toEqual(expect.arrayContaining(["conn-failure", "empty-response"]));
    expect(backend).toContain("retries 3");
    expect(backend.some((l) => /^option redispatch\b/.test(l))).toBe(true);
    // the replicas by their compose service name: server-template with the docker resolvers, or one server each
    const template = backend.find((l) => l.startsWith("server-template "));
    if (apps.length === 1) {
      expect(template).toMatch(new RegExp(`^server-template \\S+ \\d+(-\\d+)? ${apps[0]![0]}:3000\\b`));
      const defaults = backend.find((l) => l.startsWith("default-server ")) ?? "";
      expect(`${template} ${defaults}`).toMatch(/\bresolvers docker\b/);
      expect(`${template} ${defaults}`).toMatch(/\bcheck\b/);
      expect(section("resolvers docker")).toContain("nameserver dns 127.0.0.11:53");
    } else {
      for (const [name] of apps) expect(backend.some((l) => new RegExp(`^server \\S+ ${name}:3000\\b.*\\bcheck\\b`).test(l)), name).toBe(true);
    }
    const defaults = section("defaults");
    expect(defaults).toContain("timeout client 10m");
    expect(defaults).toContain("timeout server 10m");
    expect(defaults).toContain("mode http");
  });
});

describe("the image (apps/web/Dockerfile)", () => {
  const dockerfile = fs.readFileSync(path.join(repoRoot, "apps/web/Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const instructions = dockerfile.split("\n").filter((l) => /^[A-Z]+\s/.test(l));
  const runtime = instructions.slice(instructions.findLastIndex((l) => l.startsWith("FROM ")));

  it("builds the portal and the compiled server, runs it as a non-root user with a readiness health check", () => {
    expect(instructions.filter((l) => l.startsWith("FROM ")).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci && npm run build\b/);
    expect(runtime).toContain('CMD ["node", "apps/web/dist/server.mjs"]');
    expect(runtime.find((l) => l.startsWith("USER "))).toMatch(/^USER (?!root\b|0\b)\S+/);
    expect(runtime).toContain("EXPOSE 3000");
    expect(runtime).toContain("STOPSIGNAL SIGTERM");
    expect(runtime.find((l) => l.startsWith("HEALTHCHECK "))).toContain("http://127.0.0.1:3000/ready");
  });
});
