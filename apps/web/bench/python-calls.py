# The single calls a training script makes, one request each, as the mlflow client sends them
# (python3 + requests.Session, keep-alive, JSON bodies on POST, query strings on GET), timed against
# Modelgate and against the parse-only server in the same rounds: each round sends every call to
# both, in alternating order, with the very same bytes (ids come from Modelgate's answers; the
# parse-only server answers {} and ignores them). A call's time is the client's: send, wait, read
# and json-decode the answer.
#
# Modes (the spec's "mode"):
# - "calls": the per-call table. Input: {"modelgate": {"baseUrl", "token"}, "ceiling": {...},
#   "group": "tracking" | "registry", "rounds", "warmup", "stamp"}.
#   Output: {"calls": [{"name", "modelgate": [ms...], "ceiling": [ms...]}], "error"}.
# - "batches": log-batch bodies from N threads, in order, one request in flight each, serialised
#   beforehand (the fastest a Python requests client sends). Input: {"target", "bodies": [[body,
#   ...] per thread]}. Output: {"seconds", "requests", "error"}.
# - "ingest": bench:tracking's ingest shape from N threads (a Session each): per run runs/create,
#   then its log-batch bodies (serialised beforehand with the run id as "__RUN_ID__", which the
#   thread replaces with the id runs/create answered), then runs/update. Input: {"target",
#   "experimentId", "threads": [[[body, ...] per run] per thread]}. Output: {"seconds", "requests", "error"}.
# - "versions": N threads x K model-versions/create on one model. Input: {"target", "body",
#   "threads", "perThread"}. Output: {"seconds", "versions": [int...], "error"}.
# - "search": the same POST runs/search body sent `repeats` times after `warmup`, answer read and
#   json-decoded. Input: {"target", "body", "repeats", "warmup"}. Output: {"ms": [...], "runs", "error"}.
import json
import sys
import threading
import time

import requests

API = "/api/2.0/mlflow/"


class Target:
    def __init__(self, spec):
        self.base = spec["baseUrl"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + spec["token"]

    def call(self, method, path, body=None, query=None, data=None, url=None):
        t0 = time.perf_counter()
        if method == "GET":
            r = self.session.get(url or self.base + API + path, params=query)
        elif data is not None:
            r = self.session.request(method, url or self.base + API + path, data=data, headers={"Content-Type": "application/json"})
        else:
            r = self.session.request(method, url or self.base + API + path, json=body)
        out = r.json() if r.content else {}
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path}: HTTP {r.status_code}: {r.text[:300]}")
        return out, ms


