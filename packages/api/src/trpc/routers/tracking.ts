import { router } from "../init.ts";

/** The portal's experiment-tracking procedures (experiments, runs, metrics, artifacts, compare). */
export const trackingRouter = router({});
