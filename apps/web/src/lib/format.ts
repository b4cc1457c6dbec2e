const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

/** A date, an ISO string or epoch milliseconds, to the minute. */
export function formatDateTime(d: Date | string | number | null | undefined): string {
  if (!d) return "—";
  return dateTime.format(d instanceof Date ? d : new Date(d));
}

/** A permission level in words: `MANAGE_STAGING_VERSIONS` → "manage staging versions". */
export const levelLabel = (l: string) => l.toLowerCase().replaceAll("_", " ");

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
