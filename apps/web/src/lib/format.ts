const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  return dateTime.format(typeof d === "string" ? new Date(d) : d);
}

/** The message of a tRPC (or any) error, for a notification or an inline alert. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A submit event of a Mantine component rendered as a form (`component="form"`). */
export interface FormSubmit {
  preventDefault(): void;
  currentTarget: EventTarget;
}
export const formOf = (e: FormSubmit) => e.currentTarget as HTMLFormElement;
