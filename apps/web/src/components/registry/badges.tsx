import { Badge, Group, Text } from "@mantine/core";
import type { Stage } from "@modelgate/core";
import { stageColor } from "./format";

export function StageBadge({ stage, version, testId }: { stage: Stage; version?: string; testId?: string }) {
  return (
    <Badge color={stageColor[stage]} variant="light" size="sm" data-testid={testId} data-stage={stage}>
      {version ? `${stage} v${version}` : stage}
    </Badge>
  );
}

export function AliasBadge({ alias, version, testId }: { alias: string; version?: string; testId?: string }) {
  return (
    <Badge variant="outline" color="violet" size="sm" tt="none" data-testid={testId ?? `alias-badge-${alias}`}>
      @{alias}{version ? ` → v${version}` : ""}
    </Badge>
  );
}

/** A version's aliases; `testIdPrefix` keeps ids unique where several versions are listed. */
export function AliasBadges({ aliases, testIdPrefix }: { aliases: string[] | undefined; testIdPrefix?: string }) {
  if (!aliases?.length) return <Text size="sm" c="dimmed">—</Text>;
  return <Group gap={4}>{aliases.map((a) => <AliasBadge key={a} alias={a} {...(testIdPrefix ? { testId: `${testIdPrefix}${a}` } : {})} />)}</Group>;
}
