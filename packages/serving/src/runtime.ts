import { createLoadedModel, type ServedModel } from "./loaded-model.ts";
import { loadSession } from "./onnx-session.ts";
import { type LoadedModel, type ModelRef, type ModelRuntime, type ReadFile } from "./types.ts";

// One onnxruntime session per version key, shared by every endpoint serving that version.
// Concurrent acquires of a key share one load; the session is freed when its last user releases.

interface Entry {
  users: number;
  model: Promise<ServedModel>;
  ready: boolean;
}

/** The runtime's cache key for a model version: endpoints and batch jobs share its session. */
export const versionKey = (modelId: number, version: number) => `${modelId}:${version}`;

export function createModelRuntime({ readFile }: { readFile: ReadFile }): ModelRuntime {
  const entries = new Map<string, Entry>();

  const load = async (ref: ModelRef): Promise<ServedModel> => {
    const session = await loadSession(ref, readFile);
    try {
      return createLoadedModel(ref, session);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
  };

  return {
    async acquire(ref: ModelRef): Promise<LoadedModel> {
      let entry = entries.get(ref.key);
      if (!entry) {
        const created: Entry = { users: 0, ready: false, model: load(ref) };
        entry = created;
        entries.set(ref.key, created);
        created.model.then(
          () => (created.ready = true),
          () => {
            // A failed load is not cached: the next acquire tries again (the file may be fixed).
            if (entries.get(ref.key) === created) entries.delete(ref.key);
          },
        );
      }
      entry.users++;
      try {
        return await entry.model;
      } catch (e) {
        entry.users--;
        throw e;
      }
    },

    release(key: string): void {
      const entry = entries.get(key);
      if (!entry || entry.users === 0) return;
      entry.users--;
      if (entry.users > 0) return;
      entries.delete(key);
      entry.model.then(
        (model) => model.close(),
        () => undefined,
      );
    },

    loaded(): string[] {
      return [...entries].filter(([, e]) => e.ready).map(([key]) => key);
    },
  };
}
