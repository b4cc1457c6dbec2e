import { invalid } from "../errors.ts";
import { validateKey, validateLength } from "../tracking/validate.ts";
import { STAGES, type Stage } from "./types.ts";

// MLflow's registry input rules (validation.py) with its messages, plus ours where MLflow has none
// (names: no control characters, at most 256 characters).

export const MAX_MODEL_NAME_LENGTH = 256;
export const MAX_REGISTRY_TAG_KEY_LENGTH = 250;
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 5000;
export const MAX_ALIAS_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 64 * 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validateModelName(name: string) {
  if (!name) throw invalid("Missing value for required parameter 'name'. See the API docs for more information about request parameters.");
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    throw invalid(`Registered model name '${name.slice(0, 64)}…' is ${name.length} characters long; the maximum is ${MAX_MODEL_NAME_LENGTH}.`);
  }
  if (CONTROL.test(name)) throw invalid(`Invalid registered model name ${JSON.stringify(name)}: names must not contain control characters.`);
  if (name.trim() !== name || !name.trim()) throw invalid(`Invalid registered model name ${JSON.stringify(name)}: names must not start or end with whitespace.`);
}

export function validateRegistryTag(key: string, value: string) {
  validateKey("tag", key);
  validateLength("Tag key", key, MAX_REGISTRY_TAG_KEY_LENGTH);
  validateLength("Tag value", value, MAX_REGISTRY_TAG_VALUE_LENGTH);
  if (value.includes("\u0000")) throw invalid("Tag value must not contain NUL characters");
}

export function validateDescription(description: string) {
  validateLength("Description", description, MAX_DESCRIPTION_LENGTH);
  if (description.includes("\u0000")) throw invalid("Description must not contain NUL characters");
}

/** A version as the wire sends it ("3", or 3 from some clients) → the number; anything else is a 400. */
export function parseVersion(version: string | number): number {
  const s = String(version).trim();
  if (!/^\d{1,9}$/.test(s) || Number(s) < 1) throw invalid(`Parameter 'version' must be an integer, got '${String(version)}'.`);
  return Number(s);
}

/** Stages are matched case-insensitively and stored canonically ("production" → "Production"). */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.trim().toLowerCase());
  if (!found) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(", ")}.`);
  return found;
}

const ALIAS = /^[\w-]*$/;

export function validateAlias(alias: string) {
  if (!alias) throw invalid("Missing value for required parameter 'alias'. See the API docs for more information about request parameters.");
  if (!ALIAS.test(alias)) {
    throw invalid(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  if (alias.length > MAX_ALIAS_LENGTH) throw invalid(`Alias name exceeds maximum length of ${MAX_ALIAS_LENGTH} characters.`);
  if (alias.toLowerCase() === "latest") throw invalid("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
}
