"use client";
import { Alert, Card, Grid, Loader, NavLink, ScrollArea, Text } from "@mantine/core";
import { IconFile, IconFolder, IconFolderOpen } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ArtifactPreview } from "./artifact-preview";
import { RegisterModelButton, runFolderSource } from "./register-model";
import { baseName, formatBytes, listArtifacts, rootKey, type ArtifactFile, type ArtifactRoot } from "./artifacts-api";

interface BrowserProps {
  root: ArtifactRoot;
  /** A top-level file shown until the user picks one, when there is one (a logged model's MLmodel). */
  preselect?: string | undefined;
}

const useListing = (root: ArtifactRoot, path: string) => useQuery({ queryKey: ["artifacts", rootKey(root), path], queryFn: () => listArtifacts(root, path) });

/** A lazily loaded tree: a directory is listed when it is first opened. */
export function ArtifactsBrowser({ root, preselect }: BrowserProps) {
  const [picked, setPicked] = useState<ArtifactFile | null>(null);
  const top = useListing(root, ""); // the tree's own first listing (one request)
  const selected = picked ?? top.data?.find((f) => !f.is_dir && f.path === preselect) ?? null;
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Card withBorder p={4}>
          <ScrollArea.Autosize mah="70vh">
            <nav aria-label="Artifacts" data-testid="artifact-tree">
              <Directory root={root} path="" selected={selected?.path} onSelect={setPicked} top />
            </nav>
          </ScrollArea.Autosize>
        </Card>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        <Card withBorder>
          {selected ? <ArtifactPreview root={root} file={selected} /> : <Text c="dimmed" size="sm">Select a file to preview it.</Text>}
        </Card>
      </Grid.Col>
    </Grid>
  );
}

interface DirectoryProps {
  root: ArtifactRoot;
  path: string;
  selected: string | undefined;
  onSelect: (f: ArtifactFile) => void;
  top?: boolean;
}

function Directory({ root, path, selected, onSelect, top = false }: DirectoryProps) {
  const files = useListing(root, path);
  if (files.isPending) return <Loader size="xs" m="xs" />;
  if (files.error) return <Alert color="red" m="xs">{files.error.message}</Alert>;
  if (top && files.data.length === 0) return <Text c="dimmed" size="sm" p="sm">{root.kind === "run" ? "No artifacts logged." : "No files uploaded for this model."}</Text>;
  // a run's folder with an MLmodel is a model logged the MLflow 2 way: offer to register it
  // (a logged model's page has its own Register button)
  const isModel = root.kind === "run" && files.data.some((f) => !f.is_dir && baseName(f.path) === "MLmodel");
  const entries = files.data.map((f) => (f.is_dir ? <DirectoryLink key={f.path} root={root} file={f} selected={selected} onSelect={onSelect} /> : (
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
  return isModel && root.kind === "run"
    ? [<RegisterModelButton key="register" from={runFolderSource(root.runId, path)} testId={`register-model-${path || "root"}`} compact />, ...entries]
    : entries;
}

function DirectoryLink({ root, file, selected, onSelect }: { root: ArtifactRoot; file: ArtifactFile; selected: string | undefined; onSelect: (f: ArtifactFile) => void }) {
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
      {opened ? <Directory root={root} path={file.path} selected={selected} onSelect={onSelect} /> : <span />}
    </NavLink>
  );
}
