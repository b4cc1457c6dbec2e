import type { RegistryTagView } from "@modelgate/core";

// MLflow 3's prompt registry keeps prompts as registered models: the model and its versions are
// tagged mlflow.prompt.is_prompt = true, each version holds its template in mlflow.prompt.text
// (a chat template is a JSON list of {role, content}), its type in _mlflow_prompt_type, and its
// commit message as the version's description.

export const PROMPT_TAG = "mlflow.prompt.is_prompt";
export const PROMPT_TEXT_TAG = "mlflow.prompt.text";
export const PROMPT_TYPE_TAG = "_mlflow_prompt_type";
export const PROMPT_RESPONSE_FORMAT_TAG = "_mlflow_prompt_response_format";

export const isPrompt = (tags: readonly RegistryTagView[] | undefined) => (tags ?? []).some((t) => t.key === PROMPT_TAG && t.value.toLowerCase() === "true");

/** The prompt registry's own tags: shown as the prompt view, not in the tags card. */
export const isPromptSystemTag = (key: string) => key.startsWith("mlflow.prompt.") || key.startsWith("_mlflow_prompt");
export const withoutPromptTags = (tags: RegistryTagView[] | undefined) => tags?.filter((t) => !isPromptSystemTag(t.key));

export interface ChatMessage {
  role: string;
  content: string;
}

export interface PromptTemplate {
  type: "text" | "chat";
  /** The template as stored (a chat template's JSON included). */
  text: string;
  /** A chat template's messages (null for text, or when its JSON does not parse). */
  messages: ChatMessage[] | null;
  /** The {{ variables }} the template uses, in order of first use. */
  variables: string[];
  responseFormat: string | null;
}

function chatMessages(text: string): ChatMessage[] | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return null;
    return parsed.map((m: unknown) => {
      const o = (m ?? {}) as { role?: unknown; content?: unknown };
      return { role: String(o.role ?? ""), content: typeof o.content === "string" ? o.content : JSON.stringify(o.content ?? "", null, 2) };
    });
  } catch {
    return null;
  }
}

/** A prompt version's template from its tags (null when it has none). */
export function promptTemplateOf(tags: readonly RegistryTagView[] | undefined): PromptTemplate | null {
  const tag = (key: string) => tags?.find((t) => t.key === key)?.value;
  const text = tag(PROMPT_TEXT_TAG);
  if (text === undefined) return null;
  const declared = tag(PROMPT_TYPE_TAG);
  const messages = declared === "text" ? null : chatMessages(text);
  const type = declared === "chat" || (!declared && messages) ? "chat" : "text";
  const variables = [...new Set([...text.matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]!))];
  return { type, text, messages: type === "chat" ? messages : null, variables, responseFormat: tag(PROMPT_RESPONSE_FORMAT_TAG) ?? null };
}
