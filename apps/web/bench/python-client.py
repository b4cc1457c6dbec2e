# The issue's own yardstick: a Python client making log-batch calls from N threads, each with its
# own requests.Session (keep-alive, as MlflowClient's http_request uses one). Bodies arrive already
# serialised, so the client spends nothing on building them: the fastest a Python requests client
# sends, which makes the parse-only ceiling it measures as high as this client can make it.
#
# Input (stdin): {"baseUrl": str, "token": str, "bodies": [[str, ...], ...]} with one list per thread.
# Output (stdout): {"requests": int, "seconds": float, "error": str | null}.
import json
import sys
import threading
import time

import requests


def main() -> None:
    spec = json.load(sys.stdin)
    url = spec["baseUrl"] + "/api/2.0/mlflow/runs/log-batch"
    headers = {"Authorization": "Bearer " + spec["token"], "Content-Type": "application/json"}
    per_thread = [[b.encode("utf-8") for b in bodies] for bodies in spec["bodies"]]
    sessions = [requests.Session() for _ in per_thread]
    counts = [0] * len(per_thread)
    errors: list[str] = []
    start = threading.Barrier(len(per_thread) + 1)

    def send(i: int) -> None:
        s = sessions[i]
        start.wait()
        try:
            for body in per_thread[i]:
                r = s.post(url, data=body, headers=headers)
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}: {r.text[:300]}")
                    return
                r.json()
                counts[i] += 1
        except Exception as e:  # noqa: BLE001 - reported to the bench, which stops on it
            errors.append(repr(e))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(per_thread))]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    json.dump({"requests": sum(counts), "seconds": seconds, "error": errors[0] if errors else None}, sys.stdout)


main()
