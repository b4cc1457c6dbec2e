"use client";
import { Alert, Card, Grid, Loader, NavLink, ScrollArea, Text } from "@mantine/core";
import { IconFile, IconFolder, IconFolderOpen } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ArtifactPreview } from "./artifact-preview";
import { RegisterModelButton } from "./register-model";
import { baseName, formatBytes, listArtifacts, type ArtifactFile } from "./artifacts-api";

interface BrowserProps {
  experimentId: string;
  runId: string;
}

/** A lazily loaded tree: a directory is listed when it is first opened. */
export function ArtifactsBrowser({ experimentId, runId }: BrowserProps) {
  const [selected, setSelected] = useState<ArtifactFile | null>(null);
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Card withBorder p={4}>
          <ScrollArea.Autosize mah="70vh">
            <nav aria-label="Artifacts" data-testid="artifact-tree">
              <Directory runId={runId} path="" selected={selected?.path} onSelect={setSelected} root />
            </nav>
          </ScrollArea.Autosize>
        </Card>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        <Card withBorder>
          {selected ? <ArtifactPreview experimentId={experimentId} runId={runId} file={selected} /> : <Text c="dimmed" size="sm">Select a file to preview it.</Text>}
        </Card>
      </Grid.Col>
    </Grid>
  );
}

function Directory({ runId, path, selected, onSelect, root = false }: { runId: string; path: string; selected: string | undefined; onSelect: (f: ArtifactFile) => void; root?: boolean }) {
  const files = useQuery({ queryKey: ["artifacts", runId, path], queryFn: () => listArtifacts(runId, path) });
  if (files.isPending) return <Loader size="xs" m="xs" />;
  if (files.error) return <Alert color="red" m="xs">{files.error.message}</Alert>;
  if (root && files.data.length === 0) return <Text c="dimmed" size="sm" p="sm">No artifacts logged.</Text>;
  // a folder with an MLmodel is a logged model: offer to register it
  const isModel = files.data.some((f) => !f.is_dir && baseName(f.path) === "MLmodel");
  const entries = files.data.map((f) => (f.is_dir ? <DirectoryLink key={f.path} runId={runId} file={f} selected={selected} onSelect={onSelect} /> : (
    <NavLink
      key={f.path}
      label={baseName(f.path)}
      description={formatBytes(f.file_size)}
      leftSection={<IconFile size={16} />}
      active={selected === f.path}
      onClick={() => onSelect(f)}
      data-testid={`artifact-${f.path}`}
      py={4}
    />
  )));
  return isModel ? [<RegisterModelButton key="register" runId={runId} path={path} />, ...entries] : entries;
}

function DirectoryLink({ runId, file, selected, onSelect }: { runId: string; file: ArtifactFile; selected: string | undefined; onSelect: (f: ArtifactFile) => void }) {
  const [opened, setOpened] = useState(false);
  return (
    <NavLink
      label={baseName(file.path)}
      leftSection={opened ? <IconFolderOpen size={16} /> : <IconFolder size={16} />}
      opened={opened}
      onChange={setOpened}
      childrenOffset={14}
      data-testid={`artifact-${file.path}`}
      py={4}
    >
      {/* a placeholder keeps the link expandable; the listing is fetched only once opened */}
      {opened ? <Directory runId={runId} path={file.path} selected={selected} onSelect={onSelect} /> : <span />}
    </NavLink>
  );
}
