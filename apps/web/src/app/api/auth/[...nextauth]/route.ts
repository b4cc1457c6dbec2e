import type { NextRequest } from "next/server";
import { getAuth } from "@/server/services";

export const dynamic = "force-dynamic";
export const GET = (req: NextRequest) => getAuth().handlers.GET(req);
export const POST = (req: NextRequest) => getAuth().handlers.POST(req);
