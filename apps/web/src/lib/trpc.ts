"use client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@modelgate/api/trpc";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