def calls(spec) -> None:
    mg, ceiling = Target(spec["modelgate"]), Target(spec["ceiling"])
    group = spec["group"]
    stamp = spec["stamp"]
    rounds, warmup = spec["rounds"], spec["warmup"]

    # set-up through Modelgate, untimed: an experiment, a registered model, one artifact
    exp_name = f"py-calls-{stamp}"
    exp_id = mg.call("POST", "experiments/create", {"name": exp_name})[0]["experiment_id"]
    model = f"py-calls-model-{stamp}"
    mg.call("POST", "registered-models/create", {"name": model})
    now = int(time.time() * 1000)
    batch_body = json.dumps(
        {
            "metrics": [{"key": f"m{i % 10}", "value": i * 0.5, "timestamp": now, "step": i // 10} for i in range(500)],
            "params": [],
            "tags": [],
        }
    )

    names = (
        [
            "runs/create",
            "runs/log-parameter",
            "runs/log-metric",
            "runs/set-tag",
            "runs/delete-tag",
            "runs/log-batch (500 points)",
            "runs/get",
            "artifacts/list",
            "runs/update",
            "experiments/get",
            "experiments/get-by-name",
        ]
        if group == "tracking"
        else ["registered-models/get", "model-versions/create", "model-versions/get", "registered-models/get-latest-versions"]
    )
    times = {n: {"modelgate": [], "ceiling": []} for n in names}

    def one_round(i: int, record: bool) -> None:
        # Modelgate first on even rounds, the parse-only server first on odd ones
        order = [(mg, "modelgate"), (ceiling, "ceiling")] if i % 2 == 0 else [(ceiling, "ceiling"), (mg, "modelgate")]
        state = {}

        def both(name, method, path, body=None, query=None, data=None, url=None):
            for target, label in order:
                out, ms = target.call(method, path, body, query, data, url and url.replace("{base}", target.base))
                if label == "modelgate":
                    state[name] = out
                if record:
                    times[name][label].append(ms)
            return state[name]

        ts = int(time.time() * 1000)
        create_body = {
            "experiment_id": exp_id,
            "user_id": "bench",
            "start_time": ts,
            "tags": [
                {"key": "mlflow.user", "value": "bench"},
                {"key": "mlflow.source.name", "value": "train.py"},
                {"key": "mlflow.source.type", "value": "LOCAL"},
                {"key": "mlflow.runName", "value": f"round-{i}"},
            ],
        }
        if group == "registry":
            # a run with a model in it to register (untimed, Modelgate only)
            run_id = mg.call("POST", "runs/create", create_body)[0]["run"]["info"]["run_id"]
            mg.call("PUT", "", data=b"flavors: {}\n", url=f"{mg.base}/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/model/MLmodel")
            both("registered-models/get", "GET", "registered-models/get", query={"name": model})
            source = f"mlflow-artifacts:/{exp_id}/{run_id}/artifacts/model"
            mv = both("model-versions/create", "POST", "model-versions/create", {"name": model, "source": source, "run_id": run_id})
            both("model-versions/get", "GET", "model-versions/get", query={"name": model, "version": mv["model_version"]["version"]})
            both("registered-models/get-latest-versions", "POST", "registered-models/get-latest-versions", {"name": model, "stages": []})
            return
        run = both("runs/create", "POST", "runs/create", create_body)
        run_id = run["run"]["info"]["run_id"]
        both("runs/log-parameter", "POST", "runs/log-parameter", {"run_id": run_id, "run_uuid": run_id, "key": "lr", "value": "0.01"})
        both("runs/log-metric", "POST", "runs/log-metric", {"run_id": run_id, "run_uuid": run_id, "key": "loss", "value": 0.5, "timestamp": ts, "step": 0})
        both("runs/set-tag", "POST", "runs/set-tag", {"run_id": run_id, "run_uuid": run_id, "key": "phase", "value": "train"})
        both("runs/delete-tag", "POST", "runs/delete-tag", {"run_id": run_id, "key": "phase"})
        both("runs/log-batch (500 points)", "POST", "runs/log-batch", data=('{"run_id":"' + run_id + '",' + batch_body[1:]).encode())
        both("runs/get", "GET", "runs/get", query={"run_id": run_id})
        # a file for the listing to find (untimed, Modelgate only)
        mg.call("PUT", "", data=b"flavors: {}\n", url=f"{mg.base}/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/model/MLmodel")
        both("artifacts/list", "GET", "artifacts/list", query={"run_id": run_id, "path": "model"})
        both("runs/update", "POST", "runs/update", {"run_id": run_id, "run_uuid": run_id, "status": "FINISHED", "end_time": ts + 1})
        both("experiments/get", "GET", "experiments/get", query={"experiment_id": exp_id})
        both("experiments/get-by-name", "GET", "experiments/get-by-name", query={"experiment_name": exp_name})

    try:
        for i in range(warmup):
            one_round(i, False)
        for i in range(rounds):
            one_round(i, True)
        error = None
    except Exception as e:  # noqa: BLE001 - reported to the bench
        error = repr(e)
    calls = [{"name": n, **times[n]} for n in names]
    json.dump({"calls": calls, "error": error}, sys.stdout)


def threads_run(n: int, work) -> tuple[float, list[str]]:
    """Runs work(i) on n threads released together; the seconds from release to the last one's end."""
    errors: list[str] = []
    start = threading.Barrier(n + 1)

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except Exception as e:  # noqa: BLE001 - reported to the bench
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, errors


# what the parse-only server's runs/create answers ({}) leaves the client to use as the run id
CEILING_RUN_ID = "0" * 32


def batches(spec) -> None:
    per_thread = spec["bodies"]
    targets = [Target(spec["target"]) for _ in per_thread]
    counts = [0] * len(per_thread)

    def work(i: int) -> None:
        for body in per_thread[i]:
            targets[i].call("POST", "runs/log-batch", data=body.encode())
            counts[i] += 1

    seconds, errors = threads_run(len(per_thread), work)
    json.dump({"seconds": seconds, "requests": sum(counts), "error": errors[0] if errors else None}, sys.stdout)


def ingest(spec) -> None:
    per_thread = spec["threads"]
    targets = [Target(spec["target"]) for _ in per_thread]
    exp_id = spec["experimentId"]
    counts = [0] * len(per_thread)

    def work(i: int) -> None:
        t = targets[i]
        for n, bodies in enumerate(per_thread[i]):
            out, _ = t.call("POST", "runs/create", {"experiment_id": exp_id, "run_name": f"py-ingest-{i}-{n}", "start_time": int(time.time() * 1000), "tags": []})
            run_id = out["run"]["info"]["run_id"] if out else CEILING_RUN_ID
            for body in bodies:
                t.call("POST", "runs/log-batch", data=body.replace("__RUN_ID__", run_id).encode())
            t.call("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)})
            counts[i] += 2 + len(bodies)

    seconds, errors = threads_run(len(per_thread), work)
    json.dump({"seconds": seconds, "requests": sum(counts), "error": errors[0] if errors else None}, sys.stdout)


def versions(spec) -> None:
    n, per = spec["threads"], spec["perThread"]
    targets = [Target(spec["target"]) for _ in range(n)]
    body = spec["body"].encode()
    numbers: list[int] = []

    def work(i: int) -> None:
        for _ in range(per):
            out, _ = targets[i].call("POST", "model-versions/create", data=body)
            if out:
                numbers.append(int(out["model_version"]["version"]))

    seconds, errors = threads_run(n, work)
    json.dump({"seconds": seconds, "versions": numbers, "errors": len(errors), "error": errors[0] if errors else None}, sys.stdout)


def search(spec) -> None:
    t = Target(spec["target"])
    body = spec["body"].encode()
    ms: list[float] = []
    runs = 0
    try:
        for i in range(spec["warmup"] + spec["repeats"]):
            out, took = t.call("POST", "runs/search", data=body)
            runs = len(out.get("runs", []))
            if i >= spec["warmup"]:
                ms.append(took)
        error = None
    except Exception as e:  # noqa: BLE001 - reported to the bench
        error = repr(e)
    json.dump({"ms": ms, "runs": runs, "error": error}, sys.stdout)


def main() -> None:
    spec = json.load(sys.stdin)
    {"calls": calls, "batches": batches, "ingest": ingest, "versions": versions, "search": search}[spec["mode"]](spec)


main()
