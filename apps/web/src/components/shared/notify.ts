import { notifications } from "@mantine/notifications";
import { errorMessage } from "@/lib/format";

/** A failed mutation as a red notification: for actions taken from a menu or a row, with no form to show it. */
export const notifyError = (e: unknown) => notifications.show({ color: "red", message: errorMessage(e) });

/**
 * A mutation's onSuccess that says what happened, then refreshes what it changed (returning the
 * refresh, so the mutation stays pending until the list is current).
 */
export function notifyAndRefresh<R, V>(message: string | ((result: R, variables: V) => string), refresh: () => Promise<unknown>) {
  return (result: R, variables: V) => {
    notifications.show({ message: typeof message === "string" ? message : message(result, variables) });
    return refresh();
  };
}
