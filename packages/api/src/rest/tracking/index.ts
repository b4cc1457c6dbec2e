import type { FastifyInstance } from "fastify";
import type { DataPlaneOptions } from "../data-plane.ts";

export async function registerTrackingRoutes(_app: FastifyInstance, _opts: DataPlaneOptions) {}
