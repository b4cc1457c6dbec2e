# The real mlflow client (3.x) logging and registering a model, as a training script does:
# `mlflow.sklearn.log_model(model, name="model", registered_model_name=...)` inside a run. The
# server's own request-duration histogram (/metrics) is read before and after each call, so the
# figure is the server's time for the calls the client made, artifact uploads left out.
#
# Environment: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN (set by the bench), PYTHONPATH with mlflow
# 3.x and scikit-learn (see shared/tools/mlflow-client). Output (stdout, last line): JSON
# {"server_ms": [..], "calls": [..], "wall_ms": [..], "version": str}.
import json
import os
import re
import time

import numpy as np
import requests

import mlflow
from sklearn.linear_model import LogisticRegression

BASE = os.environ["MLFLOW_TRACKING_URI"]
METRIC = re.compile(r'modelgate_http_request_duration_seconds_(sum|count)\{method="(\w+)",route="([^"]+)"\} ([0-9.e+-]+)')


def snapshot():
    out = {"sum": {}, "count": {}}
    for line in requests.get(f"{BASE}/metrics", timeout=30).text.splitlines():
        m = METRIC.match(line)
        if m:
            out[m.group(1)][(m.group(2), m.group(3))] = float(m.group(4))
    return out


def main(samples: int = 10, warmups: int = 3) -> None:
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    clf = LogisticRegression().fit(x, np.array([0, 1, 1, 0]))
    mlflow.set_experiment(f"bench-real-client-{int(time.time())}")
    name = f"bench-real-client-{int(time.time())}"
    server, calls, wall = [], [], []
    for i in range(warmups + samples):
        with mlflow.start_run():
            mlflow.log_param("alpha", 0.1)
            mlflow.log_metric("acc", 0.9)
            before = snapshot()
            t0 = time.perf_counter()
            mlflow.sklearn.log_model(clf, name="model", registered_model_name=name)
            elapsed = time.perf_counter() - t0
            after = snapshot()
        keys = [k for k in after["sum"] if "mlflow-artifacts" not in k[1] and k[1] != "/metrics"]
        if i >= warmups:
            server.append(1000 * sum(after["sum"][k] - before["sum"].get(k, 0) for k in keys))
            calls.append(sum(after["count"][k] - before["count"].get(k, 0) for k in keys))
            wall.append(1000 * elapsed)
    print(json.dumps({"server_ms": server, "calls": calls, "wall_ms": wall, "version": mlflow.__version__}))


if __name__ == "__main__":
    main()
